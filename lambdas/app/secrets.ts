import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { registerSecret } from '../domain/log';
import { DEFAULT_DISCORD_API_BASE, ENV } from './env';

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
    secret(ENV.discordBotToken, ENV.discordTokenSecretArn),
    secret(ENV.discordPublicKey, ENV.discordPublicKeySecretArn),
  ]);
  registerSecret(token);
  return {
    apiBase: process.env[ENV.discordApiBase] || DEFAULT_DISCORD_API_BASE,
    token,
    publicKey,
    applicationId: process.env[ENV.discordApplicationId] || undefined,
  };
}
