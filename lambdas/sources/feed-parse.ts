import Parser from 'rss-parser';

/**
 * rss-parser's parseString (RSS 0.9x, 1.0/RDF, 2.0, Atom) behind a small interface: what we
 * keep of each item, as plain strings, whatever odd shapes xml2js produced.
 */

export interface ParsedItem {
  guid?: string;
  link?: string;
  title?: string;
  /** The item's date as written (pubDate / updated / dc:date). */
  date?: string;
  /** Epoch ms, when the date parses. */
  publishedAt?: number;
  /** Plain text excerpt for display, capped at MAX_SUMMARY_CHARS. */
  summary?: string;
  /**
   * The item's whole plain text (content, else description), for reading evidence before any
   * display cap: a rate in the 1,001st character is still stated by the source.
   */
  body?: string;
}

export interface ParsedFeed {
  title?: string;
  link?: string;
  items: ParsedItem[];
}

export class FeedParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeedParseError';
  }
}

const MAX_SUMMARY_CHARS = 1000;
/** Bound on the evidence text of one item (a feed body is already capped by the fetch). */
const MAX_BODY_CHARS = 100_000;

/**
 * xml2js gives a string, or `{ _: text, $: attributes }` for an element with attributes
 * (Atom `<title type="html">`), or an array when an element repeats. Take the text.
 */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return text(value[0]);
  if (value && typeof value === 'object' && '_' in value) return text((value as { _: unknown })._);
  return undefined;
}

function stripTags(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function toItem(raw: Record<string, unknown>): ParsedItem {
  const date = text(raw.isoDate) ?? text(raw.pubDate) ?? text(raw.updated);
  const parsed = date ? Date.parse(date) : NaN;
  const snippet = text(raw.contentSnippet) ?? text(raw.summary) ?? stripTags(text(raw.content) ?? '');
  // content:encoded holds the full article where a feed has it; contentSnippet is its text.
  const full = stripTags(text(raw['content:encoded']) ?? '') || snippet;
  const guid = text(raw.guid) ?? text(raw.id);
  const link = text(raw.link);
  const title = text(raw.title);
  return {
    ...(guid ? { guid } : {}),
    ...(link ? { link } : {}),
    ...(title ? { title } : {}),
    ...(date ? { date } : {}),
    ...(Number.isNaN(parsed) ? {} : { publishedAt: parsed }),
    ...(snippet ? { summary: snippet.slice(0, MAX_SUMMARY_CHARS) } : {}),
    ...(full ? { body: full.slice(0, MAX_BODY_CHARS) } : {}),
  };
}

/**
 * Parse feed text (already decoded). Throws FeedParseError naming the feed and what is wrong.
 * A fresh Parser per call: xml2js parsers keep state between parses.
 */
export async function parseFeed(xml: string, where = 'feed'): Promise<ParsedFeed> {
  if (!xml.trim()) throw new FeedParseError(`${where}: empty body, not a feed`);
  // defaultRSS 2: an <rss> without a version attribute (uolNoticias) is read as RSS 2.0.
  const parser = new Parser({ defaultRSS: 2 });
  let out: Awaited<ReturnType<typeof parser.parseString>>;
  try {
    out = await parser.parseString(xml);
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n').join(' ') : String(err);
    throw new FeedParseError(`${where}: not a readable RSS/Atom feed: ${reason}`);
  }
  const items = Array.isArray(out.items) ? out.items : [];
  const title = text(out.title);
  const link = text(out.link);
  return {
    ...(title ? { title } : {}),
    ...(link ? { link } : {}),
    items: items.map((i) => toItem(i as unknown as Record<string, unknown>)),
  };
}
