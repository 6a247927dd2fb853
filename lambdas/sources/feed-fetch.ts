import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import type { Validators } from '../domain/news';

/**
 * Our own HTTP GET for feeds (rss-parser's parseURL treats 304 as an error, has no size cap and a
 * 60 s timeout that leaves the socket open). One total deadline covers connect, redirects and a
 * slow-drip body; a byte cap covers the decoded body; redirects are limited and never go from
 * https to http; ETag / Last-Modified make it a conditional GET; the charset comes from the
 * BOM, else the Content-Type header, else the XML declaration (see decodeBody), and the text is decoded with
 * TextDecoder (Node's full ICU knows Shift_JIS, EUC-JP, ISO-8859-1, windows-1251 ...).
 */

export interface FeedFetchOptions {
  /** Total time for the whole fetch, body included. */
  timeoutMs?: number;
  /** Largest body accepted, counted after gzip/deflate/br decoding. */
  maxBytes?: number;
  maxRedirects?: number;
  /** Sent as If-None-Match / If-Modified-Since. */
  validators?: Validators;
  userAgent?: string;
  /** Epoch ms "now", to turn a Retry-After date into a delay (from the injected clock). */
  now?: number;
}

export const FETCH_DEFAULTS = {
  timeoutMs: 15_000,
  maxBytes: 4 * 1024 * 1024,
  maxRedirects: 5,
  userAgent: 'goxwatch/0.1 (feed reader)',
} as const;

interface Base {
  /** The URL asked for. */
  url: string;
  /** HTTP requests made (redirect hops included), for the bench. */
  requests: number;
  /** Human-readable outcome: what happened and where. */
  message: string;
}

export type { Validators };

export type FeedFetchResult =
  | (Base & {
      kind: 'ok';
      finalUrl: string;
      status: number;
      text: string;
      /** The charset label used and where it came from. */
      charset: string;
      charsetSource: 'header' | 'bom' | 'xml-declaration' | 'default' | 'fallback';
      /** The declared charset did not fit the bytes: what was declared and what was used. */
      charsetMismatch?: string;
      bytes: number;
      validators: Validators;
    })
  | (Base & { kind: 'not-modified'; validators: Validators })
  | (Base & { kind: 'gone'; status: 410 })
  | (Base & { kind: 'retry-after'; status: number; retryAfterMs?: number })
  | (Base & { kind: 'http-error'; status: number })
  | (Base & { kind: 'too-large'; bytes: number; limit: number })
  | (Base & { kind: 'timeout'; timeoutMs: number })
  | (Base & { kind: 'redirect-error' })
  | (Base & { kind: 'decode-error'; charset: string })
  | (Base & { kind: 'network-error' });

export type FeedFetcher = (url: string, opts?: FeedFetchOptions) => Promise<FeedFetchResult>;

/** Why following `from` → `to` is refused, or undefined when it is fine. */
export function redirectProblem(from: string, to: string): string | undefined {
  const a = new URL(from);
  const b = new URL(to);
  if (b.protocol !== 'http:' && b.protocol !== 'https:')
    return `redirect to unsupported scheme ${b.protocol}`;
  if (a.protocol === 'https:' && b.protocol === 'http:') return `redirect from https to http refused (${to})`;
  return undefined;
}

/**
 * Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). Returns ms to wait,
 * undefined when absent or unreadable; a date in the past means 0.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** charset parameter of a Content-Type header. */
export function charsetFromContentType(contentType: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return m?.[1];
}

/** encoding="..." of the XML declaration, read from the first bytes (ASCII-compatible charsets). */
export function charsetFromXmlDeclaration(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  const m = /^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head);
  return m?.[1];
}

function bomCharset(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  return undefined;
}

function makeDecoder(label: string, fatal = false): TextDecoder | undefined {
  try {
    return new TextDecoder(label, { fatal });
  } catch {
    return undefined;
  }
}

type Decoded =
  | {
      ok: true;
      text: string;
      charset: string;
      source: Extract<FeedFetchResult, { kind: 'ok' }>['charsetSource'];
      mismatch?: string;
    }
  | { ok: false; charset: string; message: string };

/**
 * Bytes → text. Order: BOM (it cannot lie), then the HTTP charset, then the XML declaration,
 * then UTF-8. With no declared charset, bytes that are not valid UTF-8 are read as windows-1252,
 * as browsers do (uolNoticias: ISO-8859-1 with neither header nor declaration).
 */
