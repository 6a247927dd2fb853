/**
 * The price partitions' stored shapes (keys in price-repo.ts) and the pure mapping between them
 * and the domain's quotes and consensus points.
 */
import type { ConsensusPoint, ConsensusResult, DroppedQuote, Quote } from '../domain/consensus';
import type { RuleState } from '../domain/rules';
import { ttlAfter, type Item } from './store';

export const iso = (ms: number) => new Date(ms).toISOString();

/** A stored consensus (what /price shows): the point plus which quotes made it and which were left out. */
export interface ConsensusRecord extends ConsensusPoint {
  symbol: string;
  used: { sourceId: string; price: number; timestamp: number }[];
  dropped: DroppedQuote[];
}

export type SourceFailureReason = 'offline' | 'transient' | 'market-missing' | 'permanent' | 'bad-ticker';

export interface SourceHealth {
  sourceId: string;
  exchange: string;
  symbol: string;
  lastOkAt?: number;
  lastPrice?: number;
  lastErrorAt?: number;
  lastError?: string;
  lastErrorReason?: SourceFailureReason;
  consecutiveFailures: number;
  /** The market was not listed at the last check (delisted or renamed). */
  marketMissing: boolean;
  updatedAt: number;
}

export interface ConsensusItem extends Item {
  at: number;
  symbol: string;
  price?: number;
  venues: string[];
  used: ConsensusRecord['used'];
  dropped: DroppedQuote[];
}

export type QuoteItem = Item & Quote;
export type RuleStateItem = Item & RuleState;
export type HealthItem = Item & SourceHealth;

export interface RollupItem extends Item {
  at: number;
  price: number;
  venues: string[];
}

/** The stored consensus of a poll: the point plus which quotes made it and which were left out. */
export function consensusItem(result: ConsensusResult, at: number, retentionDays: number): ConsensusItem {
  return {
    pk: `PRICE#${result.symbol}`,
    sk: iso(at),
    at,
    symbol: result.symbol,
    ...(result.price !== undefined ? { price: result.price } : {}),
    venues: [...new Set(result.used.map((q) => q.exchange))],
    used: result.used.map((q) => ({ sourceId: q.sourceId, price: q.price, timestamp: q.timestamp })),
    dropped: result.dropped,
    expiresAt: ttlAfter(at, retentionDays),
  };
}

/** A sample (TTL) and the source's latest quote. */
export function sampleItems(quote: Quote, retentionDays: number): Item[] {
  const data = toQuote(quote);
  return [
    {
      pk: `PRICE#SAMPLE#${quote.symbol}`,
      sk: `${iso(quote.fetchedAt)}#${quote.sourceId}`,
      ...data,
      expiresAt: ttlAfter(quote.fetchedAt, retentionDays),
    },
    { pk: `PRICE#LATEST#${quote.symbol}`, sk: quote.sourceId, ...data },
  ];
}

export function sameState(a: RuleState, b: RuleState): boolean {
  return (
    a.active === b.active &&
    a.episodeStart === b.episodeStart &&
    a.lastAlertAt === b.lastAlertAt &&
    a.lastAlertKey === b.lastAlertKey
  );
}

export function toQuote(q: Quote): Quote {
  return {
    sourceId: q.sourceId,
    exchange: q.exchange,
    symbol: q.symbol,
    price: q.price,
    timestamp: q.timestamp,
    fetchedAt: q.fetchedAt,
  };
}

export function toPoint(i: ConsensusItem & { price: number }): ConsensusPoint {
  return {
    at: i.at,
    price: i.price,
    venues: i.venues,
    ...(i.used.length ? { sampledAt: Math.max(...i.used.map((u) => u.timestamp)) } : {}),
  };
}

/** Polls without consensus are stored too, without a price. */
export function hasPrice(i: ConsensusItem): i is ConsensusItem & { price: number } {
  return typeof i.price === 'number';
}

/** The first item with a price, as a record. */
export function firstPriced(items: ConsensusItem[]): ConsensusRecord | undefined {
  const hit = items.find(hasPrice);
  return hit ? toRecord(hit) : undefined;
}

export function toRecord(i: ConsensusItem & { price: number }): ConsensusRecord {
  return { at: i.at, symbol: i.symbol, price: i.price, venues: i.venues, used: i.used, dropped: i.dropped };
}
