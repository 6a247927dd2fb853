import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AWSLAMBDA_GLOBAL_JS,
  bundleSources,
  findLambdaBundles,
  type LambdaBundle,
} from '../../bench/bundles';
import { JobRuns } from '../../lambdas/store/job-runs';
import { Outbox } from '../../lambdas/store/outbox';
import { systemClock } from '../../lambdas/domain/clock';
import {
  COINCHECK_NEM_2018,
  DEFAULT_CONFIG,
  DEFAULT_NEM_CHAIN,
  type Config,
} from '../../lambdas/domain/config';
import { startNemNode, type NemNode } from '../../testkit/nem-server';
import { buildAnnouncement } from '../support/announcements';
import { startDiscordServer, type DiscordServer } from '../../testkit/discord-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { LoopbackExchanges } from '../../testkit/exchange-server';
import { startFeedServer, type FeedServer } from '../../testkit/feed-server';
import { INTERACTIONS_INVOKE_MODE } from '../../lib/goxwatch-stack';
import { synthApp } from '../../testkit/synth';
import { buildCommandInteraction } from '../../local/dev-client';
import { PriceRepo } from '../../lambdas/store/price-repo';
import { seedConsensus } from '../support/interaction-fixtures';
import { startFollowUpRecorder, type FollowUpRecorder } from '../support/followup-recorder';
import {
  startLambdaInvokeRecorder,
  startSlowDynamoProxy,
  type LambdaInvokeRecorder,
} from '../support/lambda-invoke-recorder';
import { decodePng } from '../support/png';

/**
 * The deployable artifact itself: each Lambda bundle from the synthesized cloud assembly is copied
 * out of the repository (so nothing resolves from our node_modules), loaded in a fresh node process
 * with only what the Lambda runtime provides on NODE_PATH (the @aws-sdk/client-* packages), and its
 * handler is invoked with a real-shaped event against loopback servers and dynalite. A module that
 * esbuild left out (ccxt's lazy requires, protobufjs, ...) fails here, not in AWS.
 */

const ROOT = resolve(__dirname, '..', '..');
const CHANNEL = '123456789012345678';
const FEED_PATH = '/fixtures/incident/coincheck-ja.rss.xml';

interface Invocation {
  ok: boolean;
  /** How the handler answered: returned a value, or streamed (awslambda.streamifyResponse). */
  mode?: 'BUFFERED' | 'RESPONSE_STREAM';
  /** The returned value, or for a streamed response its prelude plus body. */
  result?: unknown;
  /**
   * What still kept the process's event loop alive right after the handler returned
   * (process.getActiveResourcesInfo(), stdio pipes left out): work that would run on after the
   * invocation, which Lambda may freeze mid-way.
   */
  leftRunning?: string[];
  error?: string;
  stdout: string;
  stderr: string;
}

// Mimics the Lambda Node runtime's bootstrap: the `awslambda` global (AWSLAMBDA_GLOBAL_JS), then
// require the bundle, invoke it (a streaming handler with a collecting stream), report (with what
// is still pending: timers, sockets, requests), and exit right away as Lambda freezes the process
// after the invocation.
const RUNNER = `
const { readFileSync } = require('node:fs');
const { Writable } = require('node:stream');
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
${AWSLAMBDA_GLOBAL_JS}
const [file, eventFile, name, timeoutMs] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const deadline = Date.now() + Number(timeoutMs);
const context = {
  functionName: name, functionVersion: '$LATEST', memoryLimitInMB: '512',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:' + name,
  awsRequestId: require('node:crypto').randomUUID(), logGroupName: '/aws/lambda/' + name,
  logStreamName: 'smoke', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
const report = (tag, value) => { process.stdout.write('\\n' + tag + JSON.stringify(value === undefined ? null : value) + '\\n'); };
Promise.resolve()
  .then(() => {
    const handler = require(file).handler;
    if (handler[STREAMING] !== 'response') return handler(event, context).then((value) => ({ mode: 'BUFFERED', value }));
    const chunks = [];
    let streamed;
    const stream = new Writable({ write(chunk, _enc, cb) { chunks.push(Buffer.from(chunk)); cb(); } });
    stream.on('finish', () => {
      const all = Buffer.concat(chunks);
      const cut = all.indexOf(Buffer.alloc(8));
      const prelude = cut >= 0 ? JSON.parse(all.subarray(0, cut).toString()) : {};
      streamed = { ...prelude, body: all.subarray(cut >= 0 ? cut + 8 : 0).toString() };
    });
    return Promise.resolve(handler(event, stream, context)).then(() => ({ mode: 'RESPONSE_STREAM', value: streamed }));
  })
  .then(
    (r) => {
      // One turn for anything the handler's own settling scheduled (socket teardown), then look.
      setImmediate(() => {
        const leftRunning = process.getActiveResourcesInfo().filter((k) => k !== 'PipeWrap' && k !== 'TTYWrap');
        report('@@RESULT@@', { ...r, leftRunning });
        process.exit(0);
      });
    },
    (e) => { report('@@ERROR@@', String((e && e.stack) || e)); process.exit(1); },
  );
`;

