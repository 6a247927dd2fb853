import {
  FETCH_DEFAULTS,
  fetchFeed as defaultFetchFeed,
  type FeedFetcher,
  type FeedFetchResult,
} from '../../sources/feed-fetch';
import { parseFeed, type ParsedFeed } from '../../sources/feed-parse';
import type { FeedState, NewsItemRecord } from '../../store/news-repo';
import { DAY, HOUR } from '../../domain/clock';
import type { FeedConfig, IncidentConfig } from '../../domain/config';
import { errorMessage } from '../../domain/log';
import { itemKey, matchIncident, sameStory, type NewsItem } from '../../domain/news';
import { classifyRefundEvidence } from '../../domain/refund-evidence';
import type { RefundChange } from '../../domain/refund';
import {
  feedDisabledAnnouncement,
  newsAnnouncement,
  refundStageAnnouncement,
} from '../../discord/render-news';
import type { Container } from '../container';

export interface NewsJobOptions {
  /** Feeds fetched at the same time. */
  concurrency: number;
  /** Total deadline of one feed fetch, body included. */
  timeoutMs: number;
  /** Largest feed body accepted. */
  maxBytes: number;
  maxRedirects: number;
  /** Failures in a row before a feed is switched off (with one notice). */
  maxFailures: number;
  /** Longest backoff between attempts of a failing feed. */
  maxBackoffMs: number;
  /** Catch-up bound: items older than this are stored but never posted and move no stage. */
  maxItemAgeMs: number;
}

export const NEWS_JOB_DEFAULTS: NewsJobOptions = {
  concurrency: 4,
  timeoutMs: FETCH_DEFAULTS.timeoutMs,
  maxBytes: FETCH_DEFAULTS.maxBytes,
  maxRedirects: FETCH_DEFAULTS.maxRedirects,
  maxFailures: 6,
  maxBackoffMs: 6 * HOUR,
  maxItemAgeMs: 3 * DAY,
};

export interface NewsJobInput {
  /** Replaceable for the bench; defaults to our own HTTP GET. */
  fetchFeed?: FeedFetcher;
  options?: Partial<NewsJobOptions>;
}

export interface NewsJobResult {
  feedsConfigured: number;
  feedsDue: number;
  /** 200s that parsed. */
  feedsFetched: number;
  feedsNotModified: number;
  feedsFailed: number;
  /** Switched off in this run (410 or too many failures). */
  feedsDisabled: number;
  /** HTTP requests made, redirects included. */
  requests: number;
  bytes: number;
  itemsParsed: number;
  /** Matched items not seen before. */
  itemsNew: number;
  /** Of those, stored silently: a feed's first fetch or older than the catch-up bound. */
  itemsBaseline: number;
  duplicates: number;
  newsPosted: number;
  stageChanges: RefundChange[];
  /** Outbox entries added (news, refund changes, notices). */
  outboxEntries: number;
  errors: string[];
  summary: string;
}

interface MatchedItem {
  item: NewsItem;
  feed: FeedConfig;
  incident: IncidentConfig;
  keywords: string[];
  /** Stored, not posted: first fetch of the feed, or too old. */
  silent: boolean;
}

interface FeedOutcome {
  matched: MatchedItem[];
  /** Marks the items seen and stores the new validators: run only after the items are handled. */
  commit?: () => Promise<void>;
}

/**
 * One news cycle: fetch the due feeds (a few at a time; a broken feed never stops the others),
 * keep what is new and about an incident, post each story once, move the refund stage on
 * evidence and post each change once. All time comes from the injected clock.
 */
