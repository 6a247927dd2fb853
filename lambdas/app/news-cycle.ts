import { deliverAndReport, type Bot } from './bot';
import type { DeliveryResult } from './jobs/delivery';
import { runNewsJob, type NewsCycleResult } from './jobs/news-job';

/** One news cycle over the due feeds, then delivery of what it queued. */
export async function newsCycle(bot: Bot): Promise<{ news: NewsCycleResult; delivery: DeliveryResult }> {
  const { config, store, clock, logger, publish } = bot.runtime;
  // runNewsJob logs its own summary line.
  const news = await runNewsJob({ config, store, clock, logger, publish });
  const delivery = await deliverAndReport(bot);
  return { news, delivery };
}