let work: string;
let outdir: string;
let bundles: LambdaBundle[];
let runtimeModules: string;
let store: TestStore;
let exchanges: LoopbackExchanges;
let discord: DiscordServer;
let feeds: FeedServer;
let nemNode: NemNode;
let config: Config;
let keys: { publicKey: KeyObject; privateKey: KeyObject; hex: string };
let lambdaApi: LambdaInvokeRecorder;
let followUps: FollowUpRecorder;
let slowDynamo: Awaited<ReturnType<typeof startSlowDynamoProxy>>;
/** Longer than the endpoint's 2 s budget: a /price whose reads hang. */
const SLOW_QUERY_MS = 4_000;

beforeAll(async () => {
  outdir = synthApp().outdir;
  bundles = findLambdaBundles(outdir);
  work = mkdtempSync(join(tmpdir(), 'goxwatch-smoke-'));
  writeFileSync(join(work, 'runner.cjs'), RUNNER);
  // What the Lambda runtime provides: the AWS SDK v3 clients, on NODE_PATH, and nothing else.
  runtimeModules = join(work, 'runtime', 'node_modules');
  mkdirSync(join(runtimeModules, '@aws-sdk'), { recursive: true });
  for (const pkg of readdirSync(join(ROOT, 'node_modules', '@aws-sdk')).filter((p) =>
    p.startsWith('client-'),
  ))
    symlinkSync(join(ROOT, 'node_modules', '@aws-sdk', pkg), join(runtimeModules, '@aws-sdk', pkg));

  store = await startTestStore(systemClock);
  exchanges = await LoopbackExchanges.start(systemClock, ['zaif']);
  exchanges.setPrice('zaif', 'XEM/JPY', 80.5);
  discord = await startDiscordServer();
  feeds = await startFeedServer();
  lambdaApi = await startLambdaInvokeRecorder();
  followUps = await startFollowUpRecorder();
  // Only reads (Query) are slow: the seen-interaction write lands, the /price reads hang.
  slowDynamo = await startSlowDynamoProxy(store.dynamo.endpoint, {
    delayMs: SLOW_QUERY_MS,
    slow: (target) => target.endsWith('.Query'),
  });
  // A day of hourly XEM/JPY consensus for the chart.
  await seedConsensus(new PriceRepo(store.store, systemClock), {
    symbol: 'XEM/JPY',
    now: Date.now(),
    from: 110,
    to: 96,
    points: 25,
    stepMinutes: 60,
    venues: ['zaif'],
  });
  nemNode = await startNemNode({ chain: { transfers: [] } });

  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x ?? '';
  keys = { publicKey, privateKey, hex: Buffer.from(x, 'base64url').toString('hex') };

  config = {
    ...DEFAULT_CONFIG,
    sources: [{ exchange: 'zaif', symbol: 'XEM/JPY', urls: exchanges.urls('zaif') }],
    channels: [{ id: CHANNEL, kinds: ['price', 'news', 'refund'] }],
    feeds: [{ id: 'coinpost', url: feeds.url(FEED_PATH), language: 'ja' }],
    incidents: [{ ...COINCHECK_NEM_2018, feeds: ['coinpost'] }],
    chains: { nem: { ...DEFAULT_NEM_CHAIN, nodes: [nemNode.baseUrl] } },
  };
}, 600_000); // synth and esbuild of every bundle: a safety limit for a loaded machine

