import type { DiscordClient } from '../adapters/discord';
import type { PriceSource } from '../adapters/prices';
import { PriceRepo } from '../adapters/price-repo';
import type { Runtime } from '../runtime';
import { runDelivery, type DeliveryResult } from './delivery';
import { runNewsJob, type NewsCycleResult } from './news-job';
import { runPriceJob, type PriceCycleResult } from './price-job';

/**
 * The bot as the schedules drive it: a job, then delivery of what it queued, so an alert posts
 * in the same invocation. Shared by the Lambda handlers, `npm start` and the replay.
 */
export interface Bot {
  runtime: Runtime;
  /** Built once per process: ccxt instances and their markets are reused across cycles. */
  sources: PriceSource[];
  discord: DiscordClient | undefined;
  /** Where messages go when there is no token (the terminal locally, the log in Lambda). */
  print(text: string): void;
}

export async function deliver(bot: Bot): Promise<DeliveryResult> {
  const { outbox, subscriptions, clock, logger, jobRuns } = bot.runtime;
  return runDelivery({
    outbox,
    subscriptions,
    discord: bot.discord,
    clock,
    logger,
    jobRuns,
    print: bot.print,
  });
}

/** Deliver, and say so only when there was something to deliver (one line per poll otherwise). */
async function deliverAndReport(bot: Bot): Promise<DeliveryResult> {
  const d = await deliver(bot);
  if (d.sent + d.printed + d.stillPending + d.dropped > 0 || d.badToken) bot.runtime.logger.info(d.summary);
  return d;
}

export async function priceCycle(bot: Bot): Promise<{ price: PriceCycleResult; delivery: DeliveryResult }> {
  const { config, store, clock, logger, publish } = bot.runtime;
  const price = await runPriceJob({ config, store, clock, logger, sources: bot.sources, publish });
  logger.info(price.summary);
  const delivery = await deliverAndReport(bot);
  return { price, delivery };
}

export async function newsCycle(bot: Bot): Promise<{ news: NewsCycleResult; delivery: DeliveryResult }> {
  const { config, store, clock, logger, publish } = bot.runtime;
  // runNewsJob logs its own summary line.
  const news = await runNewsJob({ config, store, clock, logger, publish });
  const delivery = await deliverAndReport(bot);
  return { news, delivery };
}

/** Age in seconds of the oldest "latest consensus" across the configured symbols (stale-price alarm). */
export async function priceAgeSeconds(runtime: Runtime): Promise<number | undefined> {
  const repo = new PriceRepo(runtime.store, runtime.clock);
  const symbols = [...new Set(runtime.config.sources.map((s) => s.symbol))];
  let oldest: number | undefined;
  for (const symbol of symbols) {
    const latest = await repo.latestConsensus(symbol);
    const age = latest ? (runtime.clock.now() - latest.at) / 1000 : undefined;
    if (age === undefined) continue;
    oldest = oldest === undefined ? age : Math.max(oldest, age);
  }
  return oldest;
}
