import { performance } from 'node:perf_hooks';
import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { PriceRepo } from '../lambdas/store/price-repo';
import { createPriceSources, resetPriceSourceCache } from '../lambdas/sources/exchanges';
import { ManualClock, MINUTE } from '../lambdas/domain/clock';
import { DEFAULT_CONFIG, type Config, type SourceConfig } from '../lambdas/domain/config';
import { median, sourceIdOf } from '../lambdas/domain/consensus';
import { MemoryLogger } from '../lambdas/domain/log';
import { deliver } from '../lambdas/app/bot';
import { priceAgeSeconds } from '../lambdas/app/price-cycle';
import { runPriceJob } from '../lambdas/app/jobs/price-job';
import { createContainer } from '../lambdas/app/container';
import { Store, dynamoClient, type Item } from '../lambdas/store/store';
import { startTestStore } from '../testkit/dynamo';
import { LoopbackExchanges, type LoopbackExchangeId } from '../testkit/exchange-server';
import { meterCapacity } from './capacity';

export const VENUES: LoopbackExchangeId[] = ['zaif', 'binance', 'upbit'];
/** XEM plus 33 made-up listings (T01..T33, no ccxt currency alias), all quoted in BTC on every venue. */
export const BENCH_SYMBOLS = [
  'XEM/BTC',
  ...Array.from({ length: 33 }, (_, i) => `T${String(i + 1).padStart(2, '0')}/BTC`),
];
export const BENCH_START = Date.parse('2018-01-25T12:00:00Z');
const PRICE_CHANNEL = '300000000000000001';

/**
 * The first `n` sources of symbol × venue, symbol-major: 1 = zaif XEM/BTC; 10 = 3 symbols on 3
 * venues + a 4th on zaif; 100 = 33 symbols on 3 venues + the 34th on zaif.
 */
export function benchSources(n: number, exchanges: LoopbackExchanges): SourceConfig[] {
  const all = BENCH_SYMBOLS.flatMap((symbol) =>
    VENUES.map((venue) => ({ exchange: venue, symbol, urls: exchanges.urls(venue) })),
  );
  if (n > all.length) throw new Error(`at most ${all.length} bench sources (asked for ${n})`);
  return all.slice(0, n);
}

/** One handler invocation: wall time here, DynamoDB requests and request units. */
export interface InvocationUsage {
  ms: number;
  requests: number;
  rru: number;
  wru: number;
}

export interface PollCycleResult {
  /** Sources and distinct symbols polled. */
  sources: number;
  symbols: number;
  /** Median wall time of runPriceJob, steady state (markets loaded, a day of history stored). */
  cycleMs: number;
  /** Of which: until the last ticker arrived (ccxt requests, spaced by ccxt's per-exchange throttle). */
  fetchMs: number;
  /** DynamoDB requests of one price job run. */
  dynamoRequests: number;
  /** Exchange HTTP requests of one run (one ticker per source). */
  httpRequests: number;
  /** The whole Price handler invocation: the job, its delivery pass, the metric reads. */
  invocation: InvocationUsage;
  /** The Delivery handler's 5-minute sweep with nothing pending. */
  sweep: InvocationUsage;
}

/** A Store that keeps what it is asked to put: the repo's own items, without writing them one by one. */
class CollectingStore extends Store {
  readonly items: Item[] = [];
  override put(item: Item): Promise<boolean> {
    this.items.push(item);
    return Promise.resolve(true);
  }
}

/**
 * A day of one-minute consensus per symbol, as a running deployment has (the 24 h drop rule reads
 * all of it every poll). The items are made by PriceRepo.putConsensus itself (into a collecting
 * store), then written 25 per BatchWriteItem: ~49,000 single puts would take a minute here.
 */
