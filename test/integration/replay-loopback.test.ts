import { createPriceSources, QuoteError } from '../../lambdas/sources/exchanges';
import { fetchFeed } from '../../lambdas/sources/feed-fetch';
import { parseFeed } from '../../lambdas/sources/feed-parse';
import { ManualClock } from '../../lambdas/domain/clock';
import { MemoryLogger } from '../../lambdas/domain/log';
import { startReplayExchange, type ReplayExchange } from '../../local/replay/exchange';
import { FeedFileError, loadTimeline, readTimelineFile, startReplayFeed } from '../../local/replay/feed';
import { DEFAULT_DATA_DIR, loadRecordedSeries, type PriceSeries } from '../../local/replay/prices';

const at = (iso: string): number => Date.parse(iso);

/** A small hourly series: 100, 101, 102 ... opening at `start`. */
function hourly(symbol: string, start: string, closes: number[]): PriceSeries {
  return {
    symbol,
    intervalMs: 3_600_000,
    origin: 'test',
    candles: closes.map((close, i) => ({
      time: at(start) + i * 3_600_000,
      open: close,
      high: close,
      low: close,
      close,
      volume: 10,
    })),
  };
}

/** An RSS 2.0 document with items dated as given. */
function rss(items: { title: string; date?: string }[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title><link>https://example.invalid/</link><description>d</description>
<lastBuildDate>Mon, 12 Mar 2018 09:00:00 GMT</lastBuildDate>
${items
  .map(
    (i, n) =>
      `<item><title>${i.title}</title><guid>g${n}</guid>${i.date ? `<pubDate>${i.date}</pubDate>` : ''}</item>`,
  )
  .join('\n')}
</channel></rss>`;
}

describe('replay exchange through the real ccxt poloniex driver', () => {
  const clock = new ManualClock(at('2018-01-26T09:10:00Z'));
  let exchange: ReplayExchange;
  afterEach(async () => exchange?.close());

  it('serves the recorded XEM/BTC price of the simulated now, stamped with that time', async () => {
    exchange = await startReplayExchange({ clock, series: loadRecordedSeries().series });
    const [btc, usd] = createPriceSources(
      ['XEM/BTC', 'XEM/USD'].map((symbol) => ({ exchange: 'poloniex', symbol, urls: exchange.urls })),
      new MemoryLogger(),
      { rateLimit: false },
    );
    const quote = await btc?.fetchQuote(clock.now());
    // The 08:00 UTC candle closed at 09:00: its VWAP, not the still-open 09:00 candle.
    expect(quote?.price).toBeCloseTo(207.25 / 2747602.91, 9);
    expect(quote?.timestamp).toBe(clock.now());
    expect((await usd?.fetchQuote(clock.now()))?.price).toBe(0.95);
    // loadMarkets once (currencies, spot, swap), then one ticker request per poll.
    clock.set(at('2018-01-26T10:10:00Z'));
    expect((await btc?.fetchQuote(clock.now()))?.price).toBeCloseTo(82.26 / 1073408.94, 9);
    expect(Object.fromEntries(exchange.requests)).toEqual({
      '/v2/currencies': 1,
      '/markets': 1,
      '/v3/market/allInstruments': 1,
      '/markets/XEM_BTC/ticker24h': 2,
      '/markets/XEM_USD/ticker24h': 1,
    });
  });

  it('after its last candle a series answers a Poloniex error that names the recorded range', async () => {
    exchange = await startReplayExchange({
      clock,
      series: [hourly('XEM/JPY', '2018-01-26T00:00:00Z', [100, 101, 102])],
    });
    const [jpy] = createPriceSources(
      [{ exchange: 'poloniex', symbol: 'XEM/JPY', urls: exchange.urls }],
      new MemoryLogger(),
      { rateLimit: false },
    );
    clock.set(at('2018-01-26T02:30:00Z'));
    expect((await jpy?.fetchQuote(clock.now()))?.price).toBe(101);
    clock.set(at('2018-01-26T05:00:00Z'));
    const failure = await jpy?.fetchQuote(clock.now()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(QuoteError);
    expect((failure as QuoteError).reason).toBe('permanent');
    expect((failure as QuoteError).message).toContain(
      'replay has no XEM/JPY price at 2018-01-26T05:00:00.000Z (recorded 2018-01-26T01:00:00.000Z to 2018-01-26T04:00:00.000Z)',
    );
  });

  it('refuses two series for one market', async () => {
    const s = hourly('XEM/JPY', '2018-01-26T00:00:00Z', [1, 2]);
    await expect(startReplayExchange({ clock, series: [s, s] })).rejects.toThrow(
      'replay exchange: two price series for XEM/JPY; give one per symbol',
    );
  });
});

describe('replay feed', () => {
  it('has only the items dated at or before the simulated time, newest first, and 304s in between', async () => {
    const clock = new ManualClock(at('2018-01-25T00:00:00Z'));
    const timeline = await readTimelineFile(`${DEFAULT_DATA_DIR}/coincheck-2018.rss`);
    expect(timeline.items).toHaveLength(11);
    const feed = await startReplayFeed({ clock, timeline });
    try {
      const titles = async (validators = {}) => {
        const res = await fetchFeed(feed.url, { now: clock.now(), validators });
        if (res.kind !== 'ok') return { kind: res.kind, titles: [] as string[], validators };
        return {
          kind: res.kind,
          titles: (await parseFeed(res.text)).items.map((i) => i.title ?? ''),
          validators: res.validators,
        };
      };
      const before = await titles();
      expect(before.titles).toEqual([]);
      clock.set(at('2018-01-26T03:09:00Z')); // the NEM halt, 12:09 JST
      const halt = await titles(before.validators);
      expect(halt.titles).toEqual([
        'コインチェック、NEMの売買を停止　不正送金を検知',
        'コインチェックのNEMホットウォレットから不正送金　約5億2300万XEMが流出',
      ]);
      clock.set(at('2018-01-26T07:00:00Z'));
      expect((await titles(halt.validators)).kind).toBe('not-modified');
      clock.set(at('2018-03-13T00:00:00Z'));
      expect((await titles(halt.validators)).titles).toHaveLength(10);
    } finally {
      await feed.close();
    }
  });

  it('serves an item with a <source> on a feed of its own, as another site would', async () => {
    const clock = new ManualClock(at('2018-03-13T00:00:00Z'));
    const timeline = await readTimelineFile(`${DEFAULT_DATA_DIR}/coincheck-2018.rss`);
    const feed = await startReplayFeed({ clock, timeline });
    try {
      expect(feed.feeds.map((f) => f.id)).toEqual(['replay-timeline', 'replay-k-taimiler-com']);
      const other = feed.feeds[1];
      const res = await fetchFeed(other?.url ?? '', { now: clock.now() });
      if (res.kind !== 'ok') throw new Error(`feed ${other?.id}: ${res.kind}`);
      expect((await parseFeed(res.text)).items.map((i) => i.link)).toEqual([
        'https://www.k-taimiler.com/entry/2018-01-27-105516',
      ]);
    } finally {
      await feed.close();
    }
  });

  it('skips an item without a usable pubDate, saying which, and refuses a file that is not a feed', async () => {
    const timeline = await loadTimeline(
      Buffer.from(
        rss([
          { title: 'dated', date: 'Fri, 26 Jan 2018 03:09:00 GMT' },
          { title: 'undated' },
          { title: 'bad date', date: 'tomorrow' },
        ]),
      ),
      'mine.rss',
    );
    expect(timeline.items.map((i) => i.title)).toEqual(['dated']);
    expect(timeline.problems).toEqual([
      'mine.rss: item 2 "undated" has no pubDate; the replay cannot place it in time, skipped',
      'mine.rss: item 3 "bad date" has an unreadable pubDate "tomorrow"; the replay cannot place it in time, skipped',
    ]);
    await expect(loadTimeline(Buffer.from('<html><body>no</body></html>'), 'page.html')).rejects.toThrow(
      FeedFileError,
    );
  });
});
