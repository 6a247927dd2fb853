import { Outbox, type OutboxEntry } from '../../lambdas/store/outbox';
import { PriceRepo } from '../../lambdas/store/price-repo';
import { createPriceSources, resetPriceSourceCache, type PriceSource } from '../../lambdas/sources/exchanges';
import { Subscriptions } from '../../lambdas/store/subscriptions';
import { ManualClock, MINUTE } from '../../lambdas/domain/clock';
import { COINCHECK_NEM_2018, DEFAULT_CONFIG, parseConfig, type Config } from '../../lambdas/domain/config';
import { MemoryLogger } from '../../lambdas/domain/log';
import { runPriceJob, type PriceJobResult } from '../../lambdas/app/jobs/price-job';
import { createContainer, type Container } from '../../lambdas/app/container';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { LoopbackExchanges, type LoopbackExchangeId } from '../../testkit/exchange-server';

/**
 * The price job harness: real ccxt against loopback exchanges (recorded response shapes),
 * dynalite, the container (real outbox, subscriptions and enqueue), a ManualClock. XEM/BTC is listed on all
 * three venues (zaif, binance and upbit all had it), so one series has three venues; zaif XEM/JPY
 * is the refund's reference market.
 */

export const START = Date.parse('2018-01-26T00:00:00Z');
export const XEM_BTC = 'XEM/BTC';
export const BASE = 0.0001; // BTC per XEM
export const JA_CHANNEL = '100000000000000001';
export const EN_CHANNEL = '100000000000000002';
export const NEWS_ONLY = '100000000000000003';
export const VENUES: LoopbackExchangeId[] = ['zaif', 'binance', 'upbit'];

export interface Harness {
  clock: ManualClock;
  exchanges: LoopbackExchanges;
  db: TestStore;
  config: Config;
  logger: MemoryLogger;
  sources: PriceSource[];
  /** The container on the current store (rebuilt by restart). */
  container: Container;
  outbox: Outbox;
  repo: PriceRepo;
  /** Subscriptions on the current store (stored ones are added with put). */
  subscriptions(): Subscriptions;
  cycle(): Promise<PriceJobResult>;
  /** Advance one minute, then run a cycle. */
  tick(): Promise<PriceJobResult>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export function testConfig(exchanges: LoopbackExchanges, withJpy: boolean): Config {
  return parseConfig({
    ...DEFAULT_CONFIG,
    sources: [
      ...(withJpy ? [{ exchange: 'zaif', symbol: 'XEM/JPY', urls: exchanges.urls('zaif') }] : []),
      ...VENUES.map((id) => ({ exchange: id, symbol: XEM_BTC, urls: exchanges.urls(id) })),
    ],
    channels: [
      { id: JA_CHANNEL, kinds: ['price'], language: 'ja' },
      { id: EN_CHANNEL, kinds: ['price', 'news'], language: 'en' },
      { id: NEWS_ONLY, kinds: ['news'] },
    ],
    incidents: [
      {
        ...COINCHECK_NEM_2018,
        refund: {
          ...COINCHECK_NEM_2018.refund,
          conversions: [
            ...COINCHECK_NEM_2018.refund.conversions,
            // 88.549 JPY at about 1.19M JPY per BTC (test-only reference for the BTC series).
            { currency: 'BTC', rate: 0.0000745, date: '2018-01-26', source: 'test: ~1.19M JPY per BTC' },
          ],
        },
      },
    ],
  });
}

export interface HarnessOptions {
  withJpy?: boolean;
  dataDir?: string;
  history?: boolean;
  /** Change the test config (e.g. an incident without refund terms); validated again. */
  configure?: (config: Config) => Config;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const clock = new ManualClock(START);
  const exchanges = await LoopbackExchanges.start(clock);
  for (const id of VENUES) exchanges.setPrice(id, XEM_BTC, BASE);
  exchanges.setPrice('zaif', 'XEM/JPY', 120);
  const base = testConfig(exchanges, opts.withJpy ?? false);
  const config = opts.configure ? parseConfig(opts.configure(base)) : base;
  const logger = new MemoryLogger();
  const makeSources = () =>
    createPriceSources(config.sources, logger, {
      timeoutMs: 1000,
      retries: 1,
      backoffMs: 10,
      deadlineMs: 5000,
    });
  const h: Harness = {
    clock,
    exchanges,
    db: await startTestStore(clock, opts.dataDir),
    config,
    logger,
    sources: makeSources(),
    container: undefined as unknown as Container,
    outbox: undefined as unknown as Outbox,
    repo: undefined as unknown as PriceRepo,
    subscriptions: () => new Subscriptions(h.db.store, clock, config.channels),
    cycle: () => runPriceJob(h.container, { sources: h.sources }),
    tick: async () => {
      clock.advance(MINUTE);
      return h.cycle();
    },
    // A cold start: new store process on the same data folder, new ccxt instances and markets.
    restart: async () => {
      if (!opts.dataDir) throw new Error('restart needs a data folder');
      await h.db.close();
      resetPriceSourceCache();
      h.db = await startTestStore(clock, opts.dataDir);
      h.sources = makeSources();
      wire();
    },
    close: async () => {
      await h.db.close();
      await exchanges.close();
    },
  };
  function wire() {
    h.container = createContainer({ config, store: h.db.store, clock, logger });
    h.outbox = h.container.outbox;
    h.repo = h.container.prices;
  }
  wire();
  if (opts.history ?? true) await seedHistory(h, opts.withJpy ?? false);
  return h;
}

/**
 * The bot has watched the market for a day before the test begins, at the start prices: a drop
 * window needs samples that span it (WINDOW_COVERAGE in lambdas/domain/price-window.ts), and a real bot
 * has them. A few points are enough: the rules read the series' reach, not its density.
 */
async function seedHistory(h: Harness, withJpy: boolean): Promise<void> {
  for (const hoursAgo of [23, 12, 6, 2, 1.25]) {
    const at = START - hoursAgo * 60 * MINUTE;
    const series: [string, number, readonly string[]][] = [[XEM_BTC, BASE, VENUES]];
    if (withJpy) series.push(['XEM/JPY', 120, ['zaif']]);
    for (const [symbol, price, venues] of series) {
      const used = venues.map((exchange) => ({
        sourceId: `${exchange}:${symbol}`,
        exchange,
        symbol,
        price,
        timestamp: at,
        fetchedAt: at,
      }));
      await h.repo.putConsensus({ symbol, price, used, dropped: [] }, at, 35);
    }
  }
}

export async function withHarness(opts: HarnessOptions, fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

export async function steady(h: Harness, cycles: number): Promise<void> {
  for (let i = 0; i < cycles; i++) {
    const r = await h.tick();
    expect(r.alerts).toEqual([]);
  }
}

export function setAll(h: Harness, price: number, only: LoopbackExchangeId[] = VENUES): void {
  for (const id of only) h.exchanges.setPrice(id, XEM_BTC, price);
}

export async function pendingFor(h: Harness): Promise<OutboxEntry[]> {
  return h.outbox.pending();
}
