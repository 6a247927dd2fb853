import { FETCH_DEFAULTS, fetchFeed as defaultFetchFeed, type FeedFetcher } from '../../sources/feed-fetch';
import type { FeedState, NewsItemRecord, NotModified } from '../../store/news-repo';
import { DAY, HOUR } from '../../domain/clock';
import type { FeedConfig, IncidentConfig } from '../../domain/config';
import { errorMessage } from '../../domain/log';
import { isFeedDue } from '../../domain/feed-health';
import { sameStory, type NewsItem } from '../../domain/news';
import { classifyRefundEvidence, refundDoubt } from '../../domain/refund-evidence';
import type { RefundChange } from '../../domain/refund';
import { newsAnnouncement } from '../../discord/render-news';
import type { Container } from '../container';
import type { Deadline } from '../../domain/deadline';
import { feedAudience, readFeedGuarded } from './news-feeds';
import type { StoredFeed } from '../../store/guild-feeds';
import { handleRefundEvidence, postChange } from './news-refund';

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
  /** No feed fetch starts after it (newsCycle: Lambda's time left); a started one ends within its timeout. */
  deadline?: Deadline;
  options?: Partial<NewsJobOptions>;
}

export interface NewsJobResult {
  feedsConfigured: number;
  feedsDue: number;
  /** 200s that parsed. */
  feedsFetched: number;
  feedsNotModified: number;
  feedsFailed: number;
  /** Due feeds not fetched because the deadline had passed: still due next run. */
  feedsSkipped: string[];
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
  /** "Reported, unconfirmed" messages queued (one unofficial source, stage not moved). */
  unconfirmedPosted: number;
  /** Outbox entries added (news, refund changes, notices). */
  outboxEntries: number;
  errors: string[];
  summary: string;
}

export interface MatchedItem {
  item: NewsItem;
  feed: FeedConfig;
  incident: IncidentConfig;
  keywords: string[];
  /** Stored, not posted: first fetch of the feed, or too old. */
  silent: boolean;
}

export interface FeedOutcome {
  matched: MatchedItem[];
  /** A 304: recorded with the run's other 304s in one write (NewsRepo.recordNotModified). */
  notModified?: NotModified;
  /** Marks the items seen and stores the new validators: run only after the items are handled. */
  commit?: () => Promise<void>;
}

/** One run of the job: what every step reads and adds to. */
export interface NewsRun {
  container: Container;
  opts: NewsJobOptions;
  fetcher: FeedFetcher;
  result: NewsJobResult;
  /** The feeds servers added with /feeds add, read at the start of the run. */
  storedFeeds: StoredFeed[];
  /** Record a problem; the run goes on with the rest. */
  fail(line: string): void;
}

/**
 * One news cycle: fetch the due feeds (a few at a time; a broken feed never stops the others),
 * keep what is new and about an incident, post each story once, move the refund stage on
 * evidence and post each change once. All time comes from the injected clock.
 */
export async function runNewsJob(container: Container, input: NewsJobInput = {}): Promise<NewsJobResult> {
  const startedAt = container.clock.now();
  const run = startRun(container, input);
  try {
    const { due, states } = await dueFeeds(run);
    const outcomes = await mapLimit(due, run.opts.concurrency, async (feed) => {
      if (input.deadline?.passed()) {
        run.result.feedsSkipped.push(feed.id);
        return { matched: [] };
      }
      return readFeedGuarded(run, feed, states.get(feed.id) ?? null);
    });
    const handled = await handleIncidents(
      run,
      outcomes.flatMap((o) => o.matched),
    );
    await recordNotModified(run, outcomes);
    // Validators and seen keys are stored only once the items are handled: a run that dies
    // before this refetches the same items next time, and the conditional item writes keep
    // them from posting twice.
    if (handled) await commitFeeds(run, outcomes);
  } catch (err) {
    run.fail(errorMessage(err));
  }
  await finishRun(run, startedAt);
  return run.result;
}

