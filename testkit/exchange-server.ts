import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Clock } from '../lambdas/domain/clock';
import { startLoopbackServer, type LoopbackServer } from './loopback';

/**
 * Loopback exchanges that speak the REST endpoints ccxt 4.5.84 calls for loadMarkets and
 * fetchTicker (read from node_modules/ccxt/js/src/<id>.js: describe().urls/api, fetchMarkets,
 * fetchTicker, sign):
 *
 * - zaif:    GET /api/1/currency_pairs/all, GET /api/1/ticker/{pair}        urls: { api: { rest } }
 * - binance: GET /api/v3/exchangeInfo (spot only, via options.fetchMarkets),
 *            GET /api/v3/ticker/24hr?symbol=XEMBTC                         urls: { api: { public } }
 * - upbit:   GET /v1/market/all, GET /v1/ticker?markets=BTC-XEM             urls: { api: { public } }
 *
 * Bodies come from fixture builders over the recorded responses in test/fixtures/ccxt-static
 * (binance, upbit) with the symbol switched to XEM and prices scaled; zaif has no recorded
 * response, so its bodies follow zaif's documented public API shape (see PROVENANCE.md there).
 * One HTTP server per exchange so one venue can refuse connections while the others serve.
 */

export type LoopbackExchangeId = 'zaif' | 'binance' | 'upbit';
export type ExchangeMode =
  | 'up'
  | 'refuse'
  | 'error500'
  | 'error503'
  | 'hang'
  /** 429 with a JSON error body and Retry-After: 1 (ccxt may read the body as an ExchangeError). */
  | 'rate-limit-json'
  /** 429 with a plain-text body and Retry-After: 1. */
  | 'rate-limit-text';

const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'ccxt-static');

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES, path), 'utf8'));
}

type Json = Record<string, unknown>;

function recordedTicker(exchange: 'binance' | 'upbit'): Json {
  const file = readJson(`response/${exchange}.json`) as {
    methods: { fetchTicker: { httpResponse: unknown }[] };
  };
  const response = file.methods.fetchTicker[0]?.httpResponse;
  const ticker = Array.isArray(response) ? (response[0] as Json) : (response as Json);
  if (!ticker) throw new Error(`test/fixtures/ccxt-static/response/${exchange}.json has no fetchTicker case`);
  return ticker;
}

/** Scale a recorded decimal string by `factor`, keeping it a string as the exchange sends it. */
function scaled(value: unknown, factor: number): string {
  return (Number(value) * factor).toFixed(10).replace(/0+$/, '').replace(/\.$/, '');
}

function splitSymbol(symbol: string): [string, string] {
  const [base = '', quote = ''] = symbol.split('/');
  return [base, quote];
}

// ---------------------------------------------------------------------------------------------
// Fixture builders

/** zaif currency_pairs/all entry, shape per zaif's public API docs (and ccxt's parseMarket). */
export function zaifPair(symbol: string): Json {
  const [base, quote] = splitSymbol(symbol);
  return {
    aux_unit_point: quote === 'JPY' ? 4 : 8,
    item_japanese: base,
    aux_unit_step: quote === 'JPY' ? 0.0001 : 1e-8,
    description: `${base}・${quote}の取引を行うことができます`,
    item_unit_min: 1,
    event_number: 0,
    currency_pair: `${base.toLowerCase()}_${quote.toLowerCase()}`,
    is_token: false,
    aux_unit_min: quote === 'JPY' ? 0.0001 : 1e-8,
    aux_japanese: quote === 'JPY' ? '日本円' : quote,
    id: 10,
    item_unit_step: 0.1,
    name: symbol,
    seq: 3,
    title: symbol,
  };
}

/** zaif ticker/{pair}: { last, high, low, vwap, volume, bid, ask } (numbers; no timestamp). */
export function zaifTicker(price: number): Json {
  return {
    last: price,
    high: price * 1.02,
    low: price * 0.97,
    vwap: price * 0.995,
    volume: 1_234_567.8,
    bid: price * 0.999,
    ask: price * 1.001,
  };
}

