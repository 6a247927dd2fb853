import { fetchFeed } from '../../lambdas/sources/feed-fetch';
import { parseFeed } from '../../lambdas/sources/feed-parse';
import { startFeedServer, type FeedServer } from '../../testkit/feed-server';

/** A feed whose bytes do not match its declared charset: decoded with a fallback, and said. */

let server: FeedServer;
beforeAll(async () => {
  server = await startFeedServer();
});
afterAll(() => server.close());

describe('charset mismatch', () => {
  it('Shift_JIS bytes served as "charset=utf-8" are read as Shift_JIS and the mismatch is reported', async () => {
    const res = await fetchFeed(server.url('/fixtures/incident/coincheck-ja.sjis.rdf.xml?charset=utf-8'));
    if (res.kind !== 'ok') throw new Error(res.message);
    expect(res.charsetSource).toBe('fallback');
    expect(res.charset).toBe('shift_jis');
    expect(res.charsetMismatch).toBe(
      'bytes are not valid utf-8 as the Content-Type header declares; read as shift_jis',
    );
    const feed = await parseFeed(res.text);
    // Nothing dropped: both items, with readable titles a keyword can match.
    expect(feed.items).toHaveLength(2);
    expect(feed.items.map((i) => i.title).join('\n')).toContain(
      'コインチェックでネム流出、被害額は約580億円',
    );
  });

  it('EUC-JP bytes declared as Shift_JIS fall back to EUC-JP', async () => {
    const res = await fetchFeed(
      server.url('/fixtures/incident/coincheck-ja.eucjp.rss.xml?charset=shift_jis'),
    );
    if (res.kind !== 'ok') throw new Error(res.message);
    expect(res.charsetMismatch).toContain('read as euc-jp');
    expect((await parseFeed(res.text)).items.map((i) => i.title).join('\n')).toContain(
      'コインチェック、ネム保有者への補償を表明',
    );
  });
});
