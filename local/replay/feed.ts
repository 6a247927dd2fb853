import { startLoopbackServer } from '../../testkit/loopback';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeBody } from '../../lambdas/sources/feed-fetch';
import { parseFeed } from '../../lambdas/sources/feed-parse';
import type { Clock } from '../../lambdas/domain/clock';

/**
 * A loopback feed server for the replay: serves an RSS 2.0 file so that at simulated time T only
 * the items dated at or before T are in the feed, newest first, as a real feed grows. The news
 * job then sees each item arrive when it happened. ETag and Last-Modified change only when a new
 * item appears, so the job's conditional GET gets 304s in between, as from a real server.
 *
 * Each `<item>…</item>` block is served verbatim; the channel head and tail are kept, with the
 * channel's own lastBuildDate/pubDate set to the newest visible item (or left out when none is).
 *
 * An item with an RSS `<source url="…">` came from another site's feed: it is served on a feed of
 * its own (one per source host), so the news job sees it as a separate source, as a second
 * outlet's report is (lambdas/domain/refund-confirm.ts: a claim needs a second feed and domain).
 */

/** The feed id of the items without a `<source>`. */
export const TIMELINE_FEED = 'replay-timeline';

export interface TimelineItem {
  /** Epoch ms of the item's pubDate. */
  at: number;
  title: string;
  /** The item's XML, verbatim. */
  xml: string;
  /** The feed it is served on: TIMELINE_FEED, or `replay-<source host>` for an item with a `<source>`. */
  feed: string;
}

export interface Timeline {
  head: string;
  tail: string;
  /** Ascending by date. */
  items: TimelineItem[];
  /** Items left out (no or bad pubDate), each naming the file and item. */
  problems: string[];
}

export class FeedFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeedFileError';
  }
}

const ITEM = /<item[\s>][\s\S]*?<\/item>/g;

