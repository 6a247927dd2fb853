/**
 * One pure function maps what Discord answered (or a network failure) to what delivery does next.
 * Pure: no I/O, no clock. The Discord client uses it to decide on bounded 429 waits; the delivery
 * job uses it for everything else.
 */

/** What came back for one request: a response (status, parsed JSON body, headers) or no response at all. */
export type DiscordReply =
  | { status: number; body?: unknown; headers?: Readonly<Record<string, string | undefined>> }
  | { networkError: string };

export type DeliveryOutcome =
  | { kind: 'sent' }
  /** Rate limited for a short time: wait `waitMs`, then send again in this run. */
  | { kind: 'retry-now'; waitMs: number; global: boolean; reason: string }
  /** Outage, network failure or a rate limit longer than we wait: leave the entry pending. */
  | { kind: 'retry-next-run'; reason: string; rateLimit?: { waitMs: number; global: boolean } }
  /** 401: the token is wrong or revoked; nothing will be accepted this run. */
  | { kind: 'bad-token'; reason: string }
  /** 403 / 404 Unknown Channel: the bot cannot post there; stop sending to that channel. */
  | { kind: 'disable-channel'; reason: string }
  /** 400: the payload itself is refused; resending it can never work. */
  | { kind: 'drop-entry'; reason: string }
  /**
   * Stop ALL sending: a 429 without Discord's JSON body is Cloudflare's (error 1015, an IP ban that
   * every further request prolongs), or we paused ourselves (ban backoff, too many invalid requests).
   */
  | { kind: 'stop-sending'; reason: string; cause: 'cloudflare' | 'paused' };

// Discord JSON error codes we act on (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
export const DISCORD_CODES = {
  unknownChannel: 10003,
  missingAccess: 50001,
  missingPermissions: 50013,
  invalidFormBody: 50035,
} as const;

export interface OutcomeOptions {
  /** The longest 429 wait still worth taking in this run (what is left of the wait budget). */
  maxWaitMs: number;
}

export function deliveryOutcome(reply: DiscordReply, opts: OutcomeOptions): DeliveryOutcome {
  if ('networkError' in reply) {
    return { kind: 'retry-next-run', reason: `network error: ${reply.networkError}` };
  }
  const { status } = reply;
  const body = asRecord(reply.body);
  const code = typeof body?.code === 'number' ? body.code : undefined;
  const described = describe(status, code, body);

  if (status >= 200 && status < 300) return { kind: 'sent' };
  if (status === 429) return rateLimited(reply, body, opts);
  if (status === 401) {
    return {
      kind: 'bad-token',
      reason: `Discord refused the bot token (${described}): check DISCORD_BOT_TOKEN; sending stopped`,
    };
  }
  if (status === 403) {
    // A 403 without Discord's JSON code comes from something in front of Discord (proxy, firewall):
    // it says nothing about the channel, so do not disable it for that.
    if (code === undefined)
      return { kind: 'retry-next-run', reason: `${described} without a Discord error code` };
    return { kind: 'disable-channel', reason: `the bot may not post there (${described})` };
  }
  if (status === 404) {
    if (code === DISCORD_CODES.unknownChannel) {
      return { kind: 'disable-channel', reason: `the channel does not exist (${described})` };
    }
    // A bare 404 means the route itself was not found: a wrong DISCORD_API_BASE must not disable every channel.
    if (code === undefined) {
      return { kind: 'retry-next-run', reason: `${described}: route not found, check DISCORD_API_BASE` };
    }
    return { kind: 'drop-entry', reason: `Discord refused the message (${described})` };
  }
  if (status === 400 || status === 413) {
    const problems = code === DISCORD_CODES.invalidFormBody ? formErrors(body?.errors) : [];
    const detail = problems.length ? `: ${problems.join('; ')}` : '';
    return { kind: 'drop-entry', reason: `Discord refused the payload (${described})${detail}` };
  }
  return { kind: 'retry-next-run', reason: described };
}