export function decodeBody(bytes: Uint8Array, contentType: string | undefined): Decoded {
  const candidates: [string | undefined, 'bom' | 'header' | 'xml-declaration'][] = [
    [bomCharset(bytes), 'bom'],
    [charsetFromContentType(contentType), 'header'],
    [charsetFromXmlDeclaration(bytes), 'xml-declaration'],
  ];
  for (const [label, source] of candidates) {
    if (!label) continue;
    const decoder = makeDecoder(label);
    if (!decoder)
      return { ok: false, charset: label, message: `unknown charset "${label}" (from ${source})` };
    try {
      const text = makeDecoder(label, true)?.decode(bytes) ?? '';
      return { ok: true, text: stripBom(text), charset: decoder.encoding, source };
    } catch {
      // The bytes are not what the feed declares: U+FFFD in every title would match no keyword
      // and drop items silently. Read them with the first charset they are valid in, and say so.
      const fallback = mismatchFallback(bytes, decoder.encoding);
      return {
        ok: true,
        text: stripBom(fallback.text),
        charset: fallback.charset,
        source: 'fallback',
        mismatch: `bytes are not valid ${decoder.encoding} as the ${source === 'header' ? 'Content-Type header' : source} declares; read as ${fallback.charset}`,
      };
    }
  }
  try {
    return {
      ok: true,
      text: stripBom(new TextDecoder('utf-8', { fatal: true }).decode(bytes)),
      charset: 'utf-8',
      source: 'default',
    };
  } catch {
    return {
      ok: true,
      text: new TextDecoder('windows-1252').decode(bytes),
      charset: 'windows-1252',
      source: 'fallback',
    };
  }
}

/** Charsets a feed that lies about its encoding is most likely in (Japanese news sites first). */
const MISMATCH_CANDIDATES = ['utf-8', 'shift_jis', 'euc-jp', 'iso-2022-jp'];

function mismatchFallback(bytes: Uint8Array, declared: string): { text: string; charset: string } {
  for (const label of MISMATCH_CANDIDATES) {
    if (label === declared) continue;
    try {
      return { text: new TextDecoder(label, { fatal: true }).decode(bytes), charset: label };
    } catch {
      // not this one
    }
  }
  // Nothing fits exactly: the declared charset with replacement characters is the least bad.
  return {
    text: new TextDecoder(declared).decode(bytes),
    charset: `${declared} (with replacement characters)`,
  };
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

interface Hop {
  status: number;
  headers: http.IncomingHttpHeaders;
  body?: Uint8Array;
  tooLarge?: number;
}

class DeadlineError extends Error {}

/** One request; resolves with the status and headers, and the body of a 200 (or how large it got). */
function requestOnce(
  url: URL,
  headers: Record<string, string>,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Hop> {
  return new Promise<Hop>((resolve, reject) => {
    // The deadline must end a body that drips forever, whatever state the streams are in.
    signal.addEventListener('abort', () => reject(new DeadlineError('deadline')), { once: true });
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.get(url, { headers, signal }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        res.resume();
        resolve({ status, headers: res.headers });
        return;
      }
      if (status !== 200) {
        res.resume();
        resolve({ status, headers: res.headers });
        return;
      }
      // A declared Content-Length over the cap fails before a byte is read.
      const declared = Number(headerValue(res.headers['content-length']));
      const encoding = (headerValue(res.headers['content-encoding']) ?? '').toLowerCase().trim();
      if (!encoding && Number.isFinite(declared) && declared > maxBytes) {
        res.destroy();
        resolve({ status, headers: res.headers, tooLarge: declared });
        return;
      }
      let stream: Readable = res;
      if (encoding === 'gzip' || encoding === 'x-gzip') stream = res.pipe(zlib.createGunzip());
      else if (encoding === 'deflate') stream = res.pipe(zlib.createInflate());
      else if (encoding === 'br') stream = res.pipe(zlib.createBrotliDecompress());
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      stream.on('data', (chunk: Buffer) => {
        if (done) return;
        size += chunk.length;
        if (size > maxBytes) {
          done = true;
          res.destroy();
          stream.destroy();
          resolve({ status, headers: res.headers, tooLarge: size });
          return;
        }
        chunks.push(chunk);
      });
      stream.on('end', () => {
        if (done) return;
        done = true;
        resolve({ status, headers: res.headers, body: Buffer.concat(chunks) });
      });
      stream.on('error', (err) => {
        if (done) return;
        done = true;
        reject(err);
      });
      res.on('error', (err) => {
        if (done) return;
        done = true;
        reject(err);
      });
      res.on('aborted', () => {
        if (done) return;
        done = true;
        reject(new Error('connection closed before the body ended'));
      });
    });
    req.on('error', reject);
  });
}

