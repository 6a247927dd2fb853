/**
 * The one place for the AWS prices and assumptions behind the monthly cost: `npm run bench`
 * projects the cost from its measured request counts with these, and docs/deploy.md ("Monthly
 * cost") quotes the same numbers. Change a price here and in that section together.
 */

/** us-east-1 list prices, Nov 2026. */
export const PRICES = {
  /** Lambda arm64. */
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand. */
  dynamoPerMillionWru: 0.625,
  dynamoPerMillionRru: 0.125,
  dynamoStoragePerGbMonth: 0.25,
  dynamoPitrPerGbMonth: 0.2,
  cloudWatchLogsIngestPerGb: 0.5,
  cloudWatchLogsStoragePerGbMonth: 0.03,
  cloudWatchMetricPerMonth: 0.3,
  cloudWatchAlarmPerMonth: 0.1,
  cloudWatchDashboardPerMonth: 3,
  /** SSM Parameter Store standard parameters and throughput: free; SecureString reads decrypt with KMS. */
  kmsPer10kRequests: 0.03,
} as const;

/** Always-free tiers (per account and month). DynamoDB on-demand requests have none. */
export const FREE = {
  lambdaRequests: 1_000_000,
  lambdaGbSeconds: 400_000,
  dynamoStorageGb: 25,
  cloudWatchLogsGb: 5,
  cloudWatchMetrics: 10,
  cloudWatchAlarms: 10,
  cloudWatchDashboards: 3,
  kmsRequests: 20_000,
} as const;

/** What the stack deploys (lib/goxwatch-stack.ts) and the default schedules (DEFAULT_CONFIG). */
export const DEPLOYMENT = {
  /** A 30-day month. */
  minutesPerMonth: 30 * 24 * 60,
  priceEveryMinutes: 1,
  newsEveryMinutes: 5,
  deliveryEveryMinutes: 5,
  memoryMb: { price: 512, news: 512, delivery: 256, interactions: 512, worker: 512 },
  /** Feeds in the default config. */
  defaultFeeds: 4,
  /**
   * SSM SecureString reads (each a KMS decrypt): once per Lambda instance (lambdas/app/secrets.ts,
   * ADR 0011). Pessimistic: a fresh instance every 10 minutes for each function that reads one.
   */
  parameterReadsPerFunctionPerMonth: 30 * 24 * 6,
  /**
   * EMF metrics as the handlers emit them: one per fault family, no dimension (lambdas/app/metrics.ts,
   * ADR 0016); test/infra/deploy-doc.test.ts holds this to METRIC_NAMES.
   */
  customMetrics: 8,
  /** One per standard alarm, one per metric of a metric-math alarm (test/infra/deploy-doc.test.ts counts them). */
  alarmMetrics: 10,
  dashboards: 1,
  /** Log bytes per invocation: START/END/REPORT, the summary line, one EMF line. */
  logBytes: { price: 2_000, news: 3_000, delivery: 1_000, interactions: 1_000, worker: 1_000 },
  logRetentionDays: 30,
  /** Samples and consensus kept 35 days for the default sources (docs/deploy.md). */
  priceDataGb: 0.1,
  /** Outbox entries are kept 30 days as the record of what was posted. */
  outboxRetentionDays: 30,
} as const;

/** Assumed usage; the bench measures cost per event, these say how many events. */
export const USAGE = {
  /** Slash commands per subscribed channel per month. */
  commandsPerChannel: 1_000,
  /** Messages (alerts, news, refund changes) posted per channel per month: about one a day. */
  messagesPerChannel: 30,
  /**
   * Share of commands handed to the interactions worker (ADR 0007): every /price (its chart) and
   * the rare deferred reply. Assumed: half of all commands are /price.
   */
  workerRunsPerCommand: 0.5,
} as const;

/** Measured per-event usage (from the bench) that the projection multiplies. */
export interface Usage {
  /** ms and request units of one invocation. */
  ms: number;
  rru: number;
  wru: number;
}

export interface CostInputs {
  scenario: string;
  channels: number;
  /** One Price handler run (the poll, its delivery pass, the metric reads). */
  price: Usage;
  /** One News handler run over the default feeds (all 304: the usual case). */
  news: Usage;
  /** One Delivery handler sweep with nothing pending. */
  sweep: Usage;
  /** Per message posted: enqueue + delivery (ms is the delivery time per message, Discord's 50/s included). */
  message: Usage & { bytes: number };
  /** Per slash command. */
  command: Usage;
  /** Per interactions-worker run (a /price chart edit). */
  worker: Usage;
}

