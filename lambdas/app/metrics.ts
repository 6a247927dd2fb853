import { errorMessage } from '../domain/log';

/**
 * The metrics contract between the handlers and the CDK stack's alarms (lib/goxwatch-alarms.ts).
 * The stack alarms on exactly these names; change both sides together (ADR 0016).
 *
 * One metric per fault family, with no dimension: an alarm reads one metric ($0.10 a month each
 * beyond the free 10), and every metric is one custom metric (free up to 10). Which job or
 * function it came from, and why, is in the same log line (`Job`, `Detail`: properties, not
 * dimensions), found with Logs Insights (`filter ispresent(HandlerErrors)`).
 *
 * Handlers emit them as CloudWatch Embedded Metric Format (EMF) lines with `writeMetrics`, NOT
 * console.log: EMF needs the log event to be a bare JSON object, and the Lambda Node runtime's
 * console.log prefixes each line with "timestamp requestId INFO". No SDK call, no IAM permission.
 *
 * | Metric                 | Unit    | From                           | Emit                                             |
 * |------------------------|---------|--------------------------------|--------------------------------------------------|
 * | JobsFailing            | Count   | price, news, delivery, chain   | 1 when more than half (and ≥ 2) of this job's    |
 * |                        |         |                                | runs of the last 15 min failed, else 0           |
 * | PriceAgeSeconds        | Seconds | price                          | age of the newest stored consensus price         |
 * | OutboxPending          | Count   | price, news, delivery, chain   | pending outbox entries after the run's delivery  |
 * | DiscordAuthFailures    | Count   | price, news, delivery, chain   | 1 per run that Discord answered 401              |
 * | DiscordInvalidRequests | Count   | price, news, delivery          | 401/403/429 answers this run (Cloudflare bans an |
 * |                        |         |                                | IP at 10,000 in 10 minutes)                      |
 * | DiscordCloudflareBans  | Count   | price, news, delivery          | 429s without Discord's JSON body (error 1015)    |
 * | HandlerErrors          | Count   | every function                 | 1 per invocation that threw or is about to time  |
 * |                        |         |                                | out (only then)                                  |
 * | DeferredRepliesExpired | Count   | interactions worker            | 1 per deferred reply that could not be edited    |
 * |                        |         |                                | before the interaction token expired (only then) |
 *
 * Emitting the 0s matters where an alarm judges a level (JobsFailing, OutboxPending); alarms
 * treat missing data as "not breaching" except the stale-price alarm, which treats a silent price
 * job as stale.
 */
export const METRICS_NAMESPACE = 'goxwatch';

export const METRIC_NAMES = [
  'JobsFailing',
  'PriceAgeSeconds',
  'OutboxPending',
  'DiscordAuthFailures',
  'DiscordInvalidRequests',
  'DiscordCloudflareBans',
  'HandlerErrors',
  'DeferredRepliesExpired',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Where a metric line came from: written as the `Job` property of the line, not a dimension. */
export const METRIC_JOBS = ['price', 'news', 'delivery', 'interactions', 'worker', 'chain'] as const;
export type MetricJob = (typeof METRIC_JOBS)[number];

const UNITS: Record<MetricName, 'Count' | 'Seconds'> = {
  JobsFailing: 'Count',
  PriceAgeSeconds: 'Seconds',
  OutboxPending: 'Count',
  DiscordAuthFailures: 'Count',
  DiscordInvalidRequests: 'Count',
  DiscordCloudflareBans: 'Count',
  HandlerErrors: 'Count',
  DeferredRepliesExpired: 'Count',
};

/**
 * One EMF log line (no trailing newline) carrying the given metric values, from one job, with an
 * optional detail (the failed jobs, the error, the interaction id). `nowMs` comes from the
 * injected Clock, so replays stamp simulated time.
 */
export function emfLine(
  job: MetricJob,
  values: Partial<Record<MetricName, number>>,
  nowMs: number,
  detail?: string,
): string {
  const names = METRIC_NAMES.filter((n) => {
    const v = values[n];
    return typeof v === 'number' && Number.isFinite(v);
  });
  const doc: Record<string, unknown> = {
    _aws: {
      Timestamp: Math.floor(nowMs),
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          // No dimension: one metric per family, whatever job emits it.
          Dimensions: [[]],
          Metrics: names.map((n) => ({ Name: n, Unit: UNITS[n] })),
        },
      ],
    },
    Job: job,
    ...(detail ? { Detail: detail } : {}),
  };
  for (const n of names) doc[n] = values[n];
  return JSON.stringify(doc);
}

/** Write one EMF line raw to stdout (see above: never console.log). */
export function writeMetrics(
  job: MetricJob,
  values: Partial<Record<MetricName, number>>,
  nowMs: number,
  detail?: string,
): void {
  process.stdout.write(emfLine(job, values, nowMs, detail) + '\n');
}

/** Said this long before Lambda's timeout: a timeout ends the invocation without any catch running. */
const TIMEOUT_NOTICE_MS = 1_000;

/**
 * A handler that counts its own failures in HandlerErrors, with the error in the same line: a
 * throw, and an invocation still running 1 s before its timeout. One metric for every function
 * instead of one AWS/Lambda Errors alarm per function (ADR 0016). A function that cannot even
 * load is left to the dead-letter queue and the stale-price / outbox alarms.
 */
export function countingErrors<E, C extends { getRemainingTimeInMillis(): number }, R>(
  job: MetricJob,
  handler: (event: E, context?: C) => Promise<R>,
): (event: E, context?: C) => Promise<R> {
  return async (event, context) => {
    const remaining = context?.getRemainingTimeInMillis();
    const timer =
      remaining === undefined
        ? undefined
        : setTimeout(
            () =>
              writeMetrics(
                job,
                { HandlerErrors: 1 },
                Date.now(),
                `still running ${TIMEOUT_NOTICE_MS} ms before the timeout`,
              ),
            Math.max(0, remaining - TIMEOUT_NOTICE_MS),
          );
    try {
      return await handler(event, context);
    } catch (err) {
      writeMetrics(job, { HandlerErrors: 1 }, Date.now(), errorMessage(err));
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
}
