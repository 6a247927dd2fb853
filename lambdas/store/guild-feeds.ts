import { createHash } from 'node:crypto';
import type { Clock } from '../domain/clock';
import type { Item, Store } from './store';
import { PK } from './keys';

/**
 * Feeds added from Discord (`/feeds add`), beside the config's: GUILDFEED / <guildId>#<feedId>.
 * The news job reads them all each run, so a new one is fetched without a redeploy.
 */

/** A feed a server added. */
export interface StoredFeed {
  /** `u-` and a hash of the URL: the same URL is one feed (one fetch state) in every server. */
  id: string;
  guildId: string;
  url: string;
  /** Matched against this incident only; undefined = every configured incident. */
  incidentId?: string;
  /** The feed's own title, as the check read it. */
  title?: string;
  addedBy: string;
  addedAt: number;
}

/** Most feeds one server may add. */
export const MAX_FEEDS_PER_GUILD = 10;

type FeedItem = Item & StoredFeed;

/** The id a stored feed gets: stable per URL, never one of the config's ids (those have no `u-`… hash). */
export function storedFeedId(url: string): string {
  return `u-${createHash('sha256').update(url).digest('hex').slice(0, 12)}`;
}

/** An id storedFeedId could have made (a config feed's id is checked first by the caller). */
function isStoredFeedId(id: string): boolean {
  return /^u-[0-9a-f]{12}$/.test(id);
}

/**
 * Whether a feed's news is every server's: a config feed, or a URL servers added that the config
 * lists too (config wins). Otherwise it is a server feed (/feeds add): only the servers that
 * added it see its posts and /news items.
 */
export function isEveryonesFeed(
  feedId: string,
  configFeeds: readonly { id: string; url: string }[],
): boolean {
  return (
    !isStoredFeedId(feedId) || configFeeds.some((f) => f.id === feedId || storedFeedId(f.url) === feedId)
  );
}

/** Whether a stored news item may be shown in a server; `guildFeedIds` = the feeds it added (none outside one). */
export function itemVisibleIn(
  feedId: string,
  guildFeedIds: readonly string[],
  configFeeds: readonly { id: string; url: string }[],
): boolean {
  return guildFeedIds.includes(feedId) || isEveryonesFeed(feedId, configFeeds);
}

export type AddFeedOutcome = 'added' | 'exists' | 'limit';

export class GuildFeeds {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Store a checked feed; refuses one more than `limit` for the server, and a URL it already has. */
  async add(
    feed: Omit<StoredFeed, 'id' | 'addedAt'>,
    limit = MAX_FEEDS_PER_GUILD,
  ): Promise<{ outcome: AddFeedOutcome; feed: StoredFeed }> {
    const stored: StoredFeed = { ...feed, id: storedFeedId(feed.url), addedAt: this.clock.now() };
    const existing = await this.list(feed.guildId);
    if (existing.some((f) => f.id === stored.id)) return { outcome: 'exists', feed: stored };
    if (existing.length >= limit) return { outcome: 'limit', feed: stored };
    const item: FeedItem = { pk: PK.guildFeeds, sk: `${feed.guildId}#${stored.id}`, ...stored };
    const added = await this.store.put(item, { ifAbsent: true });
    return { outcome: added ? 'added' : 'exists', feed: stored };
  }

  /** Remove one of the server's feeds; false when it has no such feed. */
  async remove(guildId: string, feedId: string): Promise<boolean> {
    const sk = `${guildId}#${feedId}`;
    if (!(await this.store.get<FeedItem>(PK.guildFeeds, sk))) return false;
    await this.store.delete(PK.guildFeeds, sk);
    return true;
  }

  async list(guildId: string): Promise<StoredFeed[]> {
    return (await this.store.query<FeedItem>(PK.guildFeeds, { prefix: `${guildId}#` })).map(toFeed);
  }

  /** Every server's feeds (the news job). */
  async all(): Promise<StoredFeed[]> {
    return (await this.store.query<FeedItem>(PK.guildFeeds)).map(toFeed);
  }
}

function toFeed(item: FeedItem): StoredFeed {
  const { pk: _pk, sk: _sk, ...feed } = item;
  return feed;
}
