import { createPriceSources, type PriceSource } from '../sources/exchanges';
import { PriceRepo } from '../store/price-repo';
import type { Runtime } from './container';
import { deliverAndReport, type Bot } from './bot';
import type { DeliveryResult } from './jobs/delivery';
import { runPriceJob, type PriceCycleResult } from './jobs/price-job';

/** One price poll, then delivery of any alert it queued. `sources` are built once per process. */
export async function priceCycle(
  bot: Bot,
  sources: PriceSource[],
): Promise<{ price: PriceCycleResult; delivery: DeliveryResult }> {
  const { config, store, clock, logger, publish } = bot.runtime;
  const price = await runPriceJob({ config, store, clock, logger, sources, publish });
  logger.info(price.summary);
  const delivery = await deliverAndReport(bot);
  return { price, delivery };
}

/** Age in seconds of the oldest "latest consensus" across the configured symbols (stale-price alarm). */
export async function priceAgeSeconds(runtime: Runtime): Promise<number | undefined> {
  const repo = new PriceRepo(runtime.store, runtime.clock);
  const symbols = [...new Set(runtime.config.sources.map((s) => s.symbol))];
  let oldest: number | undefined;
  for (const symbol of symbols) {
    const latest = await repo.latestConsensus(symbol);
    if (!latest) continue;
    const age = (runtime.clock.now() - latest.at) / 1000;
    oldest = oldest === undefined ? age : Math.max(oldest, age);
  }
  return oldest;
}

// ccxt instances and their markets survive warm starts.
let lambdaSources: PriceSource[] | undefined;

/** The price sources of this Lambda container, built on first use from the config. */
export function containerPriceSources(runtime: Runtime): PriceSource[] {
  lambdaSources ??= createPriceSources(runtime.config.sources, runtime.logger);
  return lambdaSources;
}
