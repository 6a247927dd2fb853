import type { RulesConfig } from './config';

/** One price seen on one venue. */
export interface Quote {
  /** "<exchange>:<symbol>", e.g. "zaif:XEM/JPY". */
  sourceId: string;
  exchange: string;
  /** Unified symbol, e.g. "XEM/JPY". Sources sharing a symbol form one series. */
  symbol: string;
  price: number;
  /** ms; the exchange's own time when the ticker has one, else the fetch time. */
  timestamp: number;
  /** ms; when we fetched it (our clock). */
  fetchedAt: number;
}

export interface DroppedQuote {
  sourceId: string;
  reason: string;
}

export interface ConsensusResult {
  symbol: string;
  /** Median of the quotes kept; undefined when there is no trustworthy consensus. */
  price: number | undefined;
  used: Quote[];
  dropped: DroppedQuote[];
}

/** One stored consensus price of a series (what the rules read), oldest first in a series. */
export interface ConsensusPoint {
  at: number;
  price: number;
  /** Exchanges whose quotes made this price. */
  venues: string[];
  /**
   * When the price was measured: the newest exchange time among its quotes (undefined = `at`).
   * Polls that see the same daily candle repeat one sample; the rules measure windows on this.
   */
  sampledAt?: number;
}

export function sourceIdOf(exchange: string, symbol: string): string {
  return `${exchange}:${symbol}`;
}

/** "XEM/JPY" → { base: "XEM", quote: "JPY" }. */
export function splitSymbol(symbol: string): { base: string; quote: string } {
  const [base = symbol, quote = ''] = symbol.split('/');
  return { base, quote };
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] as number;
  return sorted.length % 2 ? hi : ((sorted[mid - 1] as number) + hi) / 2;
}

function pctOff(value: number, from: number): number {
  return (Math.abs(value - from) / from) * 100;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * The consensus price of one symbol from this poll's quotes:
 * - quotes of another symbol, with a non-positive/non-finite price, or older than
 *   `maxQuoteAgeSeconds` (exchange time) are dropped;
 * - outliers are removed one at a time, furthest from the median first, while at least 3 quotes
 *   remain: a quote further than `outlierPercent` from the median of the *others* goes;
 * - the outliers must be a minority (a 2–2 split is not a consensus);
 * - two quotes that disagree by more than `outlierPercent` give no consensus (we cannot tell
 *   which one is wrong, so we do not guess);
 * - the price is the median of what is left.
 * The symbol is the first quote's unless given.
 */
export function computeConsensus(
  quotes: Quote[],
  nowMs: number,
  rules: RulesConfig,
  symbol: string = quotes[0]?.symbol ?? '',
): ConsensusResult {
  const dropped: DroppedQuote[] = [];
  let fresh: Quote[] = [];
  const maxAgeMs = rules.maxQuoteAgeSeconds * 1000;
  for (const q of quotes) {
    if (q.symbol !== symbol) {
      dropped.push({ sourceId: q.sourceId, reason: `different symbol ${q.symbol} (series is ${symbol})` });
    } else if (!Number.isFinite(q.price) || q.price <= 0) {
      dropped.push({ sourceId: q.sourceId, reason: `invalid price ${q.price}` });
    } else if (nowMs - q.timestamp > maxAgeMs) {
      const age = Math.round((nowMs - q.timestamp) / 1000);
      dropped.push({
        sourceId: q.sourceId,
        reason: `stale: ${age} s old (max ${rules.maxQuoteAgeSeconds} s)`,
      });
    } else {
      fresh.push(q);
    }
  }
  const freshCount = fresh.length;

  while (fresh.length >= 3) {
    const m = median(fresh.map((q) => q.price));
    let worst = fresh[0] as Quote;
    for (const q of fresh) if (pctOff(q.price, m) > pctOff(worst.price, m)) worst = q;
    const othersMedian = median(fresh.filter((q) => q !== worst).map((q) => q.price));
    const off = pctOff(worst.price, othersMedian);
    if (off <= rules.outlierPercent) break;
    dropped.push({
      sourceId: worst.sourceId,
      reason: `outlier: ${round(off)}% from the median of the others ${othersMedian} (max ${rules.outlierPercent}%)`,
    });
    fresh = fresh.filter((q) => q !== worst);
  }

  if (fresh.length === 2) {
    const [a, b] = fresh as [Quote, Quote];
    const off = pctOff(Math.max(a.price, b.price), Math.min(a.price, b.price));
    if (off > rules.outlierPercent) {
      const reason = `disagree: ${a.sourceId} ${a.price} vs ${b.sourceId} ${b.price} differ by ${round(off)}% (max ${rules.outlierPercent}%), no consensus from two venues`;
      dropped.push({ sourceId: a.sourceId, reason }, { sourceId: b.sourceId, reason });
      return { symbol, price: undefined, used: [], dropped };
    }
  }

  // Removing outliers must leave a strict majority of the fresh quotes, else it is a split market.
  if (fresh.length * 2 <= freshCount && freshCount > 2) {
    for (const q of fresh) {
      dropped.push({
        sourceId: q.sourceId,
        reason: `split: only ${fresh.length} of ${freshCount} fresh quotes agree, no majority`,
      });
    }
    return { symbol, price: undefined, used: [], dropped };
  }

  if (fresh.length === 0) return { symbol, price: undefined, used: [], dropped };
  return { symbol, price: median(fresh.map((q) => q.price)), used: fresh, dropped };
}

export const DEFAULT_SUSPECT_FACTOR = 3;
export const DEFAULT_SUSPECT_CONFIRM_POLLS = 3;

/**
 * Why a consensus made by one venue alone is held as suspect, or undefined to accept it. Suspect:
 * it moves more than `suspectFactor` from the previous consensus in one poll, and the venue's own
 * last `suspectConfirmPolls` samples (this poll's included, newest last) do not all agree with it
 * within `outlierPercent`. One exchange quoting 100,000 × the price must not become the high, and
 * its return to normal must not read as a crash.
 */
export function suspectReason(
  consensus: ConsensusResult,
  previous: number | undefined,
  venueSamples: number[],
  rules: Pick<RulesConfig, 'outlierPercent' | 'suspectFactor' | 'suspectConfirmPolls'>,
): string | undefined {
  const price = consensus.price;
  const venues = new Set(consensus.used.map((q) => q.exchange));
  if (price === undefined || previous === undefined || venues.size !== 1) return undefined;
  const factor = rules.suspectFactor ?? DEFAULT_SUSPECT_FACTOR;
  const jump = Math.max(price / previous, previous / price);
  if (jump <= factor) return undefined;
  const polls = rules.suspectConfirmPolls ?? DEFAULT_SUSPECT_CONFIRM_POLLS;
  const recent = venueSamples.slice(-polls);
  if (recent.length >= polls && recent.every((p) => pctOff(p, price) <= rules.outlierPercent))
    return undefined;
  const venue = [...venues][0];
  return (
    `suspect: ${venue} alone moved ${round(jump, 1)}× from the consensus ${previous} in one poll; ` +
    `held until a second venue or ${polls} polls in a row confirm it`
  );
}