async function seedDayOfConsensus(store: Store, clock: ManualClock, sources: SourceConfig[]): Promise<void> {
  // Its own client: the store's counter middleware is per client and must stay on the real one.
  const collector = new CollectingStore(dynamoClient('http://127.0.0.1:9'), store.tableName, clock);
  const repo = new PriceRepo(collector, clock);
  for (const symbol of new Set(sources.map((s) => s.symbol))) {
    for (let i = 24 * 60; i > 0; i--) {
      const at = BENCH_START - i * MINUTE;
      const used = sources
        .filter((s) => s.symbol === symbol)
        .map((s) => ({
          sourceId: sourceIdOf(s.exchange, symbol),
          exchange: s.exchange,
          symbol,
          price: benchPrice(symbol),
          timestamp: at,
          fetchedAt: at,
        }));
      await repo.putConsensus({ symbol, price: benchPrice(symbol), used, dropped: [] }, at, 35);
    }
  }
  collector.client.destroy();
  const batches: Item[][] = [];
  for (let i = 0; i < collector.items.length; i += 25) batches.push(collector.items.slice(i, i + 25));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let batch = batches[next++]; batch; batch = batches[next++]) {
        let requestItems: BatchWriteItemCommandInput['RequestItems'] = {
          [store.tableName]: batch.map((item) => ({ PutRequest: { Item: marshall(item) } })),
        };
        while (requestItems && Object.keys(requestItems).length) {
          const out: BatchWriteItemCommandOutput = await store.client.send(
            new BatchWriteItemCommand({ RequestItems: requestItems }),
          );
          requestItems = out.UnprocessedItems;
        }
      }
    }),
  );
}

/** Loopback prices: above the default reference prices (88.549 JPY, 0.8146 USDT), so no rule fires. */
function benchPrice(symbol: string): number {
  if (symbol.endsWith('/JPY')) return 100;
  if (symbol.endsWith('/USDT')) return 1;
  return 0.001;
}

/**
 * The default config's shape (zaif XEM/JPY, hitbtc XEM/USDT, htx XEM/USDT: 3 sources, 2 symbols)
 * on the loopback venues: zaif XEM/JPY, binance and upbit XEM/USDT.
 */
function defaultShapeSources(exchanges: LoopbackExchanges): SourceConfig[] {
  return [
    { exchange: 'zaif', symbol: 'XEM/JPY', urls: exchanges.urls('zaif') },
    { exchange: 'binance', symbol: 'XEM/USDT', urls: exchanges.urls('binance') },
    { exchange: 'upbit', symbol: 'XEM/USDT', urls: exchanges.urls('upbit') },
  ];
}

export type PollShape = number | 'default';

/**
 * One steady-state price poll: real ccxt (createPriceSources with its defaults: ccxt's own
 * throttle on, as in Lambda) against the loopback exchanges, the price job on an in-memory
 * dynalite, one channel configured for price alerts. `shape`: a number of bench sources
 * (benchSources) or the default config's shape. Before measuring: a day of one-minute consensus
 * per symbol is stored (what the 24 h rule reads every poll) and one warm-up poll loads the
 * markets. Then `runs` polls a minute apart (on the bench clock; back to back in wall time); time
 * is the median, counts are per poll (the same every poll). With `storedChannels`, that many
 * channels then subscribe with /alerts (stored subscriptions, which every poll and delivery pass
 * reads) and the Price invocation and the sweep are measured again.
 */
export async function benchPollCycle(
  shape: PollShape,
  runs = 5,
  opts: { storedChannels?: number } = {},
): Promise<
  PollCycleResult & { stored?: { channels: number; invocation: InvocationUsage; sweep: InvocationUsage } }
