import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { buildApp, type AppContext } from '../lib/app';
import type { GoxwatchStack } from '../lib/goxwatch-stack';

/**
 * Discord-shaped secrets placed in process.env while the app synthesizes: the infra test scans
 * the whole template for them, so a stack that ever copied env into the template would be caught.
 */
export const SYNTH_ENV_SECRETS = {
  DISCORD_BOT_TOKEN: 'MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GsynTH.infra-test-token-never-in-template-0123',
  DISCORD_PUBLIC_KEY: 'e1f0c2b3a4d5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f',
};

export interface Synthesized {
  app: App;
  stack: GoxwatchStack;
  /** The cloud assembly directory (what `cdk synth` writes to cdk.out). */
  outdir: string;
}

/**
 * Synthesize the real app (bundling every Lambda with esbuild, cdk-nag validation on) into a
 * fresh temp dir. Throws when cdk-nag reports an unacknowledged finding.
 */
export function synthApp(context: AppContext & Record<string, unknown> = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'goxwatch-cdk-'));
  const saved = Object.fromEntries(Object.keys(SYNTH_ENV_SECRETS).map((k) => [k, process.env[k]]));
  Object.assign(process.env, SYNTH_ENV_SECRETS);
  try {
    const { app, stack } = buildApp({ outdir, context });
    app.synth();
    return { app, stack, outdir };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
