import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Config } from '../lambdas/domain/config';
import { METRICS_NAMESPACE, METRIC_DIMENSION, type MetricJob, type MetricName } from '../lambdas/app/metrics';
import type { GoxwatchFunction } from './goxwatch-function';
import type { HandlerName } from './goxwatch-stack';

/** The alarms and the dashboard of the goxwatch stack (docs/deploy.md lists each and its cost). */

/** What the alarms watch: the stack's functions, its queues and the topic they notify. */
export interface Monitored {
  functions: Record<HandlerName, GoxwatchFunction>;
  alarmTopic: sns.Topic;
  deadLetters: sqs.Queue;
  workerDeadLetters: sqs.Queue;
}

function metric(name: MetricName, job: MetricJob, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { [METRIC_DIMENSION]: job },
    statistic,
    period,
  });
}

export function addAlarms(
  scope: Construct,
  monitored: Monitored,
  schedule: { config: Config; priceMinutes: number; newsMinutes: number; deliveryMinutes: number },
): cloudwatch.Alarm[] {
  const { config, priceMinutes, newsMinutes, deliveryMinutes } = schedule;
  const action = new cwActions.SnsAction(monitored.alarmTopic);
  const alarms: cloudwatch.Alarm[] = [];
  const add = (alarm: cloudwatch.Alarm): void => {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    alarms.push(alarm);
  };
  const window = Duration.minutes(15);

  // Job failures: more than half the runs of the last 15 minutes failed as a whole. One failed
  // poll (an exchange hiccup) is normal; a job that keeps failing is not.
  const runsPerWindow: Record<'price' | 'news' | 'delivery', number> = {
    price: Math.max(1, Math.floor(15 / priceMinutes)),
    news: Math.max(1, Math.floor(15 / newsMinutes)),
    delivery: Math.max(1, Math.floor(15 / deliveryMinutes)),
  };
  for (const job of ['price', 'news', 'delivery'] as const) {
    add(
      new cloudwatch.Alarm(scope, `${cap(job)}JobFailures`, {
        alarmDescription: `goxwatch ${job} job: most runs of the last 15 minutes failed (JobFailures)`,
        metric: metric('JobFailures', job, 'Sum', window),
        threshold: Math.ceil(runsPerWindow[job] / 2),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  // Handler errors (uncaught: a bug, a missing module, a timeout) for every function.
  for (const [name, fn] of Object.entries(monitored.functions)) {
    add(
      new cloudwatch.Alarm(scope, `${cap(name)}Errors`, {
        alarmDescription: `goxwatch ${name} Lambda: 3 or more errors or timeouts in 15 minutes`,
        metric: fn.metricErrors({ period: window, statistic: 'Sum' }),
        threshold: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  // Stale prices: the newest consensus price is older than the stale-quote limit (at least three
  // polls), or the price job emits nothing at all (missing data counts as stale).
  const staleAfter = Math.max(config.rules.maxQuoteAgeSeconds, 3 * priceMinutes * 60);
  add(
    new cloudwatch.Alarm(scope, 'StalePrices', {
      alarmDescription: `goxwatch: no fresh consensus price for ${staleAfter} s (PriceAgeSeconds), or the price job is silent`,
      metric: metric('PriceAgeSeconds', 'price', 'Minimum', Duration.minutes(5)),
      threshold: staleAfter,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }),
  );

  // Pending outbox: entries stayed pending through every delivery pass for 15 minutes
  // (Discord outage, missing permission, bad token). Minimum: a backlog that drains is fine.
  add(
    new cloudwatch.Alarm(scope, 'OutboxPending', {
      alarmDescription: 'goxwatch: outbox entries pending for 15 minutes (OutboxPending)',
      metric: metric('OutboxPending', 'delivery', 'Minimum', Duration.minutes(5)),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );

  // Discord auth failure: any 401, from any job that talks to Discord. Usually the token
  // secret is empty or was reset in the developer portal.
  const authFailures = new cloudwatch.MathExpression({
    label: 'DiscordAuthFailures',
    expression: 'FILL(p, 0) + FILL(n, 0) + FILL(d, 0)',
    usingMetrics: {
      p: metric('DiscordAuthFailures', 'price', 'Sum', Duration.minutes(5)),
      n: metric('DiscordAuthFailures', 'news', 'Sum', Duration.minutes(5)),
      d: metric('DiscordAuthFailures', 'delivery', 'Sum', Duration.minutes(5)),
    },
    period: Duration.minutes(5),
  });
  add(
    new cloudwatch.Alarm(scope, 'DiscordAuthFailures', {
      alarmDescription: 'goxwatch: Discord rejected the bot token (401); put or update the token parameter',
      metric: authFailures,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );

  // Cloudflare: a bare 429 (error 1015) means our IP is banned; invalid answers (401/403/429)
  // approaching the 10,000 per 10 minutes that earn a ban. Sending stops itself at 1,000
  // (store/discord-guard.ts); the alarm fires at half of that so someone looks first.
  const brakes = (name: 'DiscordInvalidRequests' | 'DiscordCloudflareBans', period: Duration) =>
    new cloudwatch.MathExpression({
      label: name,
      expression: 'FILL(p, 0) + FILL(n, 0) + FILL(d, 0)',
      usingMetrics: {
        p: metric(name, 'price', 'Sum', period),
        n: metric(name, 'news', 'Sum', period),
        d: metric(name, 'delivery', 'Sum', period),
      },
      period,
    });
  add(
    new cloudwatch.Alarm(scope, 'DiscordCloudflareBan', {
      alarmDescription:
        'goxwatch: Discord answered 429 without its JSON body (Cloudflare ban, error 1015); sending is paused with a growing backoff',
      metric: brakes('DiscordCloudflareBans', Duration.minutes(5)),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );
  add(
    new cloudwatch.Alarm(scope, 'DiscordInvalidRequests', {
      alarmDescription:
        'goxwatch: 500 or more invalid answers (401/403/429) from Discord in 10 minutes; sending stops at 1,000, Cloudflare bans at 10,000',
      metric: brakes('DiscordInvalidRequests', Duration.minutes(10)),
      threshold: 500,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );

  // Failed runs pile up in the dead-letter queue (a run whose every source failed throws on
  // purpose). One is what the JobFailures alarms already judge; ten unread ones mean nobody
  // looked for a while or something keeps failing.
  add(
    new cloudwatch.Alarm(scope, 'DeadLettersVisible', {
      alarmDescription: 'goxwatch: 10 or more failed invocations waiting in the dead-letter queue',
      metric: monitored.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 10,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );

  // A deferred reply that the worker could not deliver even after Lambda's retries: a member saw
  // "thinking…" turn into Discord's "The application did not respond". One is one too many.
  add(
    new cloudwatch.Alarm(scope, 'WorkerDeadLettersVisible', {
      alarmDescription:
        'goxwatch: a deferred interaction reply failed for good (interactions worker dead-letter queue)',
      metric: monitored.workerDeadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );
  return alarms;
}

export function addDashboard(scope: Construct, monitored: Monitored, alarms: cloudwatch.Alarm[]): void {
  const fns = Object.entries(monitored.functions);
  const period = Duration.minutes(5);
  new cloudwatch.Dashboard(scope, 'Dashboard', {
    defaultInterval: Duration.days(1),
    widgets: [
      [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24, height: 4 })],
      [
        new cloudwatch.GraphWidget({
          title: 'Newest consensus price age (s)',
          left: [metric('PriceAgeSeconds', 'price', 'Maximum', period)],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Outbox pending',
          left: [metric('OutboxPending', 'delivery', 'Maximum', period)],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Job failures / Discord 401s',
          left: (['price', 'news', 'delivery'] as const).map((j) => metric('JobFailures', j, 'Sum', period)),
          right: (['price', 'news', 'delivery'] as const).map((j) =>
            metric('DiscordAuthFailures', j, 'Sum', period),
          ),
          width: 8,
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Invocations',
          left: fns.map(([, fn]) => fn.metricInvocations({ period, statistic: 'Sum' })),
          width: 6,
        }),
        new cloudwatch.GraphWidget({
          title: 'Errors',
          left: fns.map(([, fn]) => fn.metricErrors({ period, statistic: 'Sum' })),
          width: 6,
        }),
        new cloudwatch.GraphWidget({
          title: 'Duration p99 (ms)',
          left: fns.map(([, fn]) => fn.metricDuration({ period, statistic: 'p99' })),
          width: 6,
        }),
        new cloudwatch.GraphWidget({
          title: 'Throttles / dead letters',
          left: fns.map(([, fn]) => fn.metricThrottles({ period, statistic: 'Sum' })),
          right: [
            monitored.deadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
          ],
          width: 6,
        }),
      ],
    ],
  });
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
