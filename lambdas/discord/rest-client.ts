import { setTimeout as sleep } from 'node:timers/promises';
import { DiscordAPIError, HTTPError, REST, RateLimitError } from '@discordjs/rest';
import {
  Routes,
  type APIApplicationCommand,
  type RESTPatchAPIWebhookWithTokenMessageJSONBody,
  type RESTPostAPIWebhookWithTokenJSONBody,
  type RESTPutAPIApplicationCommandsJSONBody,
  type RESTPutAPIApplicationGuildCommandsJSONBody,
} from 'discord-api-types/v10';
import { NO_MENTIONS } from './text';
import { deliveryOutcome, type DeliveryOutcome, type DiscordReply } from './delivery-outcome';
import { errorMessage, registerSecret } from '../domain/log';
import type { MessagePayload } from '../domain/messages';

export interface DiscordClientOptions {
  token: string;
  /** DISCORD_API_BASE, e.g. https://discord.com/api (no version; the client adds /v10). */
  apiBase: string;
  /** Most time one call may spend waiting out 429s before it gives up until the next run. */
  maxRateLimitWaitMs: number;
  /** Immediate retries of a 5xx / reset connection inside one call (default 1). */
  retries?: number;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

export type WebhookEditPayload = RESTPatchAPIWebhookWithTokenMessageJSONBody;
export type WebhookPostPayload = RESTPostAPIWebhookWithTokenJSONBody;

export interface DiscordClient {
  /** POST /channels/:id/messages. Throws DiscordRequestError when Discord (or the network) says no. */
  postMessage(channelId: string, payload: MessagePayload): Promise<{ id: string }>;
  /** PATCH /webhooks/:app/:token/messages/@original: finish a deferred interaction reply. */
  editOriginalResponse(
    applicationId: string,
    interactionToken: string,
    payload: WebhookEditPayload,
  ): Promise<{ id: string }>;
  /** POST /webhooks/:app/:token: an interaction follow-up message. */
  postFollowup(
    applicationId: string,
    interactionToken: string,
    payload: WebhookPostPayload,
  ): Promise<{ id: string }>;
  /** PUT /applications/:app/commands (replaces the global command set). */
  putGlobalCommands(
    applicationId: string,
    commands: RESTPutAPIApplicationCommandsJSONBody,
  ): Promise<APIApplicationCommand[]>;
  /**
   * PUT /applications/:app/guilds/:guild/commands (instant, for a test guild). Takes the global shape
   * too; strip the global-only `contexts` / `integration_types` before calling.
   */
  putGuildCommands(
    applicationId: string,
    guildId: string,
    commands: RESTPutAPIApplicationGuildCommandsJSONBody | RESTPutAPIApplicationCommandsJSONBody,
  ): Promise<APIApplicationCommand[]>;
}

/**
 * A request Discord refused or that never got an answer. `reply` is what came back, `outcome` what
 * to do about it (never 'retry-now': the client already waited as long as it may). The message
 * names the route with placeholders, never a token.
 */
export class DiscordRequestError extends Error {
  override readonly name = 'DiscordRequestError';
  constructor(
    readonly route: string,
    readonly reply: DiscordReply,
    readonly outcome: DeliveryOutcome,
  ) {
    super(`${route}: ${outcome.kind === 'sent' ? 'unexpected success' : outcome.reason}`);
  }

  get status(): number | undefined {
    return 'status' in this.reply ? this.reply.status : undefined;
  }

