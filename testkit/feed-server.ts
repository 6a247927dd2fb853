import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative } from 'node:path';
import { startLoopbackServer } from './loopback';

/**
 * A loopback feed server (127.0.0.1) for the feed tests and the bench. Serves every file in
 * test/fixtures/feeds under /fixtures/<path>, byte for byte, with ETag/Last-Modified and 304s;
 * `?charset=<label>` adds a charset to the Content-Type header (without it there is none, so the
 * XML declaration has to tell). Misbehaving endpoints:
 *   /slow               a feed whose body drips one byte every 50 ms and never ends
 *   /oversized          6 MB of XML, chunked (no Content-Length)
 *   /oversized-declared Content-Length of 64 MB announced up front
 *   /loop/a, /loop/b    redirect to each other
 *   /redirect/<n>       n redirects, then rss2sample.xml
 *   /status/<code>      that status; ?retry-after=<seconds|HTTP date> sets Retry-After
 * Tests add their own routes with `route(path, handler)` (e.g. a feed that grows over time).
 */

export const FEED_FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'feeds');

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

export interface FeedServer {
  base: string;
  url(path: string): string;
  /** Requests seen per path (query left out). */
  count(path: string): number;
  /** Conditional requests answered 304, per path. */
  notModified(path: string): number;
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

/** Every fixture feed file, relative to test/fixtures/feeds (PROVENANCE.md left out). */
export function fixtureFeedPaths(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
  return walk(FEED_FIXTURES)
    .map((p) => relative(FEED_FIXTURES, p))
    .filter((p) => !p.endsWith('.md'))
    .sort();
}

export function readFixture(path: string): Buffer {
  return readFileSync(join(FEED_FIXTURES, path));
}

function contentTypeFor(path: string): string {
  if (path.endsWith('.txt')) return 'text/html';
  if (path.includes('atom')) return 'application/atom+xml';
  if (path.includes('rdf')) return 'application/rdf+xml';
  return 'application/rss+xml';
}

const LAST_MODIFIED = 'Sat, 27 Jan 2018 00:00:00 GMT';

export interface BodyOptions {
  contentType?: string;
  charset?: string;
  lastModified?: string;
}

/**
 * Send a body with a strong ETag (hash of the bytes) and Last-Modified; answer 304 when the
 * client's If-None-Match matches (or, without one, If-Modified-Since is not older).
 */
export function sendWithValidators(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  opts: BodyOptions = {},
): 'sent' | 'not-modified' {
  const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
  const lastModified = opts.lastModified ?? LAST_MODIFIED;
  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  const fresh =
    inm !== undefined ? inm === etag : ims !== undefined && Date.parse(ims) >= Date.parse(lastModified);
  if (fresh) {
    res.writeHead(304, { etag, 'last-modified': lastModified });
    res.end();
    return 'not-modified';
  }
  const type = opts.contentType ?? 'application/rss+xml';
  res.writeHead(200, {
    'content-type': opts.charset ? `${type}; charset=${opts.charset}` : type,
    'content-length': String(body.length),
    etag,
    'last-modified': lastModified,
  });
  res.end(body);
  return 'sent';
}

/**
 * Keep only the items/entries dated at or before `cutoffMs`: a fixture feed "as it looked" at a
 * moment, so one file plays a feed growing over weeks. Works on UTF-8 fixtures.
 */
export function itemsUpTo(xml: string, cutoffMs: number): string {
  return xml.replace(/<(item|entry)\b[\s\S]*?<\/\1>\s*/g, (block) => {
    const m = /<(?:pubDate|updated|dc:date)>([^<]+)</.exec(block);
    const at = m?.[1] ? Date.parse(m[1]) : NaN;
    return Number.isNaN(at) || at <= cutoffMs ? block : '';
  });
}

export async function startFeedServer(): Promise<FeedServer> {
  const counts = new Map<string, number>();
  const notModified = new Map<string, number>();
  const routes = new Map<string, Handler>();
  const timers = new Set<NodeJS.Timeout>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

  const server = await startLoopbackServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    bump(counts, path);
    const custom = routes.get(path);
    if (custom) return custom(req, res, url);
    if (path.startsWith('/fixtures/')) {
      const file = decodeURIComponent(path.slice('/fixtures/'.length));
      if (file.includes('..')) return void res.writeHead(400).end();
      let body: Buffer;
      try {
        body = readFixture(file);
      } catch {
        return void res.writeHead(404).end();
      }
      const charset = url.searchParams.get('charset') ?? undefined;
      const outcome = sendWithValidators(req, res, body, {
        contentType: contentTypeFor(file),
        ...(charset ? { charset } : {}),
      });
      if (outcome === 'not-modified') bump(notModified, path);
      return;
    }
    if (path === '/slow') {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>slow');
      const timer = setInterval(() => res.write('.'), 50);
      timers.add(timer);
      const stop = () => {
        clearInterval(timer);
        timers.delete(timer);
      };
      res.on('close', stop);
      return;
    }
    if (path === '/oversized') {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      const chunk = Buffer.from(`<item><title>${'x'.repeat(1000)}</title></item>\n`);
      res.write('<?xml version="1.0"?><rss version="2.0"><channel>');
      let written = 0;
      const pump = () => {
        while (written < 6 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('</channel></rss>');
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
      return;
    }
    if (path === '/oversized-declared') {
      res.writeHead(200, {
        'content-type': 'application/rss+xml',
        'content-length': String(64 * 1024 * 1024),
      });
      res.write('<?xml version="1.0"?>');
      return;
    }
    if (path === '/loop/a' || path === '/loop/b') {
      res.writeHead(302, { location: path === '/loop/a' ? '/loop/b' : '/loop/a' });
      return void res.end();
    }
    const redirect = /^\/redirect\/(\d+)$/.exec(path);
    if (redirect) {
      const n = Number(redirect[1]);
      res.writeHead(301, {
        location: n > 1 ? `/redirect/${n - 1}` : '/fixtures/node-feedparser/rss2sample.xml',
      });
      return void res.end();
    }
    const status = /^\/status\/(\d{3})$/.exec(path);
    if (status) {
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      const retryAfter = url.searchParams.get('retry-after');
      if (retryAfter) headers['retry-after'] = retryAfter;
      res.writeHead(Number(status[1]), headers);
      return void res.end(`status ${status[1]}`);
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  const base = server.baseUrl;
  return {
    base,
    url: (path) => `${base}${path}`,
    count: (path) => counts.get(path) ?? 0,
    notModified: (path) => notModified.get(path) ?? 0,
    route: (path, handler) => void routes.set(path, handler),
    close: () => {
      for (const t of timers) clearInterval(t);
      return server.close();
    },
  };
}
