import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CLOUDFLARE_1015_PAGE,
  messageObject,
  RATE_LIMIT_429,
  RATE_LIMIT_HEADERS,
  fixtureHeader,
  type RateLimitFixture,
} from './discord-fixtures';

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

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
      handle(req, res, body);
    });
  });

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
  function handle(req: IncomingMessage, res: ServerResponse, body: unknown, late = false): void {
    const method = req.method ?? 'GET';
    // The client percent-encodes path segments (e.g. messages/%40original).
    const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    const channelPost = /^\/api\/v10\/channels\/(\d+)\/messages$/.exec(path);
    const webhookEdit = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/.exec(path);
    const webhookPost = /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)$/.exec(path);
    const commandsPut = /^\/api\/v10\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path);
    const isWebhook = Boolean(webhookEdit || webhookPost);

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
        setTimeout(() => handle(req, res, body, true), opts.slowMs ?? 3_000);
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

    if ((method === 'PATCH' && webhookEdit) || (method === 'POST' && webhookPost)) {
      const [, applicationId, interactionToken] = (webhookEdit ?? webhookPost) as RegExpExecArray;
      const problem = validateMessage(body, { allowEmpty: Boolean(webhookEdit) });
      if (problem) return reply(req, res, body, 400, problem);
      const payload = body as Record<string, unknown>;
      webhookMessages.push({
        kind: webhookEdit ? 'edit-original' : 'followup',
        applicationId: applicationId as string,
        interactionToken: interactionToken as string,
        payload,
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

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiBase: `http://127.0.0.1:${port}/api`,
    token,
    messages,
    webhookMessages,
    commands,
    requests,
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        // The client keeps connections alive; close them so the server can stop now.
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

// --- Discord's payload limits, answered like Discord: 400, code 50035, nested `errors` ---------------

type FormErrors = { [key: string]: FormErrors | { code: string; message: string }[] };

function maxLength(errors: FormErrors, path: (string | number)[], value: unknown, max: number): number {
  const len = typeof value === 'string' ? Array.from(value).length : Array.isArray(value) ? value.length : 0;
  if (len > max) addError(errors, path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
  return typeof value === 'string' ? Array.from(value).length : 0;
}

function addError(errors: FormErrors, path: (string | number)[], code: string, message: string): void {
  let node: FormErrors = errors;
  for (const key of path) {
    const next = node[String(key)];
    node = (next && !Array.isArray(next) ? next : (node[String(key)] = {})) as FormErrors;
  }
  const list = (node._errors as { code: string; message: string }[] | undefined) ?? [];
  list.push({ code, message });
  node._errors = list;
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function validateMessage(
  body: unknown,
  opts: { allowEmpty?: boolean } = {},
): Record<string, unknown> | undefined {
  const p = asRecord(body);
  const errors: FormErrors = {};
  maxLength(errors, ['content'], p.content, 2000);
  if (p.nonce !== undefined) maxLength(errors, ['nonce'], p.nonce, 25);
  const embeds = Array.isArray(p.embeds) ? p.embeds : [];
  maxLength(errors, ['embeds'], embeds, 10);
  let total = 0;
  embeds.forEach((raw, i) => {
    const e = asRecord(raw);
    total += maxLength(errors, ['embeds', i, 'title'], e.title, 256);
    total += maxLength(errors, ['embeds', i, 'description'], e.description, 4096);
    total += maxLength(errors, ['embeds', i, 'author', 'name'], asRecord(e.author).name, 256);
    total += maxLength(errors, ['embeds', i, 'footer', 'text'], asRecord(e.footer).text, 2048);
    const fields = Array.isArray(e.fields) ? e.fields : [];
    maxLength(errors, ['embeds', i, 'fields'], fields, 25);
    fields.forEach((rawField, j) => {
      const f = asRecord(rawField);
      total += maxLength(errors, ['embeds', i, 'fields', j, 'name'], f.name, 256);
      total += maxLength(errors, ['embeds', i, 'fields', j, 'value'], f.value, 1024);
    });
  });
  if (total > 6000)
    addError(errors, ['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
  if (Object.keys(errors).length) return { message: 'Invalid Form Body', code: 50035, errors };
  const empty = !p.content && embeds.length === 0 && !p.sticker_ids && !p.components && !p.poll;
  if (empty && !opts.allowEmpty) return { message: 'Cannot send an empty message', code: 50006 };
  return undefined;
}

function validateCommands(body: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(body)) {
    return {
      message: 'Invalid Form Body',
      code: 50035,
      errors: {
        _errors: [{ code: 'LIST_TYPE_CONVERT', message: 'Only iterables may be used in a ListType' }],
      },
    };
  }
  const errors: FormErrors = {};
  maxLength(errors, [], body, 100);
  body.forEach((raw, i) => {
    const c = asRecord(raw);
    const type = typeof c.type === 'number' ? c.type : 1;
    if (
      typeof c.name !== 'string' ||
      !/^[-_\p{L}\p{N}]{1,32}$/u.test(c.name) ||
      (type === 1 && c.name !== c.name.toLowerCase())
    ) {
      addError(errors, [i, 'name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
    }
    if (type === 1) {
      const d = typeof c.description === 'string' ? Array.from(c.description).length : 0;
      if (d < 1 || d > 100)
        addError(errors, [i, 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    }
  });
  if (Object.keys(errors).length) return { message: 'Invalid Form Body', code: 50035, errors };
  return undefined;
}
