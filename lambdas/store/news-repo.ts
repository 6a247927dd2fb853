import type { Clock } from '../domain/clock';
import type { FeedFailure, FeedFailureVerdict } from '../domain/feed-health';
import type { NewsItem } from '../domain/news';
import type { RefundStage } from '../domain/refund';
import type { Validators } from '../domain/news';
import { ttlAfter, type Item, type Store } from './store';
import { PK } from './keys';

/**
 * News state in the one table (single-item conditional writes only):
 *   FEED            / <feedId>            per-feed fetch state (validators, failures, backoff, disabled)
 *   FEEDSEEN#<feed> / <itemKey>           item keys seen in that feed (dedupe), TTL'd
 *   NEWS#<incident> / <feedId>#<itemKey>  matched items; lead items of a story also carry
 *                                         gsi1 NEWSBYDATE#<incident> / <time>#... for "latest"
 */

const FEED_PK = PK.feeds;
const seenPk = PK.feedSeen;
const newsPk = PK.news;
const byDatePk = (incidentId: string) => `NEWSBYDATE#${incidentId}`;
/** Seen keys outlive any catch-up window by far, so an old item never comes back as new. */
const SEEN_RETENTION_DAYS = 180;
const NEWS_RETENTION_DAYS = 400;

export interface FeedState extends Item {
  feedId: string;
  url: string;
  etag?: string;
  lastModified?: string;
  /** Set by the first successful fetch: before it, items are stored and nothing is posted. */
  initializedAt?: number;
  lastAttemptAt?: number;
  lastSuccessAt?: number;
  /** Failures in a row; 0 after a success or a 304. */
  failures: number;
  /** Not fetched before this time (backoff, Retry-After). */
  nextAttemptAt?: number;
  /** Present only while disabled (a conditional write on its absence makes the notice unique). */
  disabledAt?: number;
  disabledReason?: string;
  lastError?: string;
  /** Last outcome kind: ok, not-modified, timeout, gone, parse-error ... */
  lastOutcome?: string;
  itemCount?: number;
}

/** A feed that answered 304 in this run, with its state as the run read it (recordNotModified). */
export interface NotModified {
  feedId: string;
  url: string;
  validators: Validators;
  state: FeedState | null;
}

/** What `/status`-like commands show about a feed. */
export interface FeedHealth {
  feedId: string;
  url: string;
  disabled: boolean;
  disabledReason?: string;
  disabledAt?: number;
  failures: number;
  lastAttemptAt?: number;
  lastSuccessAt?: number;
  nextAttemptAt?: number;
  lastOutcome?: string;
  lastError?: string;
  itemCount?: number;
}

/** A news item matched to an incident, as stored. */
export interface NewsItemRecord extends NewsItem {
  incidentId: string;
  /** When we first saw it (epoch ms, injected clock). */
  seenAt: number;
  /** Incident keywords it matched. */
  keywords: string[];
  /** Posted to channels (false for a feed's first fetch, items past the catch-up age, duplicates). */
  posted: boolean;
  /** `<feedId>#<itemKey>` of the item already carrying this story, when this one is a duplicate. */
  duplicateOf?: string;
  /** The refund stage this item evidenced, if any. */
  refundStage?: RefundStage;
}

type NewsItemStored = NewsItemRecord & Item;

export interface FailureOutcome {
  /** true only for the one caller that switched the feed off: it sends the single notice. */
  disabledNow: boolean;
  disabledAt?: number;
}

export class NewsRepo {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** The newest matched stories of an incident (duplicates left out), newest first. */
  async latestItems(incidentId: string, count: number): Promise<NewsItemRecord[]> {
    if (count <= 0) return [];
    const items = await this.store.query<NewsItemStored>(byDatePk(incidentId), {
      index: 'gsi1',
      descending: true,
      limit: count,
    });
    return items.map(toRecord);
  }

  /** Every feed that has been tried, with its health. Feeds never fetched are not listed. */
  async feedHealth(): Promise<FeedHealth[]> {
    return (await this.store.query<FeedState>(FEED_PK)).map((s) => ({
      feedId: s.feedId,
      url: s.url,
      disabled: s.disabledAt !== undefined,
      failures: s.failures ?? 0,
      ...pick(s, [
        'disabledReason',
        'disabledAt',
        'lastAttemptAt',
        'lastSuccessAt',
        'nextAttemptAt',
        'lastOutcome',
        'lastError',
        'itemCount',
      ]),
    }));
  }

  async feedStates(): Promise<Map<string, FeedState>> {
    return new Map((await this.store.query<FeedState>(FEED_PK)).map((s) => [s.feedId, s]));
  }

  async feedState(feedId: string): Promise<FeedState | undefined> {
    return this.store.get<FeedState>(FEED_PK, feedId);
  }

