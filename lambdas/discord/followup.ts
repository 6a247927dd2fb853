import { setTimeout as sleep } from 'node:timers/promises';
import { deliveryOutcome, replyText, type DiscordReply } from './delivery-outcome';
import { encodeMultipart, TokenExpiringError, type FollowUp } from './interaction-reply';
import type { SendGuard } from './rest-client';
import { withNoMentions } from './text';
import type { Logger } from '../domain/log';
import { renderForTerminal } from './terminal-render';

/** Discord's "Unknown Webhook": the interaction token is unknown (yet, or any more). */
const UNKNOWN_WEBHOOK = 10015;
/**
 * An edit of @original that reaches Discord before Discord has the interaction's HTTP response
 * fails with Unknown Webhook. The deferred-work worker can start that early (it is handed the work
 * before the endpoint returns), so Unknown Webhook is retried, but only this long after the
 * interaction arrived; later it means the token is gone and retrying cannot help.
 */
const UNKNOWN_WEBHOOK_RETRY_WINDOW_MS = 30_000;

export interface FollowUpRetries {
  /** Waits before each retry (default 250 ms, 1 s, 3 s, 8 s: five attempts in ~12 s). */
  delaysMs?: readonly number[];
  /** Epoch ms after which no attempt starts (the worker passes the token's end minus a margin). */
  deadline?: number;
  /** Epoch ms the interaction arrived (for the Unknown Webhook window); default: when the sender started. */
  receivedAt?: number;
}

export interface FetchFollowUpOptions {
  /** DISCORD_API_BASE without a version, e.g. https://discord.com/api (v10 is added here). */
  apiBase: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Longest single 429 wait before giving up (default 5 s): the interaction token lives 15 minutes. */
  maxRateLimitWaitMs?: number;
  /** Retries of 5xx, network errors, timeouts and an early Unknown Webhook. Unset: 429 only, once. */
  retries?: FollowUpRetries;
  now?: () => number;
  /** The shared brakes the REST client takes (a Cloudflare ban stops every request to Discord). */
  guard?: SendGuard;
}

export const DEFAULT_FOLLOWUP_RETRY_DELAYS_MS = [250, 1_000, 3_000, 8_000] as const;

/** One failed attempt: whether another attempt can help, and how long Discord asked us to wait. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly waitMs?: number,
  ) {
    super(message);
  }
}

/**
 * The one client for the webhook route: PATCH /webhooks/{app}/{token}/messages/@original with
 * plain fetch, JSON or multipart (files). Plain fetch instead of @discordjs/rest keeps the
 * interactions bundles small and quick to load; webhook routes need no bot token (the interaction
 * token in the URL authenticates). Errors name the route, never the token.
 *
 * What an answer means is deliveryOutcome's, as for the REST client: a 429 waits its retry_after
 * when that fits in `maxRateLimitWaitMs`; a 429 without Discord's JSON body is Cloudflare's ban
 * (error 1015): never retried, and told to the guard, which then stops all sending.
 * With `retries`, a 5xx, a network error or timeout and an early Unknown Webhook are retried with
 * the given delays too; any other 4xx fails at once (the request itself is wrong). An edit is a
 * PUT-like replace of @original, so a retry after a lost answer cannot post twice.
 */
export function createFetchFollowUp(opts: FetchFollowUpOptions): FollowUp {
  const base = opts.apiBase.replace(/\/+$/, '');
  const now = opts.now ?? Date.now;
  const maxWait = opts.maxRateLimitWaitMs ?? 5_000;
  const { guard } = opts;
  const route = 'PATCH /webhooks/:application/:token/messages/@original';
  return async (applicationId, token, message) => {
    const url = `${base}/v10/webhooks/${encodeURIComponent(applicationId)}/${encodeURIComponent(token)}/messages/@original`;
    const retries = opts.retries;
    const delays = retries ? (retries.delaysMs ?? DEFAULT_FOLLOWUP_RETRY_DELAYS_MS) : [];
    const receivedAt = retries?.receivedAt ?? now();
    const data = withNoMentions(message.data);
    const attempt = async (): Promise<void> => {
      const paused = guard?.pausedReason();
      if (paused !== undefined) throw new AttemptError(`${route}: sending paused: ${paused}`, false);
      const { body, contentType } = message.files?.length
        ? encodeMultipart(data, message.files)
        : { body: Buffer.from(JSON.stringify(data)), contentType: 'application/json' };
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'PATCH',
          headers: { 'content-type': contentType, 'user-agent': 'DiscordBot (goxwatch, 0.1.0)' },
          body,
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        });
      } catch (err) {
        // The cause names the host and errno, never the path (which holds the token).
        const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.name) : '';
        throw new AttemptError(`${route}: request failed (${cause})`, true);
      }
      if (res.ok) {
        await res.arrayBuffer();
        return;
      }
      const text = (await res.text()).slice(0, 300);
      if (res.status === 401 || res.status === 403 || res.status === 429)
        await guard?.invalidResponse(res.status);
      const reply: DiscordReply = {
        status: res.status,
        body: jsonBody(text) ?? text,
        headers: Object.fromEntries(res.headers),
      };
      const outcome = deliveryOutcome(reply, { maxWaitMs: maxWait });
      const failure = `${route}: HTTP ${res.status}: ${outcome.kind === 'sent' ? text : outcome.reason}`;
      if (outcome.kind === 'retry-now') throw new AttemptError(failure, true, outcome.waitMs);
      if (outcome.kind === 'stop-sending') {
        await guard?.cloudflareBan(replyText(reply));
        throw new AttemptError(failure, false);
      }
      if (res.status === 429) throw new AttemptError(failure, false);
      if (res.status >= 500) throw new AttemptError(failure, true);
      const early = now() - receivedAt < UNKNOWN_WEBHOOK_RETRY_WINDOW_MS;
      throw new AttemptError(
        failure,
        res.status === 404 && jsonField(text, 'code') === UNKNOWN_WEBHOOK && early,
      );
    };
    for (let i = 0; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof AttemptError)) throw err;
        // Without `retries`, a short 429 is still waited out once, as before.
        const delay = err.waitMs ?? delays[i];
        const more = retries ? i < delays.length : i === 0 && err.waitMs !== undefined;
        if (!err.retryable || !more || delay === undefined) throw new Error(err.message, { cause: err });
        if (retries?.deadline !== undefined && now() + delay >= retries.deadline)
          throw new TokenExpiringError(`${err.message} (no time left before the interaction token expires)`, {
            cause: err,
          });
        await sleep(delay);
      }
    }
  };
}

function jsonBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // not JSON (Cloudflare's HTML page)
  }
}

function jsonField(text: string, field: string): number {
  const parsed = jsonBody(text);
  return typeof parsed === 'object' && parsed !== null && field in parsed
    ? Number((parsed as Record<string, unknown>)[field])
    : NaN;
}

/**
 * A follow-up for local runs without Discord (the dev key's interactions have no real token):
 * prints the completed reply as Discord would show it.
 */
export function printFollowUp(logger: Logger, channelLabel = 'interaction'): FollowUp {
  return async (_applicationId, _token, message) => {
    const files = (message.files ?? []).map((f) => `[attachment ${f.name}, ${f.data.length} bytes]`);
    logger.info([renderForTerminal(channelLabel, message.data), ...files].join('\n'));
  };
}
