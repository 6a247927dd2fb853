import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Price series for the replay: the documented OHLCV CSV format for user files, and converters
 * that turn the two recorded files in local/replay/data into the same in-memory candles.
 *
 * The user CSV format (also in local/replay/README.md):
 *
 *   timestamp,open,high,low,close,volume
 *   2018-01-26T00:00:00Z,0.0000847,0.0000855,0.0000840,0.0000851,56802.63
 *   1516928400,0.0000851,0.0000855,0.0000833,0.0000842,195623.23
 *
 * - A header line naming the six columns (any order, case-insensitive; extra columns ignored).
 * - `timestamp` is the candle's OPEN time, as in ccxt's OHLCV: ISO 8601 with a zone (`Z` or
 *   `+09:00`), a bare date (`2018-01-26`, read as UTC midnight), or epoch seconds.
 * - Prices are in the quote currency of the symbol given by option (e.g. XEM/JPY); volume is in
 *   the base currency and may be empty.
 * - Rows may come in any order; the interval is the smallest gap between rows. A candle's close
 *   becomes the price at its close time (open time + interval), so the replay never sees a
 *   price before the market did.
 * A bad row is reported (file:line and why) and skipped; the rest of the file is used.
 */

export interface Candle {
  /** Open time, epoch ms. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Base-currency volume (XEM). */
  volume: number;
  /** Quote-currency volume, when the source has it. */
  quoteVolume?: number;
}

export interface PriceSeries {
  /** Unified symbol, e.g. "XEM/BTC". */
  symbol: string;
  /** Candle length in ms. */
  intervalMs: number;
  /** Ascending by time, no duplicates. */
  candles: Candle[];
  /** One line saying where the numbers come from, printed by the replay. */
  origin: string;
}

export interface ParsedCandles {
  candles: Candle[];
  /** One line per skipped row or oddity, each naming the file and line. */
  problems: string[];
}

export class PriceFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PriceFileError';
  }
}

export const USER_CSV_COLUMNS = ['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const;

export const RECORDED_FILES = {
  poloniexHourly: 'poloniex_XEMBTC_1h_2017-12-01_2018-04-30.slice.csv',
  coinmarketcapDaily: 'coinmarketcap_nem_daily_2015-04-01_2018-02-14.csv',
} as const;

/** Where the recorded CSVs and the news timeline live (next to this file). */
export const DEFAULT_DATA_DIR = join(__dirname, 'data');

/** Split into (line number, cells) rows; drops a BOM, CRLF and blank lines. */
function csvRows(text: string): { line: number; cells: string[] }[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((raw, i) => ({ line: i + 1, cells: raw.split(',').map((c) => c.trim()) }))
    .filter((r) => r.cells.some((c) => c !== ''));
}

/** ISO 8601 with a zone, a bare date (UTC), or epoch seconds; undefined when it is none of them. */
export function parseTimestamp(value: string): number | { error: string } {
  if (/^\d{9,11}(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  if (/^\d{12,}$/.test(value)) return { error: `"${value}" looks like epoch milliseconds; use seconds` };
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(ms) ? { error: `"${value}" is not a date` } : ms;
  }
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
    const ms = Date.parse(value.replace(' ', 'T'));
    return Number.isNaN(ms) ? { error: `"${value}" is not a valid ISO 8601 time` } : ms;
  }
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value))
    return { error: `"${value}" has no time zone; add Z or an offset such as +09:00` };
  return { error: `"${value}" is neither ISO 8601 nor epoch seconds` };
}

function positive(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Sort ascending and drop repeated timestamps (first row wins), reporting each repeat. */
function sortUnique(rows: { candle: Candle; where: string }[], problems: string[]): Candle[] {
  const sorted = [...rows].sort((a, b) => a.candle.time - b.candle.time);
  const out: Candle[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && prev.time === r.candle.time) {
      problems.push(`${r.where}: repeats timestamp ${new Date(r.candle.time).toISOString()}; skipped`);
      continue;
    }
    out.push(r.candle);
  }
  return out;
}