/** binance exchangeInfo symbol entry: the recorded BTCUSDT entry with the pair switched. */
export function binanceSymbolInfo(symbol: string): Json {
  const [base, quote] = splitSymbol(symbol);
  const markets = readJson('markets/binance.json') as Record<string, { info: Json }>;
  const recorded = markets['BTC/USDT']?.info;
  if (!recorded) throw new Error('test/fixtures/ccxt-static/markets/binance.json lacks BTC/USDT');
  const filters = (recorded.filters as Json[]).map((f) =>
    f.filterType === 'PRICE_FILTER'
      ? { ...f, minPrice: '0.00000001', maxPrice: '1000.00000000', tickSize: '0.00000001' }
      : f.filterType === 'LOT_SIZE'
        ? { ...f, minQty: '1.00000000', maxQty: '90000000.00000000', stepSize: '1.00000000' }
        : f,
  );
  return { ...recorded, symbol: `${base}${quote}`, baseAsset: base, quoteAsset: quote, filters };
}

export function binanceExchangeInfo(symbols: string[], nowMs: number): Json {
  return {
    timezone: 'UTC',
    serverTime: nowMs,
    rateLimits: [],
    exchangeFilters: [],
    symbols: symbols.map(binanceSymbolInfo),
  };
}

/** binance ticker/24hr: the recorded response, prices scaled to `price`, times moved to now. */
export function binanceTicker(symbol: string, price: number, nowMs: number): Json {
  const rec = recordedTicker('binance');
  const f = price / Number(rec.lastPrice);
  const [base, quote] = splitSymbol(symbol);
  const out: Json = { ...rec, symbol: `${base}${quote}` };
  for (const k of [
    'priceChange',
    'weightedAvgPrice',
    'prevClosePrice',
    'lastPrice',
    'bidPrice',
    'askPrice',
    'openPrice',
    'highPrice',
    'lowPrice',
  ]) {
    out[k] = scaled(rec[k], f);
  }
  out.closeTime = String(nowMs);
  out.openTime = String(nowMs - 24 * 60 * 60 * 1000);
  return out;
}

/** upbit market/all entry: ids are QUOTE-BASE. */
export function upbitMarket(symbol: string): Json {
  const [base, quote] = splitSymbol(symbol);
  return { market: `${quote}-${base}`, korean_name: '넴', english_name: 'NEM' };
}

