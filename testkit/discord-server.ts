import type { IncomingMessage, ServerResponse } from 'node:http';
import { startLoopbackServer } from './loopback';
import {
  CLOUDFLARE_1015_PAGE,
  messageObject,
  RATE_LIMIT_429,
  RATE_LIMIT_HEADERS,
  fixtureHeader,
  type RateLimitFixture,
} from './discord-fixtures';
import { asRecord, validateCommands, validateMessage } from './discord-validation';

export { parseHttpFixture, type RateLimitFixture, type RecordedHttp } from './discord-fixtures';

/**
 * A loopback Discord REST API (v10) speaking the real shapes: Bot auth, payload limits with Discord's
 * 50035 form errors, nonce + enforce_nonce dedupe, 403/404 channels, per-bucket and global rate limits
 * with the recorded headers and 429 bodies (test/fixtures/discord), and per-request scripts.
 */

/** One scripted answer, taken by the next request that matches. */
export type ScriptStep =
  /** A recorded 429; `retryAfterSeconds` replaces its timing values (default: the recorded ones). */
  | { rateLimit: RateLimitFixture; retryAfterSeconds?: number }
  | { status: 500 | 502 | 503 | 504 }
  /** Cloudflare's ban page: 429, an HTML "error code: 1015" body, no rate-limit headers, no JSON. */
  | { cloudflare1015: true }
  /** Close the connection without answering, before or after creating the message. */
  | { hangUp: 'before-create' | 'after-create' }
  /** Handle normally. */
  | 'ok';

export interface CreatedMessage {
  id: string;
  channelId: string;
  payload: Record<string, unknown>;
  nonce?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  authorization?: string;
  body?: unknown;
}

export interface WebhookMessage {
  kind: 'edit-original' | 'followup';
  applicationId: string;
  interactionToken: string;
  payload: Record<string, unknown>;
  /** Files of a multipart edit (files[n]), e.g. the /price chart. */
  files?: { name: string; contentType: string; data: Buffer }[];
}

/** A POST /interactions/{id}/{token}/callback: the first answer to an interaction that came over the Gateway. */
export interface InteractionCallback {
  interactionId: string;
  interactionToken: string;
  body: { type?: number; data?: Record<string, unknown> };
}

export interface DiscordServerOptions {
  token?: string;
  /** Enforce Discord's global limit: more than this many requests in one second get the global 429. */
  globalRequestsPerSecond?: number;
  /** Per-channel bucket (default from the recorded headers: X-RateLimit-Limit 5 per Reset-After 1 s). */
  bucket?: { limit: number; windowMs: number };
  /** How long a nonce with enforce_nonce dedupes ("the past few minutes"); default 5 min. */
  nonceWindowMs?: number;
  /**
   * false: ignore nonces, as Discord does once its few minutes have passed; every POST creates a
   * message. The exactly-once tests use this so only our own outbox can prevent a double post.
   */
  checkNonces?: boolean;
  /**
   * The soak's weather: each channel POST fails with this chance (0..1), taking turns through a 500,
   * a 503, a JSON 429 (0.3 s) and a slow drip (the answer after `slowMs`, default 3 s).
   */
  failRate?: number;
  slowMs?: number;
  /** Random source for failRate (default Math.random). */
  random?: () => number;
}

export interface DiscordServer {
  /** Give this to the client as DISCORD_API_BASE (no version). */
  apiBase: string;
  token: string;
  /** Every message created (channel messages only), in order. */
  messages: CreatedMessage[];
  webhookMessages: WebhookMessage[];
  /** Registered commands: key 'global' or the guild id. */
  commands: Map<string, Record<string, unknown>[]>;
  requests: RecordedRequest[];
  callbacks: InteractionCallback[];
  /** The Gateway URL GET /gateway/bot answers with (the loopback Gateway's). */
  useGateway(url: string): void;
  /**
   * An interaction the (loopback) Gateway is about to dispatch: its one callback is accepted, a second
   * gets 40060, and an edit of its @original before the callback gets 404 Unknown Webhook, as on Discord.
   */
  issueInteraction(id: string, token: string): void;
  messagesIn(channelId: string): CreatedMessage[];
  /** Queue answers for the next matching requests; `forever` repeats the last step for good. */
  script(steps: ScriptStep[], opts?: { channelId?: string; forever?: boolean }): void;
  clearScripts(): void;
  /** 403 Missing Access (50001) or Missing Permissions (50013) for this channel. */
  forbid(channelId: string, code?: 50001 | 50013): void;
  /** 404 Unknown Channel (10003). */
  removeChannel(channelId: string): void;
  close(): Promise<void>;
}

