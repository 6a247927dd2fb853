/* eslint-disable @typescript-eslint/no-require-imports */
import type { SourceConfig } from '../domain/config';
import { sourceIdOf, type Quote } from '../domain/consensus';
import { errorMessage, type Logger } from '../domain/log';

/**
 * Prices through ccxt (pinned 4.5.84).
 *
 * - Only the configured exchanges' modules are loaded: ccxt does not tree-shake and the whole
 *   library costs ~360 ms to require. Each supported exchange has a static `require` of its own
 *   CommonJS module file so esbuild sees (and bundles) exactly these files, and nothing is
 *   required until a source of that exchange is created.
 *   Why this path: ccxt's package.json has an "exports" map that only exposes "." (both Node and
 *   esbuild refuse `ccxt/js/src/zaif.js` with ERR_PACKAGE_PATH_NOT_EXPORTED), and `js/src` is ESM,
 *   which jest's CommonJS runtime cannot require. The CommonJS build in `dist/cjs/src/<id>.js`
 *   reached by relative file path works in Node, jest, tsx and esbuild alike.
 * - One ccxt instance per (exchange, urls) at module level, so warm Lambda invocations and the
 *   local timer reuse it; markets are loaded once per instance and cached by ccxt itself, so a
 *   steady-state poll costs exactly one ticker request per source.
 * - A market check at the first poll: exchange.has.fetchTicker and the symbol present after
 *   loadMarkets. A missing market is logged once per process and the source then fails fast
 *   (no HTTP) with reason "market-missing"; the other sources go on.
 * - Transient errors (ccxt NetworkError family: RequestTimeout, ExchangeNotAvailable,
 *   DDoSProtection, RateLimitExceeded, ...) are retried a bounded number of times inside a total
 *   deadline; permanent ones (BadSymbol, other ExchangeError) and "offline" (connection refused,
 *   DNS failure: retrying in 200 ms will not help) are not.
 * - A bad ticker (missing/NaN/0/negative last price, timestamp too old or in the future) is
 *   rejected with the reason.
 */

/** The bits of a ccxt exchange instance we use (ccxt's own typings are heavy to compile). */
interface CcxtExchange {
  id: string;
  has: Record<string, unknown>;
  markets: Record<string, unknown> | undefined;
  loadMarkets(reload?: boolean): Promise<Record<string, unknown>>;
  fetchTicker(symbol: string): Promise<CcxtTicker>;
}

export interface CcxtTicker {
  symbol?: string;
  last?: number | null;
  close?: number | null;
  timestamp?: number | null;
}

type ExchangeCtor = new (config: Record<string, unknown>) => CcxtExchange;

interface CcxtErrors {
  NetworkError: new (...args: unknown[]) => Error;
  ExchangeError: new (...args: unknown[]) => Error;
  BadSymbol: new (...args: unknown[]) => Error;
}

/**
 * Supported exchanges. Add one here (one static require) to support it; the path is the
 * CommonJS build of that exchange's module inside the pinned ccxt package.
 */
const EXCHANGE_LOADERS: Record<string, () => { default: ExchangeCtor }> = {
  zaif: () => require('../../node_modules/ccxt/dist/cjs/src/zaif.js'),
  binance: () => require('../../node_modules/ccxt/dist/cjs/src/binance.js'),
  upbit: () => require('../../node_modules/ccxt/dist/cjs/src/upbit.js'),
  kraken: () => require('../../node_modules/ccxt/dist/cjs/src/kraken.js'),
  hitbtc: () => require('../../node_modules/ccxt/dist/cjs/src/hitbtc.js'),
  htx: () => require('../../node_modules/ccxt/dist/cjs/src/htx.js'),
  // The offline replay's venue (local/replay/exchange.ts): its ticker carries the exchange's own time.
  poloniex: () => require('../../node_modules/ccxt/dist/cjs/src/poloniex.js'),
};

export const SUPPORTED_EXCHANGES = Object.keys(EXCHANGE_LOADERS);

/**
 * ccxt's rollup build registers some bundled CommonJS dependencies (long.js for dydx, used by the
 * base Exchange) in this file; its own entry (dist/ccxt.cjs) requires it first, and so must we,
 * or loading any exchange module throws "Could not dynamically require .../long/index.cjs".
 */
