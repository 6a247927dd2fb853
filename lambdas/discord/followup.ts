import { setTimeout as sleep } from 'node:timers/promises';
import { encodeMultipart, type FollowUp } from './interaction-reply';
import type { Logger } from '../domain/log';
import type { MessagePayload } from '../domain/messages';
import { renderForTerminal } from './terminal-render';

export interface FetchFollowUpOptions {
  /** DISCORD_API_BASE without a version, e.g. https://discord.com/api (v10 is added here). */
  apiBase: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Longest single 429 wait before giving up (default 5 s): the interaction token lives 15 minutes. */
  maxRateLimitWaitMs?: number;
}

/**
 * The follow-up sender: PATCH /webhooks/{app}/{token}/messages/@original with plain fetch,
 * JSON or multipart (files). Plain fetch instead of @discordjs/rest keeps the interactions
 * bundle small and quick to load; webhook routes need no bot token (the interaction token in the
 * URL authenticates). Errors name the route, never the token.
 */
export function createFetchFollowUp(opts: FetchFollowUpOptions): FollowUp {
  const base = opts.apiBase.replace(/\/+$/, '');
  return async (applicationId, token, message) => {
    const url = `${base}/v10/webhooks/${encodeURIComponent(applicationId)}/${encodeURIComponent(token)}/messages/@original`;
    const route = 'PATCH /webhooks/:application/:token/messages/@original';
    for (let attempt = 0; ; attempt++) {
      const { body, contentType } = message.files?.length
        ? encodeMultipart(message.data, message.files)
        : { body: Buffer.from(JSON.stringify(message.data)), contentType: 'application/json' };
      const res = await fetch(url, {
        method: 'PATCH',
        headers: { 'content-type': contentType, 'user-agent': 'DiscordBot (goxwatch, 0.1.0)' },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
      });
      if (res.ok) {
        await res.arrayBuffer();
        return;
      }
      const text = (await res.text()).slice(0, 300);
      if (res.status === 429 && attempt === 0) {
        const retryAfter = Number(res.headers.get('retry-after') ?? retryAfterFromBody(text));
        const waitMs = Number.isFinite(retryAfter) ? retryAfter * 1000 : Infinity;
        if (waitMs <= (opts.maxRateLimitWaitMs ?? 5_000)) {
          await sleep(waitMs);
          continue;
        }
      }
      throw new Error(`${route}: HTTP ${res.status} ${text}`);
    }
  };
}

function retryAfterFromBody(text: string): number {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'retry_after' in parsed)
      return Number(parsed.retry_after);
  } catch {
    // not JSON: no retry hint
  }
  return NaN;
}

/**
 * A follow-up for local runs without Discord (the dev key's interactions have no real token):
 * prints the completed reply as Discord would show it.
 */
export function printFollowUp(logger: Logger, channelLabel = 'interaction'): FollowUp {
  return async (_applicationId, _token, message) => {
    const payload: MessagePayload = {
      ...(message.data.content ? { content: message.data.content } : {}),
      ...(message.data.embeds ? { embeds: message.data.embeds } : {}),
    };
    const files = (message.files ?? []).map((f) => `[attachment ${f.name}, ${f.data.length} bytes]`);
    logger.info([renderForTerminal(channelLabel, payload), ...files].join('\n'));
  };
}
