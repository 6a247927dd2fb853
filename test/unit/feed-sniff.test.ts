import { readFixture, fixtureFeedPaths } from '../../testkit/feed-server';
import { sniffFeed } from '../../lambdas/sources/feed-sniff';
import { parseFeed } from '../../lambdas/sources/feed-parse';

const MALFORMED = [
  'gofeed/issue_305_bare_ampersand.xml',
  'gofeed/issue_320_legacy_entity_prefix.xml',
  'node-feedparser/saxerror.xml',
];

describe('feed sniff (the /feeds add check without a parser)', () => {
  // The news job's parser is the judge: on every recorded feed, the sniff says "feed" exactly when
  // rss-parser reads it (so /feeds add refuses what the news job could not read, and the reverse).
  it.each(fixtureFeedPaths().filter((p) => /\.(xml|rss|atom)$/.test(p)))(
    'on %s the sniff agrees with the parser',
    async (path) => {
      const text = readFixture(path).toString('utf8');
      const parsed = await parseFeed(text).then(
        () => true,
        () => false,
      );
      // Malformed XML under a feed root: only a parser sees it (the news job then counts the failure).
      const malformed = MALFORMED.includes(path);
      expect({ path, feed: sniffFeed(text).ok }).toEqual({ path, feed: parsed || malformed });
    },
  );

  it('reads the format, the title and the item count', () => {
    const rss = `<?xml version="1.0"?>\n<!-- c --><rss version="2.0"><channel><title><![CDATA[Coincheck news]]></title><item><title>a</title></item><item/></channel></rss>`;
    expect(sniffFeed(rss)).toEqual({ ok: true, format: 'rss', title: 'Coincheck news', items: 2 });
    const atom = `<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><title>x</title></entry></feed>`;
    expect(sniffFeed(atom)).toEqual({ ok: true, format: 'atom', title: 'A', items: 1 });
  });

  it.each([
    ['<!doctype html><html><body>hi</body></html>', 'the document is <html>'],
    ['{"items": []}', 'not XML'],
    ['<rss version="2.0"></rss>', 'without a <channel>'],
    ['<feed><entry/></feed>', 'without the Atom namespace'],
  ])('%s is refused: %s', (text, why) => {
    const sniff = sniffFeed(text);
    expect(sniff.ok).toBe(false);
    expect(sniff.ok ? '' : sniff.problem).toContain(why);
  });
});
