import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { TABLE } from '../lambdas/store/table';
import { interactionsWritablePartitions as writablePartitions } from '../lambdas/store/keys';
import type { Config } from '../lambdas/domain/config';
import { ENV } from '../lambdas/app/env';
import { GoxwatchFunction } from './goxwatch-function';
import { addAlarms, addDashboard } from './goxwatch-alarms';

/** Lambda's limit on all environment variables of one function together. */
const LAMBDA_ENV_LIMIT_BYTES = 4096;
/** Room left in that limit for the other variables (ARNs, table name, NODE_OPTIONS). */
const CONFIG_ENV_BUDGET_BYTES = 3000;

export const HANDLER_ENTRIES = {
  price: 'lambdas/handlers/price.ts',
  news: 'lambdas/handlers/news.ts',
  delivery: 'lambdas/handlers/delivery.ts',
  interactions: 'lambdas/handlers/interactions.ts',
  interactionsWorker: 'lambdas/handlers/interactions-worker.ts',
  chain: 'lambdas/handlers/chain.ts',
} as const;
export type HandlerName = keyof typeof HANDLER_ENTRIES;

/**
 * The interactions Function URL is BUFFERED: the handler returns `{ statusCode, headers, body }`
 * and nothing of the interaction runs after that; the rest goes to the worker (docs/adr/0008).
 * The bundle smoke test checks that the handler's kind matches this mode.
 */
export const INTERACTIONS_INVOKE_MODE = lambda.InvokeMode.BUFFERED;

/**
 * The worker's window: Lambda retries a failed event twice (about 1 and 2 minutes later) and
 * drops it to the dead-letter queue once it is this old, well inside the 15-minute token.
 */
export const WORKER_MAX_EVENT_AGE_MINUTES = 10;

/** Partitions (pk values) the interactions function and its worker may write (lambdas/store/keys.ts). */
export function interactionsWritablePartitions(config: Config): string[] {
  return writablePartitions(config.incidents.map((i) => i.id));
}

export interface GoxwatchStackProps extends StackProps {
  /** The validated config (parseConfig); also handed to every Lambda as GOXWATCH_CONFIG_JSON. */
  config: Config;
  /** Discord API base for the Lambdas; unset = the runtime's default (https://discord.com/api). */
  discordApiBase?: string;
  /** Discord application id (public, not a secret): for command registration and follow-ups. */
  discordApplicationId?: string;
  /**
   * The application's public key, hex (public by definition, docs/adr/0020): the interactions
   * endpoint's DISCORD_PUBLIC_KEY, so a cold instance verifies its first request with no SSM read.
   * Unset: the endpoint refuses every request until the stack is deployed with it.
   */
  discordPublicKey?: string;
  /** Email address subscribed to the alarm topic (confirm the subscription mail). */
  alarmEmail?: string;
  /** How often the delivery sweep drains the outbox (the jobs also deliver right after each run). */
  deliverySweepMinutes?: number;
  /**
   * The CloudWatch dashboard (default true). $3/month at list price beyond an account's 3 free
   * dashboards; the alarms do not depend on it.
   */
  dashboard?: boolean;
  /** Table removal on stack deletion; default RETAIN (subscriptions and the sent record survive). */
  tableRemovalPolicy?: RemovalPolicy;
}

/** EventBridge rate for an interval in seconds; schedules run in whole minutes, at most once a minute. */
export function scheduleMinutes(field: string, seconds: number): number {
  if (seconds < 60 || seconds % 60 !== 0)
    throw new Error(
      `config ${field}=${seconds}: EventBridge schedules run in whole minutes, at most once a minute; ` +
        `use a multiple of 60 (60, 120, 300, ...) for the AWS deployment`,
    );
  return seconds / 60;
}

/**
 * The goxwatch deployment: one DynamoDB table (lambdas/store/table.ts), five Lambdas (price,
 * news, delivery, the interactions endpoint and its worker), EventBridge schedules from the config's intervals, a Function URL
 * for Discord interactions, the SSM SecureString parameter of the bot token the maintainer creates
 * after deploy (named here, granted by name), dead-letter queues, alarms
 * on an SNS topic and a dashboard.
 */
