import { startLoopbackServer } from '../../testkit/loopback';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../lambdas/domain/clock';
import { candleAt, lastOpenAtOrBefore, type Candle, type PriceSeries } from './prices';

/**
 * A loopback Poloniex for the replay: the REST endpoints ccxt 4.5.84's poloniex driver calls
 * (node_modules/ccxt/js/src/poloniex.js), answering from recorded candles at the simulated time
 * of the shared clock, so the real price adapter and price job poll it as they would the venue.
 *
 * Poloniex because it is where the hourly XEM/BTC history was traded, and because its ticker
 * carries the exchange's own time (`ts`): tickers without one (zaif, kraken) get ccxt's
 * wall-clock time, which a 2018 clock rejects as "in the future".
 *
 * loadMarkets (once per ccxt instance):
 *   GET /v2/currencies                   fetchCurrencies
 *   GET /markets                         fetchSpotMarkets
 *   GET /v3/market/allInstruments        fetchSwapMarkets (on urls.api.swap; we list none)
 * each poll:
 *   GET /markets/{BASE_QUOTE}/ticker24h  fetchTicker
 * The `urls` override for a source: { api: { spot: baseUrl, swap: baseUrl } }.
 */

export const REPLAY_EXCHANGE_ID = 'poloniex';

export interface ReplayExchange {
  exchange: typeof REPLAY_EXCHANGE_ID;
  baseUrl: string;
  /** Goes into config sources[].urls (ccxt deep-merges it over its own urls). */
  urls: Record<string, unknown>;
  /** Requests served, by path. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/** Poloniex's market id for a unified symbol: "XEM/BTC" → "XEM_BTC". */
export function poloniexMarketId(symbol: string): string {
  return symbol.replace('/', '_');
}

/** Per series, priceScale's answer: a scan of every candle, asked on every ticker. */
const scales = new WeakMap<PriceSeries, number>();

/** Decimal places that keep about 5 significant digits at the series' smallest price. */
function priceScale(series: PriceSeries): number {
  const known = scales.get(series);
  if (known !== undefined) return known;
  const scale = scanPriceScale(series);
  scales.set(series, scale);
  return scale;
}

function scanPriceScale(series: PriceSeries): number {
  let min = Infinity;
  for (const c of series.candles) min = Math.min(min, c.low, c.close);
  if (!Number.isFinite(min) || min <= 0) return 8;
  return Math.min(12, Math.max(2, Math.ceil(-Math.log10(min)) + 4));
}

function decimal(value: number, scale: number): string {
  return value.toFixed(scale);
}

/** GET /v2/currencies entry (shape from poloniex.js fetchCurrencies). */
export function poloniexCurrency(code: string, numericId: number): Json {
  return {
    id: numericId,
    coin: code,
    delisted: false,
    tradeEnable: true,
    name: code,
    networkList: [],
    supportCollateral: false,
    supportBorrow: false,
  };
}

/** GET /markets entry (shape from poloniex.js fetchSpotMarkets). */
export function poloniexMarket(series: PriceSeries, visibleSince: number): Json {
  const [base = '', quote = ''] = series.symbol.split('/');
  return {
    symbol: poloniexMarketId(series.symbol),
    baseCurrencyName: base,
    quoteCurrencyName: quote,
    displayName: series.symbol,
    state: 'NORMAL',
    visibleStartTime: visibleSince,
    tradableStartTime: visibleSince,
    symbolTradeLimit: {
      symbol: poloniexMarketId(series.symbol),
      priceScale: priceScale(series),
      quantityScale: 0,
      amountScale: 8,
      minQuantity: '1',
      minAmount: '0.00001',
      highestBid: '0',
      lowestAsk: '0',
    },
  };
}

/**
 * GET /markets/{symbol}/ticker24h at `now`: close = the last closed candle's close; open, high,
 * low and volumes over the candles that closed in the 24 h before `now` (the endpoint's rolling
 * window); ts = `now`, the exchange's clock. No bid/ask: the recorded data has no order book.
 */
export function poloniexTicker(series: PriceSeries, now: number): Json | undefined {
  const last = candleAt(series, now);
  if (!last) return undefined;
  const from = now - 24 * 3_600_000;
  // The candles closed in (from, now], found from the newest back (the series is sorted by time).
  const window: Candle[] = [];
  for (let i = lastOpenAtOrBefore(series.candles, now - series.intervalMs); i >= 0; i--) {
    const c = series.candles[i] as Candle;
    if (c.time + series.intervalMs <= from) break;
    window.unshift(c);
  }
  if (window.length === 0) window.push(last);
  const first = window[0] as Candle;
  const scale = priceScale(series);
  const high = Math.max(...window.map((c) => c.high));
  const low = Math.min(...window.map((c) => c.low));
  const quantity = window.reduce((sum, c) => sum + c.volume, 0);
  const amount = window.reduce((sum, c) => sum + (c.quoteVolume ?? c.volume * c.close), 0);
  return {
    symbol: poloniexMarketId(series.symbol),
    open: decimal(first.open, scale),
    low: decimal(low, scale),
    high: decimal(high, scale),
    close: decimal(last.close, scale),
    quantity: quantity.toFixed(4),
    amount: amount.toFixed(8),
    tradeCount: String(window.length),
    startTime: String(from),
    closeTime: String(now),
    displayName: series.symbol,
    dailyChange: (last.close / first.open - 1).toFixed(4),
    ts: String(now),
    markPrice: decimal(last.close, scale),
  };
}

function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Start the loopback exchange on 127.0.0.1 (random port). `series` are served under their own
 * symbols; two series of one symbol are refused (the venue has one price per market).
 */
export async function startReplayExchange(opts: {
  clock: Clock;
  series: PriceSeries[];
}): Promise<ReplayExchange> {
  const bySymbol = new Map<string, PriceSeries>();
  for (const s of opts.series) {
    if (bySymbol.has(poloniexMarketId(s.symbol)))
      throw new Error(`replay exchange: two price series for ${s.symbol}; give one per symbol`);
    bySymbol.set(poloniexMarketId(s.symbol), s);
  }
  const currencies = [...new Set(opts.series.flatMap((s) => s.symbol.split('/')))];
  const requests = new Map<string, number>();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.set(url.pathname, (requests.get(url.pathname) ?? 0) + 1);
    const now = opts.clock.now();
    if (req.method !== 'GET') return sendJson(res, { code: 601, message: `${req.method} not served` }, 400);
    if (url.pathname === '/v2/currencies')
      return sendJson(
        res,
        currencies.map((c, i) => poloniexCurrency(c, i + 1)),
      );
    if (url.pathname === '/markets')
      return sendJson(
        res,
        [...bySymbol.values()].map((s) => poloniexMarket(s, s.candles[0]?.time ?? now)),
      );
    if (url.pathname === '/v3/market/allInstruments')
      return sendJson(res, { code: '200', msg: 'Success', data: [] });
    const m = /^\/markets\/([A-Z0-9]+_[A-Z0-9]+)\/ticker24h$/.exec(url.pathname);
    if (m?.[1]) {
      const series = bySymbol.get(m[1]);
      // Poloniex answers errors as { code, message } with HTTP 400; ccxt maps the code
      // (24101 → BadSymbol, 10041 "Symbol frozen" → BadSymbol).
      if (!series) return sendJson(res, { code: 24101, message: `Invalid symbol ${m[1]}` }, 400);
      const ticker = poloniexTicker(series, now);
      if (!ticker) {
        const first = series.candles[0];
        const last = series.candles[series.candles.length - 1];
        const range =
          first && last
            ? `${new Date(first.time + series.intervalMs).toISOString()} to ${new Date(last.time + 2 * series.intervalMs).toISOString()}`
            : 'no candles';
        return sendJson(
          res,
          {
            code: 10041,
            message: `replay has no ${series.symbol} price at ${new Date(now).toISOString()} (recorded ${range})`,
          },
          400,
        );
      }
      return sendJson(res, ticker);
    }
    sendJson(res, { code: 601, message: `no route ${url.pathname} on the replay exchange` }, 404);
  };

  const server = await startLoopbackServer(handle, { record: false });
  const baseUrl = server.baseUrl;
  return {
    exchange: REPLAY_EXCHANGE_ID,
    baseUrl,
    urls: { api: { spot: baseUrl, swap: baseUrl } },
    requests,
    close: server.close,
  };
}
