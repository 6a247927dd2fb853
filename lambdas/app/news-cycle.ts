import { deliverAfterJob, jobDeadline, type Bot, type CycleOptions } from './bot';
import type { DeliveryResult } from './jobs/delivery';
import { runNewsJob, type NewsJobResult } from './jobs/news-job';

/** One news cycle over the due feeds, then delivery of what it queued. */
export async function newsCycle(
  bot: Bot,
  opts: CycleOptions = {},
): Promise<{ news: NewsJobResult; delivery: DeliveryResult | undefined }> {
  // runNewsJob logs its own summary line.
  const budgetMs = bot.container.config.intervals.newsSeconds * 1000;
  const news = await runNewsJob(bot.container, { deadline: jobDeadline(bot, budgetMs) });
  const delivery = await deliverAfterJob(bot, news.outboxEntries, opts);
  return { news, delivery };
}
