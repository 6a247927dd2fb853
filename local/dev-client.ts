import { DataDirError } from './embedded-dynamo';
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  InteractionResponseType,
  InteractionType,
  PermissionFlagsBits,
  type APIApplicationCommandOption,
} from 'discord-api-types/v10';
import { COMMAND_DEFINITIONS } from '../lambdas/discord/command-definitions';
import type { MessagePayload } from '../lambdas/domain/messages';
import { renderForTerminal } from '../lambdas/discord/terminal-render';

/**
 * Trying commands without Discord (`npm run cmd -- refund calc amount:1000`): builds an
 * APPLICATION_COMMAND interaction shaped like Discord's, signs it with a local dev key, posts it
 * to the local endpoint and renders the reply as Discord would show it.
 *
 * The dev key lives in the data folder. The local endpoint trusts its public key only when
 * DISCORD_PUBLIC_KEY is unset (the integrator wires that; never in AWS).
 */

export const DEV_KEY_FILE = 'dev-interactions-key.pem';
/** Fixed ids so a dev interaction is recognisable in logs. */
export const DEV_APPLICATION_ID = '100000000000000001';
export const DEV_GUILD_ID = '100000000000000002';
export const DEV_CHANNEL_ID = '100000000000000003';
export const DEV_USER_ID = '100000000000000004';

export interface DevKey {
  privateKey: KeyObject;
  /** Hex, as Discord shows an application's public key. */
  publicKeyHex: string;
}

/** The dev key pair from `<dataDir>/dev-interactions-key.pem`, created (mode 600) on first use. */
export function loadOrCreateDevKey(dataDir: string): DevKey {
  const file = join(dataDir, DEV_KEY_FILE);
  let privateKey: KeyObject;
  if (existsSync(file)) {
    try {
      privateKey = createPrivateKey(readFileSync(file, 'utf8'));
      publicKeyHex(privateKey);
    } catch (err) {
      throw new DataDirError(
        `the dev key ${file} is not an Ed25519 private key in PEM (${(err as Error).message}): delete the file and a new key is made`,
      );
    }
  } else {
    mkdirSync(dataDir, { recursive: true });
    privateKey = generateKeyPairSync('ed25519').privateKey;
    writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  }
  return { privateKey, publicKeyHex: publicKeyHex(privateKey) };
}

export function publicKeyHex(privateKey: KeyObject): string {
  const jwk = privateKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url').toString('hex');
}

/** Headers Discord would send: X-Signature-Ed25519 over timestamp + body, timestamp in seconds. */
export function signInteraction(body: string, privateKey: KeyObject, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const signature = sign(null, Buffer.from(timestamp + body), privateKey).toString('hex');
  return {
    'content-type': 'application/json',
    'x-signature-ed25519': signature,
    'x-signature-timestamp': timestamp,
  };
}

export interface DevInteractionOptions {
  /** interaction.locale, e.g. 'ja' or 'en-US' (default en-US). */
  locale?: string;
  /** member.permissions (default Administrator + Manage Channels: the local user runs the bot). */
  permissions?: bigint;
  /** Leave out guild and member (a DM). */
  dm?: boolean;
  /** interaction.id (default random): repeat it to see the duplicate handling. */
  id?: string;
}

function snowflake(): string {
  return (BigInt('0x' + randomBytes(7).toString('hex')) + 100000000000000000n).toString();
}

/**
 * argv → an APPLICATION_COMMAND interaction body. Words are the command and subcommand;
 * `name:value` are options, typed from the command definitions. Unknown names are errors that
 * list what exists.
 */
