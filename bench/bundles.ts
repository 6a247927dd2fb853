import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG } from '../lambdas/domain/config';

/** One Lambda's bundle in a synthesized cloud assembly (cdk.out). */
export interface LambdaBundle {
  /** Construct id of the function: Price, News, Delivery, Interactions. */
  name: string;
  /** The asset directory (what Lambda unzips to /var/task). */
  dir: string;
  /** The bundled entry, `<dir>/index.js`. */
  file: string;
}

interface TemplateResource {
  Type: string;
  Properties?: { Code?: { S3Key?: unknown } };
  Metadata?: Record<string, unknown>;
}

interface AssetManifest {
  files?: Record<string, { source: { path?: string } }>;
}

/**
 * Every Lambda bundle in an assembly: each stack's AWS::Lambda::Function resources, their code's
 * S3 key (`<asset hash>.zip`) looked up in the stack's asset manifest, which names the asset dir.
 */
export function findLambdaBundles(dir: string): LambdaBundle[] {
  // Absolute, so the paths work as require() arguments from any cwd.
  const assemblyDir = resolve(dir);
  const manifest = JSON.parse(readFileSync(join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const bundles: LambdaBundle[] = [];
  for (const [artifactId, artifact] of Object.entries(manifest.artifacts ?? {})) {
    const templateFile = artifact.properties?.templateFile;
    if (artifact.type !== 'aws:cloudformation:stack' || !templateFile) continue;
    const template = JSON.parse(readFileSync(join(assemblyDir, templateFile), 'utf8')) as {
      Resources?: Record<string, TemplateResource>;
    };
    const assetsFile = join(assemblyDir, `${artifactId}.assets.json`);
    const assets = existsSync(assetsFile)
      ? (JSON.parse(readFileSync(assetsFile, 'utf8')) as AssetManifest)
      : {};
    for (const [logicalId, res] of Object.entries(template.Resources ?? {})) {
      const key = res.Properties?.Code?.S3Key;
      if (res.Type !== 'AWS::Lambda::Function' || typeof key !== 'string') continue;
      const hash = key.replace(/\.zip$/, '');
      const path = assets.files?.[hash]?.source.path;
      if (!path)
        throw new Error(`${templateFile}: ${logicalId} code ${key} is not in ${artifactId}.assets.json`);
      const dir = join(assemblyDir, path);
      const cdkPath = res.Metadata?.['aws:cdk:path'];
      // "Goxwatch/Price/Resource" -> Price; without path metadata, the logical id minus its hash.
      const name =
        typeof cdkPath === 'string'
          ? (cdkPath.split('/')[1] ?? logicalId)
          : logicalId.replace(/[0-9A-F]{8}$/, '');
      bundles.push({ name, dir, file: join(dir, 'index.js') });
    }
  }
  return bundles.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The npm packages compiled into a bundle, read from its source map's `sources` (paths such as
 * ../../node_modules/ccxt/dist/cjs/src/zaif.js). Our own files are left out.
 */
export function bundleSources(dir: string): { packages: string[]; files: number } {
  const map = JSON.parse(readFileSync(join(dir, 'index.js.map'), 'utf8')) as { sources?: string[] };
  const sources = map.sources ?? [];
  const packages = new Set<string>();
  for (const source of sources) {
    // The innermost node_modules names the package (nested installs included).
    const at = source.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const [scope = '', name = ''] = source.slice(at + 'node_modules/'.length).split('/');
    packages.add(scope.startsWith('@') ? `${scope}/${name}` : scope);
  }
  return { packages: [...packages].sort(), files: sources.length };
}

/** Env a bundle may read at load time; no secrets and no endpoint, so nothing is contacted. */
export function loadEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    // As the stack sets it (lib/goxwatch-function.ts): reading the source map costs load time too.
    NODE_OPTIONS: '--enable-source-maps',
    GOXWATCH_TABLE: 'goxwatch-bench',
    GOXWATCH_CONFIG_JSON: JSON.stringify(DEFAULT_CONFIG),
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
  };
}

/**
 * The Lambda Node runtime's `awslambda` global, as its runtime interface client defines it: a
 * streaming handler is marked with Symbol.for('aws.lambda.runtime.handler.streaming') = 'response'
 * and called with (event, responseStream, context); HttpResponseStream.from writes the HTTP prelude
 * as JSON followed by 8 NUL bytes. Bundles that call streamifyResponse at load need it outside Lambda.
 */
export const AWSLAMBDA_GLOBAL_JS = `
globalThis.awslambda = {
  streamifyResponse: (fn) => { fn[Symbol.for('aws.lambda.runtime.handler.streaming')] = 'response'; return fn; },
  HttpResponseStream: { from: (stream, prelude) => {
    stream.write(Buffer.concat([Buffer.from(JSON.stringify(prelude)), Buffer.alloc(8)]));
    return stream;
  } },
};
`;

// Runs in the fresh process: time only the require, not node's own start-up.
const LOAD_SCRIPT =
  AWSLAMBDA_GLOBAL_JS +
  'const t=process.hrtime.bigint();require(process.argv[1]);' +
  'process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';

/** Milliseconds to require `file` in a fresh node process (its own start-up excluded). */
export function coldLoadMs(file: string, env: NodeJS.ProcessEnv = loadEnv()): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', LOAD_SCRIPT, file], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`loading ${file} failed: ${stderr.slice(-2000)}`));
      else resolve(Number(stdout));
    });
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Size and cold load time of each Lambda bundle in a synthesized assembly (run `npx cdk synth`
 * first; default dir cdk.out). bytes = index.js as Lambda loads it (the .map ships beside it);
 * coldLoadMs = median of `runs` requires, each in a fresh node process, runs in sequence, with
 * `env` (e.g. NODE_PATH to the AWS SDK the Lambda runtime provides, for an assembly outside the repo).
 */
export async function measureBundles(
  assemblyDir: string,
  runs = 5,
  env: NodeJS.ProcessEnv = loadEnv(),
): Promise<{ name: string; bytes: number; coldLoadMs: number }[]> {
  const out: { name: string; bytes: number; coldLoadMs: number }[] = [];
  for (const bundle of findLambdaBundles(assemblyDir)) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await coldLoadMs(bundle.file, env));
    out.push({
      name: bundle.name,
      bytes: statSync(bundle.file).size,
      coldLoadMs: Math.round(median(times) * 10) / 10,
    });
  }
  return out;
}