/** upbit ticker entry: the recorded response, prices scaled to `price`, times moved to now. */
export function upbitTicker(symbol: string, price: number, nowMs: number): Json {
  const rec = recordedTicker('upbit');
  const f = price / Number(rec.trade_price);
  const [base, quote] = splitSymbol(symbol);
  const out: Json = { ...rec, market: `${quote}-${base}` };
  for (const k of [
    'opening_price',
    'high_price',
    'low_price',
    'trade_price',
    'prev_closing_price',
    'change_price',
    'signed_change_price',
    'highest_52_week_price',
    'lowest_52_week_price',
  ]) {
    out[k] = scaled(rec[k], f);
  }
  out.trade_timestamp = String(nowMs);
  out.timestamp = String(nowMs);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Server

interface Venue {
  id: LoopbackExchangeId;
  server: LoopbackServer;
  mode: ExchangeMode;
  /** Listed markets and their current price. */
  prices: Map<string, number>;
  requests: Map<string, number>;
}

export class LoopbackExchanges {
  /** Retry-After of the rate-limit modes, in seconds. */
  retryAfterSeconds = 1;
  private constructor(
    private readonly clock: Clock,
    private readonly venues: Map<LoopbackExchangeId, Venue>,
  ) {}

  static async start(
    clock: Clock,
    exchanges: LoopbackExchangeId[] = ['zaif', 'binance', 'upbit'],
  ): Promise<LoopbackExchanges> {
    const venues = new Map<LoopbackExchangeId, Venue>();
    const self = new LoopbackExchanges(clock, venues);
    for (const id of exchanges) {
      const server = await startLoopbackServer((req, res) => self.handle(venue, req, res));
      const venue: Venue = { id, server, mode: 'up', prices: new Map(), requests: new Map() };
      venues.set(id, venue);
    }
    return self;
  }

  private venue(id: LoopbackExchangeId): Venue {
    const v = this.venues.get(id);
    if (!v) throw new Error(`loopback exchange ${id} not started`);
    return v;
  }

  baseUrl(id: LoopbackExchangeId): string {
    return this.venue(id).server.baseUrl;
  }

  /** The `urls` override for a source of this exchange (goes into config sources[].urls). */
  urls(id: LoopbackExchangeId): Record<string, unknown> {
    const base = this.baseUrl(id);
    switch (id) {
      case 'zaif':
        return { api: { rest: base } };
      case 'binance':
        return { api: { public: `${base}/api/v3` } };
      case 'upbit':
        return { api: { public: base } };
    }
  }

  /** List a market (if new) and set its price. */
  setPrice(id: LoopbackExchangeId, symbol: string, price: number): void {
    this.venue(id).prices.set(symbol, price);
  }

  /** Set the same price on every listed market of the given symbol. */
  setPriceEverywhere(symbol: string, price: number): void {
    for (const v of this.venues.values()) if (v.prices.has(symbol)) v.prices.set(symbol, price);
  }

  delist(id: LoopbackExchangeId, symbol: string): void {
    this.venue(id).prices.delete(symbol);
  }

  /** 'refuse' stops listening (connection refused); 'up' listens again on the same port. */
  async setMode(id: LoopbackExchangeId, mode: ExchangeMode): Promise<void> {
    const v = this.venue(id);
    v.mode = mode;
    await (mode === 'refuse' ? v.server.stopListening() : v.server.listenAgain());
  }

  /** Requests served (or refused with an error status) per path, e.g. "/api/1/ticker/xem_jpy". */
  requestCount(id: LoopbackExchangeId, path?: string): number {
    const counts = this.venue(id).requests;
    if (path !== undefined) return counts.get(path) ?? 0;
    return [...counts.values()].reduce((a, b) => a + b, 0);
  }

  requestPaths(id: LoopbackExchangeId): Map<string, number> {
    return new Map(this.venue(id).requests);
  }

  resetCounts(): void {
    for (const v of this.venues.values()) v.requests.clear();
  }

  async close(): Promise<void> {
    for (const v of this.venues.values()) await v.server.close();
  }

  private handle(venue: Venue, req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    venue.requests.set(url.pathname, (venue.requests.get(url.pathname) ?? 0) + 1);
    if (venue.mode === 'hang') return; // never answer: ccxt's timeout has to fire
    if (venue.mode === 'error500')
      return send(res, 500, '<html><body>Internal Server Error</body></html>', 'text/html');
    if (venue.mode === 'error503') return send(res, 503, 'Service Temporarily Unavailable', 'text/plain');
    if (venue.mode === 'rate-limit-json' || venue.mode === 'rate-limit-text') {
      const json = venue.mode === 'rate-limit-json';
      const body = json
        ? JSON.stringify({ error: { name: 'too_many_requests', message: 'Too many requests' }, code: -1003 })
        : 'Too Many Requests';
      res.writeHead(429, {
        'content-type': json ? 'application/json' : 'text/plain',
        'content-length': Buffer.byteLength(body),
        'retry-after': String(this.retryAfterSeconds),
      });
      res.end(body);
      return;
    }
    const now = this.clock.now();
    const symbols = [...venue.prices.keys()];
    const priceOf = (predicate: (s: string) => boolean) => {
      const symbol = symbols.find(predicate);
      return symbol === undefined ? undefined : { symbol, price: venue.prices.get(symbol) as number };
    };
    switch (venue.id) {
      case 'zaif': {
        if (url.pathname === '/api/1/currency_pairs/all') return sendJson(res, symbols.map(zaifPair));
        const m = /^\/api\/1\/ticker\/([a-z0-9_]+)$/.exec(url.pathname);
        const hit = m && priceOf((s) => zaifPair(s).currency_pair === m[1]);
        // zaif answers an unknown pair with 200 and an error object.
        if (m)
          return hit
            ? sendJson(res, zaifTicker(hit.price))
            : sendJson(res, { error: 'unsupported currency_pair' });
        break;
      }
      case 'binance': {
        if (url.pathname === '/api/v3/exchangeInfo') return sendJson(res, binanceExchangeInfo(symbols, now));
        if (url.pathname === '/api/v3/ticker/24hr') {
          const id = url.searchParams.get('symbol');
          const hit = priceOf((s) => s.replace('/', '') === id);
          if (hit) return sendJson(res, binanceTicker(hit.symbol, hit.price, now));
          return sendJson(res, { code: -1121, msg: 'Invalid symbol.' }, 400);
        }
        break;
      }
      case 'upbit': {
        if (url.pathname === '/v1/market/all') return sendJson(res, symbols.map(upbitMarket));
        if (url.pathname === '/v1/ticker') {
          const ids = (url.searchParams.get('markets') ?? '').split(',');
          const found = symbols.filter((s) => ids.includes(upbitMarket(s).market as string));
          if (found.length)
            return sendJson(
              res,
              found.map((s) => upbitTicker(s, venue.prices.get(s) as number, now)),
            );
          return sendJson(res, { error: { name: 'not_found_market', message: 'Code not found' } }, 404);
        }
        break;
      }
    }
    sendJson(res, { error: `no route ${url.pathname} on loopback ${venue.id}` }, 404);
  }
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  send(res, status, JSON.stringify(body), 'application/json');
}
