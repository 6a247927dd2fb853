import type { DiscordClient } from '../discord/rest-client';
import type { Runtime } from './container';
import { runDelivery, type DeliveryResult } from './jobs/delivery';

/**
 * The bot as the schedules drive it: a job, then delivery of what it queued, so an alert posts
 * in the same invocation. Shared by the Lambda handlers, `npm start` and the replay.
 * The price and news cycles live in their own files (price-cycle.ts, news-cycle.ts) so a
 * bundle carries ccxt or rss-parser only when it runs that job.
 */
export interface Bot {
  runtime: Runtime;
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
export async function deliverAndReport(bot: Bot): Promise<DeliveryResult> {
  const d = await deliver(bot);
  if (d.sent + d.printed + d.stillPending + d.dropped > 0 || d.badToken) bot.runtime.logger.info(d.summary);
  return d;
}
