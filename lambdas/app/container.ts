import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { systemClock, type Clock } from '../domain/clock';
import type { Config } from '../domain/config';
import { consoleLogger, registerSecret, type Logger } from '../domain/log';
import type { Announcement } from '../domain/messages';
import { ruleIdsFor } from '../domain/rules';
import { JobRuns } from '../store/job-runs';
import { Outbox } from '../store/outbox';
import { Store, dynamoClient } from '../store/store';
import { loadConfig } from './config-file';
import { Subscriptions } from '../store/subscriptions';
import { publish } from './enqueue';

/** Everything a job needs, built once per process (warm Lambdas keep it). */
export interface Runtime {
  config: Config;
  clock: Clock;
  logger: Logger;
  store: Store;
  outbox: Outbox;
  subscriptions: Subscriptions;
  jobRuns: JobRuns;
  /** Bind an announcement (or alternatives about one event) to its channels as outbox entries. */
  publish(announcements: Announcement | Announcement[]): Promise<number>;
}

export function createRuntime(opts: { config: Config; store: Store; clock: Clock; logger: Logger }): Runtime {
  const { config, store, clock, logger } = opts;
  const outbox = new Outbox(store, clock);
  const subscriptions = new Subscriptions(store, clock, config.channels);
  const defaultPriceRules = ruleIdsFor(config.rules);
  return {
    config,
    clock,
    logger,
    store,
    outbox,
    subscriptions,
    jobRuns: new JobRuns(store, clock),
    publish: (a) =>
      publish(a, { outbox, subscriptions, defaultLanguage: config.language, defaultPriceRules }),
  };
}

export const DEFAULT_DISCORD_API_BASE = 'https://discord.com/api';

/** Discord settings from the environment; the token and key come from env locally, Secrets Manager in AWS. */
export interface DiscordSettings {
  apiBase: string;
  token: string | undefined;
  publicKey: string | undefined;
  applicationId: string | undefined;
}

const SECRET_CACHE_MS = 5 * 60_000;
const secretCache = new Map<string, { value: string | undefined; until: number }>();
let secretsClient: SecretsManagerClient | undefined;

/**
 * A secret's value: the plain env var when set (local runs, tests), else the Secrets Manager
 * secret whose ARN is in `${name}_SECRET_ARN`-style env, cached for 5 minutes. An empty secret
 * (created by the stack, not yet filled by the maintainer) reads as undefined.
 */
async function secret(plainEnv: string, arnEnv: string): Promise<string | undefined> {
  const plain = process.env[plainEnv];
  if (plain) return plain;
  const arn = process.env[arnEnv];
  if (!arn) return undefined;
  const cached = secretCache.get(arn);
  if (cached && cached.until > Date.now()) return cached.value;
  secretsClient ??= new SecretsManagerClient({});
  let value: string | undefined;
  try {
    const out = await secretsClient.send(new GetSecretValueCommand({ SecretId: arn }));
    value = out.SecretString?.trim() || undefined;
  } catch (err) {
    // A secret created empty has no value version yet: treat as unset, say so without the ARN's value.
    if (!(err instanceof Error && err.name === 'ResourceNotFoundException')) throw err;
  }
  secretCache.set(arn, { value, until: Date.now() + SECRET_CACHE_MS });
  registerSecret(value);
  return value;
}

export async function discordSettings(): Promise<DiscordSettings> {
  const [token, publicKey] = await Promise.all([
    secret('DISCORD_BOT_TOKEN', 'DISCORD_TOKEN_SECRET_ARN'),
    secret('DISCORD_PUBLIC_KEY', 'DISCORD_PUBLIC_KEY_SECRET_ARN'),
  ]);
  registerSecret(token);
  return {
    apiBase: process.env.DISCORD_API_BASE || DEFAULT_DISCORD_API_BASE,
    token,
    publicKey,
    applicationId: process.env.DISCORD_APPLICATION_ID || undefined,
  };
}

let lambdaRuntimePromise: Promise<Runtime> | undefined;

/**
 * The runtime inside a Lambda: config from GOXWATCH_CONFIG_JSON (set by the stack), the table
 * from GOXWATCH_TABLE, DynamoDB in the region (or STORE_ENDPOINT for the bundle smoke test).
 * Built once per container; warm invocations reuse it.
 */
export function lambdaRuntime(): Promise<Runtime> {
  lambdaRuntimePromise ??= (async () => {
    const { config } = loadConfig();
    const tableName = process.env.GOXWATCH_TABLE;
    if (!tableName) throw new Error('GOXWATCH_TABLE is not set');
    const store = new Store(dynamoClient(process.env.STORE_ENDPOINT || undefined), tableName, systemClock);
    return createRuntime({ config, store, clock: systemClock, logger: consoleLogger });
  })();
  return lambdaRuntimePromise;
}