/** GET a feed. Never throws: every outcome is a FeedFetchResult with a message saying what and where. */
export async function fetchFeed(url: string, opts: FeedFetchOptions = {}): Promise<FeedFetchResult> {
  const timeoutMs = opts.timeoutMs ?? FETCH_DEFAULTS.timeoutMs;
  const maxBytes = opts.maxBytes ?? FETCH_DEFAULTS.maxBytes;
  const maxRedirects = opts.maxRedirects ?? FETCH_DEFAULTS.maxRedirects;
  const now = opts.now ?? Date.now();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DeadlineError('deadline'));
  }, timeoutMs);
  let requests = 0;
  let current = url;
  const visited = new Set<string>();
  const headers: Record<string, string> = {
    'user-agent': opts.userAgent ?? FETCH_DEFAULTS.userAgent,
    accept:
      'application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5',
    'accept-encoding': 'gzip, deflate, br',
  };
  if (opts.validators?.etag) headers['if-none-match'] = opts.validators.etag;
  if (opts.validators?.lastModified) headers['if-modified-since'] = opts.validators.lastModified;
  try {
    for (;;) {
      let target: URL;
      try {
        target = new URL(current);
      } catch {
        return { kind: 'network-error', url, requests, message: `invalid URL ${current}` };
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:')
        return { kind: 'network-error', url, requests, message: `unsupported scheme in ${current}` };
      visited.add(target.href);
      requests++;
      const hop = await requestOnce(target, headers, maxBytes, controller.signal);
      const at = `GET ${target.href}`;
      if (hop.status >= 300 && hop.status < 400 && hop.status !== 304) {
        const location = headerValue(hop.headers.location);
        if (!location)
          return {
            kind: 'redirect-error',
            url,
            requests,
            message: `${at}: ${hop.status} without a Location header`,
          };
        const next = new URL(location, target).href;
        const problem = redirectProblem(target.href, next);
        if (problem) return { kind: 'redirect-error', url, requests, message: `${at}: ${problem}` };
        if (visited.has(next))
          return { kind: 'redirect-error', url, requests, message: `${at}: redirect loop back to ${next}` };
        if (requests > maxRedirects)
          return {
            kind: 'redirect-error',
            url,
            requests,
            message: `${at}: more than ${maxRedirects} redirects`,
          };
        current = next;
        continue;
      }
      const validators = readValidators(hop.headers, hop.status === 304 ? opts.validators : undefined);
      if (hop.status === 304)
        return { kind: 'not-modified', url, requests, validators, message: `${at}: 304 not modified` };
      if (hop.status === 410) return { kind: 'gone', url, requests, status: 410, message: `${at}: 410 Gone` };
      if (hop.status === 429 || hop.status === 503) {
        const retryAfterMs = parseRetryAfter(headerValue(hop.headers['retry-after']), now);
        return {
          kind: 'retry-after',
          url,
          requests,
          status: hop.status,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          message: `${at}: ${hop.status}${retryAfterMs !== undefined ? `, Retry-After ${Math.round(retryAfterMs / 1000)} s` : ''}`,
        };
      }
      if (hop.status !== 200)
        return {
          kind: 'http-error',
          url,
          requests,
          status: hop.status,
          message: `${at}: HTTP ${hop.status}`,
        };
      if (hop.tooLarge !== undefined || !hop.body)
        return {
          kind: 'too-large',
          url,
          requests,
          bytes: hop.tooLarge ?? 0,
          limit: maxBytes,
          message: `${at}: body larger than ${maxBytes} bytes (at least ${hop.tooLarge ?? 0})`,
        };
      const decoded = decodeBody(hop.body, headerValue(hop.headers['content-type']));
      if (!decoded.ok)
        return {
          kind: 'decode-error',
          url,
          requests,
          charset: decoded.charset,
          message: `${at}: ${decoded.message}`,
        };
      return {
        kind: 'ok',
        url,
        requests,
        finalUrl: target.href,
        status: 200,
        text: decoded.text,
        charset: decoded.charset,
        charsetSource: decoded.source,
        ...(decoded.mismatch ? { charsetMismatch: decoded.mismatch } : {}),
        bytes: hop.body.length,
        validators,
        message: `${at}: 200, ${hop.body.length} bytes, ${decoded.charset} (${decoded.source})`,
      };
    }
  } catch (err) {
    if (timedOut)
      return {
        kind: 'timeout',
        url,
        requests,
        timeoutMs,
        message: `GET ${current}: no complete response within ${timeoutMs} ms`,
      };
    const e = err as NodeJS.ErrnoException;
    return {
      kind: 'network-error',
      url,
      requests,
      message: `GET ${current}: ${e.code ? `${e.code} ` : ''}${e.message}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** New validators from the response; on 304 a server may omit them, so the stored ones are kept. */
function readValidators(headers: http.IncomingHttpHeaders, previous: Validators | undefined): Validators {
  const etag = headerValue(headers.etag) ?? previous?.etag;
  const lastModified = headerValue(headers['last-modified']) ?? previous?.lastModified;
  return { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
}
