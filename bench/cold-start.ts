import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { NODE_TARGET, PROJECT_ROOT } from '../lib/goxwatch-function';
import { buildCommandInteraction, publicKeyHex, signInteraction } from '../local/dev-client';
import { startEmbeddedDynamo } from '../local/embedded-dynamo';
import { MINUTE, systemClock } from '../lambdas/domain/clock';
import { sourceIdOf } from '../lambdas/domain/consensus';
import { PriceRepo } from '../lambdas/store/price-repo';
import { Store, dynamoClient } from '../lambdas/store/store';
import { startLoopbackServer } from '../testkit/loopback';
import { AWSLAMBDA_GLOBAL_JS, loadEnv, median } from './bundles';

/**
 * The interactions bundle's cold start, split (issue 15): the full require as the goal row
 * measures it; the runtime SDK clients it requires at load, alone (the floor: the Lambda runtime
 * provides them, so no bundling choice of ours removes them); our bundle with those already
 * loaded (what is ours); and the cold first response, require + the handler answering one signed
 * /price, each in a fresh node process as a new Lambda instance would.
 */
export interface ColdStartSplit {
  /** The @aws-sdk/* modules the bundle requires while it loads. */
  sdkModules: string[];
  fullMs: number;
  sdkMs: number;
  oursMs: number;
  firstResponseMs: number;
  /** The alternative not deployed: the same entry with the DynamoDB client bundled in. */
  sdkBundled: { bytes: number; fullMs: number };
}

// Each script runs in a fresh process and prints one number (milliseconds) or a JSON list.
const SCRIPTS = {
  /** The runtime SDK modules required while the bundle loads (lazy requires are not among them). */
  discover:
    AWSLAMBDA_GLOBAL_JS +
    `const M=require('node:module');const seen=new Set();const load=M._load;let depth=0;
M._load=function(r,...a){const sdk=r.startsWith('@aws-sdk/');if(sdk&&!depth)seen.add(r);depth+=sdk;
try{return load.call(this,r,...a)}finally{depth-=sdk}};
require(process.argv[1]);process.stdout.write(JSON.stringify([...seen]))`,
  sdk: `const t=process.hrtime.bigint();for(const m of process.argv.slice(1))require(m);
process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`,
  ours:
    AWSLAMBDA_GLOBAL_JS +
    `for(const m of process.argv.slice(2))require(m);const t=process.hrtime.bigint();require(process.argv[1]);
process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`,
  full:
    AWSLAMBDA_GLOBAL_JS +
    `const t=process.hrtime.bigint();require(process.argv[1]);
process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`,
  respond:
    AWSLAMBDA_GLOBAL_JS +
    `const t=process.hrtime.bigint();const {handler}=require(process.argv[1]);
handler(JSON.parse(process.argv[2]),{getRemainingTimeInMillis:()=>5000}).then((r)=>{
if(r.statusCode!==200)throw new Error('HTTP '+r.statusCode+' '+r.body);
process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));process.exit(0)})`,
};

function run(script: keyof typeof SCRIPTS, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', SCRIPTS[script], ...args],
      { env, timeout: 60_000 },
      (err, out, stderr) => {
        if (err) reject(new Error(`cold start (${script}) failed: ${stderr.slice(-2000)}`));
        else resolve(out);
      },
    );
  });
}

/** A Lambda Function URL (payload 2.0) event carrying a signed interaction, as Discord sends it. */
function functionUrlEvent(body: string, headers: Record<string, string>): Record<string, unknown> {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    requestContext: { http: { method: 'POST', path: '/' }, timeEpoch: Date.now() },
    body,
    isBase64Encoded: false,
  };
}

/**
 * `file` is the synthesized Interactions bundle; `env` resolves the runtime's SDK (NODE_PATH).
 * The first response runs against an in-memory dynalite holding a day of hourly XEM/JPY
 * consensus and a loopback Lambda API that accepts the hand-off (HTTP 202), so it includes the
 * DynamoDB client's first requests and the lazy load of the Lambda client for the hand-off.
 */