export async function runNewsJob(container: Container, input: NewsJobInput = {}): Promise<NewsJobResult> {
  const { config, clock, logger, news, refunds } = container;
  const opts: NewsJobOptions = { ...NEWS_JOB_DEFAULTS, ...input.options };
  const fetcher = input.fetchFeed ?? defaultFetchFeed;
  const startedAt = clock.now();
  const result: NewsJobResult = {
    feedsConfigured: 0,
    feedsDue: 0,
    feedsFetched: 0,
    feedsNotModified: 0,
    feedsFailed: 0,
    feedsDisabled: 0,
    requests: 0,
    bytes: 0,
    itemsParsed: 0,
    itemsNew: 0,
    itemsBaseline: 0,
    duplicates: 0,
    newsPosted: 0,
    stageChanges: [],
    outboxEntries: 0,
    errors: [],
    summary: '',
  };
  const fail = (line: string) => {
    result.errors.push(line);
    logger.warn(`news: ${line}`);
  };

  try {
    const wanted = config.feeds.filter((f) => config.incidents.some((i) => i.feeds.includes(f.id)));
    result.feedsConfigured = wanted.length;
    const states = await news.feedStates();
    const now = clock.now();
    const due = wanted.filter((f) => {
      const s = states.get(f.id);
      return !s || (s.disabledAt === undefined && (s.nextAttemptAt ?? 0) <= now);
    });
    result.feedsDue = due.length;

    const outcomes = await mapLimit(due, opts.concurrency, async (feed) => {
      try {
        return await processFeed(feed, states.get(feed.id) ?? null);
      } catch (err) {
        // Our own failure (store down, a bug): logged, and the other feeds go on.
        fail(`feed ${feed.id}: ${errorMessage(err)}`);
        result.feedsFailed++;
        return { matched: [] };
      }
    });

    const matched = outcomes.flatMap((o) => o.matched);
    let handled = true;
    for (const incident of config.incidents) {
      try {
        await processIncident(
          incident,
          matched.filter((m) => m.incident.id === incident.id),
        );
      } catch (err) {
        handled = false;
        fail(`incident ${incident.id}: ${errorMessage(err)}`);
      }
    }
    // Validators and seen keys are stored only once the items are handled: a run that dies
    // before this refetches the same items next time, and the conditional item writes keep
    // them from posting twice.
    if (handled) {
      await mapLimit(outcomes, opts.concurrency, async (o) => {
        try {
          await o.commit?.();
        } catch (err) {
          fail(`saving feed state: ${errorMessage(err)}`);
        }
      });
    }
  } catch (err) {
    fail(errorMessage(err));
  }

  result.summary = summarize(result);
  logger.info(result.summary);
  try {
    await container.jobRuns.record('news', startedAt, result.errors.length === 0, result.summary);
  } catch (err) {
    logger.error(`news: could not record the job run: ${errorMessage(err)}`);
  }
  return result;

  /** `state`: as read at the start of this run (null = never fetched). */
  async function processFeed(feed: FeedConfig, state: FeedState | null): Promise<FeedOutcome> {
    const validators = {
      ...(state?.etag ? { etag: state.etag } : {}),
      ...(state?.lastModified ? { lastModified: state.lastModified } : {}),
    };
    // A changed URL in config starts over: old validators belong to the old URL.
    const sameUrl = state?.url === feed.url;
    const res = await fetcher(feed.url, {
      timeoutMs: opts.timeoutMs,
      maxBytes: opts.maxBytes,
      maxRedirects: opts.maxRedirects,
      ...(sameUrl ? { validators } : {}),
      now: clock.now(),
    });
    result.requests += res.requests;
    if (res.kind === 'not-modified') {
      result.feedsNotModified++;
      await news.recordNotModified(feed.id, feed.url, res.validators);
      return { matched: [] };
    }
    if (res.kind !== 'ok') {
      await failure(feed, state, res.kind, res.message, res);
      return { matched: [] };
    }
    result.bytes += res.bytes;
    let parsed: ParsedFeed;
    try {
      parsed = await parseFeed(res.text, `feed ${feed.id} (${feed.url})`);
    } catch (err) {
      await failure(feed, state, 'parse-error', err instanceof Error ? err.message : String(err));
      return { matched: [] };
    }
    result.feedsFetched++;
    result.itemsParsed += parsed.items.length;
    const firstFetch = state?.initializedAt === undefined || !sameUrl;
    const incidents = config.incidents.filter((i) => i.feeds.includes(feed.id));
    // A feed never fetched has no seen keys: skip the query.
    const seen = state ? await news.seenKeys(feed.id) : new Set<string>();
    const candidates = new Map<
      string,
      { item: NewsItem; hits: { incident: IncidentConfig; keywords: string[] }[] }
    >();
    for (const p of parsed.items) {
      const key = itemKey(p);
      // Duplicate guids inside one feed: the first item wins.
      if (seen.has(key) || candidates.has(key)) continue;
      const title = p.title ?? '';
      const text = `${title} ${p.summary ?? ''}`;
      const hits = incidents
        .map((incident) => ({ incident, ...matchIncident(text, incident) }))
        .filter((h) => h.matched);
      if (!hits.length) continue;
      const item: NewsItem = {
        key,
        feedId: feed.id,
        title,
        ...(p.link ? { link: p.link } : {}),
        ...(p.guid ? { guid: p.guid } : {}),
        ...(p.publishedAt !== undefined ? { publishedAt: p.publishedAt } : {}),
        ...(p.summary ? { summary: p.summary } : {}),
        ...(p.body ? { body: p.body } : {}),
        ...(parsed.title ? { feedTitle: parsed.title } : {}),
      };
      candidates.set(key, { item, hits: hits.map((h) => ({ incident: h.incident, keywords: h.keywords })) });
    }
    const nowMs = clock.now();
    const out: MatchedItem[] = [];
    for (const { item, hits } of candidates.values()) {
      const tooOld = item.publishedAt !== undefined && item.publishedAt < nowMs - opts.maxItemAgeMs;
      for (const h of hits)
        out.push({ item, feed, incident: h.incident, keywords: h.keywords, silent: firstFetch || tooOld });
    }
    return {
      matched: out,
      commit: async () => {
        // Only matched items are remembered: the others never post, whatever their key.
        await news.markSeen(feed.id, [...candidates.keys()]);
        await news.recordSuccess(feed.id, feed.url, res.validators, parsed.items.length, state);
      },
    };
  }

  async function failure(
    feed: FeedConfig,
    state: FeedState | null,
    outcome: string,
    message: string,
    res?: FeedFetchResult,
  ) {
    result.feedsFailed++;
    const retryAfterMs = res?.kind === 'retry-after' ? res.retryAfterMs : undefined;
    const f = await news.recordFailure(
      feed.id,
      {
        url: feed.url,
        outcome,
        error: message,
        intervalMs: config.intervals.newsSeconds * 1000,
        maxBackoffMs: opts.maxBackoffMs,
        maxFailures: opts.maxFailures,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        disableNow: res?.kind === 'gone',
      },
      state,
    );
    fail(
      `feed ${feed.id}: ${outcome}: ${message} (failure ${f.failures}, next attempt ${new Date(f.nextAttemptAt).toISOString()})`,
    );
    if (!f.disabledNow) return;
    result.feedsDisabled++;
    const notice = feedDisabledAnnouncement(feed, f.disabledReason ?? message, f.disabledAt);
    logger.warn(`news: feed ${feed.id} disabled: ${f.disabledReason ?? message}`);
    if (config.adminChannel) {
      const added = await container.outbox.enqueue(
        notice.key,
        config.adminChannel,
        notice.kind,
        notice.render(config.language),
      );
      if (added) result.outboxEntries++;
    } else {
      result.outboxEntries += await container.enqueue(notice);
    }
  }

  async function postChange(change: RefundChange, incident: IncidentConfig) {
    result.outboxEntries += await container.enqueue(refundStageAnnouncement(change, incident));
    await refunds.markPosted(incident.id, change.seq);
    result.stageChanges.push(change);
    logger.info(
      `news: refund ${incident.id} ${change.from} → ${change.to}${change.auto ? '' : ` (by ${change.actor})`}`,
    );
  }

  async function processIncident(incident: IncidentConfig, items: MatchedItem[]) {
    // Changes recorded but not posted yet: made by hand (CLI) or left by a run that died.
    for (const change of await refunds.unposted(incident.id)) await postChange(change, incident);
    if (!items.length) return;
    const nowMs = clock.now();
    const at = (m: MatchedItem) => m.item.publishedAt ?? nowMs;
    items.sort((a, b) => at(a) - at(b) || a.feed.id.localeCompare(b.feed.id));
    const stories: NewsItemRecord[] = await news.recentStories(incident.id);
    for (const m of items) {
      // Stored already: a run that died before saving the feed's seen keys handled it. The
      // post and the stage move happen before the item is stored, so nothing was lost.
      if (await news.getItem(incident.id, m.feed.id, m.item.key)) continue;
      result.itemsNew++;
      const lead = stories.find((s) => sameStory(s, m.item));
      // Evidence is read from the whole text, not the display excerpt; the body is not stored.
      const { body, ...stored } = m.item;
      const signal = m.silent
        ? undefined
        : classifyRefundEvidence(
            {
              title: m.item.title,
              body: body ?? m.item.summary ?? '',
              ...(m.item.publishedAt !== undefined ? { publishedAt: m.item.publishedAt } : {}),
            },
            incident,
          );
      const record: NewsItemRecord = {
        ...stored,
        incidentId: incident.id,
        seenAt: nowMs,
        keywords: m.keywords,
        posted: !m.silent && !lead,
        ...(lead ? { duplicateOf: `${lead.feedId}#${lead.key}` } : {}),
        ...(signal ? { refundStage: signal.stage } : {}),
      };
      if (lead) result.duplicates++;
      else stories.unshift(record);
      if (m.silent) result.itemsBaseline++;
      // Enqueue, then move the stage, then store: a retry after a crash repeats the first two
      // harmlessly (the outbox refuses a known key; the stage moves forward only).
      if (record.posted) {
        result.outboxEntries += await container.enqueue(newsAnnouncement(m.item, incident, m.feed));
        result.newsPosted++;
      }
      if (signal) {
        const change = await refunds.applyEvidence(incident.id, {
          stage: signal.stage,
          ...(signal.rate !== undefined ? { rate: signal.rate } : {}),
          ...(signal.currency ? { currency: signal.currency } : {}),
          ...(signal.paymentDate ? { paymentDate: signal.paymentDate } : {}),
          evidence: m.item.link ? [m.item.link] : [],
          because: signal.because,
        });
        if (change) await postChange(change, incident);
      }
      await news.saveItem(record);
    }
  }
}

function summarize(r: NewsJobResult): string {
  const stages = r.stageChanges.map((c) => `${c.from}→${c.to}`).join(', ');
  return (
    `news: ${r.feedsDue}/${r.feedsConfigured} feeds due, ${r.feedsFetched} fetched, ${r.feedsNotModified} not modified, ` +
    `${r.feedsFailed} failed, ${r.feedsDisabled} disabled; ${r.itemsParsed} items parsed, ${r.itemsNew} new matched ` +
    `(${r.itemsBaseline} silent, ${r.duplicates} duplicate), ${r.newsPosted} posted; ` +
    `refund ${stages || 'unchanged'}; ${r.outboxEntries} outbox entries; ${r.requests} requests`
  );
}

/** Run `fn` over `items` with at most `limit` at a time; results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