function registerCcxtRuntime(): void {
  require('../../node_modules/ccxt/dist/cjs/_virtual/index.cjs.js');
}

// Same module file as the exchanges require, so `instanceof` sees the same classes.
function ccxtErrors(): CcxtErrors {
  return require('../../node_modules/ccxt/dist/cjs/src/base/errors.js') as CcxtErrors;
}

/** Per-exchange ccxt options: binance's loadMarkets would also call the futures APIs by default. */
const EXCHANGE_OPTIONS: Record<string, Record<string, unknown>> = {
  binance: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false },
};

export type QuoteErrorReason = 'offline' | 'transient' | 'market-missing' | 'permanent' | 'bad-ticker';

/** Why a source gave no quote this poll; `message` says what failed and where. */
export class QuoteError extends Error {
  constructor(
    readonly sourceId: string,
    readonly reason: QuoteErrorReason,
    message: string,
    readonly attempts = 1,
  ) {
    super(`${sourceId}: ${message}`);
    this.name = 'QuoteError';
  }
}

/** Not polled: the run's deadline had passed before the first request (not the exchange's fault). */
export class SourceSkippedError extends Error {
  constructor(readonly sourceId: string) {
    super(`${sourceId}: not polled, the run's deadline had passed`);
    this.name = 'SourceSkippedError';
  }
}

export interface PriceSource {
  /** "<exchange>:<symbol>", e.g. "zaif:XEM/JPY". */
  id: string;
  exchange: string;
  symbol: string;
  /**
   * One ticker request (plus loadMarkets on the first call); throws QuoteError, or
   * SourceSkippedError when `deadline` (epoch ms, wall) passed before it started. No retry and no
   * wait starts past the deadline; a request already started ends within its own timeout.
   */
  fetchQuote(nowMs: number, deadline?: number): Promise<Quote>;
}

export interface PriceSourceOptions {
  /** Retries after the first attempt for transient errors (default 2). */
  retries?: number;
  /** First backoff; doubles each retry (default 250 ms). */
  backoffMs?: number;
  /** Total time for one fetchQuote including retries (default 20 s). */
  deadlineMs?: number;
  /** ccxt per-request timeout (default 8 s). */
  timeoutMs?: number;
  /** Reject tickers whose exchange timestamp is older than this (default 24 h: a halted market). */
  maxTickerAgeMs?: number;
  /** Waits between retries; injectable so tests and replays do not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * ccxt's own request throttle (default true). The offline replay turns it off against its
   * loopback exchange: poloniex's costs space tickers 100 ms apart in wall time.
   */
  rateLimit?: boolean;
}

interface CachedExchange {
  exchange: CcxtExchange;
  /** Set while/after markets load successfully; cleared on failure so the next poll retries. */
  markets?: Promise<void>;
  /** The last HTTP 429 seen and its Retry-After (ccxt's error class alone does not tell). */
  rateLimited?: { at: number; retryAfterMs: number | undefined };
  /** Wall ms before which no request goes out (an exchange's Retry-After outlasting a poll). */
  notBefore?: number;
}

const instances = new Map<string, CachedExchange>();
/** Sources whose missing market was already reported (once per process). */
const reportedMissing = new Set<string>();

/** Forget cached ccxt instances: a cold start (tests of restarts). */
export function resetPriceSourceCache(): void {
  instances.clear();
  reportedMissing.clear();
}

