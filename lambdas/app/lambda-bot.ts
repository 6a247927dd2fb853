import { writeMetrics, type MetricJob, type MetricName } from './metrics';
import type { JobName } from '../store/job-runs';
import { createDiscordClient, type DiscordClient } from '../discord/rest-client';
import type { Bot } from './bot';
import { lambdaContainer } from './container';
import { discordSettings, forgetDiscordToken } from './secrets';

/** In Lambda, time spent waiting on Discord 429s is billed: wait at most this per request. */
const MAX_RATE_LIMIT_WAIT_MS = 5_000;

let discord: { token: string; client: DiscordClient } | undefined;

/** What a handler gets from the Lambda runtime; only the deadline is read. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

/**
 * The bot for the scheduled handlers; the Discord client survives warm starts. With the
 * invocation's context, delivery takes its deadline from the time Lambda has left.
 */
export async function lambdaBot(context?: LambdaContext): Promise<Bot> {
  const container = await lambdaContainer();
  const settings = await discordSettings();
  // The token secret may be filled or rotated after deploy: rebuild the client when it changes.
  if (settings.token && discord?.token !== settings.token) {
    discord = {
      token: settings.token,
      client: createDiscordClient({
        token: settings.token,
        apiBase: settings.apiBase,
        maxRateLimitWaitMs: MAX_RATE_LIMIT_WAIT_MS,
        guard: container.guard,
      }),
    };
  }
  return {
    container,
    discord: settings.token ? discord?.client : undefined,
    print: (text) => container.logger.info(text),
    ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
  };
}

/** The job's metrics line (lambdas/app/metrics.ts), with the job's recent failures as its detail. */
export async function emitMetrics(
  bot: Bot,
  job: MetricJob & JobName,
  values: Partial<Record<MetricName, number>>,
): Promise<void> {
  // A 401 means the token was reset: read the parameter again next run (it is otherwise kept).
  if (values.DiscordAuthFailures) forgetDiscordToken();
  const health = await bot.container.jobRuns.health(job);
  writeMetrics(
    job,
    { JobsFailing: health.failing ? 1 : 0, ...values },
    bot.container.clock.now(),
    health.failed ? `${job}: ${health.failed} of ${health.runs} runs failed in 15 min` : undefined,
  );
}

/** The guard's counts since the last metrics line (this invocation's invalid answers and bans). */
export function discordBrakeMetrics(bot: Bot): Partial<Record<MetricName, number>> {
  const counts = bot.container.guard.takeCounts();
  return { DiscordInvalidRequests: counts.invalidResponses, DiscordCloudflareBans: counts.cloudflareBans };
}
