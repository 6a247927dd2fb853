import type { DiscordClient } from '../discord/rest-client';
import type { Container } from './container';
import { runDelivery, type DeliveryResult } from './jobs/delivery';
import { deadlineFrom, type Deadline } from '../domain/deadline';

/**
 * The bot as the schedules drive it: the container, the Discord client (or none) and where
 * messages go without one. Each scheduled run is a job, then delivery of what it queued, so an
 * alert posts in the same invocation: priceCycle (price-cycle.ts) and newsCycle (news-cycle.ts),
 * shared by the Lambda handlers, `npm start`, the replay, the bench and the tests. They live in
 * their own files so a bundle carries ccxt or rss-parser only when it runs that job.
 */
export interface Bot {
  container: Container;
  discord: DiscordClient | undefined;
  /** Where messages go when there is no token (the terminal locally, the log in Lambda). */
  print(text: string): void;
  /** Time left in this invocation (Lambda: context.getRemainingTimeInMillis); none: delivery's own budget. */
  remainingMs?: () => number;
}

/** When to run delivery after a job; default: always (it also sends what earlier runs left pending). */
export interface CycleOptions {
  /**
   * false skips this cycle's delivery: the replay knows when nothing was queued and nothing is
   * left pending, and an idle delivery pass would only cost time.
   */
  deliverAfter?: (queued: number) => boolean;
}

/**
 * A job's deadline in a cycle: the invocation's time left (locally `budgetMs`, the job's interval)
 * less a quarter, at most 15 s, kept for the delivery pass and the metrics after it.
 */
export function jobDeadline(bot: Bot, budgetMs: number): Deadline {
  const time = bot.remainingMs?.() ?? budgetMs;
  return deadlineFrom({ budgetMs: time, marginMs: Math.min(15_000, time / 4) });
}

export async function deliver(bot: Bot): Promise<DeliveryResult> {
  return runDelivery(bot.container, {
    discord: bot.discord,
    print: bot.print,
    guard: bot.container.guard,
    ...(bot.remainingMs ? { remainingMs: bot.remainingMs } : {}),
  });
}

/** Deliver, and say so only when there was something to deliver (one line per poll otherwise). */
export async function deliverAndReport(bot: Bot): Promise<DeliveryResult> {
  const d = await deliver(bot);
  if (d.sent + d.printed + d.stillPending + d.dropped > 0 || d.badToken) bot.container.logger.info(d.summary);
  return d;
}

/** The delivery half of a cycle: undefined when `opts.deliverAfter` said there was nothing to send. */
export async function deliverAfterJob(
  bot: Bot,
  queued: number,
  opts: CycleOptions,
): Promise<DeliveryResult | undefined> {
  if (opts.deliverAfter && !opts.deliverAfter(queued)) return undefined;
  return deliverAndReport(bot);
}