afterAll(async () => {
  await Promise.all([
    store?.close(),
    exchanges?.close(),
    discord?.close(),
    feeds?.close(),
    lambdaApi?.close(),
    followUps?.close(),
    slowDynamo?.close(),
    nemNode?.close(),
  ]);
  for (const dir of [work, outdir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

function bundle(name: string): LambdaBundle {
  const found = bundles.find((b) => b.name === name);
  if (!found)
    throw new Error(`no ${name} bundle in the assembly (found ${bundles.map((b) => b.name).join(', ')})`);
  return found;
}

/** Copy the bundle out of the repo, as Lambda unzips it to /var/task, and invoke its handler once. */
function invoke(name: string, event: unknown, env: Record<string, string> = {}): Promise<Invocation> {
  const task = join(work, `task-${name}-${randomUUID()}`);
  cpSync(bundle(name).dir, task, { recursive: true });
  const eventFile = join(task, 'event.json');
  writeFileSync(eventFile, JSON.stringify(event));
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_PATH: runtimeModules,
    NODE_OPTIONS: '--enable-source-maps',
    LAMBDA_TASK_ROOT: task,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'smoke',
    AWS_SECRET_ACCESS_KEY: 'smoke',
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
    GOXWATCH_TABLE: store.store.tableName,
    // lambdas/app/container.ts: the DynamoDB endpoint override, unset in AWS.
    STORE_ENDPOINT: store.dynamo.endpoint,
    GOXWATCH_CONFIG_JSON: JSON.stringify(config),
    DISCORD_API_BASE: discord.apiBase,
    ...env,
  };
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(work, 'runner.cjs'), join(task, 'index.js'), eventFile, name, '30000'],
      { cwd: task, env: childEnv, timeout: 150_000, maxBuffer: 32 * 1024 * 1024 },
      (_err, stdout, stderr) => {
        const result = /\n@@RESULT@@(.*)\n/.exec(stdout);
        const error = /\n@@ERROR@@(.*)\n/.exec(stdout);
        const parsed = result
          ? (JSON.parse(result[1]!) as {
              mode: NonNullable<Invocation['mode']>;
              value: unknown;
              leftRunning: string[];
            })
          : undefined;
        done({
          ok: Boolean(parsed),
          ...(parsed ? { mode: parsed.mode, result: parsed.value, leftRunning: parsed.leftRunning } : {}),
          ...(error
            ? { error: JSON.parse(error[1]!) as string }
            : parsed
              ? {}
              : { error: `no result; stderr: ${stderr}` }),
          stdout,
          stderr,
        });
      },
    );
  });
}

/** An EventBridge scheduled event as the rule delivers it. */
function scheduledEvent(rule: string): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [`arn:aws:events:us-east-1:123456789012:rule/${rule}`],
    detail: {},
  };
}

/** A Lambda Function URL (payload 2.0) POST from Discord, signed with the test key pair. */
function functionUrlEvent(body: string, opts: { badSignature?: boolean } = {}): Record<string, unknown> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signed = opts.badSignature ? `${timestamp}${body} ` : `${timestamp}${body}`;
  const signature = sign(null, Buffer.from(signed), keys.privateKey).toString('hex');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      host: 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws',
      'user-agent': 'Discord-Interactions/1.0 (+https://discord.com)',
      'x-signature-ed25519': signature,
      'x-signature-timestamp': timestamp,
      'x-forwarded-proto': 'https',
      'x-forwarded-for': '127.0.0.1',
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghijklmnopqrstuvwxyz012345',
      domainName: 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abcdefghijklmnopqrstuvwxyz012345',
      http: {
        method: 'POST',
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'Discord-Interactions/1.0 (+https://discord.com)',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body,
    isBase64Encoded: false,
  };
}

const PING = JSON.stringify({
  id: '1187654321098765432',
  application_id: '1187000000000000000',
  type: 1,
  token: 'smoke-interaction-token',
  version: 1,
});

