import { performance } from 'node:perf_hooks';
import { createDiscordClient } from '../lambdas/discord/rest-client';
import { createPriceSources, resetPriceSourceCache } from '../lambdas/sources/exchanges';
import { ManualClock, MINUTE } from '../lambdas/domain/clock';
import { DEFAULT_CONFIG, type Config } from '../lambdas/domain/config';
import { median } from '../lambdas/domain/consensus';
import { MemoryLogger } from '../lambdas/domain/log';
import { priceCycle } from '../lambdas/app/price-cycle';
import { createContainer } from '../lambdas/app/container';
import { startDiscordServer } from '../testkit/discord-server';
import { startTestStore } from '../testkit/dynamo';
import { LoopbackExchanges } from '../testkit/exchange-server';
import { BENCH_START, VENUES } from './poll';
import { DISCORD_GLOBAL_PER_SECOND } from './delivery';

const ALERT_CHANNEL = '300000000000000002';
const SYMBOL = 'XEM/BTC';
const BEFORE = 0.0001;
/** −12 %: both default drop rules fire (5 % in 1 h, 10 % in 24 h). */
const AFTER = BEFORE * 0.88;

export interface AlertLatency {
  runs: number;
  /** Median: price moved on the loopback exchange → the alert recorded by the loopback Discord. */
  processingMs: number;
  minMs: number;
  maxMs: number;
  /** Messages the move produced (one per fired rule). */
  messages: number;
  /** The price poll interval of the default config. */
  pollIntervalSeconds: number;
}

/**
 * The processing part of the alert latency, measured: the Price handler's cycle (priceCycle: poll
 * XEM/BTC on the three loopback venues through ccxt, store, rules, enqueue, deliver through @discordjs/rest) right after
 * the price moves, with the markets loaded and a few steady polls before. A fresh store, exchange
 * and Discord each run, so each move is a new episode. The move is on every venue, so the first
 * poll that sees it confirms it (ADR 0002; a move on one venue alone waits one more poll). Waiting
 * for the next poll is not measured: it depends only on where in the interval the move falls.
 */
export async function benchAlertLatency(runs = 5): Promise<AlertLatency> {
  const times: number[] = [];
  let messages = 0;
  for (let r = 0; r < runs; r++) {
    resetPriceSourceCache();
    const clock = new ManualClock(BENCH_START);
    const t = await startTestStore(clock, undefined, 'goxwatch-bench');
    const exchanges = await LoopbackExchanges.start(clock, VENUES);
    const discord = await startDiscordServer({ globalRequestsPerSecond: DISCORD_GLOBAL_PER_SECOND });
    try {
      for (const venue of VENUES) exchanges.setPrice(venue, SYMBOL, BEFORE);
      const config: Config = {
        ...DEFAULT_CONFIG,
        sources: VENUES.map((venue) => ({ exchange: venue, symbol: SYMBOL, urls: exchanges.urls(venue) })),
        channels: [{ id: ALERT_CHANNEL, kinds: ['price'] }],
      };
      const logger = new MemoryLogger();
      const container = createContainer({ config, store: t.store, clock, logger });
      const bot = {
        container,
        discord: createDiscordClient({
          token: discord.token,
          apiBase: discord.apiBase,
          maxRateLimitWaitMs: 5_000,
        }),
        print: () => {},
      };
      const sources = createPriceSources(config.sources, logger);
      // One poll an hour earlier: a 1 h drop window needs samples that span it (WINDOW_COVERAGE).
      await priceCycle(bot, sources);
      clock.advance(60 * MINUTE);
      for (let i = 0; i < 5; i++) {
        await priceCycle(bot, sources);
        clock.advance(MINUTE);
      }
      if (discord.messages.length) throw new Error('alert latency bench: an alert before the price moved');
      const start = performance.now();
      exchanges.setPriceEverywhere(SYMBOL, AFTER);
      const { price } = await priceCycle(bot, sources);
      const elapsed = performance.now() - start;
      if (!discord.messages.length)
        throw new Error(`alert latency bench: no message after the move (${price.summary})`);
      times.push(elapsed);
      messages = discord.messages.length;
    } finally {
      resetPriceSourceCache();
      await discord.close();
      await exchanges.close();
      await t.close();
    }
  }
  return {
    runs,
    processingMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    messages,
    pollIntervalSeconds: DEFAULT_CONFIG.intervals.priceSeconds,
  };
}

if (require.main === module) {
  void benchAlertLatency(Number(process.argv[2] ?? 5)).then((r) => console.log(r));
}
