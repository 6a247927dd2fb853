import { registerSecret } from '../domain/log';
import { DEFAULT_DISCORD_API_BASE, ENV } from './env';

/** Discord settings from the environment; the token comes from env locally, SSM in AWS. */
export interface DiscordSettings {
  apiBase: string;
  token: string | undefined;
  publicKey: string | undefined;
  applicationId: string | undefined;
}

/**
 * A parameter that is not there yet (the maintainer puts it after deploy) is asked for again
 * after this long; a value is kept for the instance's life (ADR 0011) unless Discord refuses it.
 */
const MISSING_RECHECK_MS = 60_000;
const cache = new Map<string, { value: string | undefined; until: number }>();
/**
 * Loaded on the first parameter read, not with the bundle: local runs never need it, and in AWS
 * the interactions endpoint's module load stays small (the read itself is once per instance).
 */
let ssm: ((name: string) => Promise<string | undefined>) | undefined;

function ssmReader(): (name: string) => Promise<string | undefined> {
  if (!ssm) {
    // require, not import(): the bundle keeps an import() as is, and node's ESM resolution does
    // not search NODE_PATH, where the Lambda runtime keeps its SDK.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm');
    const { SSMClient, GetParameterCommand } = sdk;
    const client = new SSMClient({});
    ssm = async (name: string) =>
      (await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
  }
  return ssm;
}

/**
 * A secret's value: the plain env var when set (local runs, tests), else the SSM SecureString
 * parameter whose name is in `parameterEnv`, decrypted, read once per Lambda instance. A
 * parameter not yet created reads as undefined (the callers say what is missing).
 */
async function secret(plainEnv: string, parameterEnv: string): Promise<string | undefined> {
  const plain = process.env[plainEnv];
  if (plain) return plain;
  const name = process.env[parameterEnv];
  if (!name) return undefined;
  const cached = cache.get(name);
  if (cached && cached.until > Date.now()) return cached.value;
  const read = ssmReader();
  let value: string | undefined;
  try {
    value = (await read(name))?.trim() || undefined;
  } catch (err) {
    if (!(err instanceof Error && err.name === 'ParameterNotFound')) throw err;
  }
  cache.set(name, { value, until: value ? Infinity : Date.now() + MISSING_RECHECK_MS });
  registerSecret(value);
  return value;
}

/**
 * Discord answered 401: the token was reset in the developer portal and put again. The next
 * run reads the parameter afresh instead of keeping the dead token for the instance's life.
 */
export function forgetDiscordToken(): void {
  const name = process.env[ENV.discordTokenParameter];
  if (name) cache.delete(name);
}

export async function discordSettings(): Promise<DiscordSettings> {
  const token = await secret(ENV.discordBotToken, ENV.discordTokenParameter);
  registerSecret(token);
  return {
    apiBase: process.env[ENV.discordApiBase] || DEFAULT_DISCORD_API_BASE,
    token,
    // Public by definition (ADR 0020): plain env, so the endpoint's first request reads no parameter.
    publicKey: process.env[ENV.discordPublicKey] || undefined,
    applicationId: process.env[ENV.discordApplicationId] || undefined,
  };
}