/** The smallest gap between consecutive candles: the candle length. */
export function inferInterval(candles: Candle[], where: string): number {
  let min = Infinity;
  for (let i = 1; i < candles.length; i++) {
    const a = candles[i - 1];
    const b = candles[i];
    if (a && b) min = Math.min(min, b.time - a.time);
  }
  if (!Number.isFinite(min)) throw new PriceFileError(`${where}: needs at least 2 rows to tell the interval`);
  return min;
}

/** Parse a user OHLCV CSV (the format documented above). Throws only when nothing usable is left. */
export function parseOhlcvCsv(text: string, where: string): ParsedCandles {
  const rows = csvRows(text);
  const header = rows.shift();
  if (!header)
    throw new PriceFileError(`${where}: empty file; expected a header ${USER_CSV_COLUMNS.join(',')}`);
  const names = header.cells.map((c) => c.toLowerCase());
  const index = Object.fromEntries(USER_CSV_COLUMNS.map((c) => [c, names.indexOf(c)])) as Record<
    (typeof USER_CSV_COLUMNS)[number],
    number
  >;
  const missing = USER_CSV_COLUMNS.filter((c) => index[c] < 0 && c !== 'volume');
  if (missing.length)
    throw new PriceFileError(
      `${where}:${header.line}: header lacks ${missing.join(', ')}; expected ${USER_CSV_COLUMNS.join(',')}`,
    );
  const problems: string[] = [];
  const good: { candle: Candle; where: string }[] = [];
  for (const { line, cells } of rows) {
    const at = `${where}:${line}`;
    const cell = (c: (typeof USER_CSV_COLUMNS)[number]): string | undefined =>
      index[c] >= 0 ? cells[index[c]] : undefined;
    const time = parseTimestamp(cell('timestamp') ?? '');
    if (typeof time !== 'number') {
      problems.push(`${at}: timestamp ${time.error}; skipped`);
      continue;
    }
    const [open, high, low, close] = (['open', 'high', 'low', 'close'] as const).map((c) =>
      positive(cell(c)),
    );
    if (open === undefined || high === undefined || low === undefined || close === undefined) {
      problems.push(`${at}: open, high, low and close must be positive numbers; skipped`);
      continue;
    }
    if (high < low || close > high || close < low || open > high || open < low) {
      problems.push(`${at}: high/low do not bound open and close; skipped`);
      continue;
    }
    const vol = cell('volume');
    const volume = vol === undefined || vol === '' ? 0 : Number(vol);
    if (!Number.isFinite(volume) || volume < 0) {
      problems.push(`${at}: volume "${vol}" is not a number ≥ 0; skipped`);
      continue;
    }
    good.push({ candle: { time, open, high, low, close, volume }, where: at });
  }
  const candles = sortUnique(good, problems);
  if (candles.length === 0)
    throw new PriceFileError(`${where}: no usable rows${problems.length ? ` (${problems[0]})` : ''}`);
  return { candles, problems };
}

const POLONIEX_HEADER = 'Unix Timestamp,Date,Symbol,Open,High,Low,Close,Volume XEM,Volume BTC';

/** "2018-01-26 08-AM" → epoch ms of that UTC hour; the export's Date column is UTC. */
function poloniexDate(value: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2})-(AM|PM)$/.exec(value);
  if (!m || !m[1] || !m[2]) return undefined;
  const h12 = Number(m[2]) % 12;
  const hour = m[3] === 'PM' ? h12 + 12 : h12;
  return Date.parse(`${m[1]}T${String(hour).padStart(2, '0')}:00:00Z`);
}

