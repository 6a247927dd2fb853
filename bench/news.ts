import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Store, dynamoClient } from '../lambdas/store/store';
import { ManualClock, MINUTE } from '../lambdas/domain/clock';
import { COINCHECK_NEM_2018, DEFAULT_CONFIG, type Config, type FeedConfig } from '../lambdas/domain/config';
import { MemoryLogger } from '../lambdas/domain/log';
import { deliver } from '../lambdas/app/bot';
import { runNewsJob } from '../lambdas/app/jobs/news-job';
import { createContainer } from '../lambdas/app/container';
import { startTestStore } from '../testkit/dynamo';
import { fixtureFeedPaths, startFeedServer, type FeedServer } from '../testkit/feed-server';
import { meterCapacity } from './capacity';
import type { InvocationUsage } from './poll';

/** Fixture files that are not readable feeds (on purpose: they test the parser's errors). */
const NOT_FEEDS = new Set([
  'gofeed/issue_305_bare_ampersand.xml',
  'gofeed/issue_320_legacy_entity_prefix.xml',
  'gofeed/universal_empty_feed.xml',
  'gofeed/universal_unknown_feed.xml',
  'node-feedparser/notafeed.html.txt',
  'node-feedparser/saxerror.xml',
  'rss-parser/input/unrecognized.rss.xml',
]);

const NEWS_CHANNEL = '200000000000000001';
const NEWS_AT = Date.parse('2018-01-26T06:00:00Z');

/**
 * `count` feeds on the loopback feed server: every readable fixture feed in test/fixtures/feeds
 * (38 files, 0.1 KB to 1.6 MB, RSS 0.9x/1.0/2.0, Atom, EUC-JP and Shift_JIS), then again from the
 * start under another URL (`?copy=n`, which the server ignores) until there are `count`.
 */
export function benchFeeds(server: FeedServer, count: number): FeedConfig[] {
  const files = fixtureFeedPaths().filter((p) => !NOT_FEEDS.has(p));
  return Array.from({ length: count }, (_, i) => {
    const copy = Math.floor(i / files.length);
    return {
      id: `bench-${String(i + 1).padStart(2, '0')}`,
      url: server.url(`/fixtures/${files[i % files.length] ?? ''}`) + (copy ? `?copy=${copy}` : ''),
    };
  });
}

export interface NewsCycleBench {
  feeds: number;
  /** Wall time of runNewsJob. */
  ms: number;
  /** Peak RSS of the child process during the cycle (VmHWM reset before it; modules included). */
  peakRssMb: number;
  /** RSS after loading the modules, before the cycle. */
  startRssMb: number;
  httpRequests: number;
  bytes: number;
  itemsParsed: number;
  itemsPerSecond: number;
  fetched: number;
  notModified: number;
  failed: number;
  /** The News handler's invocation: the job, its delivery pass, the pending-count read. */
  invocation: InvocationUsage;
}

interface ChildInput {
  endpoint: string;
  tableName: string;
  config: Config;
  at: number;
}

/**
 * One news cycle in a fresh node process (so its peak RSS is the cycle's own, not the bench's),
 * against the parent's dynalite and feed server.
 */
function runChild(input: ChildInput): Promise<NewsCycleBench> {
  return new Promise((resolve, reject) => {
    // Same node flags as this process: under tsx that is its TypeScript loader.
    const child = fork(__filename, ['--child'], { execArgv: process.execArgv, stdio: 'inherit' });
    let result: NewsCycleBench | undefined;
    child.on('message', (m: { result?: NewsCycleBench; error?: string }) => {
      if (m.error) reject(new Error(`news bench child: ${m.error}`));
      result = m.result;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`news bench child exited with ${code} and no result`)),
    );
    child.send(input);
  });
}

/**
 * Linux: reset this process's RSS high-water mark (VmHWM) to its current RSS. Needed because the
 * kernel carries the parent's peak into a forked child (maxRSS survives fork and exec), so
 * resourceUsage().maxRSS would report the bench's own peak. False where /proc does not allow it.
 */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return peakRssKb() > 0;
  } catch {
    return false;
  }
}

function peakRssKb(): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m?.[1] ?? 0);
}

async function childCycle(input: ChildInput): Promise<NewsCycleBench> {
  const clock = new ManualClock(input.at);
  const store = new Store(dynamoClient(input.endpoint), input.tableName, clock);
  const capacity = meterCapacity(store.client);
  const logger = new MemoryLogger();
  const container = createContainer({ config: input.config, store, clock, logger });
  const startRss = process.memoryUsage().rss;
  const resetPeak = resetPeakRss();
  const start = performance.now();
  const r = await runNewsJob(container);
  const ms = performance.now() - start;
  await deliver({ container, discord: undefined, print: () => {} });
  await container.outbox.pending();
  await container.jobRuns.health('news');
  const invocationMs = performance.now() - start;
  store.client.destroy();
  return {
    feeds: input.config.feeds.length,
    ms,
    peakRssMb: (resetPeak ? peakRssKb() : process.resourceUsage().maxRSS) / 1024,
    startRssMb: startRss / 1024 / 1024,
    httpRequests: r.requests,
    bytes: r.bytes,
    itemsParsed: r.itemsParsed,
    itemsPerSecond: r.itemsParsed / (ms / 1000),
    fetched: r.feedsFetched,
    notModified: r.feedsNotModified,
    failed: r.feedsFailed,
    invocation: { ms: invocationMs, requests: store.requests, rru: capacity.rru, wru: capacity.wru },
  };
}

/**
 * A news cycle over `count` loopback feeds with the job's defaults (4 at a time): cold (first
 * fetch of every feed: full bodies, parse, baseline items stored, nothing posted) and warm (five
 * minutes later, every feed answers 304 to its validators). Each in its own child process.
 */
export async function benchNewsCycle(count = 50): Promise<{ cold: NewsCycleBench; warm: NewsCycleBench }> {
  const clock = new ManualClock(NEWS_AT);
  const t = await startTestStore(clock, undefined, 'goxwatch-bench');
  const server = await startFeedServer();
  try {
    const feeds = benchFeeds(server, count);
    const config: Config = {
      ...DEFAULT_CONFIG,
      channels: [{ id: NEWS_CHANNEL, kinds: ['news', 'refund'] }],
      feeds,
      incidents: [{ ...COINCHECK_NEM_2018, feeds: feeds.map((f) => f.id) }],
    };
    const input = { endpoint: t.dynamo.endpoint, tableName: t.store.tableName, config };
    const cold = await runChild({ ...input, at: NEWS_AT });
    const warm = await runChild({ ...input, at: NEWS_AT + 5 * MINUTE });
    if (cold.fetched !== count) throw new Error(`news bench: cold cycle fetched ${cold.fetched} of ${count}`);
    if (warm.notModified !== count)
      throw new Error(`news bench: warm cycle had ${warm.notModified} of ${count} feeds unchanged (304)`);
    return { cold, warm };
  } finally {
    await server.close();
    await t.close();
  }
}

if (process.argv[2] === '--child') {
  process.once('message', (input: ChildInput) => {
    childCycle(input).then(
      (result) => process.send?.({ result }, () => process.exit(0)),
      (err: unknown) => process.send?.({ error: String(err) }, () => process.exit(1)),
    );
  });
} else if (require.main === module) {
  void benchNewsCycle(Number(process.argv[2] ?? 50)).then((r) => console.log(r));
}
