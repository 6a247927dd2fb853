import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PriceFileError,
  candleAt,
  candleContaining,
  convertCoinMarketCapDaily,
  convertPoloniexHourly,
  loadRecordedSeries,
  loadUserSeries,
  parseOhlcvCsv,
  parseTimestamp,
  type PriceSeries,
} from '../../local/replay/prices';

const HOUR = 3_600_000;
const at = (iso: string): number => Date.parse(iso);

/** A user CSV from rows of [timestamp, o, h, l, c, v]. */
function userCsv(rows: (string | number)[][], header = 'timestamp,open,high,low,close,volume'): string {
  return [header, ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

const POLONIEX_HEADER = 'Unix Timestamp,Date,Symbol,Open,High,Low,Close,Volume XEM,Volume BTC,,,,,';

describe('recorded Poloniex hourly file', () => {
  const { series } = loadRecordedSeries();
  const xemBtc = series.find((s) => s.symbol === 'XEM/BTC') as PriceSeries;

  it('converts the inverted 2018-01-26 rows to plausible BTC-per-XEM prices (about 1e-4)', () => {
    const day = xemBtc.candles.filter(
      (c) => c.time >= at('2018-01-26T00:00:00Z') && c.time < at('2018-01-27T00:00:00Z'),
    );
    expect(day).toHaveLength(24);
    for (const c of day) {
      expect(c.close).toBeGreaterThan(7e-5);
      expect(c.close).toBeLessThan(9e-5);
      expect(c.high).toBeGreaterThanOrEqual(c.low);
    }
  });

  it('uses the hourly VWAP as the close: 08:00 UTC on the day of the hack is 207.25 / 2747602.91 BTC', () => {
    const c = candleContaining(xemBtc, at('2018-01-26T08:30:00Z'));
    expect(c?.time).toBe(at('2018-01-26T08:00:00Z'));
    expect(c?.close).toBeCloseTo(207.25 / 2747602.91, 12);
    // The High column (1.26E+04) is 1/max price, so it reads smaller than Low (1.38E+04).
    expect(c?.high).toBeCloseTo(1 / 1.26e4, 12);
    expect(c?.low).toBeCloseTo(1 / 1.38e4, 12);
  });

  it('is hourly, ascending, and covers the default replay range', () => {
    expect(xemBtc.intervalMs).toBe(HOUR);
    const times = xemBtc.candles.map((c) => c.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times[0]).toBeLessThanOrEqual(at('2018-01-20T00:00:00Z'));
    expect(times[times.length - 1]).toBeGreaterThanOrEqual(at('2018-03-15T00:00:00Z'));
  });

  it('rejects a row whose Date column disagrees with its Unix Timestamp (a shifted export)', () => {
    const text = [
      POLONIEX_HEADER,
      '1516953600,2018-01-26 08-AM,XEMBTC,1.26E+04,1.26E+04,1.38E+04,1.29E+04,2747602.91,207.25,,,,,',
      '1516957200,2021-01-26 09-AM,XEMBTC,1.29E+04,1.28E+04,1.32E+04,1.31E+04,1073408.94,82.26,,,,,',
    ].join('\n');
    const parsed = convertPoloniexHourly(text, 'shifted.csv');
    expect(parsed.candles).toHaveLength(1);
    expect(parsed.problems).toEqual([
      'shifted.csv:3: Date "2021-01-26 09-AM" is not the UTC hour of 1516957200; skipped',
    ]);
  });

  it('falls back to 1/Close for an hour without volume', () => {
    const text = [
      POLONIEX_HEADER,
      '1516953600,2018-01-26 08-AM,XEMBTC,1.25E+04,1.25E+04,1.25E+04,1.25E+04,0,0',
    ].join('\n');
    expect(convertPoloniexHourly(text, 'quiet.csv').candles[0]?.close).toBeCloseTo(8e-5, 12);
  });

  it('refuses a file that is not the Poloniex export', () => {
    expect(() => convertPoloniexHourly('timestamp,open\n', 'other.csv')).toThrow(
      /other\.csv:1: expected the Poloniex export header/,
    );
  });
});

describe('recorded CoinMarketCap daily file', () => {
  const { series, problems } = loadRecordedSeries();
  const xemUsd = series.find((s) => s.symbol === 'XEM/USD') as PriceSeries;

  it('gives XEM/USD daily closes: 0.95 on 2018-01-25, 0.84 on the 26th', () => {
    expect(xemUsd.intervalMs).toBe(24 * HOUR);
    expect(candleContaining(xemUsd, at('2018-01-25T15:02:00Z'))?.close).toBe(0.95);
    expect(candleContaining(xemUsd, at('2018-01-26T12:00:00Z'))?.close).toBe(0.84);
  });

  it('skips the early rows rounded to 0.00 and says how many, in one line', () => {
    expect(problems).toEqual([
      expect.stringMatching(
        /^coinmarketcap_nem_daily_2015-04-01_2018-02-14\.csv: \d+ rows with prices rounded/,
      ),
    ]);
    expect(xemUsd.candles.every((c) => c.close > 0)).toBe(true);
  });

  it('names the line of a bad date', () => {
    const text =
      'date,open,high,low,close,volume,market cap,average\n2018-01-25,0.97,1.00,0.92,0.95,1,2,0.96\n25/01/2018,1,1,1,1,1,1,1\n';
    expect(convertCoinMarketCapDaily(text, 'cmc.csv').problems).toEqual([
      'cmc.csv:3: date "25/01/2018" is not YYYY-MM-DD; skipped',
    ]);
  });
});

describe('the price the replay serves at a simulated time', () => {
  const series: PriceSeries = {
    symbol: 'XEM/JPY',
    intervalMs: HOUR,
    origin: 'test',
    candles: [0, 1, 2].map((i) => ({
      time: at('2018-01-26T00:00:00Z') + i * HOUR,
      open: 100 + i,
      high: 100 + i,
      low: 100 + i,
      close: 100 + i,
      volume: 1,
    })),
  };

  it('is the close of the last candle that had closed, never one still open', () => {
    expect(candleAt(series, at('2018-01-26T00:59:59Z'))).toBeUndefined();
    expect(candleAt(series, at('2018-01-26T01:00:00Z'))?.close).toBe(100);
    expect(candleAt(series, at('2018-01-26T02:30:00Z'))?.close).toBe(101);
  });

  it('stops one interval after the last candle closed: the series has ended', () => {
    expect(candleAt(series, at('2018-01-26T03:59:00Z'))?.close).toBe(102);
    expect(candleAt(series, at('2018-01-26T04:00:00Z'))).toBeUndefined();
  });
});

describe('user OHLCV CSV', () => {
  it('reads ISO and epoch-second timestamps in any order and infers the interval', () => {
    const parsed = parseOhlcvCsv(
      userCsv([
        ['2018-01-26T01:00:00+09:00', 90, 91, 89, 90, 10],
        [String(at('2018-01-25T15:00:00Z') / 1000), 88, 90, 87, 89, 5],
      ]),
      'mine.csv',
    );
    expect(parsed.problems).toEqual([]);
    expect(parsed.candles.map((c) => c.time)).toEqual([
      at('2018-01-25T15:00:00Z'),
      at('2018-01-25T16:00:00Z'),
    ]);
  });

  it('reports each bad row with file:line and why, and keeps the good ones', () => {
    const parsed = parseOhlcvCsv(
      userCsv([
        ['2018-01-26T00:00:00Z', 90, 91, 89, 90, 10],
        ['2018-01-26 01:00', 90, 91, 89, 90, 10],
        ['2018-01-26T02:00:00Z', 90, 91, 89, 'abc', 10],
        ['2018-01-26T03:00:00Z', 90, 85, 89, 90, 10],
        ['1516935600000', 90, 91, 89, 90, 10],
        ['2018-01-26T04:00:00Z', 90, 91, 89, 90, 10],
        ['2018-01-26T04:00:00Z', 91, 91, 89, 90, 10],
      ]),
      'mine.csv',
    );
    expect(parsed.candles).toHaveLength(2);
    expect(parsed.problems).toEqual([
      'mine.csv:3: timestamp "2018-01-26 01:00" has no time zone; add Z or an offset such as +09:00; skipped',
      'mine.csv:4: open, high, low and close must be positive numbers; skipped',
      'mine.csv:5: high/low do not bound open and close; skipped',
      'mine.csv:6: timestamp "1516935600000" looks like epoch milliseconds; use seconds; skipped',
      'mine.csv:8: repeats timestamp 2018-01-26T04:00:00.000Z; skipped',
    ]);
  });

  it('names the missing columns when the header is wrong', () => {
    expect(() => parseOhlcvCsv('time,price\n1,2\n', 'bad.csv')).toThrow(
      'bad.csv:1: header lacks timestamp, open, high, low, close; expected timestamp,open,high,low,close,volume',
    );
  });

  it('loads a user file as a series of the symbol given by option', () => {
    const dir = mkdtempSync(join(tmpdir(), 'replay-prices-'));
    try {
      const path = join(dir, 'xemjpy.csv');
      writeFileSync(
        path,
        userCsv([
          ['2018-01-26', 100, 110, 90, 95, 1000],
          ['2018-01-27', 95, 96, 80, 85, 1200],
        ]),
      );
      const { series } = loadUserSeries(path, 'XEM/JPY');
      expect(series.symbol).toBe('XEM/JPY');
      expect(series.intervalMs).toBe(24 * HOUR);
      expect(() => loadUserSeries(path, 'xem-jpy')).toThrow(PriceFileError);
      expect(() => loadUserSeries(join(dir, 'missing.csv'), 'XEM/JPY')).toThrow(
        /cannot read price file .*missing\.csv/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses the documented timestamp forms and refuses the rest', () => {
    expect(parseTimestamp('2018-01-26')).toBe(at('2018-01-26T00:00:00Z'));
    expect(parseTimestamp('2018-01-26T00:02:00+09:00')).toBe(at('2018-01-25T15:02:00Z'));
    expect(parseTimestamp('1516924800')).toBe(at('2018-01-26T00:00:00Z'));
    expect(parseTimestamp('yesterday')).toEqual({
      error: '"yesterday" is neither ISO 8601 nor epoch seconds',
    });
  });
});