interface Script {
  steps: ScriptStep[];
  channelId?: string;
  forever: boolean;
}

const FORBIDDEN_MESSAGES = { 50001: 'Missing Access', 50013: 'Missing Permissions' } as const;

export async function startDiscordServer(opts: DiscordServerOptions = {}): Promise<DiscordServer> {
  const token = opts.token ?? 'MTAxMDEwMTAxMDEwMTAxMDEw.test.loopback-bot-token';
  const bucket = opts.bucket ?? {
    limit: Number(fixtureHeader(RATE_LIMIT_HEADERS, 'X-RateLimit-Limit')),
    windowMs: Number(fixtureHeader(RATE_LIMIT_HEADERS, 'X-RateLimit-Reset-After')) * 1000,
  };
  const bucketId = fixtureHeader(RATE_LIMIT_HEADERS, 'X-RateLimit-Bucket') ?? 'bucket';
  const nonceWindowMs = opts.nonceWindowMs ?? 5 * 60_000;

  const messages: CreatedMessage[] = [];
  const webhookMessages: WebhookMessage[] = [];
  const commands = new Map<string, Record<string, unknown>[]>();
  const requests: RecordedRequest[] = [];
  const callbacks: InteractionCallback[] = [];
  /** Issued interactions by token: whether their callback was made. */
  const issued = new Map<string, { id: string; acknowledged: boolean }>();
  let gatewayUrl: string | undefined;
  const scripts: Script[] = [];
  const forbidden = new Map<string, 50001 | 50013>();
  const removed = new Set<string>();
  const nonces = new Map<string, { message: Record<string, unknown>; at: number }>();
  const buckets = new Map<string, { start: number; count: number }>();
  let globalWindow = { start: 0, count: 0 };
  let nextId = 1_000_000_000_000_000_000n;

  function takeStep(channelId: string | undefined): ScriptStep | undefined {
    const script = scripts.find((s) => s.channelId === undefined || s.channelId === channelId);
    if (!script) return undefined;
    const step = script.forever && script.steps.length === 1 ? script.steps[0] : script.steps.shift();
    if (!script.forever && script.steps.length === 0) scripts.splice(scripts.indexOf(script), 1);
    return step;
  }

  const server = await startLoopbackServer((req, res, raw) =>
    readBody(req.headers['content-type'] ?? '', raw).then(
      ({ body, files }) => handle(req, res, body, files),
      () => reply(req, res, undefined, 400, { message: 'Invalid Form Body', code: 50035 }),
    ),
  );

  function reply(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    status: number,
    json: unknown,
    headers: [string, string][] = [],
  ): void {
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      status,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      body,
    });
    res.statusCode = status;
    for (const [k, v] of headers) res.setHeader(k, v);
    if (json === undefined) {
      res.end();
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(json));
  }

  function rateLimit429(kind: RateLimitFixture, retryAfterSeconds?: number): [[string, string][], unknown] {
    const f = RATE_LIMIT_429[kind];
    const body = { ...f.body };
    if (retryAfterSeconds === undefined) return [f.headers, body];
    // Only the timing changes, consistently, so a test waits milliseconds instead of a minute.
    const r = String(retryAfterSeconds);
    const headers = f.headers.map(([k, v]): [string, string] => {
      const key = k.toLowerCase();
      if (key === 'retry-after' || key === 'x-ratelimit-reset-after') return [k, r];
      if (key === 'x-ratelimit-reset') return [k, String(Date.now() / 1000 + retryAfterSeconds)];
      return [k, v];
    });
    body.retry_after = retryAfterSeconds;
    return [headers, body];
  }

  let injected = 0;
  function handle(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    files: UploadedFile[],
    late = false,
  ): void {
    const method = req.method ?? 'GET';
    // The client percent-encodes path segments (e.g. messages/%40original).
    const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    const channelPost = /^\/api\/v10\/channels\/(\d+)\/messages$/.exec(path);
    const webhookEdit = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/.exec(path);
    const webhookPost = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)$/.exec(path);
    const commandsPut = /^\/api\/v10\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path);
    const callback = /^\/api\/v10\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    const isWebhook = Boolean(webhookEdit || webhookPost || callback);

    // Webhook routes authenticate with the interaction token in the path; the rest need the bot token.
    if (!isWebhook && req.headers.authorization !== `Bot ${token}`) {
      return reply(req, res, body, 401, { message: '401: Unauthorized', code: 0 });
    }

    const now = Date.now();
    if (opts.globalRequestsPerSecond !== undefined) {
      if (now - globalWindow.start >= 1000) globalWindow = { start: now, count: 0 };
      if (++globalWindow.count > opts.globalRequestsPerSecond) {
        const [headers, json] = rateLimit429('global', (globalWindow.start + 1000 - now) / 1000);
        return reply(req, res, body, 429, json, headers);
      }
    }

    const channelId = channelPost?.[1];
    let step = late ? undefined : takeStep(channelId);
    if (
      step === undefined &&
      !late &&
      channelPost &&
      opts.failRate &&
      (opts.random ?? Math.random)() < opts.failRate
    ) {
      const turn = injected++ % 4;
      if (turn === 0) step = { status: 500 };
      else if (turn === 1) step = { status: 503 };
      else if (turn === 2) step = { rateLimit: 'user', retryAfterSeconds: 0.3 };
      else {
        // Slow drip: answer normally, late.
        setTimeout(() => handle(req, res, body, files, true), opts.slowMs ?? 3_000);
        return;
      }
    }
    if (step !== undefined && step !== 'ok') {
      if ('rateLimit' in step) {
        const [headers, json] = rateLimit429(step.rateLimit, step.retryAfterSeconds);
        return reply(req, res, body, 429, json, headers);
      }
      if ('status' in step) {
        return reply(req, res, body, step.status, { message: `${step.status}: Server Error`, code: 0 });
      }
      if ('cloudflare1015' in step) {
        requests.push({ method, path, status: 429, body });
        res.statusCode = 429;
        res.setHeader('Content-Type', 'text/html; charset=UTF-8');
        res.end(CLOUDFLARE_1015_PAGE);
        return;
      }
      if (step.hangUp === 'before-create') {
        requests.push({ method, path, status: 0, body });
        req.socket.destroy();
        return;
      }
    }
    const hangUpAfterCreate = typeof step === 'object' && 'hangUp' in step && step.hangUp === 'after-create';

    if (method === 'POST' && channelPost && channelId) {
      const code = forbidden.get(channelId);
      if (code) return reply(req, res, body, 403, { message: FORBIDDEN_MESSAGES[code], code });
      if (removed.has(channelId))
        return reply(req, res, body, 404, { message: 'Unknown Channel', code: 10003 });

      // Per-channel bucket, with the recorded header names, limit and bucket id.
      let b = buckets.get(channelId);
      if (!b || now - b.start >= bucket.windowMs) buckets.set(channelId, (b = { start: now, count: 0 }));
      const resetAfter = (b.start + bucket.windowMs - now) / 1000;
      if (b.count >= bucket.limit) {
        const [headers, json] = rateLimit429('user', resetAfter);
        return reply(req, res, body, 429, json, headers);
      }
      b.count++;
      const limitHeaders: [string, string][] = [
        ['X-RateLimit-Limit', String(bucket.limit)],
        ['X-RateLimit-Remaining', String(bucket.limit - b.count)],
        ['X-RateLimit-Reset', String(now / 1000 + resetAfter)],
        ['X-RateLimit-Reset-After', String(resetAfter)],
        ['X-RateLimit-Bucket', bucketId],
      ];

      const problem = validateMessage(body);
      if (problem) return reply(req, res, body, 400, problem, limitHeaders);
      const payload = body as Record<string, unknown>;

      const nonce =
        typeof payload.nonce === 'string' || typeof payload.nonce === 'number'
          ? String(payload.nonce)
          : undefined;
      // enforce_nonce: the same author's nonce within a few minutes returns the original message.
      const nonceKey = nonce !== undefined ? `${token}\n${nonce}` : undefined;
      const seen = nonceKey ? nonces.get(nonceKey) : undefined;
      if (
        opts.checkNonces !== false &&
        payload.enforce_nonce === true &&
        seen &&
        now - seen.at < nonceWindowMs
      ) {
        return reply(req, res, body, 200, seen.message, limitHeaders);
      }
      const id = String(nextId++);
      const message = messageObject(id, channelId, payload);
      messages.push({ id, channelId, payload, ...(nonce !== undefined ? { nonce } : {}) });
      if (nonceKey) nonces.set(nonceKey, { message, at: now });
      if (hangUpAfterCreate) {
        requests.push({ method, path, status: 0, body });
        req.socket.destroy();
        return;
      }
      return reply(req, res, body, 200, message, limitHeaders);
    }

    if (method === 'GET' && path === '/api/v10/gateway/bot') {
      if (!gatewayUrl) return reply(req, res, body, 404, { message: '404: Not Found', code: 0 });
      // gateway.mdx "Get Gateway Bot", with its example's limits.
      const limit = { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 };
      return reply(req, res, body, 200, { url: gatewayUrl, shards: 1, session_start_limit: limit });
    }

    if (method === 'POST' && callback) {
      const [, interactionId, interactionToken] = callback as unknown as [string, string, string];
      const known = issued.get(interactionToken);
      if (!known || known.id !== interactionId)
        return reply(req, res, body, 404, { message: 'Unknown interaction', code: 10062 });
      if (known.acknowledged)
        return reply(req, res, body, 400, {
          message: 'Interaction has already been acknowledged.',
          code: 40060,
        });
      const payload = asRecord(body);
      const problem = payload.type === 4 ? validateMessage(payload.data) : undefined;
      if (problem) return reply(req, res, body, 400, problem);
      known.acknowledged = true;
      callbacks.push({ interactionId, interactionToken, body: payload });
      return reply(req, res, body, 204, undefined);
    }

    if ((method === 'PATCH' && webhookEdit) || (method === 'POST' && webhookPost)) {
      const [, applicationId, interactionToken] = (webhookEdit ?? webhookPost) as RegExpExecArray;
      if (issued.get(interactionToken ?? '')?.acknowledged === false)
        return reply(req, res, body, 404, { message: 'Unknown Webhook', code: 10015 });
      const problem = validateMessage(body, { allowEmpty: Boolean(webhookEdit) });
      if (problem) return reply(req, res, body, 400, problem);
      const payload = body as Record<string, unknown>;
      webhookMessages.push({
        kind: webhookEdit ? 'edit-original' : 'followup',
        applicationId: applicationId as string,
        interactionToken: interactionToken as string,
        payload,
        ...(files.length ? { files } : {}),
      });
      return reply(req, res, body, 200, messageObject(String(nextId++), '0', payload));
    }

    if (method === 'PUT' && commandsPut) {
      const [, applicationId, guildId] = commandsPut;
      const problem = validateCommands(body);
      if (problem) return reply(req, res, body, 400, problem);
      const list = (body as Record<string, unknown>[]).map((c) => ({
        ...c,
        id: String(nextId++),
        application_id: applicationId,
        version: String(nextId++),
        ...(guildId ? { guild_id: guildId } : {}),
      }));
      commands.set(guildId ?? 'global', list);
      return reply(req, res, body, 200, list);
    }

    return reply(req, res, body, 404, { message: '404: Not Found', code: 0 });
  }

  return {
    apiBase: `${server.baseUrl}/api`,
    token,
    messages,
    webhookMessages,
    commands,
    requests,
    callbacks,
    useGateway: (url) => {
      gatewayUrl = url;
    },
    issueInteraction: (id, t) => void issued.set(t, { id, acknowledged: false }),
    messagesIn: (channelId) => messages.filter((m) => m.channelId === channelId),
    script: (steps, o = {}) =>
      scripts.push({
        steps: [...steps],
        forever: o.forever ?? false,
        ...(o.channelId ? { channelId: o.channelId } : {}),
      }),
    clearScripts: () => void scripts.splice(0),
    forbid: (channelId, code = 50001) => void forbidden.set(channelId, code),
    removeChannel: (channelId) => void removed.add(channelId),
    close: server.close,
  };
}

type UploadedFile = NonNullable<WebhookMessage['files']>[number];

/** JSON, or multipart/form-data as Discord takes files (payload_json + files[n]), read by undici's parser. */
async function readBody(contentType: string, raw: Buffer): Promise<{ body: unknown; files: UploadedFile[] }> {
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    const files: UploadedFile[] = [];
    for (const [field, value] of form.entries()) {
      if (!field.startsWith('files[') || typeof value === 'string') continue;
      files.push({ name: value.name, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
    }
    return { body: JSON.parse(String(form.get('payload_json') ?? '{}')) as unknown, files };
  }
  const text = raw.toString('utf8');
  try {
    return { body: text ? (JSON.parse(text) as unknown) : undefined, files: [] };
  } catch {
    return { body: text, files: [] };
  }
}