/**
 * The recorded Poloniex hourly export → XEM/BTC candles.
 *
 * Its price columns are inverted (XEM per BTC, 3 significant digits, e.g. 1.29E+04), so each is
 * turned back into BTC per XEM: open = 1/Open, high = 1/High, low = 1/Low (the export computed
 * each column as 1/price, so its High column is 1/max price and reads smaller than Low).
 * The close is the hour's VWAP, Volume BTC / Volume XEM: both volumes carry 4 to 8 significant
 * digits, where 1/Close is one trade rounded to 3 (a 0.8 % step at 1.2e4, a sixth of the 5 % rule).
 * Hours without volume fall back to 1/Close.
 */
export function convertPoloniexHourly(text: string, where: string): ParsedCandles {
  const rows = csvRows(text);
  const header = rows.shift();
  if (!header || !header.cells.slice(0, 9).join(',').startsWith(POLONIEX_HEADER))
    throw new PriceFileError(`${where}:1: expected the Poloniex export header "${POLONIEX_HEADER}"`);
  const problems: string[] = [];
  const good: { candle: Candle; where: string }[] = [];
  for (const { line, cells } of rows) {
    const at = `${where}:${line}`;
    const [unix, date, , openInv, highInv, lowInv, closeInv, volXem, volBtc] = cells;
    const time = Number(unix) * 1000;
    if (!Number.isInteger(time) || time <= 0) {
      problems.push(`${at}: Unix Timestamp "${unix}" is not epoch seconds; skipped`);
      continue;
    }
    // Cross-check: a shifted export (like the rejected Kaggle file) would disagree here.
    if (poloniexDate(date ?? '') !== time) {
      problems.push(`${at}: Date "${date}" is not the UTC hour of ${unix}; skipped`);
      continue;
    }
    const inv = [openInv, highInv, lowInv, closeInv].map((c) => positive(c));
    const [o, h, l, c] = inv;
    if (o === undefined || h === undefined || l === undefined || c === undefined) {
      problems.push(`${at}: Open/High/Low/Close must be positive numbers; skipped`);
      continue;
    }
    const baseVolume = Number(volXem);
    const quoteVolume = Number(volBtc);
    const hasVolume = baseVolume > 0 && quoteVolume > 0;
    good.push({
      candle: {
        time,
        open: 1 / o,
        high: 1 / h,
        low: 1 / l,
        close: hasVolume ? quoteVolume / baseVolume : 1 / c,
        volume: Number.isFinite(baseVolume) && baseVolume > 0 ? baseVolume : 0,
        ...(hasVolume ? { quoteVolume } : {}),
      },
      where: at,
    });
  }
  return { candles: sortUnique(good, problems), problems };
}

const CMC_HEADER = 'date,open,high,low,close,volume,market cap,average';

/**
 * The recorded CoinMarketCap daily file → XEM/USD daily candles (UTC days). Prices are rounded
 * to 2 decimals upstream, so the early rows read 0.00: those are skipped and counted in one
 * line. `volume` upstream is USD; it becomes quoteVolume, and the base volume is USD / average.
 */
export function convertCoinMarketCapDaily(text: string, where: string): ParsedCandles {
  const rows = csvRows(text);
  const header = rows.shift();
  if (!header || header.cells.join(',').toLowerCase() !== CMC_HEADER)
    throw new PriceFileError(`${where}:1: expected the CoinMarketCap header "${CMC_HEADER}"`);
  const problems: string[] = [];
  const good: { candle: Candle; where: string }[] = [];
  let zeroRows = 0;
  for (const { line, cells } of rows) {
    const at = `${where}:${line}`;
    const [date, openS, highS, lowS, closeS, volumeS, , averageS] = cells;
    const time = parseTimestamp(date ?? '');
    if (typeof time !== 'number' || !/^\d{4}-\d{2}-\d{2}$/.test(date ?? '')) {
      problems.push(`${at}: date "${date}" is not YYYY-MM-DD; skipped`);
      continue;
    }
    const [open, high, low, close] = [openS, highS, lowS, closeS].map((c) => positive(c));
    if (open === undefined || high === undefined || low === undefined || close === undefined) {
      zeroRows++;
      continue;
    }
    const usd = Number(volumeS);
    const average = positive(averageS) ?? close;
    good.push({
      candle: {
        time,
        open,
        high,
        low,
        close,
        volume: usd > 0 ? usd / average : 0,
        ...(usd > 0 ? { quoteVolume: usd } : {}),
      },
      where: at,
    });
  }
  if (zeroRows) problems.push(`${where}: ${zeroRows} rows with prices rounded to 0.00 skipped`);
  return { candles: sortUnique(good, problems), problems };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new PriceFileError(`cannot read price file ${path}: ${reason}`);
  }
}