  /**
   * A 200 that parsed: new validators, failures reset, first fetch marked. `prev` is the state
   * the caller already read this run (saves a read); omitted, it is read here.
   */
  async recordSuccess(
    feedId: string,
    url: string,
    validators: Validators,
    itemCount: number,
    prev?: FeedState | null,
  ): Promise<void> {
    const now = this.clock.now();
    if (prev === undefined) prev = (await this.feedState(feedId)) ?? null;
    const remove = ['nextAttemptAt', 'lastError'];
    if (!validators.etag) remove.push('etag');
    if (!validators.lastModified) remove.push('lastModified');
    await this.store.update(
      FEED_PK,
      feedId,
      {
        feedId,
        url,
        etag: validators.etag,
        lastModified: validators.lastModified,
        lastAttemptAt: now,
        lastSuccessAt: now,
        failures: 0,
        lastOutcome: 'ok',
        itemCount,
        initializedAt: prev?.initializedAt ?? now,
      },
      { remove },
    );
  }

  /**
   * 304s: nothing new, the stored validators stay, failures are cleared. A run's 304s are one
   * batch write rather than one write each: every feed's state as the run read it (`state`; null:
   * none yet), with the times moved on.
   */
  async recordNotModified(feeds: NotModified[]): Promise<void> {
    const now = this.clock.now();
    await this.store.putAll(
      feeds.map(({ feedId, url, validators, state }): FeedState => {
        const { nextAttemptAt: _next, lastError: _error, ...kept }: Partial<FeedState> = state ?? {};
        const etag = validators.etag ?? kept.etag;
        const lastModified = validators.lastModified ?? kept.lastModified;
        return {
          ...kept,
          pk: FEED_PK,
          sk: feedId,
          feedId,
          url,
          ...(etag ? { etag } : {}),
          ...(lastModified ? { lastModified } : {}),
          lastAttemptAt: now,
          lastSuccessAt: now,
          failures: 0,
          lastOutcome: 'not-modified',
        };
      }),
    );
  }

  /**
   * A failed fetch or parse, as judged by domain/feed-health.ts. The switch-off is a conditional
   * write on `disabledAt` being absent, so when two runs race, exactly one gets `disabledNow` and
   * sends the notice.
   */
  async recordFailure(
    feedId: string,
    url: string,
    failure: FeedFailure,
    verdict: FeedFailureVerdict,
  ): Promise<FailureOutcome> {
    const now = this.clock.now();
    const base = {
      feedId,
      url,
      failures: verdict.failures,
      lastAttemptAt: now,
      nextAttemptAt: verdict.nextAttemptAt,
      lastOutcome: failure.outcome,
      lastError: failure.error.slice(0, 500),
    };
    if (verdict.disableReason !== undefined) {
      const won = await this.store.update(
        FEED_PK,
        feedId,
        { ...base, disabledAt: now, disabledReason: verdict.disableReason },
        { expected: { disabledAt: null } },
      );
      if (won) return { disabledNow: true, disabledAt: now };
    }
    await this.store.update(FEED_PK, feedId, base);
    return { disabledNow: false };
  }

  /** Switch a disabled feed back on (maintainer action): failures reset, due at once. */
  async enableFeed(feedId: string): Promise<boolean> {
    return this.store.update(
      FEED_PK,
      feedId,
      { failures: 0 },
      { remove: ['disabledAt', 'disabledReason', 'nextAttemptAt'], expected: { feedId } },
    );
  }

  /** Item keys already seen in a feed. One query per fetch instead of one write per item. */
  async seenKeys(feedId: string): Promise<Set<string>> {
    return new Set((await this.store.query(seenPk(feedId))).map((i) => i.sk));
  }

  /** Mark keys seen; returns those this call marked first (conditional puts, so a racing run gets none). */
  async markSeen(feedId: string, keys: string[]): Promise<string[]> {
    const now = this.clock.now();
    const fresh: string[] = [];
    for (const key of keys) {
      const put = await this.store.put(
        { pk: seenPk(feedId), sk: key, at: now, expiresAt: ttlAfter(now, SEEN_RETENTION_DAYS) },
        { ifAbsent: true },
      );
      if (put) fresh.push(key);
    }
    return fresh;
  }

  /** Store a matched item once; false when it was stored before. Lead items are listed by date. */
  async saveItem(record: NewsItemRecord): Promise<boolean> {
    const sortTime = String(record.publishedAt ?? record.seenAt).padStart(15, '0');
    const item: NewsItemStored = {
      ...record,
      pk: newsPk(record.incidentId),
      sk: `${record.feedId}#${record.key}`,
      expiresAt: ttlAfter(this.clock.now(), NEWS_RETENTION_DAYS),
      ...(record.duplicateOf
        ? {}
        : { gsi1pk: byDatePk(record.incidentId), gsi1sk: `${sortTime}#${record.feedId}#${record.key}` }),
    };
    return this.store.put(item, { ifAbsent: true });
  }

  async getItem(incidentId: string, feedId: string, key: string): Promise<NewsItemRecord | undefined> {
    const item = await this.store.get<NewsItemStored>(newsPk(incidentId), `${feedId}#${key}`);
    return item ? toRecord(item) : undefined;
  }

  /** Recent lead items of an incident, for grouping a new item with a story already told. */
  async recentStories(incidentId: string, count = 200): Promise<NewsItemRecord[]> {
    return this.latestItems(incidentId, count);
  }
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

function toRecord(s: NewsItemStored): NewsItemRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, expiresAt: _e, ...rest } = s;
  return rest;
}
