import { generateKeyPairSync } from 'node:crypto';
import { createContainer } from '../lambdas/app/container';
import { performance } from 'node:perf_hooks';
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
    // 29 earlier days at 10-minute steps (what the 30 d chart spans, with its hourly rollups),
    // then a day of one-minute consensus for XEM/JPY (1,440 points), as the price job leaves them.
    for (let at = now - 30 * 24 * 60 * MINUTE; at < now - 1440 * MINUTE; at += 10 * MINUTE) {
      const q = {
        sourceId: sourceIdOf('zaif', 'XEM/JPY'),
        exchange: 'zaif',
        symbol: 'XEM/JPY',
        price: 120,
        timestamp: at,
        fetchedAt: at,
      };
      await deps.prices.putConsensus({ symbol: 'XEM/JPY', price: 120, used: [q], dropped: [] }, at, 35);
    }
    // A day of one-minute consensus for XEM/JPY (1,440 points), as the price job would leave it.
    for (let i = 0; i < 1440; i++) {
      const at = now - (1439 - i) * MINUTE;
      const price = 120 - (24 * i) / 1439;
      const q = {
        sourceId: sourceIdOf('zaif', 'XEM/JPY'),
        exchange: 'zaif',
        symbol: 'XEM/JPY',
        price,
        timestamp: at,
        fetchedAt: at,
      };
      await deps.prices.putConsensus({ symbol: 'XEM/JPY', price, used: [q], dropped: [] }, at, 35);
      if (i === 1439) await deps.prices.putSample(q, 35);
    }
    const results: CommandLatency[] = [];
    for (const line of BENCH_COMMANDS) {
      const times: number[] = [];
      const before = { requests: store.requests, rru: capacity.rru, wru: capacity.wru };
      for (let r = 0; r < runs; r++) {
        const body = JSON.stringify(buildCommandInteraction(line.split(' ')));
        const headers = signInteraction(body, privateKey, clock.now());
        const start = performance.now();
        await handleInteraction({ headers, body }, deps);
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      results.push({
        command: `/${line}`,
        stage: 'endpoint',
        runs,
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
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