function startRun(container: Container, input: NewsJobInput): NewsRun {
  const result: NewsJobResult = {
    feedsConfigured: 0,
    feedsDue: 0,
    feedsFetched: 0,
    feedsNotModified: 0,
    feedsFailed: 0,
    feedsSkipped: [],
    feedsDisabled: 0,
    requests: 0,
    bytes: 0,
    itemsParsed: 0,
    itemsNew: 0,
    itemsBaseline: 0,
    duplicates: 0,
    newsPosted: 0,
    stageChanges: [],
    unconfirmedPosted: 0,
    outboxEntries: 0,
    errors: [],
    summary: '',
  };
  return {
    container,
    opts: { ...NEWS_JOB_DEFAULTS, ...input.options },
    fetcher: input.fetchFeed ?? defaultFetchFeed,
    result,
    storedFeeds: [],
    fail: (line) => {
      result.errors.push(line);
      container.logger.warn(`news: ${line}`);
    },
  };
}

/**
 * The feeds some incident reads (the config's, and those added from Discord, read each run so a
 * new one needs no redeploy), and of those the ones due now (domain/feed-health.ts).
 */
async function dueFeeds(run: NewsRun): Promise<{ due: FeedConfig[]; states: Map<string, FeedState> }> {
  const { config, clock, news, guildFeeds } = run.container;
  try {
    run.storedFeeds = await guildFeeds.all();
  } catch (err) {
    run.fail(`reading the feeds added from Discord (config feeds only this run): ${errorMessage(err)}`);
  }
  const wanted: FeedConfig[] = config.feeds.filter((f) =>
    config.incidents.some((i) => i.feeds.includes(f.id)),
  );
  for (const f of run.storedFeeds)
    if (!wanted.some((w) => w.id === f.id)) wanted.push({ id: f.id, url: f.url });
  run.result.feedsConfigured = wanted.length;
  const states = await news.feedStates();
  // A feed switched off after failures and added from Discord since (by this server again or by
  // another: one URL is one feed) was just fetched and parsed by the add's check: on again, or
  // the add would have said "Added" of a feed never read.
  for (const f of run.storedFeeds) {
    const state = states.get(f.id);
    if (state?.disabledAt === undefined || f.addedAt <= state.disabledAt) continue;
    if (!(await news.enableFeed(f.id))) continue;
    const { disabledAt: _at, disabledReason: _why, nextAttemptAt: _next, ...enabled } = state;
    states.set(f.id, { ...enabled, failures: 0 });
    run.container.logger.info(`news: feed ${f.id} on again: added from Discord after it was switched off`);
  }
  const now = clock.now();
  const due = wanted.filter((f) => isFeedDue(states.get(f.id), now));
  run.result.feedsDue = due.length;
  return { due, states };
}

/** Each incident's matched items in turn; false when one failed (then no feed state is committed). */
async function handleIncidents(run: NewsRun, matched: MatchedItem[]): Promise<boolean> {
  let handled = true;
  for (const incident of run.container.config.incidents) {
    try {
      await handleIncident(
        run,
        incident,
        matched.filter((m) => m.incident.id === incident.id),
      );
    } catch (err) {
      handled = false;
      run.fail(`incident ${incident.id}: ${errorMessage(err)}`);
    }
  }
  return handled;
}

async function handleIncident(run: NewsRun, incident: IncidentConfig, items: MatchedItem[]): Promise<void> {
  const { clock, news, refunds } = run.container;
  // Changes recorded but not posted yet: made by hand (CLI) or left by a run that died.
  for (const change of await refunds.unposted(incident.id)) await postChange(run, change, incident);
  if (!items.length) return;
  const nowMs = clock.now();
  const at = (m: MatchedItem) => m.item.publishedAt ?? nowMs;
  items.sort((a, b) => at(a) - at(b) || a.feed.id.localeCompare(b.feed.id));
  const stories: NewsItemRecord[] = await news.recentStories(incident.id);
  for (const m of items) await handleItem(run, incident, m, stories, nowMs);
}