/**
 * The alternative the goal rules out, measured so the trade shows: the Interactions entry bundled
 * as GoxwatchFunction bundles it (minified, source maps, node target) but with the DynamoDB client
 * inside, tree-shaken from the SDK's ES modules; the clients required lazily (Lambda, SSM) stay
 * external. Returns the bundle file and its size.
 */
async function bundleWithSdk(dir: string): Promise<{ file: string; bytes: number }> {
  const file = join(dir, 'index.js');
  await build({
    entryPoints: [join(PROJECT_ROOT, 'lambdas/handlers/interactions.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: NODE_TARGET,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/client-lambda', '@aws-sdk/client-ssm'],
    outfile: file,
    logLevel: 'silent',
  });
  return { file, bytes: statSync(file).size };
}

export async function benchColdStart(
  file: string,
  env: NodeJS.ProcessEnv,
  runs = 5,
): Promise<ColdStartSplit> {
  const sdkModules = JSON.parse(await run('discover', [file], env)) as string[];
  const times = { full: [] as number[], sdk: [] as number[], ours: [] as number[], respond: [] as number[] };
  for (let i = 0; i < runs; i++) {
    times.full.push(Number(await run('full', [file], env)));
    times.sdk.push(Number(await run('sdk', sdkModules, env)));
    times.ours.push(Number(await run('ours', [file, ...sdkModules], env)));
  }
  const withSdkDir = mkdtempSync(join(tmpdir(), 'goxwatch-sdk-bundled-'));
  const withSdk = await bundleWithSdk(withSdkDir);
  const withSdkMs: number[] = [];
  try {
    for (let i = 0; i < runs; i++) withSdkMs.push(Number(await run('full', [withSdk.file], env)));
  } finally {
    rmSync(withSdkDir, { recursive: true, force: true });
  }
  const dynamo = await startEmbeddedDynamo();
  const lambdaApi = await startLoopbackServer((_req, res) => void res.writeHead(202).end());
  try {
    const now = Date.now();
    const store = new Store(dynamoClient(dynamo.endpoint), 'goxwatch-bench', systemClock);
    await store.ensureTable();
    const prices = new PriceRepo(store, systemClock);
    for (let h = 24; h >= 0; h--) {
      const at = now - h * 60 * MINUTE;
      const q = {
        sourceId: sourceIdOf('zaif', 'XEM/JPY'),
        exchange: 'zaif',
        symbol: 'XEM/JPY',
        price: 120 - h,
      };
      const quote = { ...q, timestamp: at, fetchedAt: at };
      await prices.putConsensus({ symbol: 'XEM/JPY', price: q.price, used: [quote], dropped: [] }, at, 35);
      if (h === 0) await prices.putSample(quote, 35);
    }
    const { privateKey } = generateKeyPairSync('ed25519');
    const respondEnv: NodeJS.ProcessEnv = {
      ...loadEnv(),
      ...env,
      STORE_ENDPOINT: dynamo.endpoint,
      LAMBDA_ENDPOINT: lambdaApi.baseUrl,
      GOXWATCH_WORKER_FUNCTION: 'goxwatch-bench-worker',
      DISCORD_PUBLIC_KEY: publicKeyHex(privateKey),
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
    };
    for (let i = 0; i < runs; i++) {
      // A new interaction id each time: the endpoint answers a repeated one as a duplicate.
      const body = JSON.stringify(buildCommandInteraction(['price']));
      const event = functionUrlEvent(body, signInteraction(body, privateKey, Date.now()));
      times.respond.push(Number(await run('respond', [file, JSON.stringify(event)], respondEnv)));
    }
  } finally {
    await Promise.all([dynamo.close(), lambdaApi.close()]);
  }
  const m = (v: number[]) => Math.round(median(v) * 10) / 10;
  return {
    sdkModules,
    fullMs: m(times.full),
    sdkMs: m(times.sdk),
    oursMs: m(times.ours),
    firstResponseMs: m(times.respond),
    sdkBundled: { bytes: withSdk.bytes, fullMs: m(withSdkMs) },
  };
}