> {
  resetPriceSourceCache();
  const clock = new ManualClock(BENCH_START);
  const t = await startTestStore(clock, undefined, 'goxwatch-bench');
  const exchanges = await LoopbackExchanges.start(clock, VENUES);
  try {
    const capacity = meterCapacity(t.store.client);
    const sources = shape === 'default' ? defaultShapeSources(exchanges) : benchSources(shape, exchanges);
    const symbols = [...new Set(sources.map((s) => s.symbol))];
    for (const s of sources)
      exchanges.setPrice(s.exchange as LoopbackExchangeId, s.symbol, benchPrice(s.symbol));
    const config: Config = {
      ...DEFAULT_CONFIG,
      sources,
      channels: [{ id: PRICE_CHANNEL, kinds: ['price'] }],
    };
    const logger = new MemoryLogger();
    const container = createContainer({ config, store: t.store, clock, logger });
    // Wrapped only to see when the last ticker arrived: the fetch phase (ccxt, throttle, HTTP).
    let lastQuoteAt = 0;
    const priceSources = createPriceSources(config.sources, logger).map((s) => ({
      ...s,
      fetchQuote: async (nowMs: number) => {
        const quote = await s.fetchQuote(nowMs);
        lastQuoteAt = performance.now();
        return quote;
      },
    }));

    await seedDayOfConsensus(t.store, clock, sources);

    const bot = { container, discord: undefined, print: () => {} };
    const job = () => runPriceJob(container, { sources: priceSources });
    const warm = await job();
    if (warm.errors.length || warm.sources.some((s) => !s.ok) || warm.alerts.length)
      throw new Error(`poll bench (${shape} sources) warm-up: ${warm.summary}`);

    const usage = () => ({ requests: t.store.requests, rru: capacity.rru, wru: capacity.wru });
    const since = (before: ReturnType<typeof usage>) => {
      const now = usage();
      return {
        requests: now.requests - before.requests,
        rru: now.rru - before.rru,
        wru: now.wru - before.wru,
      };
    };
    const measure = async (count: number) => {
      const times: number[] = [];
      const fetchTimes: number[] = [];
      const invocationTimes: number[] = [];
      const sweepTimes: number[] = [];
      const last = {
        requests: 0,
        http: 0,
        invocation: { requests: 0, rru: 0, wru: 0 },
        sweep: { requests: 0, rru: 0, wru: 0 },
      };
      for (let r = 0; r < count; r++) {
        clock.advance(MINUTE);
        exchanges.resetCounts();
        const before = usage();
        const start = performance.now();
        const result = await job();
        times.push(performance.now() - start);
        fetchTimes.push(lastQuoteAt - start);
        if (result.errors.length || !result.sources.every((s) => s.ok) || result.alerts.length)
          throw new Error(`poll bench (${shape} sources): ${result.summary}`);
        last.requests = t.store.requests - before.requests;
        // The rest of the Price handler's invocation (lambdas/handlers/price.ts): delivery of what
        // the poll queued (nothing here), then its metrics' reads.
        await deliver(bot);
        await container.outbox.pending();
        await priceAgeSeconds(container);
        await container.jobRuns.health('price');
        invocationTimes.push(performance.now() - start);
        last.invocation = since(before);
        last.http = VENUES.reduce((sum, v) => sum + exchanges.requestCount(v), 0);
        // The Delivery handler's sweep (lambdas/handlers/delivery.ts) with nothing pending.
        const sweepBefore = usage();
        const s0 = performance.now();
        await deliver(bot);
        await container.outbox.pending();
        await container.jobRuns.health('delivery');
        sweepTimes.push(performance.now() - s0);
        last.sweep = since(sweepBefore);
      }
      return {
        cycleMs: median(times),
        fetchMs: median(fetchTimes),
        dynamoRequests: last.requests,
        httpRequests: last.http,
        invocation: { ms: median(invocationTimes), ...last.invocation },
        sweep: { ms: median(sweepTimes), ...last.sweep },
      };
    };

    const result = { sources: sources.length, symbols: symbols.length, ...(await measure(runs)) };
    if (!opts.storedChannels) return result;
    const ids = Array.from({ length: opts.storedChannels }, (_, i) =>
      String(310_000_000_000_000_000n + BigInt(i)),
    );
    for (let i = 0; i < ids.length; i += 10)
      await Promise.all(
        ids.slice(i, i + 10).map((channelId, j) =>
          container.subscriptions.put({
            channelId,
            guildId: String(320_000_000_000_000_000n + BigInt(i + j)),
            kinds: ['price', 'news', 'refund'],
          }),
        ),
      );
    const stored = await measure(Math.min(runs, 3));
    return {
      ...result,
      stored: { channels: opts.storedChannels, invocation: stored.invocation, sweep: stored.sweep },
    };
  } finally {
    resetPriceSourceCache();
    await exchanges.close();
    await t.close();
  }
}

if (require.main === module) {
  void (async () => {
    for (const arg of process.argv.slice(2))
      console.log(
        await benchPollCycle(arg === 'default' ? 'default' : Number(arg), 5, { storedChannels: 1000 }),
      );
  })();
}