export class GoxwatchStack extends Stack {
  readonly table: dynamodb.Table;
  readonly functions: Record<HandlerName, GoxwatchFunction>;
  /** SSM parameter name (SecureString, created by the maintainer after deploy; ADR 0011). */
  readonly botTokenParameter: string;
  readonly deadLetters: sqs.Queue;
  /** The deferred-work worker's own dead letters: each one is a user left without an answer. */
  readonly workerDeadLetters: sqs.Queue;
  readonly alarmTopic: sns.Topic;
  readonly functionUrl: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: GoxwatchStackProps) {
    super(scope, id, props);
    const { config } = props;
    const priceMinutes = scheduleMinutes('intervals.priceSeconds', config.intervals.priceSeconds);
    const newsMinutes = scheduleMinutes('intervals.newsSeconds', config.intervals.newsSeconds);
    const deliveryMinutes = props.deliverySweepMinutes ?? 5;
    const chainMinutes = scheduleMinutes('chains.nem.pollSeconds', config.chains?.nem?.pollSeconds ?? 60);
    // `store` is the local runner's (a table name and maybe a dynalite/DynamoDB Local endpoint); in
    // AWS the table is this stack's, passed as GOXWATCH_TABLE, so it is left out of the Lambdas' copy.
    // The config travels as one env var: docs/adr/0009-config-in-an-env-var.md.
    const { store: _localStore, ...lambdaConfig } = config;
    const configJson = JSON.stringify(lambdaConfig);
    if (Buffer.byteLength(configJson) > CONFIG_ENV_BUDGET_BYTES)
      throw new Error(
        `config is ${Buffer.byteLength(configJson)} bytes as JSON; the Lambdas receive it in ` +
          `GOXWATCH_CONFIG_JSON and Lambda allows ${LAMBDA_ENV_LIMIT_BYTES} bytes of environment in all ` +
          `(${CONFIG_ENV_BUDGET_BYTES} for the config): trim feeds/channels or move channels to /alerts subscribe`,
      );

    // ---- Storage: the same table definition as the local runner (lambdas/store/table.ts).
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE.gsi1.name,
      partitionKey: { name: TABLE.gsi1.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.gsi1.sortKey, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    // ---- The secret: an SSM Parameter Store SecureString, standard tier (no monthly charge),
    // encrypted with the account's AWS-managed aws/ssm key (ADR 0011). CloudFormation cannot
    // create a SecureString, so the stack only names it and grants reading it; the maintainer puts
    // the value after deploy (docs/deploy.md). The token never passes through the template or the
    // environment; a parameter not yet created reads as unset and the runtime says so. The public
    // key is not a secret: it is plain config in the endpoint's environment (ADR 0020).
    this.botTokenParameter = `/goxwatch/${this.stackName}/discord-bot-token`;

    // ---- Failed async invocations (after Lambda's retries) and undeliverable schedule events.
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue: the Lambda on-failure destination and the ' +
        'EventBridge target DLQ; its messages are inspected by hand, never consumed, so it needs no DLQ.',
    });
    this.workerDeadLetters = new sqs.Queue(this, 'WorkerDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.workerDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself a dead-letter queue: the interactions worker's on-failure destination; " +
        'its messages are inspected by hand, never consumed, so it needs no DLQ.',
    });

    // ---- Functions.
    const common: Record<string, string> = {
      [ENV.table]: this.table.tableName,
      [ENV.configJson]: configJson,
      ...(props.discordApiBase ? { [ENV.discordApiBase]: props.discordApiBase } : {}),
      ...(props.discordApplicationId ? { [ENV.discordApplicationId]: props.discordApplicationId } : {}),
    };
    const withToken = { ...common, [ENV.discordTokenParameter]: this.botTokenParameter };
    // The interactions worker needs no secret: webhook edits authenticate with the interaction token.
    const worker = new GoxwatchFunction(this, 'InteractionsWorker', {
      entry: HANDLER_ENTRIES.interactionsWorker,
      description: 'goxwatch: deferred interaction replies (async invokes from the endpoint)',
      // A command plus the follow-up's retries (~12 s); far below the 15-minute token.
      timeout: Duration.seconds(60),
      // The /price chart is drawn here: CPU scales with memory.
      memorySize: 512,
      environment: common,
    });
    const poller = (
      id: string,
      entry: string,
      description: string,
      timeout: Duration,
      memorySize: number,
    ): GoxwatchFunction =>
      new GoxwatchFunction(this, id, {
        entry,
        description,
        timeout,
        memorySize,
        environment: withToken,
        // Never two runs of one job at once: a slow run makes the next tick wait (throttle and
        // retry), not race it on the same samples and outbox entries.
        reservedConcurrentExecutions: 1,
      });
    this.functions = {
      // Timeouts stay under the schedule interval (at least 60 s) so a run ends before the next tick.
      price: poller(
        'Price',
        HANDLER_ENTRIES.price,
        'goxwatch: poll prices (ccxt), run drop rules, deliver',
        Duration.seconds(50),
        // ccxt parses JSON and builds large objects; more memory also buys CPU for the cold start.
        512,
      ),
      news: poller(
        'News',
        HANDLER_ENTRIES.news,
        'goxwatch: fetch incident news feeds, deliver',
        Duration.seconds(Math.min(120, config.intervals.newsSeconds - 10)),
        512,
      ),
      delivery: poller(
        'Delivery',
        HANDLER_ENTRIES.delivery,
        'goxwatch: drain the Discord outbox',
        Duration.seconds(60),
        256,
      ),
      // The on-chain watch (lambdas/handlers/chain.ts): NIS1 reads of every watched account.
      chain: poller(
        'Chain',
        HANDLER_ENTRIES.chain,
        'goxwatch: poll watched NEM accounts, follow the money, drain alert, deliver',
        Duration.seconds(50),
        256,
      ),
      interactions: new GoxwatchFunction(this, 'Interactions', {
        entry: HANDLER_ENTRIES.interactions,
        description: 'goxwatch: Discord interactions endpoint (slash commands)',
        // Discord wants the answer within 3 s; a command still running at 2 s is stopped and handed
        // to the worker. Whatever happens, the invocation is over long before Discord gives up.
        timeout: Duration.seconds(5),
        // CPU scales with memory: the cold start is on the 3 s clock.
        memorySize: 512,
        environment: {
          ...common,
          ...(props.discordPublicKey ? { [ENV.discordPublicKey]: props.discordPublicKey } : {}),
          [ENV.workerFunction]: worker.functionName,
        },
      }),
      interactionsWorker: worker,
    };

    // ---- Least-privilege IAM: explicit actions on the table and its one index, no wildcards.
    const indexArn = `${this.table.tableArn}/index/${TABLE.gsi1.name}`;
    for (const name of ['price', 'news', 'delivery', 'chain'] as const) {
      const fn = this.functions[name];
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'TableReadWrite',
          actions: [
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            // Store.putAll: a price poll's samples, quotes, health and consensus, a news run's 304s.
            'dynamodb:BatchWriteItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:Query',
          ],
          resources: [this.table.tableArn],
        }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({ sid: 'IndexQuery', actions: ['dynamodb:Query'], resources: [indexArn] }),
      );
      fn.addToRolePolicy(this.readParameter(this.botTokenParameter));
    }
    const interactions = this.functions.interactions;
    // The endpoint and its worker run the same commands on the same table.
    for (const fn of [interactions, worker]) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'TableRead',
          actions: ['dynamodb:GetItem', 'dynamodb:Query'],
          resources: [this.table.tableArn, indexArn],
        }),
      );
      // Slash commands change subscriptions, refund stages and the seen-interaction records only:
      // writes are limited to those partitions (IAM checks every written item's partition key).
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'CommandWrites',
          actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          resources: [this.table.tableArn],
          conditions: {
            'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': interactionsWritablePartitions(config) },
          },
        }),
      );
    }
    // The hand-off: the endpoint may invoke the worker, that one function (not its versions or
    // aliases, not any other function), and nothing else.
    interactions.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'HandOffToWorker',
        actions: ['lambda:InvokeFunction'],
        resources: [worker.functionArn],
      }),
    );
    // Lambda retries a failed worker event twice, then it lands in the worker's dead-letter queue.
    worker.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.minutes(WORKER_MAX_EVENT_AGE_MINUTES),
      onFailure: new SqsDestination(this.workerDeadLetters),
    });

    // ---- Async failure handling for the scheduled functions. A failed or throttled tick is not
    // retried by Lambda: the next tick is the retry (the jobs are idempotent and rules run on the
    // stored series). An event older than one interval is superseded and goes to the DLQ.
    const onFailure = new SqsDestination(this.deadLetters);
    const scheduled: [HandlerName, number][] = [
      ['price', priceMinutes],
      ['news', newsMinutes],
      ['delivery', deliveryMinutes],
      ['chain', chainMinutes],
    ];
    for (const [name, minutes] of scheduled) {
      const fn = this.functions[name];
      fn.configureAsyncInvoke({
        retryAttempts: 0,
        maxEventAge: Duration.minutes(Math.max(1, minutes)),
        onFailure,
      });
      new events.Rule(this, `${fn.node.id}Schedule`, {
        description: `goxwatch ${name} every ${minutes} min`,
        schedule: events.Schedule.rate(Duration.minutes(minutes)),
        targets: [
          new targets.LambdaFunction(fn, {
            deadLetterQueue: this.deadLetters,
            retryAttempts: 2,
            maxEventAge: Duration.minutes(Math.max(1, minutes)),
          }),
        ],
      });
    }

    // ---- Interactions endpoint: a Function URL with auth NONE (docs/adr/0006). Discord cannot sign
    // with SigV4; the handler verifies Discord's Ed25519 signature on every request instead.
    // BUFFERED: deferred work goes to the worker by async invoke (docs/adr/0008).
    this.functionUrl = interactions.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: INTERACTIONS_INVOKE_MODE,
    });

    // ---- Alarms and dashboard.
    this.alarmTopic = new sns.Topic(this, 'Alarms', { displayName: 'goxwatch alarms', enforceSSL: true });
    // No KMS key on the topic: notifications carry only alarm names and states, and CloudWatch
    // cannot publish to a topic encrypted with the AWS-managed SNS key (a customer key costs $1/month).
    if (props.alarmEmail) this.alarmTopic.addSubscription(new subs.EmailSubscription(props.alarmEmail));
    const monitored = {
      functions: this.functions,
      alarmTopic: this.alarmTopic,
      deadLetters: this.deadLetters,
      workerDeadLetters: this.workerDeadLetters,
    };
    const alarms = addAlarms(this, monitored, { config, priceMinutes });
    if (props.dashboard ?? true) addDashboard(this, monitored, alarms);

    new CfnOutput(this, 'InteractionsUrl', {
      value: this.functionUrl.url,
      description: 'Paste into Discord developer portal > General Information > Interactions Endpoint URL',
    });
    new CfnOutput(this, 'BotTokenParameter', {
      value: this.botTokenParameter,
      description: 'aws ssm put-parameter --type SecureString --name <this> (docs/deploy.md)',
    });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetters.queueUrl });
    new CfnOutput(this, 'WorkerDeadLetterQueueUrl', { value: this.workerDeadLetters.queueUrl });
  }

  /**
   * ssm:GetParameter on one parameter, by name: the runtime needs nothing else (no GetParameters
   * by path, no Describe). Decryption with the AWS-managed aws/ssm key needs no KMS statement: that
   * key's policy lets the account's principals use it through SSM.
   */
  private readParameter(name: string): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['ssm:GetParameter'],
      resources: [
        this.formatArn({
          service: 'ssm',
          resource: 'parameter',
          // The name's leading slash is the ARN's separator.
          resourceName: name.replace(/^\//, ''),
        }),
      ],
    });
  }
}
