/** Small RSS 2.0 feeds built in tests, for cases a fixture file cannot show (re-dated, reordered items). */
export interface RssItemSpec {
  title: string;
  link?: string;
  guid?: string;
  pubDate?: string;
  description?: string;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function rssFeed(title: string, items: RssItemSpec[]): string {
  const body = items
    .map(
      (i) =>
        `  <item>\n    <title>${esc(i.title)}</title>\n` +
        (i.link ? `    <link>${esc(i.link)}</link>\n` : '') +
        (i.guid ? `    <guid isPermaLink="false">${esc(i.guid)}</guid>\n` : '') +
        (i.pubDate ? `    <pubDate>${i.pubDate}</pubDate>\n` : '') +
        (i.description ? `    <description>${esc(i.description)}</description>\n` : '') +
        `  </item>\n`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n  <title>${esc(title)}</title>\n${body}</channel></rss>\n`;
}
