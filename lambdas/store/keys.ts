/**
 * The partition keys (pk) of the one table, each written by one repository. The stack grants the
 * interactions function its writes by these values (IAM dynamodb:LeadingKeys), so a rename here
 * renames the grant too; test/integration/iam-partitions.test.ts fails when a command writes a
 * partition the grant does not list.
 */
export const PK = {
  /** Channels subscribed with /alerts (subscriptions.ts). */
  subscriptions: 'SUB',
  /** Channels Discord refused (subscriptions.ts). */
  disabledChannels: 'CHANNEL#DISABLED',
  /** Interactions seen, so a retried one runs once (discord/interactions.ts). */
  interactions: 'INTERACTION',
  /** One incident's refund stage and its audit trail (refund-repo.ts). */
  refund: (incidentId: string) => `REFUND#${incidentId}`,
  /** Unofficial refund evidence waiting for a second source (refund-repo.ts); news job only. */
  refundClaims: (incidentId: string) => `REFUNDCLAIM#${incidentId}`,
  outbox: 'OUTBOX',
  jobRuns: 'JOBRUN',
  /** The brakes on sending to Discord (discord-guard.ts). */
  discordGuard: 'DISCORD',
  feeds: 'FEED',
  /** Feeds added from Discord with /feeds add, sk <guildId>#<feedId> (guild-feeds.ts). */
  guildFeeds: 'GUILDFEED',
  feedSeen: (feedId: string) => `FEEDSEEN#${feedId}`,
  news: (incidentId: string) => `NEWS#${incidentId}`,
  priceHealth: 'PRICE#HEALTH',
} as const;

/**
 * Partitions the interactions function (and its worker) may write; everything else they only read:
 * SUB and CHANNEL#DISABLED (`/alerts subscribe|unsubscribe`), INTERACTION (the seen-interaction
 * record), REFUND#<incident id> (`/refund set-stage|set-terms`, one per configured incident),
 * GUILDFEED (`/feeds add|remove`).
 */
export function interactionsWritablePartitions(incidentIds: readonly string[]): string[] {
  return [
    PK.subscriptions,
    PK.disabledChannels,
    PK.interactions,
    PK.guildFeeds,
    ...incidentIds.map(PK.refund),
  ];
}
