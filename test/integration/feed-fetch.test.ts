import {
  fetchFeed,
  parseRetryAfter,
  redirectProblem,
  type FeedFetchResult,
} from '../../lambdas/sources/feed-fetch';
import { FeedParseError, parseFeed } from '../../lambdas/sources/feed-parse';
import { gzipSync } from 'node:zlib';
import { fixtureFeedPaths, readFixture, startFeedServer, type FeedServer } from '../../testkit/feed-server';

/** Fixture feeds rss-parser cannot read, each with the reason it gives (PROVENANCE.md, 3.5). */
const UNREADABLE: Record<string, RegExp> = {
  'gofeed/issue_305_bare_ampersand.xml': /Invalid character in entity name/,
  'gofeed/issue_320_legacy_entity_prefix.xml': /Invalid character in entity name/,
  'gofeed/universal_empty_feed.xml': /empty body/,
  'gofeed/universal_unknown_feed.xml': /not recognized as RSS/,
  'node-feedparser/notafeed.html.txt': /Unexpected close tag/,
  'node-feedparser/saxerror.xml': /Invalid character in entity name/,
  'rss-parser/input/unrecognized.rss.xml': /not recognized as RSS/,
};

function ok(r: FeedFetchResult): Extract<FeedFetchResult, { kind: 'ok' }> {
  if (r.kind !== 'ok') throw new Error(`expected ok, got ${r.kind}: ${r.message}`);
  return r;
}

