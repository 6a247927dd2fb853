import { createPriceSources, type PriceSource } from '../sources/exchanges';
import type { Container } from './container';
import { deliverAfterJob, jobDeadline, type Bot, type CycleOptions } from './bot';
import type { DeliveryResult } from './jobs/delivery';
import { runPriceJob, type PriceJobResult } from './jobs/price-job';

/** One price poll, then delivery of any alert it queued. `sources` are built once per process. */
export async function priceCycle(
  bot: Bot,
  sources: PriceSource[],
  opts: CycleOptions = {},
): Promise<{ price: PriceJobResult; delivery: DeliveryResult | undefined }> {
  const budgetMs = bot.container.config.intervals.priceSeconds * 1000;
  const price = await runPriceJob(bot.container, { sources, deadline: jobDeadline(bot, budgetMs) });
  bot.container.logger.info(price.summary);
  const delivery = await deliverAfterJob(bot, price.enqueued, opts);
  return { price, delivery };
}

/** Age in seconds of the oldest "latest consensus" across the configured symbols (stale-price alarm). */
export async function priceAgeSeconds(container: Container): Promise<number | undefined> {
  const symbols = [...new Set(container.config.sources.map((s) => s.symbol))];
  let oldest: number | undefined;
  for (const symbol of symbols) {
    const latest = await container.prices.latestConsensus(symbol);
    if (!latest) continue;
    const age = (container.clock.now() - latest.at) / 1000;
    oldest = oldest === undefined ? age : Math.max(oldest, age);
  }
  return oldest;
}

// ccxt instances and their markets survive warm starts.
let lambdaSources: PriceSource[] | undefined;

/** The price sources of this Lambda instance, built on first use from the config. */
export function lambdaPriceSources(container: Container): PriceSource[] {
  lambdaSources ??= createPriceSources(container.config.sources, container.logger);
  return lambdaSources;
}