/** The two recorded series: Poloniex XEM/BTC hourly (VWAP) and CoinMarketCap XEM/USD daily. */
export function loadRecordedSeries(dataDir = DEFAULT_DATA_DIR): {
  series: PriceSeries[];
  problems: string[];
} {
  const polPath = join(dataDir, RECORDED_FILES.poloniexHourly);
  const cmcPath = join(dataDir, RECORDED_FILES.coinmarketcapDaily);
  const pol = convertPoloniexHourly(readText(polPath), RECORDED_FILES.poloniexHourly);
  const cmc = convertCoinMarketCapDaily(readText(cmcPath), RECORDED_FILES.coinmarketcapDaily);
  return {
    series: [
      {
        symbol: 'XEM/BTC',
        intervalMs: inferInterval(pol.candles, RECORDED_FILES.poloniexHourly),
        candles: pol.candles,
        origin: 'Poloniex XEM/BTC hourly (recorded; inverted columns converted, close = hourly VWAP)',
      },
      {
        symbol: 'XEM/USD',
        intervalMs: inferInterval(cmc.candles, RECORDED_FILES.coinmarketcapDaily),
        candles: cmc.candles,
        origin: 'CoinMarketCap XEM/USD daily (recorded; all-market average, 2 decimals)',
      },
    ],
    problems: [...pol.problems, ...cmc.problems],
  };
}

/** A user's OHLCV CSV as one series of the given symbol. */
export function loadUserSeries(path: string, symbol: string): { series: PriceSeries; problems: string[] } {
  if (!/^[A-Z0-9]+\/[A-Z0-9]+$/.test(symbol))
    throw new PriceFileError(`symbol "${symbol}" must be a unified symbol like XEM/JPY`);
  const parsed = parseOhlcvCsv(readText(path), path);
  return {
    series: {
      symbol,
      intervalMs: inferInterval(parsed.candles, path),
      candles: parsed.candles,
      origin: `${path} (user file)`,
    },
    problems: parsed.problems,
  };
}

/** Index of the last candle whose open time is ≤ t, or -1. */
/** Index of the last candle opened at or before `t` (candles sorted by time), -1 when none. */
export function lastOpenAtOrBefore(candles: Candle[], t: number): number {
  let lo = 0;
  let hi = candles.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = candles[mid];
    if (c && c.time <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * The price the market knew at `now`: the latest candle whose close time (open + interval) is
 * at or before `now`. Undefined before the first candle closes or more than one interval after
 * the last one closed (the series has ended: the replayed venue has no price to give).
 */
export function candleAt(series: PriceSeries, now: number): Candle | undefined {
  const i = lastOpenAtOrBefore(series.candles, now - series.intervalMs);
  const c = series.candles[i];
  if (!c) return undefined;
  const last = series.candles[series.candles.length - 1];
  if (last && now >= last.time + 2 * series.intervalMs) return undefined;
  return c;
}

/** The candle during which `t` falls (open ≤ t < close), if the series has it. */
export function candleContaining(series: PriceSeries, t: number): Candle | undefined {
  const c = series.candles[lastOpenAtOrBefore(series.candles, t)];
  return c && t < c.time + series.intervalMs ? c : undefined;
}
