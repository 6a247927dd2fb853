import { generateKeyPairSync } from 'node:crypto';
import { createContainer } from '../lambdas/app/container';
import {
  PerformanceObserver,
  constants as perfConstants,
  performance,
  type PerformanceEntry,
} from 'node:perf_hooks';
import { buildCommandInteraction, publicKeyHex, signInteraction } from '../local/dev-client';
import { startEmbeddedDynamo } from '../local/embedded-dynamo';
import { Store, dynamoClient } from '../lambdas/store/store';
import { ManualClock, MINUTE } from '../lambdas/domain/clock';
import { DEFAULT_CONFIG } from '../lambdas/domain/config';
import { sourceIdOf } from '../lambdas/domain/consensus';
import { MemoryLogger } from '../lambdas/domain/log';
import { createInteractionDeps, handleInteraction } from '../lambdas/discord/interactions';
import { completeDeferredWork, createWorkerDeps, type DeferredWork } from '../lambdas/discord/deferred';
import { meterCapacity } from './capacity';

export interface CommandLatency {
  command: string;
  /** endpoint: handleInteraction, the answer Discord waits for; worker: the handed-off edit (ADR 0007). */
  stage: 'endpoint' | 'worker';
  runs: number;
  p50Ms: number;
  p99Ms: number;
  /** The slowest run, shown beside p99 (with 200 runs, p99 is the second slowest). */
  maxMs: number;
  /**
   * Young-generation collections (scavenges) per 100 runs, and their pause in ms per 100 runs
   * (endpoint rows): the garbage a command leaves is what makes its slow tail. The process also
   * holds dynalite, whose garbage counts here too.
   */
  scavengesPer100?: { count: number; pauseMs: number };
  /**
   * The command's first run in this process (endpoint rows): code not yet compiled by V8 and
   * caches empty. Timed and reported, but not in p50/p99, which are a warm instance's; a fresh
   * instance's first answer is bench/cold-start.ts's row.
   */
  firstRunMs?: number;
  /** DynamoDB requests per run. */
  storeRequests: number;
  /** DynamoDB request units per run (bench/capacity.ts). */
  rru: number;
  wru: number;
}

/** Commands whose chart the worker draws and edits in, measured as the worker runs them. */
export const BENCH_WORKER_COMMANDS = ['price', 'price range:30d'];

