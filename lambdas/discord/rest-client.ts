import { setTimeout as sleep } from 'node:timers/promises';
import {
  DefaultRestOptions,
  DiscordAPIError,
  HTTPError,
  REST,
  RateLimitError,
  type ResponseLike,
} from '@discordjs/rest';
import {
  Routes,
  type APIApplicationCommand,
  type RESTPutAPIApplicationCommandsJSONBody,
  type RESTPutAPIApplicationGuildCommandsJSONBody,
} from 'discord-api-types/v10';
import { withNoMentions } from './text';
import { deliveryOutcome, replyText, type DeliveryOutcome, type DiscordReply } from './delivery-outcome';
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
  /** Shared brakes: a Cloudflare ban backoff and the invalid-request count (see store/discord-guard.ts). */
  guard?: SendGuard;
}

/**
 * Cloudflare bans an IP that sends 10,000 invalid requests (401, 403, 429) in 10 minutes, and
 * answers a banned IP with a bare 429 ("error code: 1015"). The guard is shared by every process
 * through the store; the client asks it before each request and tells it what came back.
 */
export interface SendGuard {
  /** Why nothing may be sent now (a ban backoff, too many invalid requests), or undefined. */
  pausedReason(): string | undefined;
  /** Discord (or Cloudflare) answered 401, 403 or 429. */
  invalidResponse(status: number): Promise<void>;
  /** A 429 without Discord's JSON body: stop everything for a long, growing backoff. */
  cloudflareBan(detail: string): Promise<void>;
}

/** Per call: a wall-clock deadline (epoch ms) that no wait and no new request may pass. */
export interface CallOptions {
  deadline?: number;
}

export interface DiscordClient {
  /** POST /channels/:id/messages. Throws DiscordRequestError when Discord (or the network) says no. */
  postMessage(channelId: string, payload: MessagePayload, call?: CallOptions): Promise<{ id: string }>;
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

/** A 429 whose body is not Discord's JSON, caught before the library reads it as a rate limit. */
class BareRateLimit extends Error {
  constructor(
    readonly body: string,
    readonly headers: Record<string, string>,
  ) {
    super(`429 without Discord's JSON body: ${body.slice(0, 80)}`);
  }
}

export function createDiscordClient(opts: DiscordClientOptions): DiscordClient {
  registerSecret(opts.token);
  const guard = opts.guard;
  // Sees every raw response first: counts invalid ones, and stops a bare (Cloudflare) 429 before
  // the library mistakes it for a zero-length rate limit and retries at once.
  const makeRequest = async (url: string, init: Parameters<typeof DefaultRestOptions.makeRequest>[1]) => {
    const res: ResponseLike = await DefaultRestOptions.makeRequest(url, init);
    if (res.status === 401 || res.status === 403 || res.status === 429)
      await guard?.invalidResponse(res.status);
    if (res.status === 429 && !(res.headers.get('content-type') ?? '').includes('application/json')) {
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k] = v));
      throw new BareRateLimit(await res.text(), headers);
    }
    return res;
  };
  const rest = new REST({
    makeRequest,
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
    send: () => Promise<unknown>,
    callOpts: CallOptions = {},
  ): Promise<T> {
    if (badToken) throw badToken;
    const { deadline } = callOpts;
    let waited = 0;
    for (;;) {
      const paused = guard?.pausedReason();
      if (paused !== undefined) {
        const reason = `sending paused: ${paused}`;
        throw new DiscordRequestError(
          route,
          { networkError: reason },
          { kind: 'stop-sending', cause: 'paused', reason },
        );
      }
      if (deadline !== undefined && Date.now() >= deadline) {
        const reason = 'the run reached its deadline before this request';
        throw new DiscordRequestError(route, { networkError: reason }, { kind: 'retry-next-run', reason });
      }
      let reply: DiscordReply;
      try {
        return (await send()) as T;
      } catch (err) {
        reply = toReply(err);
      }
      // A wait never outlasts the deadline: what does not fit is left for the next run.
      const untilDeadline = deadline === undefined ? Infinity : deadline - Date.now();
      const maxWaitMs = Math.min(opts.maxRateLimitWaitMs - waited, untilDeadline);
      const outcome = deliveryOutcome(reply, { maxWaitMs });
      if (outcome.kind === 'retry-now') {
        await sleep(outcome.waitMs);
        waited += outcome.waitMs;
        continue;
      }
      if (outcome.kind === 'stop-sending' && outcome.cause === 'cloudflare')
        await guard?.cloudflareBan(replyText(reply));
      const error = new DiscordRequestError(route, reply, outcome);
      if (outcome.kind === 'bad-token') badToken = error;
      throw error;
    }
  }

  return {
    postMessage: (channelId, payload, callOpts) =>
      call(
        'POST /channels/:id/messages',
        () => rest.post(Routes.channelMessages(channelId), { body: withNoMentions(payload) }),
        callOpts,
      ),
    putGlobalCommands: (applicationId, commands) =>
      call('PUT /applications/:id/commands', () =>
        rest.put(Routes.applicationCommands(applicationId), { body: commands }),
      ),
    putGuildCommands: (applicationId, guildId, commands) =>
      call('PUT /applications/:id/guilds/:guild/commands', () =>
        rest.put(Routes.applicationGuildCommands(applicationId, guildId), { body: commands }),
      ),
  };
}

/** What the library's error says Discord answered, in the shape deliveryOutcome reads. */
function toReply(err: unknown): DiscordReply {
  if (err instanceof BareRateLimit) return { status: 429, body: err.body, headers: err.headers };
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
  return { networkError: errorMessage(err) };
}