export interface CostLine {
  item: string;
  /** List price, USD per month. */
  usd: number;
  /** After the always-free tiers. */
  freeUsd: number;
  arithmetic: string;
}

export interface CostProjection {
  scenario: string;
  lines: CostLine[];
  usd: number;
  freeUsd: number;
}

const n = (v: number, digits = 0) =>
  v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const usd = (v: number) => `$${v < 0.01 && v > 0 ? v.toFixed(4) : v.toFixed(2)}`;

/** The monthly bill for one scenario, every line with its arithmetic. */
export function projectMonthlyCost(input: CostInputs): CostProjection {
  const d = DEPLOYMENT;
  const p = PRICES;
  const runs = {
    price: d.minutesPerMonth / d.priceEveryMinutes,
    news: d.minutesPerMonth / d.newsEveryMinutes,
    sweep: d.minutesPerMonth / d.deliveryEveryMinutes,
  };
  const messages = input.channels * USAGE.messagesPerChannel;
  const commands = input.channels * USAGE.commandsPerChannel;
  const workerRuns = commands * USAGE.workerRunsPerCommand;
  const gbs = (count: number, ms: number, mb: number) => count * (ms / 1000) * (mb / 1024);

  const compute = [
    { name: 'price', count: runs.price, ms: input.price.ms, mb: d.memoryMb.price },
    { name: 'news', count: runs.news, ms: input.news.ms, mb: d.memoryMb.news },
    { name: 'sweep', count: runs.sweep, ms: input.sweep.ms, mb: d.memoryMb.delivery },
    // Messages go out in the price/news runs that queued them: extra duration there, no extra invocation.
    { name: 'messages', count: messages, ms: input.message.ms, mb: d.memoryMb.price },
    { name: 'commands', count: commands, ms: input.command.ms, mb: d.memoryMb.interactions },
    { name: 'worker', count: workerRuns, ms: input.worker.ms, mb: d.memoryMb.worker },
  ];
  const invocations = runs.price + runs.news + runs.sweep + commands + workerRuns;
  const gbSeconds = compute.reduce((s, c) => s + gbs(c.count, c.ms, c.mb), 0);
  const lambdaRequests = (invocations / 1e6) * p.lambdaPerMillionRequests;
  const lambdaCompute = gbSeconds * p.lambdaPerGbSecond;

  const perMonth = [
    { name: 'price', count: runs.price, u: input.price },
    { name: 'news', count: runs.news, u: input.news },
    { name: 'sweep', count: runs.sweep, u: input.sweep },
    { name: 'messages', count: messages, u: input.message },
    { name: 'commands', count: commands, u: input.command },
    { name: 'worker', count: workerRuns, u: input.worker },
  ];
  const rru = perMonth.reduce((s, x) => s + x.count * x.u.rru, 0);
  const wru = perMonth.reduce((s, x) => s + x.count * x.u.wru, 0);
  const dynamoRequests = (rru / 1e6) * p.dynamoPerMillionRru + (wru / 1e6) * p.dynamoPerMillionWru;

  const storageGb = d.priceDataGb + (messages * input.message.bytes * (d.outboxRetentionDays / 30)) / 1e9;
  const storage = storageGb * p.dynamoStoragePerGbMonth;
  const pitr = storageGb * p.dynamoPitrPerGbMonth;

  const logGb =
    (runs.price * d.logBytes.price +
      runs.news * d.logBytes.news +
      runs.sweep * d.logBytes.delivery +
      commands * d.logBytes.interactions +
      workerRuns * d.logBytes.worker) /
    1e9;
  const logs = logGb * p.cloudWatchLogsIngestPerGb + logGb * p.cloudWatchLogsStoragePerGbMonth;

  const metrics = d.customMetrics * p.cloudWatchMetricPerMonth;
  const alarms = d.alarmMetrics * p.cloudWatchAlarmPerMonth;
  const dashboards = d.dashboards * p.cloudWatchDashboardPerMonth;

  // Price, News, Delivery and Chain read the token; the endpoint reads none (its public key is
  // config, ADR 0020).
  const parameterReads = 4 * d.parameterReadsPerFunctionPerMonth;
  const secrets = (parameterReads / 10_000) * p.kmsPer10kRequests;

  const over = (used: number, free: number) => Math.max(0, used - free) / (used || 1);
  const lines: CostLine[] = [
    {
      item: 'Lambda requests',
      usd: lambdaRequests,
      freeUsd: lambdaRequests * over(invocations, FREE.lambdaRequests),
      arithmetic: `${n(runs.price)} price + ${n(runs.news)} news + ${n(runs.sweep)} sweeps + ${n(commands)} commands + ${n(workerRuns)} worker runs = ${n(invocations)} × $${p.lambdaPerMillionRequests}/M = ${usd(lambdaRequests)}`,
    },
    {
      item: 'Lambda compute (arm64)',
      usd: lambdaCompute,
      freeUsd: lambdaCompute * over(gbSeconds, FREE.lambdaGbSeconds),
      arithmetic:
        compute.map((c) => `${c.name} ${n(c.count)} × ${n(c.ms)} ms × ${c.mb} MB`).join(' + ') +
        ` = ${n(gbSeconds)} GB-s × $${p.lambdaPerGbSecond} = ${usd(lambdaCompute)}`,
    },
    {
      item: 'DynamoDB requests',
      usd: dynamoRequests,
      freeUsd: dynamoRequests,
      arithmetic:
        perMonth
          .map((x) => `${x.name} ${n(x.count)} × (${n(x.u.rru, 1)} RRU, ${n(x.u.wru, 1)} WRU)`)
          .join(' + ') +
        ` = ${n(rru)} RRU × $${p.dynamoPerMillionRru}/M + ${n(wru)} WRU × $${p.dynamoPerMillionWru}/M = ${usd(dynamoRequests)}`,
    },
    {
      item: 'DynamoDB storage + PITR',
      usd: storage + pitr,
      freeUsd: storage * over(storageGb, FREE.dynamoStorageGb) + pitr,
      arithmetic: `${n(storageGb, 3)} GB (price data ${d.priceDataGb} GB + ${n(messages)} messages × ${n(input.message.bytes)} B kept ${d.outboxRetentionDays} d) × ($${p.dynamoStoragePerGbMonth} + $${p.dynamoPitrPerGbMonth} PITR) = ${usd(storage + pitr)}`,
    },
    {
      item: 'CloudWatch logs',
      usd: logs,
      freeUsd: logs * over(logGb, FREE.cloudWatchLogsGb),
      arithmetic: `${n(logGb, 3)} GB × ($${p.cloudWatchLogsIngestPerGb} ingest + $${p.cloudWatchLogsStoragePerGbMonth} storage) = ${usd(logs)}`,
    },
    {
      item: 'CloudWatch metrics, alarms, dashboard',
      usd: metrics + alarms + dashboards,
      freeUsd:
        Math.max(0, d.customMetrics - FREE.cloudWatchMetrics) * p.cloudWatchMetricPerMonth +
        Math.max(0, d.alarmMetrics - FREE.cloudWatchAlarms) * p.cloudWatchAlarmPerMonth +
        Math.max(0, d.dashboards - FREE.cloudWatchDashboards) * p.cloudWatchDashboardPerMonth,
      arithmetic: `${d.customMetrics} metrics × $${p.cloudWatchMetricPerMonth} + ${d.alarmMetrics} alarm metrics × $${p.cloudWatchAlarmPerMonth} + ${d.dashboards} dashboard × $${p.cloudWatchDashboardPerMonth} = ${usd(metrics + alarms + dashboards)}`,
    },
    {
      item: 'SSM Parameter Store (SecureString) + KMS',
      usd: secrets,
      freeUsd: secrets * over(parameterReads, FREE.kmsRequests),
      arithmetic: `standard parameters free; ${n(parameterReads)} decrypts × $${p.kmsPer10kRequests}/10k KMS = ${usd(secrets)} (${n(FREE.kmsRequests)} KMS requests free)`,
    },
    {
      item: 'Function URL, EventBridge schedules',
      usd: 0,
      freeUsd: 0,
      arithmetic: 'free',
    },
  ];
  return {
    scenario: input.scenario,
    lines,
    usd: lines.reduce((s, l) => s + l.usd, 0),
    freeUsd: lines.reduce((s, l) => s + l.freeUsd, 0),
  };
}

export { usd as formatUsd };