/** One matched item: post it unless it is silent or a duplicate story, move the refund stage on its evidence, store it. */
async function handleItem(
  run: NewsRun,
  incident: IncidentConfig,
  m: MatchedItem,
  stories: NewsItemRecord[],
  nowMs: number,
): Promise<void> {
  const { news } = run.container;
  const { result } = run;
  // Stored already: a run that died before saving the feed's seen keys handled it. The
  // post and the stage move happen before the item is stored, so nothing was lost.
  if (await news.getItem(incident.id, m.feed.id, m.item.key)) return;
  result.itemsNew++;
  const guilds = feedAudience(run, m.feed.id);
  // A story posted only in some servers does not make the same story elsewhere a duplicate.
  const lead = stories.find((s) => sameStory(s, m.item) && reaches(feedAudience(run, s.feedId), guilds));
  // Evidence is read from the whole text, not the display excerpt; the body is not stored.
  const { body, ...stored } = m.item;
  const text = {
    title: m.item.title,
    body: body ?? m.item.summary ?? '',
    ...(m.item.publishedAt !== undefined ? { publishedAt: m.item.publishedAt } : {}),
  };
  // The refund stage is every server's: a feed only servers added (anyone's word, its links
  // too) neither moves it nor counts as a claim or a confirming second source.
  const signal = m.silent || guilds ? undefined : classifyRefundEvidence(text, incident);
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
  // harmlessly (the outbox refuses a known key; claims and stage changes are conditional puts).
  if (record.posted) {
    const announcement = newsAnnouncement(m.item, incident, m.feed);
    result.outboxEntries += (await run.container.enqueue(announcement, guilds ? { guilds } : {})).added;
    result.newsPosted++;
  }
  if (signal) {
    const doubt = refundDoubt(text, incident);
    await handleRefundEvidence(run, incident, m.item, signal, doubt, nowMs);
  }
  await news.saveItem(record);
}

/** Does a post to audience `a` reach everyone audience `b` would? (undefined = every server.) */
function reaches(a: string[] | undefined, b: string[] | undefined): boolean {
  return a === undefined || (b !== undefined && b.every((g) => a.includes(g)));
}

/** The run's 304s, in one write; a failure costs only their new times (the next run fetches them again anyway). */
async function recordNotModified(run: NewsRun, outcomes: FeedOutcome[]): Promise<void> {
  const feeds = outcomes.flatMap((o) => (o.notModified ? [o.notModified] : []));
  if (!feeds.length) return;
  try {
    await run.container.news.recordNotModified(feeds);
  } catch (err) {
    run.fail(`saving feed state: ${errorMessage(err)}`);
  }
}

/** Store each fetched feed's seen keys and validators (see FeedOutcome.commit). */
async function commitFeeds(run: NewsRun, outcomes: FeedOutcome[]): Promise<void> {
  await mapLimit(outcomes, run.opts.concurrency, async (o) => {
    try {
      await o.commit?.();
    } catch (err) {
      run.fail(`saving feed state: ${errorMessage(err)}`);
    }
  });
}

async function finishRun(run: NewsRun, startedAt: number): Promise<void> {
  const { result } = run;
  const { logger, jobRuns } = run.container;
  result.summary = summarize(result);
  logger.info(result.summary);
  try {
    await jobRuns.record('news', startedAt, result.errors.length === 0, result.summary);
  } catch (err) {
    logger.error(`news: could not record the job run: ${errorMessage(err)}`);
  }
}

function summarize(r: NewsJobResult): string {
  const stages = r.stageChanges.map((c) => `${c.from}→${c.to}`).join(', ');
  return (
    `news: ${r.feedsDue}/${r.feedsConfigured} feeds due, ${r.feedsFetched} fetched, ${r.feedsNotModified} not modified, ` +
    `${r.feedsFailed} failed, ${r.feedsDisabled} disabled; ${r.itemsParsed} items parsed, ${r.itemsNew} new matched ` +
    `(${r.itemsBaseline} silent, ${r.duplicates} duplicate), ${r.newsPosted} posted; ` +
    `refund ${stages || 'unchanged'}${r.unconfirmedPosted ? ` (${r.unconfirmedPosted} unconfirmed)` : ''}; ${r.outboxEntries} outbox entries; ${r.requests} requests` +
    (r.feedsSkipped.length ? `; skipped (deadline): ${r.feedsSkipped.join(', ')}` : '')
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
