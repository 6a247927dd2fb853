import type { Config } from '../domain/config';
import { ENV } from './env';

/** The config's top-level fields every deployed config has (parseConfig fills in the defaults). */
const REQUIRED: readonly (keyof Config)[] = [
  'language',
  'sources',
  'channels',
  'feeds',
  'incidents',
  'rules',
  'intervals',
];

/**
 * The config inside a Lambda: GOXWATCH_CONFIG_JSON as the stack wrote it. parseConfig validated it
 * at synth (lib/app.ts → loadConfig) and only the stack sets it, so it is not validated again:
 * that keeps zod, most of the interactions bundle's bytes and of its cold load, out of every
 * Lambda bundle (issue 15). The shape check catches the one plausible slip, a hand-edited
 * environment, and says what to do.
 */
export function deployedConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = env[ENV.configJson];
  if (!raw) throw new Error(`${ENV.configJson} is not set; the stack sets it (redeploy with cdk deploy)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(
      `${ENV.configJson}: not valid JSON (${(err as Error).message}); redeploy with cdk deploy`,
      {
        cause: err,
      },
    );
  }
  const record = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const missing = REQUIRED.filter((k) => !(k in record));
  if (missing.length)
    throw new Error(
      `${ENV.configJson}: not a config written by the stack (no ${missing.join(', ')}); redeploy with cdk deploy`,
    );
  return parsed as Config;
}
