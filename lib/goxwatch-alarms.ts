import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Config } from '../lambdas/domain/config';
import { METRICS_NAMESPACE, type MetricName } from '../lambdas/app/metrics';
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

/** One of the app's metrics (lambdas/app/metrics.ts): no dimension, one per fault family. */
function metric(name: MetricName, statistic: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, statistic, period });
}

/**
 * Ten alarms on ten metrics, the account's free ten (ADR 0016): each fault family is one metric
 * the app emits, with which job and why in the same log line, instead of one alarm per job or
 * function. Every fault the 16 alarms on 22 metrics caught before is still caught.
 */
export function addAlarms(
  scope: Construct,
  monitored: Monitored,
  schedule: { config: Config; priceMinutes: number },
): cloudwatch.Alarm[] {
  const { config, priceMinutes } = schedule;
  const action = new cwActions.SnsAction(monitored.alarmTopic);
  const alarms: cloudwatch.Alarm[] = [];
  const add = (
    id: string,
    description: string,
    props: Omit<cloudwatch.AlarmProps, 'alarmDescription' | 'evaluationPeriods' | 'comparisonOperator'> &
      Partial<Pick<cloudwatch.AlarmProps, 'evaluationPeriods' | 'comparisonOperator'>>,
  ): void => {
    const alarm = new cloudwatch.Alarm(scope, id, {
      alarmDescription: description,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    alarms.push(alarm);
  };
  const fiveMinutes = Duration.minutes(5);

  // A job that keeps failing: more than half (and two or more) of one job's runs of the last 15
  // minutes failed. The app judges it from the runs it records (store/job-runs.ts); the line says which job.
  add(
    'JobsFailing',
    'goxwatch: a job failed most of its runs of the last 15 minutes (JobsFailing; the log line names the job)',
    {
      metric: metric('JobsFailing', 'Maximum', fiveMinutes),
      threshold: 1,
    },
  );

  // Uncaught errors and near-timeouts of every function, counted by the handlers themselves.
  add(
    'HandlerErrors',
    'goxwatch: 3 or more Lambda errors or near-timeouts in 15 minutes, any function (HandlerErrors; the log line names it and the error)',
    {
      metric: metric('HandlerErrors', 'Sum', Duration.minutes(15)),
      threshold: 3,
    },
  );

  // Stale prices: the newest consensus price is older than the stale-quote limit (at least three
  // polls), or the price job emits nothing at all (missing data counts as stale).
  const staleAfter = Math.max(config.rules.maxQuoteAgeSeconds, 3 * priceMinutes * 60);
  add(
    'StalePrices',
    `goxwatch: no fresh consensus price for ${staleAfter} s (PriceAgeSeconds), or the price job is silent`,
    {
      metric: metric('PriceAgeSeconds', 'Minimum', fiveMinutes),
      threshold: staleAfter,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    },
  );

  // Pending outbox: entries stayed pending through every run for 15 minutes (Discord outage,
  // missing permission, bad token). Minimum: a backlog that drains is fine.
  add('OutboxPending', 'goxwatch: outbox entries pending for 15 minutes (OutboxPending)', {
    metric: metric('OutboxPending', 'Minimum', fiveMinutes),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 3,
  });

  // Discord auth failure: any 401, from any job. Usually the token parameter is empty or was reset.
  add(
    'DiscordAuthFailures',
    'goxwatch: Discord rejected the bot token (401); put or update the token parameter',
    {
      metric: metric('DiscordAuthFailures', 'Sum', fiveMinutes),
      threshold: 1,
    },
  );

  // Cloudflare: a bare 429 (error 1015) means our IP is banned; invalid answers (401/403/429)
  // approaching the 10,000 per 10 minutes that earn a ban. Sending stops itself at 1,000
  // (store/discord-guard.ts); the alarm fires at half of that so someone looks first.
  add(
    'DiscordCloudflareBan',
    'goxwatch: Discord answered 429 without its JSON body (Cloudflare ban, error 1015); sending is paused with a growing backoff',
    { metric: metric('DiscordCloudflareBans', 'Sum', fiveMinutes), threshold: 1 },
  );
  add(
    'DiscordInvalidRequests',
    'goxwatch: 500 or more invalid answers (401/403/429) from Discord in 10 minutes; sending stops at 1,000, Cloudflare bans at 10,000',
    { metric: metric('DiscordInvalidRequests', 'Sum', Duration.minutes(10)), threshold: 500 },
  );

  // A deferred reply that could not be edited before its interaction token expired: a member saw
  // "thinking…" end in "The application did not respond". One is one too many.
  add(
    'DeferredRepliesExpired',
    'goxwatch: a deferred interaction reply could not be edited before its token expired (DeferredRepliesExpired; the log line has the interaction id)',
    { metric: metric('DeferredRepliesExpired', 'Sum', fiveMinutes), threshold: 1 },
  );

  // Failed runs pile up in the dead-letter queue (a run whose every source failed throws on
  // purpose). One is what JobsFailing already judges; ten unread ones mean nobody looked for a
  // while or something keeps failing. Also where a function that cannot even load ends up.
  add('DeadLettersVisible', 'goxwatch: 10 or more failed invocations waiting in the dead-letter queue', {
    metric: monitored.deadLetters.metricApproximateNumberOfMessagesVisible({
      period: fiveMinutes,
      statistic: 'Maximum',
    }),
    threshold: 10,
  });

  // A deferred reply that the worker could not deliver even after Lambda's retries.
  add(
    'WorkerDeadLettersVisible',
    'goxwatch: a deferred interaction reply failed for good (interactions worker dead-letter queue)',
    {
      metric: monitored.workerDeadLetters.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: 'Maximum',
      }),
      threshold: 1,
    },
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
          left: [metric('PriceAgeSeconds', 'Maximum', period)],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Outbox pending',
          left: [metric('OutboxPending', 'Maximum', period)],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Jobs failing, handler errors / Discord 401s',
          left: [metric('JobsFailing', 'Maximum', period), metric('HandlerErrors', 'Sum', period)],
          right: [metric('DiscordAuthFailures', 'Sum', period)],
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