function tagText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m?.[1]
    ?.replace(/^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Split an RSS 2.0 document into its channel head, items and tail. The whole file must parse as
 * a feed first (rss-parser, as the news job reads it), so a broken file is refused with the
 * parser's reason instead of being served broken.
 */
export async function loadTimeline(bytes: Uint8Array, where: string): Promise<Timeline> {
  const decoded = decodeBody(bytes, undefined);
  if (!decoded.ok) throw new FeedFileError(`${where}: ${decoded.message}`);
  const text = decoded.text;
  try {
    await parseFeed(text, where);
  } catch (err) {
    throw new FeedFileError(err instanceof Error ? err.message : String(err));
  }
  const blocks = [...text.matchAll(ITEM)];
  const first = blocks[0];
  const last = blocks[blocks.length - 1];
  if (!first || !last || first.index === undefined || last.index === undefined)
    throw new FeedFileError(`${where}: no <item> elements; the replay serves RSS 2.0 items`);
  // Served as UTF-8 whatever the file was written in: the declaration must agree with the bytes.
  const head = text
    .slice(0, first.index)
    .replace(/[ \t]*$/, '')
    .replace(/^(\s*<\?xml[^>]*?encoding=)(["'])[^"']*\2/, '$1$2UTF-8$2');
  const tail = text.slice(last.index + last[0].length);
  const problems: string[] = [];
  const items: TimelineItem[] = [];
  blocks.forEach((b, i) => {
    const title = tagText(b[0], 'title') ?? '(untitled)';
    const pubDate = tagText(b[0], 'pubDate');
    const at = pubDate ? Date.parse(pubDate) : NaN;
    if (Number.isNaN(at)) {
      problems.push(
        `${where}: item ${i + 1} "${title}" has ${pubDate ? `an unreadable pubDate "${pubDate}"` : 'no pubDate'}; the replay cannot place it in time, skipped`,
      );
      return;
    }
    items.push({ at, title, xml: b[0], feed: sourceFeed(b[0]) });
  });
  items.sort((a, b) => a.at - b.at);
  return { head, tail, items, problems };
}

/** `replay-k-taimiler-com` for `<source url="https://www.k-taimiler.com/feed">`. */
function sourceFeed(xml: string): string {
  const url = /<source\s[^>]*url="([^"]+)"/.exec(xml)?.[1];
  let host: string | undefined;
  try {
    host = url ? new URL(url).hostname.replace(/^www\./, '') : undefined;
  } catch {
    host = undefined;
  }
  return host ? `replay-${host.replace(/[^a-z0-9]+/g, '-')}` : TIMELINE_FEED;
}

/** The feeds a timeline is served on, TIMELINE_FEED first. */
export function timelineFeeds(timeline: Timeline): string[] {
  return [...new Set([TIMELINE_FEED, ...timeline.items.map((i) => i.feed)])];
}

export async function readTimelineFile(path: string): Promise<Timeline> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new FeedFileError(
      `cannot read news file ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return loadTimeline(bytes, path);
}

/** The feed document at `now`: the feed's items dated ≤ now, newest first. */
export function feedAt(
  timeline: Timeline,
  now: number,
  feed = TIMELINE_FEED,
): { xml: string; visible: TimelineItem[] } {
  const visible = timeline.items.filter((i) => i.feed === feed && i.at <= now).reverse();
  const newest = visible[0];
  const stamp = newest ? new Date(newest.at).toUTCString() : undefined;
  let head = timeline.head.replace(/<(lastBuildDate|pubDate)>[\s\S]*?<\/\1>\s*/g, (_m, tag: string) =>
    stamp ? `<${tag}>${stamp}</${tag}>\n    ` : '',
  );
  // Another site's feed is titled with its <source> name, not as our timeline.
  const source = timeline.items.find((i) => i.feed === feed && i.feed !== TIMELINE_FEED);
  const name = source && /<source\s[^>]*>([^<]+)<\/source>/.exec(source.xml)?.[1];
  if (name) head = head.replace(/<title>[\s\S]*?<\/title>/, `<title>${name}</title>`);
  const body = visible.map((i) => `    ${i.xml}\n`).join('\n');
  return { xml: `${head}\n${body}${timeline.tail.replace(/^\s*/, '  ')}`, visible };
}

export interface ReplayFeed {
  /** The timeline's own feed (items without a `<source>`). */
  url: string;
  /** Every feed served: TIMELINE_FEED and one per `<source>` host. */
  feeds: { id: string; url: string }[];
  /** Requests served, and how many were answered 304. */
  requests: number;
  notModified: number;
  close(): Promise<void>;
}

/** Start the loopback feed on 127.0.0.1 (random port), serving `timeline` at the clock's time. */
export async function startReplayFeed(opts: { clock: Clock; timeline: Timeline }): Promise<ReplayFeed> {
  const state = { requests: 0, notModified: 0 };
  const ids = timelineFeeds(opts.timeline);
  const pathOf = (id: string) => (id === TIMELINE_FEED ? '/feed.rss' : `/feeds/${id}.rss`);
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    state.requests++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const feed = ids.find((id) => pathOf(id) === url.pathname);
    if (!feed) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`no feed at ${url.pathname}; the replay feeds are ${ids.map(pathOf).join(', ')}`);
      return;
    }
    const { xml, visible } = feedAt(opts.timeline, opts.clock.now(), feed);
    const etag = `"${createHash('sha256')
      .update(visible.map((i) => i.xml).join('\n'))
      .digest('base64url')
      .slice(0, 16)}"`;
    const lastModified = new Date(visible[0]?.at ?? 0).toUTCString();
    const headers = { etag, 'last-modified': lastModified, 'cache-control': 'max-age=0' };
    if (req.headers['if-none-match'] === etag) {
      state.notModified++;
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const body = Buffer.from(xml, 'utf8');
    res.writeHead(200, {
      ...headers,
      // The file was decoded with its own declared charset; we serve UTF-8 and say so.
      'content-type': 'application/rss+xml; charset=utf-8',
      'content-length': body.length,
    });
    res.end(body);
  };
  const server = await startLoopbackServer(handle, { record: false });
  const url = `${server.baseUrl}/feed.rss`;
  return {
    url,
    feeds: ids.map((id) => ({ id, url: `${server.baseUrl}${pathOf(id)}` })),
    get requests() {
      return state.requests;
    },
    get notModified() {
      return state.notModified;
    },
    close: server.close,
  };
}
