import type { FeedFetchResult } from '../../sources/feed-fetch';
import { parseFeed, type ParsedFeed } from '../../sources/feed-parse';
import type { FeedState } from '../../store/news-repo';
import type { FeedConfig, IncidentConfig } from '../../domain/config';
import { judgeFeedFailure } from '../../domain/feed-health';
import { errorMessage } from '../../domain/log';
import { itemKey, matchIncident, type NewsItem } from '../../domain/news';
import { feedDisabledAnnouncement } from '../../discord/render-news';
import type { FeedOutcome, MatchedItem, NewsRun } from './news-job';
import { isEveryonesFeed } from '../../store/guild-feeds';

/** The news job's feed steps: fetch, parse and match one feed; count its failures. */

/**
 * The incidents that read a feed: the config's feeds by incidents[].feeds; a feed added from
 * Discord (`/feeds add`, a `u-` id) by the incident it was added for, or every incident.
 */
export function feedReaders(run: NewsRun, feed: FeedConfig): string[] {
  const { incidents } = run.container.config;
  const stored = run.storedFeeds.filter((f) => f.id === feed.id);
  if (!stored.length) return incidents.filter((i) => i.feeds.includes(feed.id)).map((i) => i.id);
  // The same URL added by several servers: the union of what they asked for.
  if (stored.some((f) => f.incidentId === undefined)) return incidents.map((i) => i.id);
  return [...new Set(stored.map((f) => f.incidentId as string))];
}

/**
 * The servers whose channels a feed's items and notices go to: undefined = every channel (a
 * config feed, or a URL the config lists too: config wins); else only the servers that added it
 * with /feeds add, so one server's feed never posts in another's. A server feed since removed: none.
 */
export function feedAudience(run: NewsRun, feedId: string): string[] | undefined {
  if (isEveryonesFeed(feedId, run.container.config.feeds)) return undefined;
  return [...new Set(run.storedFeeds.filter((f) => f.id === feedId).map((s) => s.guildId))];
}

/** readFeed, where our own failure (store down, a bug) is logged and the other feeds go on. */
export async function readFeedGuarded(
  run: NewsRun,
  feed: FeedConfig,
  state: FeedState | null,
): Promise<FeedOutcome> {
  try {
    return await readFeed(run, feed, state);
  } catch (err) {
    run.fail(`feed ${feed.id}: ${errorMessage(err)}`);
    run.result.feedsFailed++;
    return { matched: [] };
  }
}

/** Fetch (conditional GET), parse and match one feed. `state`: as read at the start of this run (null = never fetched). */
async function readFeed(run: NewsRun, feed: FeedConfig, state: FeedState | null): Promise<FeedOutcome> {
  const { clock, news } = run.container;
  const { opts, result } = run;
  const validators = {
    ...(state?.etag ? { etag: state.etag } : {}),
    ...(state?.lastModified ? { lastModified: state.lastModified } : {}),
  };
  // A changed URL in config starts over: old validators belong to the old URL.
  const sameUrl = state?.url === feed.url;
  const res = await run.fetcher(feed.url, {
    timeoutMs: opts.timeoutMs,
    maxBytes: opts.maxBytes,
    maxRedirects: opts.maxRedirects,
    ...(sameUrl ? { validators } : {}),
    now: clock.now(),
  });
  result.requests += res.requests;
  if (res.kind === 'not-modified') {
    result.feedsNotModified++;
    return {
      matched: [],
      notModified: { feedId: feed.id, url: feed.url, validators: res.validators, state },
    };
  }
  if (res.kind !== 'ok') {
    await feedFailed(run, feed, state, res.kind, res.message, res);
    return { matched: [] };
  }
  result.bytes += res.bytes;
  if (res.charsetMismatch) run.container.logger.warn(`feed ${feed.id} (${feed.url}): ${res.charsetMismatch}`);
  let parsed: ParsedFeed;
  try {
    parsed = await parseFeed(res.text, `feed ${feed.id} (${feed.url})`);
  } catch (err) {
    await feedFailed(run, feed, state, 'parse-error', err instanceof Error ? err.message : String(err));
    return { matched: [] };
  }
  result.feedsFetched++;
  result.itemsParsed += parsed.items.length;
  const firstFetch = state?.initializedAt === undefined || !sameUrl;
  const candidates = await matchItems(run, feed, parsed, state);
  return {
    matched: matchedItems(run, feed, candidates, firstFetch),
    commit: async () => {
      // Only matched items are remembered: the others never post, whatever their key.
      await news.markSeen(feed.id, [...candidates.keys()]);
      await news.recordSuccess(feed.id, feed.url, res.validators, parsed.items.length, state);
    },
  };
}

