import type { Language, MessageKind } from './config';
import type { MentionRole } from './mentions';

/** A channel that receives some kinds of messages, from config or from `/alerts subscribe`. */
export interface Subscription {
  channelId: string;
  guildId?: string;
  kinds: MessageKind[];
  language?: Language;
  /** Price rule ids this channel wants; undefined = the configured default rules. */
  priceRules?: string[];
  /** Opt-in role ping for chosen kinds (lambdas/domain/mentions.ts). */
  mentionRole?: MentionRole;
  /** Set when Discord answered 403/404 for this channel: delivery stops and says so once. */
  disabledReason?: string;
}
