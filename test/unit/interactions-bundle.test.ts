import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(__dirname, '..', '..');

/** The entries the interactions Lambda is built from: our job module, and the thin handler once it exists. */
const entries = ['lambdas/discord/interactions.ts', 'lambdas/handlers/interactions.ts'].filter((e) =>
  existsSync(join(root, e)),
);

async function bundleInputs(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // The Lambda runtime provides the AWS SDK v3 only in part; we bundle it like NodejsFunction would.
  });
  return Object.keys(result.metafile.inputs);
}

describe('interactions bundle', () => {
  it.each(entries)('%s carries neither ccxt, rss-parser nor discord.js', async (entry) => {
    const inputs = await bundleInputs(entry);
    // Sanity: the bundle really contains our code and the verifier, so an empty bundle cannot pass.
    expect(inputs.some((i) => i.endsWith('lambdas/discord/interactions-verify.ts'))).toBe(true);
    expect(inputs.some((i) => i.endsWith('lambdas/discord/commands/index.ts'))).toBe(true);
    const offenders = inputs.filter((i) =>
      /node_modules\/(ccxt|rss-parser|xml2js|discord\.js|@discordjs\/ws)\//.test(i),
    );
    expect(offenders).toEqual([]);
  });
});
