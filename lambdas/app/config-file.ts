import { readFileSync } from 'node:fs';
import { ConfigError, DEFAULT_CONFIG, parsePartialConfig, type Config } from '../domain/config';
import { ENV } from './env';

/**
 * Where the config comes from: `--config <file>`, else GOXWATCH_CONFIG (a file path), else
 * GOXWATCH_CONFIG_JSON (inline JSON, as the CDK stack passes it to the Lambdas), else the
 * built-in DEFAULT_CONFIG. A file holds only what differs from the default: it is merged over it
 * (parsePartialConfig: objects merged, lists replaced), then validated as a whole. Throws ConfigError (the CLI exits 2) naming the field and the reason.
 */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv } = {}): {
  config: Config;
  origin: string;
} {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env[ENV.configFile];
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError([`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
    }
    return { config: parseJson(text, file), origin: file };
  }
  const json = env[ENV.configJson];
  if (json) return { config: parseJson(json, ENV.configJson), origin: ENV.configJson };
  return { config: DEFAULT_CONFIG, origin: 'built-in default' };
}

function parseJson(text: string, origin: string): Config {
  let raw: unknown;
  try {
    // Editors on Windows save UTF-8 with a byte order mark; JSON.parse refuses it, so drop it.
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ConfigError([`${origin}: not valid JSON (${(err as Error).message})`]);
  }
  try {
    return parsePartialConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.problems.map((p) => `${origin}: ${p}`));
    throw err;
  }
}