  get code(): number | undefined {
    if (!('status' in this.reply)) return undefined;
    const body = this.reply.body;
    return typeof body === 'object' && body !== null && 'code' in body && typeof body.code === 'number'
      ? body.code
      : undefined;
  }
}

export function createDiscordClient(opts: DiscordClientOptions): DiscordClient {
  registerSecret(opts.token);
  const rest = new REST({
    api: opts.apiBase.replace(/\/+$/, ''),
    version: '10',
    retries: opts.retries ?? 1,
    timeout: opts.timeoutMs ?? 10_000,
    // Without this the library sleeps through every 429 however long, and retries forever. We
    // reject them all (and its own pre-emptive bucket waits) and do the waiting below, bounded.
    rejectOnRateLimit: () => true,
  }).setToken(opts.token);

  // After a 401 the library drops the token; we remember why so every later call fails the same way
  // at once instead of hammering Discord (which bans IPs that send many invalid requests).
  let badToken: DiscordRequestError | undefined;

  async function call<T>(
    route: string,
    secret: string | undefined,
    send: () => Promise<unknown>,
  ): Promise<T> {
    if (badToken && secret === undefined) throw badToken;
    let waited = 0;
    for (;;) {
      let reply: DiscordReply;
      try {
        return (await send()) as T;
      } catch (err) {
        reply = toReply(err, secret);
      }
      const outcome = deliveryOutcome(reply, { maxWaitMs: opts.maxRateLimitWaitMs - waited });
      if (outcome.kind === 'retry-now') {
        await sleep(outcome.waitMs);
        waited += outcome.waitMs;
        continue;
      }
      const error = new DiscordRequestError(route, reply, outcome);
      if (outcome.kind === 'bad-token' && secret === undefined) badToken = error;
      throw error;
    }
  }

  return {
    postMessage: (channelId, payload) =>
      call('POST /channels/:id/messages', undefined, () =>
        rest.post(Routes.channelMessages(channelId), { body: withNoMentions(payload) }),
      ),
    // Webhook routes authenticate with the interaction token in the URL, not the bot token.
    editOriginalResponse: (applicationId, interactionToken, payload) =>
      call('PATCH /webhooks/:application/:token/messages/@original', interactionToken, () =>
        rest.patch(Routes.webhookMessage(applicationId, interactionToken, '@original'), {
          body: withNoMentions(payload),
          auth: false,
        }),
      ),
    postFollowup: (applicationId, interactionToken, payload) =>
      call('POST /webhooks/:application/:token', interactionToken, () =>
        rest.post(Routes.webhook(applicationId, interactionToken), {
          body: withNoMentions(payload),
          auth: false,
        }),
      ),
    putGlobalCommands: (applicationId, commands) =>
      call('PUT /applications/:id/commands', undefined, () =>
        rest.put(Routes.applicationCommands(applicationId), { body: commands }),
      ),
    putGuildCommands: (applicationId, guildId, commands) =>
      call('PUT /applications/:id/guilds/:guild/commands', undefined, () =>
        rest.put(Routes.applicationGuildCommands(applicationId, guildId), { body: commands }),
      ),
  };
}

/** Every message keeps allowed_mentions; when the caller set none, nobody is pinged. */
function withNoMentions<P extends { allowed_mentions?: unknown }>(payload: P): P {
  return payload.allowed_mentions === undefined ? { ...payload, allowed_mentions: NO_MENTIONS } : payload;
}

/** What the library's error says Discord answered, in the shape deliveryOutcome reads. */
function toReply(err: unknown, secret: string | undefined): DiscordReply {
  if (err instanceof RateLimitError) {
    // With rejectOnRateLimit the library throws before reading the 429 body, so rebuild the part we use.
    // timeToReset can exceed retryAfter (bucket reset vs Retry-After): wait for the later one.
    const waitMs = Math.max(err.retryAfter, err.timeToReset, 0);
    return {
      status: 429,
      body: { message: 'You are being rate limited.', retry_after: waitMs / 1000, global: err.global },
      headers: { 'x-ratelimit-scope': err.global ? 'global' : err.scope },
    };
  }
  if (err instanceof DiscordAPIError) return { status: err.status, body: err.rawError };
  if (err instanceof HTTPError) return { status: err.status, body: { message: err.message } };
  const message = errorMessage(err);
  return { networkError: secret ? message.split(secret).join('***') : message };
}