/** The commands measured, as `npm run cmd` would type them. */
export const BENCH_COMMANDS = [
  'price',
  'price range:30d',
  'refund show',
  'refund calc amount:1000',
  'news count:5',
  'alerts list',
  'status',
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/**
 * Interactions handler latency per command on the embedded store (dynalite in memory): sign,
 * verify, dedupe put, read, render (the /price chart included), without the after-response edit.
 */
export async function benchInteractions(runs = 50): Promise<CommandLatency[]> {
  const now = Date.parse('2018-01-26T06:00:00Z');
  const clock = new ManualClock(now);
  const dynamo = await startEmbeddedDynamo();
  const client = dynamoClient(dynamo.endpoint);
  try {
    const store = new Store(client, 'goxwatch-bench', clock);
    const capacity = meterCapacity(client);
    await store.ensureTable();
    const { privateKey } = generateKeyPairSync('ed25519');
    // What the endpoint hands off is kept for the worker rows; the hand-off itself is the Lambda
    // Invoke in AWS (a few ms of network, not measured here).
    const handed: DeferredWork[] = [];
    const container = createContainer({ config: DEFAULT_CONFIG, store, clock, logger: new MemoryLogger() });
    const deps = createInteractionDeps(container, {
      publicKey: publicKeyHex(privateKey),
      handOff: async (work) => void handed.push(work),
      budgetMs: 60_000,
    });
    const worker = createWorkerDeps(container, {
      // The edit's upload to Discord is network, not ours: accepted at once.
      followUp: () => async () => {},
    });
    // Every default symbol, as the price job leaves it: 29 earlier days at 10-minute steps (what
    // the 30 d chart spans, with its hourly rollups), then a day of one-minute consensus (1,440
    // points) and the latest sample.
    for (const [symbol, exchange, base] of [
      ['XEM/JPY', 'zaif', 120],
      ['XEM/USDT', 'binance', 1.1],
    ] as const) {
      const quote = (price: number, at: number) => ({
        sourceId: sourceIdOf(exchange, symbol),
        exchange,
        symbol,
        price,
        timestamp: at,
        fetchedAt: at,
      });
      for (let at = now - 30 * 24 * 60 * MINUTE; at < now - 1440 * MINUTE; at += 10 * MINUTE) {
        const q = quote(base, at);
        await deps.prices.putConsensus({ symbol, price: base, used: [q], dropped: [] }, at, 35);
      }
      for (let i = 0; i < 1440; i++) {
        const at = now - (1439 - i) * MINUTE;
        const q = quote(base * (1 - (0.2 * i) / 1439), at);
        await deps.prices.putConsensus({ symbol, price: q.price, used: [q], dropped: [] }, at, 35);
        if (i === 1439) await deps.prices.putSample(q, 35);
      }
    }
    const results: CommandLatency[] = [];
    const runCommand = async (line: string): Promise<number> => {
      const body = JSON.stringify(buildCommandInteraction(line.split(' ')));
      const headers = signInteraction(body, privateKey, clock.now());
      const start = performance.now();
      await handleInteraction({ headers, body }, deps);
      return performance.now() - start;
    };
    for (const line of BENCH_COMMANDS) {
      const firstRunMs = await runCommand(line);
      const times: number[] = [];
      const before = { requests: store.requests, rru: capacity.rru, wru: capacity.wru };
      const scavenges = { count: 0, pauseMs: 0 };
      const countScavenges = (entries: PerformanceEntry[]) => {
        for (const e of entries)
          if (
            (e as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR
          ) {
            scavenges.count++;
            scavenges.pauseMs += e.duration;
          }
      };
      const gc = new PerformanceObserver((list) => countScavenges(list.getEntries()));
      gc.observe({ entryTypes: ['gc'] });
      for (let r = 0; r < runs; r++) times.push(await runCommand(line));
      countScavenges(gc.takeRecords());
      gc.disconnect();
      times.sort((a, b) => a - b);
      results.push({
        command: `/${line}`,
        stage: 'endpoint',
        runs,
        firstRunMs,
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
        maxMs: times[times.length - 1] ?? NaN,
        scavengesPer100: { count: (scavenges.count * 100) / runs, pauseMs: (scavenges.pauseMs * 100) / runs },
        storeRequests: (store.requests - before.requests) / runs,
        rru: (capacity.rru - before.rru) / runs,
        wru: (capacity.wru - before.wru) / runs,
      });
    }
    for (const line of BENCH_WORKER_COMMANDS) {
      const times: number[] = [];
      const used = { requests: 0, rru: 0, wru: 0 };
      for (let r = 0; r < runs; r++) {
        handed.length = 0;
        const body = JSON.stringify(buildCommandInteraction(line.split(' ')));
        await handleInteraction({ headers: signInteraction(body, privateKey, clock.now()), body }, deps);
        const work = handed[0];
        if (!work) throw new Error(`/${line} handed nothing to the worker`);
        const before = { requests: store.requests, rru: capacity.rru, wru: capacity.wru };
        const start = performance.now();
        await completeDeferredWork(work, worker);
        times.push(performance.now() - start);
        used.requests += store.requests - before.requests;
        used.rru += capacity.rru - before.rru;
        used.wru += capacity.wru - before.wru;
      }
      times.sort((a, b) => a - b);
      results.push({
        command: `/${line} (worker: chart edit)`,
        stage: 'worker',
        runs,
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
        maxMs: times[times.length - 1] ?? NaN,
        storeRequests: used.requests / runs,
        rru: used.rru / runs,
        wru: used.wru / runs,
      });
    }
    return results;
  } finally {
    client.destroy();
    await dynamo.close();
  }
}

if (require.main === module) {
  void benchInteractions(Number(process.argv[2] ?? 50)).then((rows) => {
    for (const r of rows)
      console.log(
        `${r.command.padEnd(26)} p50 ${r.p50Ms.toFixed(1).padStart(7)} ms  p99 ${r.p99Ms.toFixed(1).padStart(7)} ms  ${r.storeRequests} store requests`,
      );
  });
}