function cachedExchange(source: SourceConfig, timeoutMs: number, rateLimit = true): CachedExchange {
  const key = `${source.exchange} ${JSON.stringify(source.urls ?? {})}${rateLimit ? '' : ' unthrottled'}`;
  const existing = instances.get(key);
  if (existing) return existing;
  const loader = EXCHANGE_LOADERS[source.exchange];
  if (!loader) {
    throw new Error(
      `exchange "${source.exchange}" is not supported (supported: ${SUPPORTED_EXCHANGES.join(', ')}); add it to EXCHANGE_LOADERS in lambdas/sources/exchanges.ts`,
    );
  }
  registerCcxtRuntime();
  const Ctor = loader().default;
  const exchange = new Ctor({
    enableRateLimit: rateLimit,
    timeout: timeoutMs,
    // ccxt deep-merges this over its own urls, so { api: { rest: 'http://127.0.0.1:1234' } } works.
    ...(source.urls ? { urls: source.urls } : {}),
    options: EXCHANGE_OPTIONS[source.exchange] ?? {},
  });
  const entry: CachedExchange = { exchange };
  // Every response passes here before ccxt's error mapping: a 429 is a rate limit whatever body
  // comes with it (some exchanges send JSON that ccxt maps to a permanent ExchangeError).
  const hooks = exchange as unknown as {
    onRestResponse(
      status: number,
      statusText: string,
      url: string,
      method: string,
      headers: Record<string, string>,
      body: string,
    ): string;
  };
  const original = hooks.onRestResponse.bind(exchange);
  hooks.onRestResponse = (status, statusText, url, method, headers, body) => {
    if (status === 429) entry.rateLimited = { at: Date.now(), retryAfterMs: retryAfterMs(headers) };
    return original(status, statusText, url, method, headers, body);
  };
  instances.set(key, entry);
  return entry;
}

/**
 * One PriceSource per configured source. An unsupported exchange id throws here (a config
 * error, found at start).
 */
export function createPriceSources(
  sources: SourceConfig[],
  logger: Logger,
  options: PriceSourceOptions = {},
): PriceSource[] {
  const opts = {
    retries: options.retries ?? 2,
    backoffMs: options.backoffMs ?? 250,
    deadlineMs: options.deadlineMs ?? 20_000,
    timeoutMs: options.timeoutMs ?? 8_000,
    maxTickerAgeMs: options.maxTickerAgeMs ?? 24 * 60 * 60 * 1000,
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    rateLimit: options.rateLimit ?? true,
  };
  return sources.map((source) => {
    const id = sourceIdOf(source.exchange, source.symbol);
    const cached = cachedExchange(source, opts.timeoutMs, opts.rateLimit);
    return {
      id,
      exchange: source.exchange,
      symbol: source.symbol,
      fetchQuote: (nowMs: number, deadline?: number) =>
        fetchQuote(id, source, cached, opts, logger, nowMs, deadline),
    };
  });
}

async function fetchQuote(
  id: string,
  source: SourceConfig,
  cached: CachedExchange,
  opts: Required<PriceSourceOptions>,
  logger: Logger,
  nowMs: number,
  deadline = Infinity,
): Promise<Quote> {
  const started = Date.now(); // wall time for the retry deadline only (not domain time)
  let attempt = 0;
  if (Date.now() >= deadline) throw new SourceSkippedError(id);
  if (cached.notBefore !== undefined && Date.now() < cached.notBefore) {
    const wait = formatSeconds(cached.notBefore - Date.now());
    throw new QuoteError(
      id,
      'transient',
      `rate limited by the exchange (HTTP 429): Retry-After has ${wait} left`,
      0,
    );
  }
  for (;;) {
    attempt++;
    delete cached.rateLimited;
    try {
      await ensureMarket(id, source, cached, logger);
      const ticker = await cached.exchange.fetchTicker(source.symbol);
      const checked = validateTicker(ticker, nowMs, opts.maxTickerAgeMs);
      if (!checked.ok) throw new QuoteError(id, 'bad-ticker', `bad ticker: ${checked.reason}`, attempt);
      return {
        sourceId: id,
        exchange: source.exchange,
        symbol: source.symbol,
        price: checked.price,
        timestamp: checked.timestamp,
        fetchedAt: nowMs,
      };
    } catch (err) {
      const limited = rateLimitSeen(cached); // set by the response hook during the attempt
      const failure =
        err instanceof QuoteError
          ? err
          : limited
            ? new QuoteError(
                id,
                'transient',
                `rate limited (HTTP 429${limited.retryAfterMs !== undefined ? `, Retry-After ${formatSeconds(limited.retryAfterMs)}` : ''}): ${errorMessage(err)}`,
                attempt,
              )
            : classify(id, err, attempt);
      // Retry-After is the exchange's word on when to come back: never sooner.
      const backoff = Math.max(opts.backoffMs * 2 ** (attempt - 1), limited?.retryAfterMs ?? 0);
      const withinDeadline =
        Date.now() - started + backoff < opts.deadlineMs && Date.now() + backoff < deadline;
      if (failure.reason !== 'transient' || attempt > opts.retries || !withinDeadline) {
        if (limited?.retryAfterMs !== undefined) cached.notBefore = Date.now() + limited.retryAfterMs;
        throw new QuoteError(id, failure.reason, stripId(id, failure.message), attempt);
      }
      await opts.sleep(backoff);
    }
  }
}