type Candidates = Map<string, { item: NewsItem; hits: { incident: IncidentConfig; keywords: string[] }[] }>;

/** The parsed items not seen before that match an incident reading this feed, by item key. */
async function matchItems(
  run: NewsRun,
  feed: FeedConfig,
  parsed: ParsedFeed,
  state: FeedState | null,
): Promise<Candidates> {
  const incidents = run.container.config.incidents.filter((i) => feedReaders(run, feed).includes(i.id));
  // A feed never fetched has no seen keys: skip the query.
  const seen = state ? await run.container.news.seenKeys(feed.id) : new Set<string>();
  const candidates: Candidates = new Map();
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
  return candidates;
}

/** One entry per (item, incident); silent on a feed's first fetch or past the catch-up bound. */
function matchedItems(
  run: NewsRun,
  feed: FeedConfig,
  candidates: Candidates,
  firstFetch: boolean,
): MatchedItem[] {
  const nowMs = run.container.clock.now();
  const out: MatchedItem[] = [];
  for (const { item, hits } of candidates.values()) {
    const tooOld = item.publishedAt !== undefined && item.publishedAt < nowMs - run.opts.maxItemAgeMs;
    for (const h of hits)
      out.push({ item, feed, incident: h.incident, keywords: h.keywords, silent: firstFetch || tooOld });
  }
  return out;
}

/** A failed fetch or parse: judged by domain/feed-health.ts, recorded, and told once when it switches the feed off. */
async function feedFailed(
  run: NewsRun,
  feed: FeedConfig,
  state: FeedState | null,
  outcome: string,
  message: string,
  res?: FeedFetchResult,
): Promise<void> {
  const { config, clock, news, logger } = run.container;
  run.result.feedsFailed++;
  const retryAfterMs = res?.kind === 'retry-after' ? res.retryAfterMs : undefined;
  const failure = { outcome, error: message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  const verdict = judgeFeedFailure(
    state,
    failure,
    {
      intervalMs: config.intervals.newsSeconds * 1000,
      maxBackoffMs: run.opts.maxBackoffMs,
      maxFailures: run.opts.maxFailures,
    },
    clock.now(),
  );
  const recorded = await news.recordFailure(feed.id, feed.url, failure, verdict);
  run.fail(
    `feed ${feed.id}: ${outcome}: ${message} (failure ${verdict.failures}, next attempt ${new Date(verdict.nextAttemptAt).toISOString()})`,
  );
  if (!recorded.disabledNow) return;
  run.result.feedsDisabled++;
  const reason = verdict.disableReason ?? message;
  logger.warn(`news: feed ${feed.id} disabled: ${reason}`);
  await noticeFeedDisabled(run, feed, reason, recorded.disabledAt);
}

/** The one notice of a feed switched off: to the admin channel when configured, else the news channels. */
async function noticeFeedDisabled(run: NewsRun, feed: FeedConfig, reason: string, at: number | undefined) {
  const { config, outbox } = run.container;
  const notice = feedDisabledAnnouncement(feed, reason, at);
  if (config.adminChannel) {
    const added = await outbox.enqueue(
      notice.key,
      config.adminChannel,
      notice.kind,
      notice.render(config.language),
    );
    if (added) run.result.outboxEntries++;
  } else {
    const guilds = feedAudience(run, feed.id);
    run.result.outboxEntries += (await run.container.enqueue(notice, guilds ? { guilds } : {})).added;
  }
}