export function buildCommandInteraction(
  argv: string[],
  opts: DevInteractionOptions = {},
): Record<string, unknown> {
  const [name, ...rest] = argv;
  const command = COMMAND_DEFINITIONS.find((c) => c.name === name);
  if (!command)
    throw new Error(
      `unknown command "${name ?? ''}"; commands: ${COMMAND_DEFINITIONS.map((c) => c.name).join(', ')}`,
    );
  let level: APIApplicationCommandOption[] = command.options ?? [];
  const path: { name: string; type: ApplicationCommandOptionType }[] = [];
  const values: { name: string; type: ApplicationCommandOptionType; value: string | number | boolean }[] = [];
  for (const word of rest) {
    const colon = word.indexOf(':');
    if (colon === -1) {
      const sub = level.find(
        (o) =>
          o.name === word &&
          (o.type === ApplicationCommandOptionType.Subcommand ||
            o.type === ApplicationCommandOptionType.SubcommandGroup),
      );
      if (!sub || !('options' in sub)) {
        const subs = level
          .filter((o) => o.type === ApplicationCommandOptionType.Subcommand)
          .map((o) => o.name);
        throw new Error(
          `"${word}" is not a subcommand of /${command.name}${subs.length ? `; subcommands: ${subs.join(', ')}` : ''}`,
        );
      }
      path.push({ name: sub.name, type: sub.type });
      level = (sub.options ?? []) as APIApplicationCommandOption[];
      continue;
    }
    const key = word.slice(0, colon);
    const raw = word.slice(colon + 1);
    const def = level.find((o) => o.name === key);
    if (!def) {
      const known = level
        .filter((o) => o.type !== ApplicationCommandOptionType.Subcommand)
        .map((o) => o.name);
      throw new Error(`unknown option "${key}"${known.length ? `; options: ${known.join(', ')}` : ''}`);
    }
    // Sent as typed JSON like Discord does; a value that does not parse is sent as is, for the server to refuse.
    let value: string | number | boolean = raw;
    if (
      def.type === ApplicationCommandOptionType.Number ||
      def.type === ApplicationCommandOptionType.Integer
    ) {
      const n = Number(raw);
      if (raw.trim() !== '' && Number.isFinite(n)) value = n;
    } else if (def.type === ApplicationCommandOptionType.Boolean && (raw === 'true' || raw === 'false'))
      value = raw === 'true';
    values.push({ name: key, type: def.type, value });
  }
  let options: unknown[] = values;
  for (const p of [...path].reverse()) options = [{ name: p.name, type: p.type, options }];

  const permissions =
    opts.permissions ?? PermissionFlagsBits.Administrator | PermissionFlagsBits.ManageChannels;
  const user = {
    id: DEV_USER_ID,
    username: 'local-dev',
    global_name: 'Local Dev',
    discriminator: '0',
    avatar: null,
  };
  return {
    type: InteractionType.ApplicationCommand,
    id: opts.id ?? snowflake(),
    application_id: DEV_APPLICATION_ID,
    token: `dev-${randomBytes(24).toString('base64url')}`,
    version: 1,
    locale: opts.locale ?? 'en-US',
    channel_id: DEV_CHANNEL_ID,
    channel: { id: DEV_CHANNEL_ID, type: 0 },
    app_permissions: '442368',
    // Fields Discord always sends (receiving-and-responding.mdx, "Interaction Object"); discord.js reads them.
    entitlements: [],
    authorizing_integration_owners: opts.dm ? { '1': DEV_USER_ID } : { '0': DEV_GUILD_ID },
    context: opts.dm ? 1 : 0,
    attachment_size_limit: 10_485_760,
    ...(opts.dm
      ? { user }
      : {
          guild_id: DEV_GUILD_ID,
          guild_locale: opts.locale ?? 'en-US',
          member: {
            user,
            roles: [],
            permissions: permissions.toString(),
            joined_at: '2018-01-26T00:00:00.000000+00:00',
            deaf: false,
            mute: false,
          },
        }),
    data: { id: snowflake(), name: command.name, type: ApplicationCommandType.ChatInput, options },
  };
}

export interface DevCommandResult {
  status: number;
  /** The parsed response body (undefined when it was not JSON). */
  response: unknown;
  /** What Discord would show. */
  rendered: string;
}

/** Sign and post one command to a local endpoint and render the answer. */
export async function sendDevCommand(
  argv: string[],
  opts: { url: string; privateKey: KeyObject; nowMs?: number } & DevInteractionOptions,
): Promise<DevCommandResult> {
  const body = JSON.stringify(buildCommandInteraction(argv, opts));
  const res = await fetch(opts.url, {
    method: 'POST',
    headers: signInteraction(body, opts.privateKey, opts.nowMs ?? Date.now()),
    body,
  });
  const text = await res.text();
  let response: unknown;
  try {
    response = JSON.parse(text);
  } catch {
    response = undefined;
  }
  return { status: res.status, response, rendered: renderResponse(res.status, response, text) };
}

/** An interaction response as text: the message box, or what the status/type means. */
export function renderResponse(status: number, response: unknown, raw = ''): string {
  if (status === 401)
    return `HTTP 401: the endpoint refused the signature. The dev key is trusted only while DISCORD_PUBLIC_KEY is unset for the server.`;
  if (status !== 200) return `HTTP ${status}: ${raw.slice(0, 500)}`;
  if (typeof response !== 'object' || response === null || !('type' in response))
    return `unexpected answer: ${raw.slice(0, 500)}`;
  const r = response as { type: number; data?: MessagePayload & { flags?: number } };
  if (r.type === InteractionResponseType.Pong) return 'PONG';
  if (r.type === InteractionResponseType.DeferredChannelMessageWithSource)
    return '(deferred: "goxwatch is thinking…" — the answer follows as an edit of this reply)';
  if (r.type !== InteractionResponseType.ChannelMessageWithSource || !r.data)
    return `response type ${r.type}`;
  const ephemeral = (r.data.flags ?? 0) & 64 ? 'only you can see this' : DEV_CHANNEL_ID;
  const { flags: _flags, ...payload } = r.data;
  return renderForTerminal(ephemeral, payload);
}