/** The EMF metric lines a handler wrote to stdout (bare JSON objects, lambdas/app/metrics.ts). */
function emf(out: Invocation): Record<string, unknown>[] {
  return out.stdout
    .split('\n')
    .filter((line) => line.startsWith('{"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function lastRun(job: string) {
  return (await new JobRuns(store.store, systemClock).last()).find((r) => r.job === job);
}

describe('Lambda bundles from the cloud assembly, each in a fresh node process', () => {
  it('the assembly holds exactly the six handler bundles', () => {
    expect(bundles.map((b) => b.name)).toEqual([
      'Chain',
      'Delivery',
      'Interactions',
      'InteractionsWorker',
      'News',
      'Price',
    ]);
  });

  it('price: a scheduled event polls the loopback zaif through the bundled ccxt and records the run', async () => {
    const out = await invoke('Price', scheduledEvent('Goxwatch-PriceSchedule'), {
      DISCORD_BOT_TOKEN: discord.token,
    });
    expect(out.error).toBeUndefined();
    expect(exchanges.requestCount('zaif')).toBeGreaterThan(0);
    expect(await lastRun('price')).toMatchObject({ job: 'price', ok: true });
    // The metrics the stack alarms on, as CloudWatch will extract them.
    const [metrics] = emf(out);
    expect(metrics).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'goxwatch', Dimensions: [[]] }] },
      Job: 'price',
      JobsFailing: 0,
      DiscordAuthFailures: 0,
    });
    expect(metrics?.PriceAgeSeconds).toBeLessThan(DEFAULT_CONFIG.rules.maxQuoteAgeSeconds);
  });

  it('news: a scheduled event fetches the loopback feed through the bundled rss-parser and records the run', async () => {
    const out = await invoke('News', scheduledEvent('Goxwatch-NewsSchedule'), {
      DISCORD_BOT_TOKEN: discord.token,
    });
    expect(out.error).toBeUndefined();
    expect(feeds.count(FEED_PATH)).toBeGreaterThan(0);
    expect(await lastRun('news')).toMatchObject({ job: 'news', ok: true });
  });

  it('chain: a scheduled event reads the watched NEM accounts from the loopback node through the bundled reader', async () => {
    const out = await invoke('Chain', scheduledEvent('Goxwatch-ChainSchedule'), {
      DISCORD_BOT_TOKEN: discord.token,
    });
    expect(out.error).toBeUndefined();
    expect(nemNode.hits.get('/account/transfers/outgoing')).toBe(2);
    expect(await lastRun('chain')).toMatchObject({ job: 'chain', ok: true });
    expect(emf(out)).toEqual([expect.objectContaining({ Job: 'chain', JobsFailing: 0 })]);
  });

  it('delivery: a scheduled event posts a pending outbox entry to the loopback Discord once', async () => {
    const outbox = new Outbox(store.store, systemClock);
    const announcement = buildAnnouncement({ key: `smoke:${randomUUID()}` });
    await outbox.enqueue(announcement.key, CHANNEL, 'price', announcement.render('ja'));
    const id = (await outbox.pending()).find((e) => e.messageKey === announcement.key)?.id;
    expect(id).toBeDefined();

    const out = await invoke('Delivery', scheduledEvent('Goxwatch-DeliverySchedule'), {
      DISCORD_BOT_TOKEN: discord.token,
    });
    expect(out.error).toBeUndefined();
    expect(discord.messagesIn(CHANNEL).filter((m) => m.nonce === id)).toHaveLength(1);
    expect((await outbox.get(id!))?.status).toBe('sent');
    expect(emf(out)).toEqual([
      expect.objectContaining({ Job: 'delivery', OutboxPending: 0, JobsFailing: 0 }),
    ]);
  });

  it("interactions: a signed PING through the Function URL event shape answers PONG, in the URL's invoke mode", async () => {
    const out = await invoke('Interactions', functionUrlEvent(PING), { DISCORD_PUBLIC_KEY: keys.hex });
    expect(out.error).toBeUndefined();
    // A streaming handler behind a BUFFERED URL (or the reverse) answers Discord with garbage.
    expect(out.mode).toBe(INTERACTIONS_INVOKE_MODE);
    const response = out.result as { statusCode: number; body: string };
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ type: 1 });
  });

  it('interactions → worker: a slow /price answers type 5, hands off exactly one event and leaves nothing running; the worker edits in the chart', async () => {
    const interaction = buildCommandInteraction(['price']);
    const before = lambdaApi.invokes.length;
    const out = await invoke('Interactions', functionUrlEvent(JSON.stringify(interaction)), {
      DISCORD_PUBLIC_KEY: keys.hex,
      STORE_ENDPOINT: slowDynamo.endpoint,
      LAMBDA_ENDPOINT: lambdaApi.endpoint,
      GOXWATCH_WORKER_FUNCTION: 'Goxwatch-InteractionsWorker',
    });
    expect(out.error).toBeUndefined();
    const response = out.result as { statusCode: number; body: string };
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ type: 5 });
    expect(slowDynamo.held).toBeGreaterThan(0);
    // Exactly one asynchronous invoke of the worker, carrying what the worker needs.
    expect(lambdaApi.invokes.slice(before)).toEqual([
      {
        functionName: 'Goxwatch-InteractionsWorker',
        invocationType: 'Event',
        payload: expect.objectContaining({
          version: 1,
          reason: 'deferred',
          interactionId: interaction.id,
          applicationId: interaction.application_id,
          token: interaction.token,
          command: expect.objectContaining({ name: 'price' }),
        }),
      },
    ]);
    // The stopped /price left no timer, socket or request behind when the handler returned.
    expect(out.leftRunning).toEqual([]);

    const handed = lambdaApi.invokes[before]!.payload;
    const worker = await invoke('InteractionsWorker', handed, { DISCORD_API_BASE: followUps.apiBase });
    expect(worker.error).toBeUndefined();
    expect(worker.mode).toBe('BUFFERED');
    expect(worker.result).toEqual({ outcome: 'edited' });
    expect(worker.leftRunning).toEqual([]);
    const edits = followUps.edits.filter((e) => e.token === interaction.token);
    expect(edits).toHaveLength(1);
    expect(edits[0]!.applicationId).toBe(interaction.application_id);
    expect(edits[0]!.files.map((f) => [f.name, f.type])).toEqual([['chart.png', 'image/png']]);
    expect(decodePng(edits[0]!.files[0]!.data).width).toBe(800);
    const embeds = edits[0]!.payload.embeds as { image?: { url: string } }[];
    expect(embeds[0]?.image?.url).toBe('attachment://chart.png');
    // The answer itself, from the stored consensus (the price test above stored the newest).
    expect(JSON.stringify(edits[0]!.payload)).toMatch(/Consensus: \*\*[\d.]+ JPY\*\* \(zaif\)/);
  });

  it('worker: a reply whose token expired is counted (DeferredRepliesExpired) with its interaction id, nothing edited', async () => {
    const interaction = buildCommandInteraction(['status']);
    const before = followUps.edits.length;
    const expired = {
      version: 1,
      interactionId: interaction.id,
      applicationId: interaction.application_id,
      token: interaction.token,
      receivedAt: Date.now() - 16 * 60_000,
      reason: 'deferred',
      command: { name: 'status', options: [], language: 'en', userId: '1', userName: 'smoke' },
    };
    const out = await invoke('InteractionsWorker', expired, { DISCORD_API_BASE: followUps.apiBase });
    expect(out.error).toBeUndefined();
    expect(out.result).toEqual({ outcome: 'expired' });
    expect(followUps.edits.length).toBe(before);
    expect(emf(out)).toEqual([
      expect.objectContaining({
        Job: 'worker',
        DeferredRepliesExpired: 1,
        Detail: expect.stringContaining(`interaction ${String(interaction.id)}`),
      }),
    ]);
  });

  it('interactions: a PING whose signature does not match the body is refused with 401', async () => {
    const out = await invoke('Interactions', functionUrlEvent(PING, { badSignature: true }), {
      DISCORD_PUBLIC_KEY: keys.hex,
    });
    expect(out.error).toBeUndefined();
    expect((out.result as { statusCode: number }).statusCode).toBe(401);
  });

  it('the interactions bundles (endpoint and worker) stay under 300 KB: no zod, no discord-api-types in the endpoint, the SDK left to the runtime', () => {
    for (const name of ['Interactions', 'InteractionsWorker']) {
      const b = bundle(name);
      // The deployed config was validated at synth and is not validated again (deployed-config.ts).
      expect(bundleSources(b.dir).packages).not.toContain('zod');
      expect(statSync(b.file).size).toBeLessThanOrEqual(300 * 1024);
    }
    // Its values come from lambdas/discord/api-values.ts: evaluating discord-api-types' whole
    // CommonJS tree was most of our share of the cold load (issue 15). The PING test runs it.
    expect(bundleSources(bundle('Interactions').dir).packages).not.toContain('discord-api-types');
  });

  it('the interactions bundle carries neither ccxt nor rss-parser (the pollers do)', () => {
    const packages = (name: string) => bundleSources(bundle(name).dir).packages;
    expect(packages('Interactions')).not.toContain('ccxt');
    expect(packages('Interactions')).not.toContain('rss-parser');
    expect(packages('Price')).toContain('ccxt');
    expect(packages('News')).toContain('rss-parser');
    // Kept external: the runtime provides the SDK clients.
    for (const name of ['Price', 'News', 'Delivery', 'Interactions'])
      expect(packages(name).filter((p) => p.startsWith('@aws-sdk/client-'))).toEqual([]);
  });

  it('no Lambda bundle carries discord.js or its Gateway client: only the local runner loads them', () => {
    expect(bundles.length).toBeGreaterThanOrEqual(4);
    for (const b of bundles) {
      const { packages, files } = bundleSources(b.dir);
      // Sanity: a real bundle with its packages, so an empty source map cannot pass.
      expect(files).toBeGreaterThan(10);
      expect(packages.filter((p) => p === 'discord.js' || p === '@discordjs/ws')).toEqual([]);
    }
  });
});
