import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TABLE } from '../../lambdas/store/table';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import { buildApp } from '../../lib/app';
import { NODE_RUNTIME } from '../../lib/goxwatch-function';
import { scheduleMinutes } from '../../lib/goxwatch-stack';
import { SYNTH_ENV_SECRETS, synthApp, type Synthesized } from '../../testkit/synth';

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
  DeletionPolicy?: string;
  Metadata?: Json;
}
interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Condition?: Json;
}

let synth: Synthesized;
let template: Template;
let json: { Resources: Record<string, Resource>; Outputs: Record<string, Json> };
let templateText: string;

/** The application's public key as the maintainer passes it at deploy (not a secret: ADR 0020). */
const DEPLOYED_PUBLIC_KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

beforeAll(() => {
  synth = synthApp({ discordPublicKey: DEPLOYED_PUBLIC_KEY });
  templateText = readFileSync(join(synth.outdir, 'Goxwatch.template.json'), 'utf8');
  json = JSON.parse(templateText) as typeof json;
  template = Template.fromJSON(json);
}, 600_000); // synth and esbuild of every bundle: a safety limit for a loaded machine

afterAll(() => {
  if (synth) rmSync(synth.outdir, { recursive: true, force: true });
});

function resources(type: string): [string, Resource][] {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

/** The logical id of one of the stack's functions (Price, News, Delivery, Interactions). */
function fnId(name: string): string {
  const found = resources('AWS::Lambda::Function').filter(([id]) =>
    new RegExp(`^${name}[0-9A-F]{8}$`).test(id),
  );
  if (found.length !== 1) throw new Error(`expected one ${name} function, found ${found.length}`);
  return found[0]![0];
}

function fn(name: string): Resource {
  return json.Resources[fnId(name)]!;
}

/** Statements of the policies attached to a function's role. */
function statementsOf(name: string): Statement[] {
  const role = (fn(name).Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return resources('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function actions(s: Statement): string[] {
  return Array.isArray(s.Action) ? s.Action : [s.Action];
}

function refs(value: unknown): string[] {
  return [...JSON.stringify(value).matchAll(/"(?:Ref|Fn::GetAtt)":\s*(?:\["|")([A-Za-z0-9]+)"/g)].map(
    (m) => m[1]!,
  );
}

const TOKEN_PARAMETER = '/goxwatch/Goxwatch/discord-bot-token';

const TABLE_ID = () => resources('AWS::DynamoDB::Table')[0]![0];

describe('goxwatch stack template', () => {
  it('has the table from lambdas/store/table.ts: keys, gsi1, TTL, on-demand, PITR, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: TABLE.gsi1.name,
            KeySchema: [
              { AttributeName: TABLE.gsi1.partitionKey, KeyType: 'HASH' },
              { AttributeName: TABLE.gsi1.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
    });
  });

  it.each([
    ['Price', 50, 512, 1],
    ['News', 120, 512, 1],
    ['Delivery', 60, 256, 1],
    ['Interactions', 5, 512, undefined],
    ['InteractionsWorker', 60, 512, undefined],
  ])(
    '%s runs on the newest Node on arm64 with %i s, %i MB, reserved concurrency %s',
    (name, timeout, memory, reserved) => {
      const props = fn(name).Properties;
      expect(props.Runtime).toBe(NODE_RUNTIME.name);
      expect(NODE_RUNTIME.name).toBe('nodejs24.x');
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.Timeout).toBe(timeout);
      expect(props.MemorySize).toBe(memory);
      expect(props.ReservedConcurrentExecutions).toBe(reserved);
      expect(props.Handler).toBe('index.handler');
      // Its own log group, with retention.
      const logGroupId = refs(props.LoggingConfig)[0]!;
      expect(json.Resources[logGroupId]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
      });
    },
  );

  it('every function gets the table name and the config JSON, and only the parameter name it needs; the endpoint its public key', () => {
    const env = (name: string) => (fn(name).Properties.Environment as { Variables: Json }).Variables;
    for (const name of ['Price', 'News', 'Delivery', 'Interactions', 'InteractionsWorker']) {
      expect(env(name).GOXWATCH_TABLE).toEqual({ Ref: TABLE_ID() });
      expect(JSON.parse(env(name).GOXWATCH_CONFIG_JSON as string)).toEqual(DEFAULT_CONFIG);
    }
    for (const name of ['Price', 'News', 'Delivery']) {
      expect(env(name).DISCORD_TOKEN_PARAMETER).toBe(TOKEN_PARAMETER);
      expect(env(name).DISCORD_PUBLIC_KEY).toBeUndefined();
    }
    // Plain config, so a cold endpoint verifies its first request without reading SSM.
    expect(env('Interactions').DISCORD_PUBLIC_KEY).toBe(DEPLOYED_PUBLIC_KEY);
    expect(env('Interactions').DISCORD_TOKEN_PARAMETER).toBeUndefined();
    // The worker reads no secret at all: webhook edits authenticate with the interaction token.
    expect(
      Object.keys(env('InteractionsWorker')).filter(
        (k) => k.startsWith('DISCORD_') && k !== 'DISCORD_API_BASE',
      ),
    ).toEqual([]);
  });

  it('schedules price every minute and news every 5 minutes (the default config intervals)', () => {
    const rules = resources('AWS::Events::Rule').map(([, r]) => r.Properties);
    const target = (name: string) =>
      rules.filter((r) => refs(r.Targets).includes(fnId(name))).map((r) => r.ScheduleExpression);
    expect(DEFAULT_CONFIG.intervals).toEqual({ priceSeconds: 60, newsSeconds: 300 });
    expect(target('Price')).toEqual(['rate(1 minute)']);
    expect(target('News')).toEqual(['rate(5 minutes)']);
    expect(target('Delivery')).toEqual(['rate(5 minutes)']);
    expect(target('Interactions')).toEqual([]);
    expect(target('Chain')).toEqual(['rate(1 minute)']);
  });

  it('the chain watch: its own function, table access like the other pollers, no public key, one concurrent run', () => {
    const stmts = statementsOf('Chain');
    expect(stmts.flatMap(actions).sort()).toEqual(statementsOf('Price').flatMap(actions).sort());
    expect(
      (fn('Chain').Properties.Environment as { Variables: Json }).Variables.DISCORD_PUBLIC_KEY_SECRET_ARN,
    ).toBeUndefined();
    expect(fn('Chain').Properties.ReservedConcurrentExecutions).toBe(1);
    expect(fn('Chain').Properties.Timeout).toBeLessThan(60);
  });

  it('a config file given with -c config=... sets the schedules; its local store settings stay local', () => {
    const dir = mkdtempSync(join(tmpdir(), 'goxwatch-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...DEFAULT_CONFIG,
        intervals: { priceSeconds: 120, newsSeconds: 900 },
        store: { tableName: 'goxwatch-local', endpoint: 'http://127.0.0.1:8000' },
      }),
    );
    // No bundling for this variant: only the schedule is under test.
    const { stack } = buildApp({ outdir: dir, context: { config: file, 'aws:cdk:bundling-stacks': [] } });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(2 minutes)' });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(15 minutes)' });
    // The local runner's store settings stay local: in AWS the table is the stack's.
    const envs = Object.values(t.findResources('AWS::Lambda::Function')).map(
      (f) => (f as { Properties: { Environment: { Variables: Json } } }).Properties.Environment.Variables,
    );
    expect(envs).toHaveLength(6);
    for (const env of envs)
      expect(JSON.parse(env.GOXWATCH_CONFIG_JSON as string)).not.toHaveProperty('store');
    rmSync(dir, { recursive: true, force: true });
  });

  it('an interval EventBridge cannot express is refused with the field named', () => {
    expect(() => scheduleMinutes('intervals.priceSeconds', 30)).toThrow(
      /intervals\.priceSeconds=30.*multiple of 60/,
    );
    expect(() => scheduleMinutes('intervals.newsSeconds', 90)).toThrow(/intervals\.newsSeconds=90/);
    expect(scheduleMinutes('intervals.newsSeconds', 300)).toBe(5);
  });

  it('exposes interactions through a Function URL with auth NONE and outputs its URL', () => {
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      // Nothing runs after the answer (ADR 0008), so nothing needs a stream.
      InvokeMode: 'BUFFERED',
      TargetFunctionArn: { 'Fn::GetAtt': [fnId('Interactions'), 'Arn'] },
    });
    expect(refs(json.Outputs.InteractionsUrl)).toEqual([resources('AWS::Lambda::Url')[0]![0]]);
  });

  it('sends failed scheduled invocations to the dead-letter queue instead of retrying', () => {
    const [queue] = resources('AWS::SQS::Queue').find(([id]) => id.startsWith('DeadLetters'))!;
    for (const name of ['Price', 'News', 'Delivery']) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId(name) },
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
      });
    }
    for (const [, rule] of resources('AWS::Events::Rule'))
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } } }),
      ]);
  });

  it('ten alarms on ten metrics, one per fault family, each on the app metric with no dimension (ADR 0016)', () => {
    const alarms = resources('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const [topic] = resources('AWS::SNS::Topic')[0]!;
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: topic }]);
    // Within the account's 10 free alarm metrics: no metric math, one metric each.
    expect(alarms).toHaveLength(10);
    for (const a of alarms) expect(a.Metrics).toBeUndefined();
    const app = alarms.filter((a) => a.Namespace === 'goxwatch');
    for (const a of app) expect(a.Dimensions).toBeUndefined();
    const byMetric = Object.fromEntries(app.map((a) => [a.MetricName as string, a]));
    expect(Object.keys(byMetric).sort()).toEqual(
      [
        'DeferredRepliesExpired',
        'DiscordAuthFailures',
        'DiscordCloudflareBans',
        'DiscordInvalidRequests',
        'HandlerErrors',
        'JobsFailing',
        'OutboxPending',
        'PriceAgeSeconds',
      ].sort(),
    );
    expect(byMetric.PriceAgeSeconds).toEqual(
      expect.objectContaining({
        Threshold: DEFAULT_CONFIG.rules.maxQuoteAgeSeconds,
        // A price job that emits nothing is as stale as one that finds no price.
        TreatMissingData: 'breaching',
      }),
    );
    expect(byMetric.OutboxPending).toEqual(expect.objectContaining({ Statistic: 'Minimum', Threshold: 0 }));
    expect(byMetric.JobsFailing).toEqual(expect.objectContaining({ Statistic: 'Maximum', Threshold: 1 }));
    expect(byMetric.HandlerErrors).toEqual(expect.objectContaining({ Period: 900, Threshold: 3 }));
    // Cloudflare: a ban (bare 429) alarms at once; invalid answers alarm at 500 per 10 minutes.
    expect(byMetric.DiscordCloudflareBans).toEqual(expect.objectContaining({ Threshold: 1 }));
    expect(byMetric.DiscordInvalidRequests).toEqual(expect.objectContaining({ Period: 600, Threshold: 500 }));
    expect(byMetric.DiscordAuthFailures).toEqual(expect.objectContaining({ Threshold: 1 }));
    expect(byMetric.DeferredRepliesExpired).toEqual(expect.objectContaining({ Threshold: 1 }));
    // No per-function AWS/Lambda alarm: the handlers count their own errors (lambdas/app/metrics.ts).
    expect(alarms.filter((a) => a.Namespace === 'AWS/Lambda')).toEqual([]);
    // The shared dead letters at 10; the worker's at its first: each one is a member left unanswered.
    expect(
      alarms
        .filter((a) => a.Namespace === 'AWS/SQS')
        .map((a) => [refs(a.Dimensions)[0]?.replace(/[0-9A-F]{8}$/, ''), a.Threshold])
        .sort(),
    ).toEqual([
      ['DeadLetters', 10],
      ['WorkerDeadLetters', 1],
    ]);
  });

  describe('deferred work (ADR 0008)', () => {
    it("the endpoint's role may invoke only the worker, and the worker's name is all it is told", () => {
      const invokes = statementsOf('Interactions').filter((s) =>
        actions(s).some((a) => a.startsWith('lambda:')),
      );
      expect(invokes).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [fnId('InteractionsWorker'), 'Arn'] },
        }),
      ]);
      const env = (fn('Interactions').Properties.Environment as { Variables: Json }).Variables;
      expect(env.GOXWATCH_WORKER_FUNCTION).toEqual({ Ref: fnId('InteractionsWorker') });
      // No other function may be invoked by anyone in the stack.
      for (const name of ['Price', 'News', 'Delivery', 'InteractionsWorker'])
        expect(
          statementsOf(name)
            .flatMap(actions)
            .filter((a) => a.startsWith('lambda:')),
        ).toEqual([]);
    });

    it('the worker has its own timeout, retries inside the token lifetime and its own dead-letter queue', () => {
      const worker = fn('InteractionsWorker').Properties;
      expect(worker.Timeout).toBe(60);
      const [workerQueue] = resources('AWS::SQS::Queue').find(([id]) => id.startsWith('WorkerDeadLetters'))!;
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId('InteractionsWorker') },
        MaximumRetryAttempts: 2,
        // Under the 15-minute interaction token: a retry never starts after the token is gone.
        MaximumEventAgeInSeconds: 600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [workerQueue, 'Arn'] } } },
      });
      // The destination write is the worker's only SQS right; it reads no secret and has no URL.
      expect(
        statementsOf('InteractionsWorker')
          .flatMap(actions)
          .filter((a) => !a.startsWith('dynamodb:'))
          .sort(),
      ).toEqual(
        [
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:SendMessage',
        ].sort(),
      );
      expect(resources('AWS::Lambda::Url').map(([, u]) => refs(u.Properties.TargetFunctionArn)[0])).toEqual([
        fnId('Interactions'),
      ]);
    });
  });

  it('-c dashboard=false leaves the dashboard out and keeps every alarm', () => {
    const { stack } = buildApp({ context: { dashboard: 'false', 'aws:cdk:bundling-stacks': [] } });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    t.resourceCountIs('AWS::CloudWatch::Alarm', resources('AWS::CloudWatch::Alarm').length);
  });

  it('has a dashboard showing the goxwatch metrics and the alarms', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(resources('AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody);
    for (const metric of [
      'PriceAgeSeconds',
      'OutboxPending',
      'JobsFailing',
      'HandlerErrors',
      'DiscordAuthFailures',
    ])
      expect(body).toContain(metric);
    expect(body).toContain('alarms');
  });

  describe('least-privilege IAM', () => {
    const allStatements = () =>
      resources('AWS::IAM::Policy').flatMap(
        ([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
      );

    it('no wildcard action or resource, and no managed policies', () => {
      for (const s of allStatements()) {
        for (const a of actions(s)) expect(a).not.toContain('*');
        expect(JSON.stringify(s.Resource)).not.toMatch(/"\*"|:\*"|\/\*"/);
      }
      for (const [, role] of resources('AWS::IAM::Role'))
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('table access is scoped to the table and its gsi1 index', () => {
      const table = TABLE_ID();
      for (const s of allStatements().filter((st) => actions(st).some((a) => a.startsWith('dynamodb:')))) {
        const targets = (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map((r) => JSON.stringify(r));
        for (const t of targets)
          expect([
            JSON.stringify({ 'Fn::GetAtt': [table, 'Arn'] }),
            JSON.stringify({
              'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, `/index/${TABLE.gsi1.name}`]],
            }),
          ]).toContain(t);
      }
    });

    it('secret reads are ssm:GetParameter on exactly the parameter each function needs, by name', () => {
      const reads = (name: string) =>
        statementsOf(name)
          .filter((s) => actions(s).some((a) => /^(ssm|kms|secretsmanager):/.test(a)))
          .map((s) => ({ actions: actions(s), on: JSON.stringify(s.Resource) }));
      const arnOf = (parameter: string) =>
        expect.stringMatching(new RegExp(`:parameter${parameter}"\\]\\]\\}$`));
      for (const name of ['Price', 'News', 'Delivery'])
        expect(reads(name)).toEqual([{ actions: ['ssm:GetParameter'], on: arnOf(TOKEN_PARAMETER) }]);
      // The endpoint's public key is config (ADR 0020); neither it nor its worker reads a secret.
      expect(reads('Interactions')).toEqual([]);
      expect(reads('InteractionsWorker')).toEqual([]);
    });

    it('interactions reads the table and writes only the partitions its commands own', () => {
      const dynamo = statementsOf('Interactions').filter((s) =>
        actions(s).some((a) => a.startsWith('dynamodb:')),
      );
      const writes = dynamo.filter((s) =>
        actions(s).some((a) => !['dynamodb:GetItem', 'dynamodb:Query'].includes(a)),
      );
      expect(writes).toHaveLength(1);
      expect(actions(writes[0]!).sort()).toEqual([
        'dynamodb:DeleteItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
      expect(writes[0]!.Condition).toEqual({
        'ForAllValues:StringEquals': {
          'dynamodb:LeadingKeys': [
            'SUB',
            'CHANNEL#DISABLED',
            'INTERACTION',
            'GUILDFEED',
            'REFUND#coincheck-nem-2018',
          ],
        },
      });
      expect(dynamo.flatMap(actions).some((a) => /Batch|Scan|Transact|Table/.test(a))).toBe(false);
      // Nothing else: no SQS, no other log group, invoke rights on the worker only (tested above).
      expect([...new Set(statementsOf('Interactions').flatMap(actions))].sort()).toEqual(
        [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
          'lambda:InvokeFunction',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
        ].sort(),
      );
    });
  });

  describe('secrets', () => {
    it('the stack creates no secret and no parameter (the maintainer puts the token SecureString), and no paid secret store', () => {
      expect(resources('AWS::SecretsManager::Secret')).toEqual([]);
      expect(resources('AWS::SSM::Parameter')).toEqual([]);
      expect(json.Outputs.BotTokenParameter?.Value).toBe(TOKEN_PARAMETER);
    });

    it('a public key that is not a real Ed25519 key fails the synth, naming the context key', () => {
      expect(() => buildApp({ context: { discordPublicKey: '00'.repeat(32) } })).toThrow(
        /-c discordPublicKey: DISCORD_PUBLIC_KEY is a small-order Ed25519 point/,
      );
      expect(() => buildApp({ context: { discordPublicKey: 'abc' } })).toThrow(/not 32 bytes of hex/);
    });

    it('no secret value reaches the template: not the env token present at synth, nothing token-shaped', () => {
      for (const value of Object.values(SYNTH_ENV_SECRETS)) expect(templateText).not.toContain(value);
      // Discord bot tokens: base64 user id . timestamp . HMAC.
      expect(templateText).not.toMatch(/[MNO][A-Za-z\d_-]{23,28}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}/);
      for (const [, f] of resources('AWS::Lambda::Function')) {
        const names = Object.keys((f.Properties.Environment as { Variables: Json }).Variables);
        // DISCORD_PUBLIC_KEY is the one exception: public by definition (ADR 0020).
        expect(names.filter((n) => /TOKEN$|SECRET$/.test(n))).toEqual([]);
      }
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('reports no unacknowledged finding (synth would have failed) and the validation report is clean', () => {
      expect(new AwsSolutionsChecks().validateScope(synth.stack)).toEqual({ success: true, violations: [] });
      const report = JSON.parse(readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: { conclusion: string }[];
      };
      expect(report.pluginReports.filter((r) => r.conclusion !== 'success')).toEqual([]);
    });

    it('every acknowledgement names its rule and carries a specific reason', () => {
      const acks = synth.stack.node
        .findAll()
        .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
        .flatMap((m) => Object.entries(m.data as Record<string, string>));
      // Recorded as "<namespace>::<rule>"; the README's unqualified form is the one cdk-nag's own
      // validateScope also honours.
      expect(acks.map(([id]) => id.split('::').pop()).sort()).toEqual([
        'AwsSolutions-SQS3',
        'AwsSolutions-SQS3',
      ]);
      for (const [, reason] of acks) expect(reason.length).toBeGreaterThan(80);
    });

    it('the checks are live: an unacknowledged finding fails synth', () => {
      const outdir = mkdtempSync(join(tmpdir(), 'goxwatch-nag-'));
      const app = new App({ outdir });
      const stack = new Stack(app, 'NagProbe');
      new sqs.Queue(stack, 'PlainQueue');
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
      rmSync(outdir, { recursive: true, force: true });
    });
  });

  it('outputs what the maintainer needs after deploy', () => {
    expect(Object.keys(json.Outputs).sort()).toEqual(
      [
        'AlarmTopicArn',
        'BotTokenParameter',
        'DeadLetterQueueUrl',
        'InteractionsUrl',
        'TableName',
        'WorkerDeadLetterQueueUrl',
      ].sort(),
    );
  });
});
