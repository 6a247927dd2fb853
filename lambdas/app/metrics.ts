/**
 * The metrics contract between the handlers and the CDK stack's alarms (lib/goxwatch-stack.ts).
 * The stack alarms on exactly these names; change both sides together.
 *
 * Handlers emit them as CloudWatch Embedded Metric Format (EMF) lines: write
 * `emfLine(...)` with `process.stdout.write(line + '\n')`, NOT console.log. EMF needs the log
 * event to be a bare JSON object, and the Lambda Node runtime's console.log prefixes each line
 * with "timestamp requestId INFO". No SDK call, no extra IAM permission: CloudWatch Logs extracts
 * the metric from the log line.
 *
 * Namespace "goxwatch"; every metric carries one dimension, `Job`, the handler that emitted it:
 *
 * | Metric              | Unit    | Job                        | Emit                                         |
 * |---------------------|---------|----------------------------|----------------------------------------------|
 * | JobFailures         | Count   | price, news, delivery, chain | 1 when a run failed as a whole, else 0       |
 * | PriceAgeSeconds     | Seconds | price                      | age of the newest stored consensus price at  |
 * |                     |         |                            | the end of each price run (also on failure)  |
 * | OutboxPending       | Count   | delivery (and price, news  | pending outbox entries left after a delivery |
 * |                     |         | when they deliver inline)  | pass                                         |
 * | DiscordAuthFailures | Count   | price, news, delivery      | Discord answered 401 (bad or unset token);   |
 * |                     |         |                            | emit 1 per run that saw it                   |
 * | DiscordInvalid-     | Count   | price, news, delivery      | 401/403/429 answers this run (Cloudflare     |
 * | Requests            |         |                            | bans an IP at 10,000 in 10 minutes)          |
 * | DiscordCloudflare-  | Count   | price, news, delivery      | 429s without Discord's JSON body (a          |
 * | Bans                |         |                            | Cloudflare ban, error 1015) this run         |
 *
 * Emitting the 0s matters: alarms treat missing data as "not breaching" except the stale-price
 * alarm, which treats a silent price job as stale.
 */
export const METRICS_NAMESPACE = 'goxwatch';

export const METRIC_NAMES = [
  'JobFailures',
  'PriceAgeSeconds',
  'OutboxPending',
  'DiscordAuthFailures',
  'DiscordInvalidRequests',
  'DiscordCloudflareBans',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

export const METRIC_JOBS = ['price', 'news', 'delivery', 'interactions', 'chain'] as const;
export type MetricJob = (typeof METRIC_JOBS)[number];

export const METRIC_DIMENSION = 'Job';

const UNITS: Record<MetricName, 'Count' | 'Seconds'> = {
  JobFailures: 'Count',
  PriceAgeSeconds: 'Seconds',
  OutboxPending: 'Count',
  DiscordAuthFailures: 'Count',
  DiscordInvalidRequests: 'Count',
  DiscordCloudflareBans: 'Count',
};

/**
 * One EMF log line (no trailing newline) carrying the given metric values for one job.
 * `nowMs` comes from the injected Clock, so replays stamp simulated time.
 */
export function emfLine(job: MetricJob, values: Partial<Record<MetricName, number>>, nowMs: number): string {
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
          Dimensions: [[METRIC_DIMENSION]],
          Metrics: names.map((n) => ({ Name: n, Unit: UNITS[n] })),
        },
      ],
    },
    [METRIC_DIMENSION]: job,
  };
  for (const n of names) doc[n] = values[n];
  return JSON.stringify(doc);
}
