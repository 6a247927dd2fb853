/**
 * Is this text an RSS or Atom feed? A check without a parser, for `/feeds add`: it runs in the
 * interactions worker, whose bundle must stay under 300 KB, and rss-parser with xml2js and
 * xmlbuilder would add about 170 KB. The news job still parses with rss-parser (feed-parse.ts);
 * a feed that passes this sniff and later fails to parse (malformed XML: a bare '&', a broken tag;
 * only a parser sees it) is counted and switched off like any configured feed (domain/feed-health.ts).
 */

export type FeedSniff =
  | { ok: true; format: 'rss' | 'rdf' | 'atom'; title?: string; items: number }
  | { ok: false; problem: string };

/** Atom 1.0, and 0.3 (still served by a few old sites; rss-parser reads it). */
const ATOM_NS = ['http://www.w3.org/2005/Atom', 'http://purl.org/atom/ns#'];

export function sniffFeed(text: string): FeedSniff {
  // The root element: after a BOM, the XML declaration, comments, processing instructions, a doctype.
  const body = text
    .replace(/^\uFEFF/, '')
    .replace(/<\?[\s\S]*?\?>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<!DOCTYPE[^>[]*(\[[\s\S]*?\])?\s*>/i, '')
    .trimStart();
  const root = /^<([A-Za-z_][\w.:-]*)([^>]*)>/.exec(body);
  if (!root) return { ok: false, problem: 'not XML (no root element)' };
  const [, name = '', attrs = ''] = root;
  const count = (tag: string) => (body.match(new RegExp(`<${tag}[\\s>/]`, 'g')) ?? []).length;
  const title = /<title[^>]*>([\s\S]*?)<\/title>/.exec(body)?.[1];
  const cleanTitle = title
    ?.replace(/^<!\[CDATA\[([\s\S]*)\]\]>$/, '$1')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  const found = (format: 'rss' | 'rdf' | 'atom', items: number): FeedSniff => ({
    ok: true,
    format,
    items,
    ...(cleanTitle ? { title: cleanTitle } : {}),
  });
  if (name === 'rss') {
    if (!count('channel')) return { ok: false, problem: 'an <rss> document without a <channel>' };
    return found('rss', count('item'));
  }
  if (name === 'rdf:RDF') return found('rdf', count('item'));
  if (name === 'feed' || name.endsWith(':feed')) {
    if (!ATOM_NS.some((ns) => attrs.includes(ns)))
      return { ok: false, problem: `a <${name}> root without the Atom namespace` };
    return found('atom', count(name.includes(':') ? `${name.split(':')[0]}:entry` : 'entry'));
  }
  return { ok: false, problem: `the document is <${name}>, not <rss>, <rdf:RDF> or an Atom <feed>` };
}