describe('feed fetch on loopback', () => {
  let server: FeedServer;
  beforeAll(async () => {
    server = await startFeedServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('every fixture feed parses, or fails with a clear error naming it, and the others go on', async () => {
    const paths = fixtureFeedPaths();
    expect(paths.length).toBeGreaterThanOrEqual(40);
    const outcomes = await Promise.all(
      paths.map(async (path) => {
        const res = ok(await fetchFeed(server.url(`/fixtures/${path}`)));
        try {
          const feed = await parseFeed(res.text, `feed ${path}`);
          return { path, items: feed.items.length };
        } catch (err) {
          expect(err).toBeInstanceOf(FeedParseError);
          return { path, error: (err as Error).message };
        }
      }),
    );
    const failed = outcomes.filter((o) => o.error !== undefined);
    expect(failed.map((o) => o.path).sort()).toEqual(Object.keys(UNREADABLE).sort());
    for (const f of failed) {
      expect(f.error).toContain(f.path);
      expect(f.error).toMatch(UNREADABLE[f.path] ?? /never/);
    }
    const parsed = Object.fromEntries(outcomes.map((o) => [o.path, o.items]));
    expect(parsed['rss-parser/input/giantbomb-podcast.rss.xml']).toBe(730);
    expect(parsed['rss-parser/input/rss-1.rss.xml']).toBeGreaterThan(0); // RSS 1.0 / RDF
    expect(parsed['rss-parser/input/heraldsun.rss.xml']).toBe(2); // RSS 0.92
    expect(parsed['node-feedparser/intertwingly.atom.xml']).toBe(20); // Atom
    expect(parsed['incident/coincheck-ja.sjis.rdf.xml']).toBe(2);
  });

  it.each([
    ['rss-parser/input/encoding.rss.xml', 'iso-8859-1', 'Mãe de utente é a nova presidente'],
    ['node-feedparser/iconv.xml', 'windows-1251', 'В Бузулуке главные стройплощадки'],
    ['incident/coincheck-ja.sjis.rdf.xml', 'shift_jis', 'コインチェックでネム流出、被害額は約580億円'],
    ['incident/coincheck-ja.eucjp.rss.xml', 'euc-jp', 'コインチェック、ネム保有者への補償を表明'],
  ])('%s decodes as %s with and without a charset header', async (path, charset, words) => {
    for (const query of ['', `?charset=${charset}`]) {
      const res = ok(await fetchFeed(server.url(`/fixtures/${path}${query}`)));
      expect(res.charsetSource).toBe(query ? 'header' : 'xml-declaration');
      const feed = await parseFeed(res.text);
      expect(feed.items.map((i) => i.title).join('\n')).toContain(words);
    }
  });

  it('ISO-8859-1 with neither header nor XML declaration (uolNoticias) still reads right', async () => {
    const res = ok(await fetchFeed(server.url('/fixtures/rss-parser/input/uolNoticias.rss.xml')));
    expect(res.charsetSource).toBe('fallback');
    const feed = await parseFeed(res.text);
    expect(feed.items.map((i) => i.title).join('\n')).toContain('simulaç');
  });

  it('a gzip-encoded feed is decoded, and the byte cap counts the decoded bytes', async () => {
    const xml = readFixture('node-feedparser/iconv.xml');
    server.route('/gzip', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' });
      res.end(gzipSync(xml));
    });
    const res = ok(await fetchFeed(server.url('/gzip')));
    expect(res.bytes).toBe(xml.length);
    expect((await parseFeed(res.text)).items[0]?.title).toContain('Бузулуке');
    const capped = await fetchFeed(server.url('/gzip'), { maxBytes: 4096 });
    expect(capped.kind).toBe('too-large');
  });

  it('a charset nobody knows is a clear decode error, not mojibake', async () => {
    const res = await fetchFeed(server.url('/fixtures/node-feedparser/rss2sample.xml?charset=x-klingon'));
    expect(res.kind).toBe('decode-error');
    expect(res.message).toContain('unknown charset "x-klingon" (from header)');
  });

  it('a UTF-8 BOM is stripped before parsing', async () => {
    const res = ok(await fetchFeed(server.url('/fixtures/gofeed/universal_rss_feed_bom.xml')));
    expect(res.text.charCodeAt(0)).not.toBe(0xfeff);
    expect((await parseFeed(res.text)).title).toBe('Feed Title');
  });

  it('a conditional GET with the stored ETag gets 304 and keeps the validators', async () => {
    const path = '/fixtures/node-feedparser/rss2sample.xml';
    const first = ok(await fetchFeed(server.url(path)));
    expect(first.validators.etag).toMatch(/^"/);
    const second = await fetchFeed(server.url(path), { validators: first.validators });
    expect(second.kind).toBe('not-modified');
    expect(second.kind === 'not-modified' && second.validators).toEqual(first.validators);
    const byDate = await fetchFeed(server.url(path), {
      validators: { lastModified: first.validators.lastModified ?? '' },
    });
    expect(byDate.kind).toBe('not-modified');
    expect(server.notModified(path)).toBe(2);
  });

  it('a body that drips forever ends at the deadline with a timeout', async () => {
    const res = await fetchFeed(server.url('/slow'), { timeoutMs: 400 });
    expect(res.kind).toBe('timeout');
    expect(res.message).toContain('/slow');
    expect(res.message).toContain('400 ms');
  });

  it('a chunked body over the byte cap is cut off as too large', async () => {
    const res = await fetchFeed(server.url('/oversized'), { maxBytes: 1024 * 1024 });
    expect(res.kind).toBe('too-large');
    expect(res.message).toMatch(/larger than 1048576 bytes/);
  });

  it('a Content-Length over the cap fails before the body is read', async () => {
    const res = await fetchFeed(server.url('/oversized-declared'));
    expect(res.kind).toBe('too-large');
    expect(res.kind === 'too-large' && res.bytes).toBe(64 * 1024 * 1024);
  });

  it('the 1.6 MB feed fits under the default cap', async () => {
    const res = ok(await fetchFeed(server.url('/fixtures/rss-parser/input/giantbomb-podcast.rss.xml')));
    expect(res.bytes).toBe(1618297);
  });

  it('a redirect loop is reported as one, naming the URL', async () => {
    const res = await fetchFeed(server.url('/loop/a'));
    expect(res.kind).toBe('redirect-error');
    expect(res.message).toContain('redirect loop');
    expect(res.requests).toBe(2);
  });

  it('redirects are followed up to the limit, and refused past it', async () => {
    const res = ok(await fetchFeed(server.url('/redirect/3')));
    expect(res.finalUrl).toContain('rss2sample.xml');
    expect(res.requests).toBe(4);
    const tooMany = await fetchFeed(server.url('/redirect/3'), { maxRedirects: 2 });
    expect(tooMany.kind).toBe('redirect-error');
    expect(tooMany.message).toContain('more than 2 redirects');
  });

  it('https → http redirects are refused; http → https and same-scheme are fine', () => {
    expect(redirectProblem('https://a.example/feed', 'http://a.example/feed')).toMatch(
      /https to http refused/,
    );
    expect(redirectProblem('http://a.example/feed', 'https://a.example/feed')).toBeUndefined();
    expect(redirectProblem('https://a.example/feed', 'ftp://a.example/feed')).toMatch(/unsupported scheme/);
  });

  it('429 with Retry-After seconds and 503 with a Retry-After date say how long to wait', async () => {
    const now = Date.parse('2018-01-26T03:00:00Z');
    const r429 = await fetchFeed(server.url('/status/429?retry-after=120'), { now });
    expect(r429).toMatchObject({ kind: 'retry-after', status: 429, retryAfterMs: 120_000 });
    const date = new Date(now + 600_000).toUTCString();
    const r503 = await fetchFeed(server.url(`/status/503?retry-after=${encodeURIComponent(date)}`), { now });
    expect(r503).toMatchObject({ kind: 'retry-after', status: 503, retryAfterMs: 600_000 });
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(new Date(now - 5000).toUTCString(), now)).toBe(0);
  });

  it('410 is gone, 500 is an HTTP error, a closed port is a network error', async () => {
    expect((await fetchFeed(server.url('/status/410'))).kind).toBe('gone');
    const r500 = await fetchFeed(server.url('/status/500'));
    expect(r500).toMatchObject({ kind: 'http-error', status: 500 });
    expect(r500.message).toContain('/status/500');
    const refused = await fetchFeed('http://127.0.0.1:1/feed');
    expect(refused.kind).toBe('network-error');
    expect(refused.message).toContain('ECONNREFUSED');
  });
});
