import type { Clock } from '../domain/clock';
import type { Config } from '../domain/config';
import { blindSpots, type BlindSpot } from '../domain/config-summary';
import { ChainRepo } from './chain-repo';
import { GuildFeeds, isEveryonesFeed } from './guild-feeds';
import { JobRuns } from './job-runs';
import { NewsRepo } from './news-repo';
import { Outbox } from './outbox';
import { PriceRepo } from './price-repo';
import { RefundRepo } from './refund-repo';
import type { Store } from './store';
import { Subscriptions } from './subscriptions';

/** The repositories over the one table. */
export interface Repositories {
  outbox: Outbox;
  subscriptions: Subscriptions;
  jobRuns: JobRuns;
  prices: PriceRepo;
  news: NewsRepo;
  refunds: RefundRepo;
  /** The on-chain watch: watched accounts and transfers. */
  chain: ChainRepo;
  /** Feeds added from Discord (/feeds add). */
  guildFeeds: GuildFeeds;
}

/**
 * The one place repositories are built: by the container, once per process, and again only over
 * a store bound to one interaction's abort signal (lambdas/discord/interactions.ts).
 */
export function createRepositories(store: Store, clock: Clock, config: Config): Repositories {
  return {
    outbox: new Outbox(store, clock),
    subscriptions: new Subscriptions(store, clock, config.channels),
    jobRuns: new JobRuns(store, clock),
    prices: new PriceRepo(store, clock),
    news: new NewsRepo(store, clock),
    refunds: new RefundRepo(store, clock),
    chain: new ChainRepo(store, clock),
    guildFeeds: new GuildFeeds(store, clock),
  };
}

/**
 * What nobody will see, as the store knows it now (/status and the start-up check): the channels
 * still subscribed (config and /alerts) and the feeds servers added with /feeds add, beside the
 * config's own.
 */
export async function blindSpotsNow(
  repos: Pick<Repositories, 'subscriptions' | 'guildFeeds'>,
  config: Config,
): Promise<BlindSpot[]> {
  const [subscriptions, storedFeeds] = await Promise.all([repos.subscriptions.all(), repos.guildFeeds.all()]);
  const active = subscriptions.filter((s) => !s.disabledReason);
  const newsGuilds = new Set(
    active.flatMap((s) => (s.guildId && s.kinds.includes('news') ? [s.guildId] : [])),
  );
  // A server's own feed posts only in that server's news channels (news-feeds.ts feedAudience).
  const unheardFeeds = storedFeeds.filter(
    (f) => !newsGuilds.has(f.guildId) && !isEveryonesFeed(f.id, config.feeds),
  );
  return blindSpots({ config, subscribedChannels: active.length, storedFeeds, unheardFeeds });
}