function rateLimited(
  reply: { headers?: Readonly<Record<string, string | undefined>> },
  body: Record<string, unknown> | undefined,
  opts: OutcomeOptions,
): DeliveryOutcome {
  // Discord's own 429s always carry a JSON body with retry_after. Without one the 429 comes from
  // Cloudflare in front of Discord ("error code: 1015", often no headers at all): a ban on our IP
  // that grows with every request, so retrying it soon is exactly wrong.
  if (numberOrUndefined(body?.retry_after) === undefined) {
    return {
      kind: 'stop-sending',
      cause: 'cloudflare',
      reason: 'Discord answered 429 without its JSON body (a Cloudflare ban, error 1015)',
    };
  }
  const header = (name: string) => headerValue(reply.headers, name);
  // The body's retry_after is a float in seconds; the Retry-After header is the same rounded up.
  const seconds =
    numberOrUndefined(body?.retry_after) ??
    numberOrUndefined(header('retry-after')) ??
    numberOrUndefined(header('x-ratelimit-reset-after')) ??
    1;
  const waitMs = Math.max(0, Math.ceil(seconds * 1000));
  const global = body?.global === true || header('x-ratelimit-global') === 'true';
  const scope = header('x-ratelimit-scope') ?? (global ? 'global' : 'user');
  const what = `rate limited (${scope}${global && scope !== 'global' ? ', global' : ''}) for ${formatSeconds(waitMs)}`;
  if (waitMs <= opts.maxWaitMs) return { kind: 'retry-now', waitMs, global, reason: what };
  return {
    kind: 'retry-next-run',
    reason: `${what}, longer than the ${formatSeconds(Math.max(0, opts.maxWaitMs))} left to wait in this run`,
    rateLimit: { waitMs, global },
  };
}

/** "403 Missing Access (code 50001)" */
function describe(
  status: number,
  code: number | undefined,
  body: Record<string, unknown> | undefined,
): string {
  // Discord's own messages sometimes repeat the status ("401: Unauthorized"): say it once.
  const text =
    typeof body?.message === 'string' ? body.message.replace(new RegExp(`^${status}:\\s*`), '') : '';
  const message = text ? ` ${text}` : '';
  return `${status}${message}${code !== undefined ? ` (code ${code})` : ''}`;
}

/**
 * Flatten Discord's nested form errors
 * ({ embeds: { 0: { title: { _errors: [{ code, message }] } } } }) into "embeds[0].title: message (CODE)".
 */
export function formErrors(errors: unknown, path = ''): string[] {
  const node = asRecord(errors);
  if (!node) return [];
  const out: string[] = [];
  // A node's own errors first, then its children (integer-like keys would otherwise come first).
  const entries = Object.entries(node).sort(([a], [b]) => Number(b === '_errors') - Number(a === '_errors'));
  for (const [key, value] of entries) {
    if (key === '_errors' && Array.isArray(value)) {
      for (const e of value) {
        const err = asRecord(e);
        const message = typeof err?.message === 'string' ? err.message : 'invalid';
        const code = typeof err?.code === 'string' ? ` (${err.code})` : '';
        out.push(`${path || '(body)'}: ${message}${code}`);
      }
      continue;
    }
    const next = /^\d+$/.test(key) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    out.push(...formErrors(value, next));
  }
  return out;
}

function headerValue(headers: Readonly<Record<string, string | undefined>> | undefined, name: string) {
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function numberOrUndefined(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** The first words of a non-JSON answer, for the log line ("error code: 1015"). */
export function replyText(reply: DiscordReply): string {
  const body = 'status' in reply ? reply.body : undefined;
  const text =
    typeof body === 'string'
      ? body
          .replace(/<[^>]*>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim()
      : '';
  return text ? `"${text.slice(0, 80)}"` : 'no body';
}