function rateLimitSeen(cached: CachedExchange): CachedExchange['rateLimited'] {
  return cached.rateLimited;
}

/** Retry-After in ms: seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(headers: Record<string, string>): number | undefined {
  const raw = Object.entries(headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(raw);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function stripId(id: string, message: string): string {
  return message.startsWith(`${id}: `) ? message.slice(id.length + 2) : message;
}

async function ensureMarket(
  id: string,
  source: SourceConfig,
  cached: CachedExchange,
  logger: Logger,
): Promise<void> {
  if (!cached.markets) {
    // reload=true: after a failed load ccxt keeps the rejected promise and would return it forever.
    cached.markets = cached.exchange.loadMarkets(true).then(
      () => undefined,
      (err: unknown) => {
        delete cached.markets;
        throw err;
      },
    );
  }
  await cached.markets;
  const problem =
    cached.exchange.has['fetchTicker'] !== true
      ? `${source.exchange} has no fetchTicker in ccxt`
      : !cached.exchange.markets || !(source.symbol in cached.exchange.markets)
        ? `market ${source.symbol} not listed on ${source.exchange} (delisted or renamed); this source is skipped until restart`
        : undefined;
  if (problem) {
    if (!reportedMissing.has(id)) {
      reportedMissing.add(id);
      logger.warn(`price source ${id}: ${problem}`);
    }
    throw new QuoteError(id, 'market-missing', problem);
  }
}

const OFFLINE = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|ConnectionRefused|DNSError/;

function classify(id: string, err: unknown, attempt: number): QuoteError {
  const errors = ccxtErrors();
  const message = errorMessage(err);
  if (err instanceof errors.NetworkError) {
    const cause = err.cause instanceof Error ? errorMessage(err.cause) : '';
    if (OFFLINE.test(message) || OFFLINE.test(cause)) {
      return new QuoteError(id, 'offline', `offline, cannot reach the exchange (${message})`, attempt);
    }
    return new QuoteError(id, 'transient', message, attempt);
  }
  return new QuoteError(id, 'permanent', message, attempt);
}

export type TickerCheck = { ok: true; price: number; timestamp: number } | { ok: false; reason: string };

/**
 * Accept a ticker only with a positive finite last price and a plausible timestamp. Tickers
 * without an exchange timestamp (zaif, kraken) are stamped with the fetch time.
 */
export function validateTicker(
  ticker: CcxtTicker | undefined | null,
  nowMs: number,
  maxAgeMs: number,
): TickerCheck {
  if (!ticker) return { ok: false, reason: 'no ticker in the response' };
  const price = ticker.last ?? ticker.close;
  if (price === undefined || price === null) return { ok: false, reason: 'no last price' };
  if (typeof price !== 'number' || !Number.isFinite(price))
    return { ok: false, reason: `last price is not a number (${String(price)})` };
  if (price <= 0) return { ok: false, reason: `last price ${price} is not positive` };
  const ts = ticker.timestamp ?? undefined;
  if (ts === undefined) return { ok: true, price, timestamp: nowMs };
  if (!Number.isFinite(ts)) return { ok: false, reason: `timestamp is not a number (${String(ts)})` };
  if (nowMs - ts > maxAgeMs) {
    return {
      ok: false,
      reason: `timestamp ${new Date(ts).toISOString()} is ${Math.round((nowMs - ts) / 60_000)} min old (max ${Math.round(maxAgeMs / 60_000)} min)`,
    };
  }
  // Five minutes of clock skew is tolerated; beyond that the exchange clock or data is wrong.
  if (ts - nowMs > 5 * 60_000)
    return { ok: false, reason: `timestamp ${new Date(ts).toISOString()} is in the future` };
  return { ok: true, price, timestamp: ts };
}
