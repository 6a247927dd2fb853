import { FETCH_DEFAULTS, fetchFeed, type FeedFetcher } from '../sources/feed-fetch';
import { sniffFeed } from '../sources/feed-sniff';
import type { FeedProbe } from '../discord/commands';

/**
 * The one check of a feed URL before /feeds add stores it: the news job's own fetch (byte cap,
 * deadline, no https→http, redirect limit), then a parser-free look at the document
 * (sources/feed-sniff.ts: the worker's bundle stays small). Runs in the deferred-work worker: a
 * fetch may take longer than the endpoint's 3 s, so the endpoint hands /feeds add over to it.
 */
export function createFeedProbe(
  fetcher: FeedFetcher = fetchFeed,
  opts: { timeoutMs?: number; maxBytes?: number; maxRedirects?: number } = {},
): FeedProbe {
  return async (url) => {
    const res = await fetcher(url, {
      timeoutMs: opts.timeoutMs ?? FETCH_DEFAULTS.timeoutMs,
      maxBytes: opts.maxBytes ?? FETCH_DEFAULTS.maxBytes,
      maxRedirects: opts.maxRedirects ?? FETCH_DEFAULTS.maxRedirects,
    });
    if (res.kind !== 'ok') return { ok: false, problem: res.message };
    const sniff = sniffFeed(res.text);
    if (!sniff.ok) return sniff;
    return { ok: true, items: sniff.items, ...(sniff.title ? { title: sniff.title } : {}) };
  };
}
