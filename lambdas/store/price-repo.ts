/**
 * Price data in the one table. Keys (ISO times sort as strings):
 *
 *   samples       pk PRICE#SAMPLE#<symbol>   sk <ISO fetchedAt>#<sourceId>   TTL rules.sampleRetentionDays
 *   consensus     pk PRICE#<symbol>          sk <ISO at>                     TTL rules.sampleRetentionDays
 *                 (also polls with no consensus: price absent, used/dropped say why)
 *   hourly rollup pk PRICE#HOUR#<symbol>     sk <ISO hour start>             TTL as the consensus
 *                 (the hour's first consensus with a price: what the 7 d and 30 d charts read)
 *   latest quote  pk PRICE#LATEST#<symbol>   sk <sourceId>                   overwritten each poll
 *   rule state    pk PRICE#RULES#<symbol>    sk <ruleId>                     cooldown/hysteresis survive restarts
 *   source health pk PRICE#HEALTH            sk <sourceId>
 *
 * Symbols match /^[A-Z0-9]+\/[A-Z0-9]+$/, so "PRICE#<symbol>" never collides with the other prefixes.
 */
import { HOUR, type Clock } from '../domain/clock';
import type { ConsensusPoint, ConsensusResult, Quote } from '../domain/consensus';
import type { RuleState } from '../domain/rules';
import { ttlAfter, type Item, type Store } from './store';
import { PK } from './keys';
import {
  consensusItem,
  firstPriced,
  hasPrice,
  iso,
  sameState,
  sampleItems,
  toPoint,
  toQuote,
  toRecord,
  type ConsensusItem,
  type ConsensusRecord,
  type HealthItem,
  type QuoteItem,
  type RollupItem,
  type RuleStateItem,
  type SourceFailureReason,
  type SourceHealth,
} from './price-items';

const HEALTH = PK.priceHealth;

/**
 * Per store (its identity: scoped copies share it) and symbol, the series last read (see
 * consensusSeries). `written`: the point at upTo is this process's own last write, not re-read.
 */
const seriesCache = new WeakMap<
  object,
  Map<string, { from: number; upTo: number; points: ConsensusPoint[]; written?: boolean }>
>();

/** Items a read of the consensus partition looks through for one with a price (firstWithPrice). */
const CONSENSUS_PAGE = 30;

/**
 * A consensus point this old is final: a poll writes its point within its run (the price function
 * times out after 50 s), and a re-run rewrites only its own poll's time.
 */
const SETTLED_MS = HOUR;

/**
 * Per store (identity) and symbol, the last read of firstConsensusSince: the priced points from
 * `from` to `to`, where the read saw every item and all of them were settled (SETTLED_MS), so a
 * later start inside that span has the same first point. Retention is at least 2 days, so none of
 * them expires while a 24 h window can still start before it. This process's own write at or
 * before `to` drops it (putConsensus).
 */
const sinceCache = new WeakMap<
  object,
  Map<string, { from: number; to: number; priced: ConsensusRecord[] }>
>();

/**
 * Per store (identity), the source health this process last wrote or read: the price job, the
 * one writer (see consensusSeries), reads it from the store once, then keeps what it writes.
 */
const healthCache = new WeakMap<object, Map<string, SourceHealth>>();

/** One source's outcome of a poll, as the price job records it (recordPoll). */
export type PolledSource =
  | { ok: true; quote: Quote }
  | {
      ok: false;
      source: { sourceId: string; exchange: string; symbol: string };
      reason: SourceFailureReason;
      message: string;
    };

/**
 * Per store (identity) and symbol, the rule states this process last read or wrote: the price
 * job, their one writer, reads them from the store once, then keeps what it saves.
 */
const ruleStateCache = new WeakMap<object, Map<string, Record<string, RuleState>>>();

/** Per store (identity) and symbol, the hour whose rollup this process has written or found. */
const rollupHours = new WeakMap<object, Map<string, number>>();

export class PriceRepo {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  // ---- reads (the /price and /status commands use these) ----

  /**
   * Newest consensus of the symbol that has a price (polls without consensus are skipped). The
   * newest poll has one almost always: a one-item read, and a longer one only after it.
   */
  async latestConsensus(symbol: string): Promise<ConsensusRecord | undefined> {
    const newest = await this.store.query<ConsensusItem>(`PRICE#${symbol}`, { descending: true, limit: 1 });
    if (newest.length === 0) return undefined;
    return firstPriced(newest) ?? this.firstWithPrice(symbol, { descending: true }).then(firstPriced);
  }

  /**
   * Oldest consensus with a price at or after `fromMs` (up to `toMs`): where a change over a
   * window starts. One short read, where the whole window's series would be up to 1,440 points.
   * A warm process answers a later window from its last read while that read covers the new start
   * (see sinceCache): /price's 24 h change reads the day's first point about once in 30 minutes.
   */
  async firstConsensusSince(
    symbol: string,
    fromMs: number,
    toMs: number,
  ): Promise<ConsensusRecord | undefined> {
    let bySymbol = sinceCache.get(this.store.identity);
    if (!bySymbol) sinceCache.set(this.store.identity, (bySymbol = new Map()));
    const cached = bySymbol.get(symbol);
    if (cached && cached.from <= fromMs) {
      const hit = cached.priced.find((p) => p.at >= fromMs);
      if (hit && hit.at <= toMs) return hit;
    }
    const items = await this.firstWithPrice(symbol, { from: iso(fromMs), to: iso(toMs) });
    // What the read covers: every item up to its last (a full page) or up to toMs, kept only as
    // far as it is settled.
    const last = items.length === CONSENSUS_PAGE ? items[items.length - 1]?.at : toMs;
    const to = Math.min(last ?? toMs, toMs, this.clock.now() - SETTLED_MS);
    if (to >= fromMs)
      bySymbol.set(symbol, {
        from: fromMs,
        to,
        priced: items
          .filter(hasPrice)
          .filter((i) => i.at <= to)
          .map(toRecord),
      });
    else bySymbol.delete(symbol);
    return firstPriced(items);
  }

  /** Polls without consensus have no price: 30 items cover a long outage's worth of them. */
  private async firstWithPrice(
    symbol: string,
    range: { from?: string; to?: string; descending?: boolean },
  ): Promise<ConsensusItem[]> {
    return this.store.query<ConsensusItem>(`PRICE#${symbol}`, { ...range, limit: CONSENSUS_PAGE });
  }

  /**
   * Consensus points with a price, oldest first, fromMs ≤ at ≤ toMs. A warm process reads only the
   * points since its last read of the symbol: the 24 h rule would otherwise re-read a day of
   * points every poll (most of a poll's read cost). This relies on the price job being the one
   * writer and writing forward in time (reserved concurrency 1 in AWS, one runner per data dir).
   */
  async consensusSeries(symbol: string, fromMs: number, toMs: number): Promise<ConsensusPoint[]> {
    let bySymbol = seriesCache.get(this.store.identity);
    if (!bySymbol) seriesCache.set(this.store.identity, (bySymbol = new Map()));
    const cached = bySymbol.get(symbol);
    const incremental = cached !== undefined && cached.from <= fromMs && cached.upTo <= toMs;
    if (incremental && cached.written && cached.upTo === toMs) {
      // The price job reading back the point it has just written: nothing newer can exist.
      const points = cached.points.filter((p) => p.at >= fromMs);
      bySymbol.set(symbol, { from: fromMs, upTo: toMs, points, written: true });
      return points;
    }
    const readFrom = incremental ? cached.upTo : fromMs;
    const items = await this.store.query<ConsensusItem>(`PRICE#${symbol}`, {
      from: iso(readFrom),
      to: iso(toMs),
    });
    const fresh = items.filter(hasPrice).map(toPoint);
    // The point at readFrom itself is read again: a re-run at the same time may have rewritten it.
    const kept = incremental ? cached.points.filter((p) => p.at >= fromMs && p.at < readFrom) : [];
    const points = [...kept, ...fresh];
    bySymbol.set(symbol, { from: fromMs, upTo: toMs, points });
    return points;
  }

  /**
   * Points for a chart over days: one per hour (the hourly rollup: the hour's first consensus) and
   * the minute points of the current hour, so 30 days read ~720 + 60 items instead of 43,200. The
   * minute series stays for the drop rules. Before any rollup exists for the range (a store from
   * before rollups), the minute series.
   */
  async chartSeries(symbol: string, fromMs: number, toMs: number): Promise<ConsensusPoint[]> {
    const hourly = await this.store.query<RollupItem>(`PRICE#HOUR#${symbol}`, {
      from: iso(fromMs),
      to: iso(toMs),
    });
    if (!hourly.length) return this.consensusSeries(symbol, fromMs, toMs);
    const points: ConsensusPoint[] = hourly
      .filter((i) => i.at >= fromMs && i.at <= toMs)
      .map((i) => ({ at: i.at, price: i.price, venues: i.venues }));
    const lastAt = points[points.length - 1]?.at ?? fromMs;
    const recentFrom = Math.max(lastAt + 1, Math.floor(toMs / HOUR) * HOUR);
    if (recentFrom > toMs) return points;
    const recent = await this.store.query<ConsensusItem>(`PRICE#${symbol}`, {
      from: iso(recentFrom),
      to: iso(toMs),
    });
    for (const i of recent)
      if (typeof i.price === 'number' && i.at > lastAt)
        points.push({ at: i.at, price: i.price, venues: i.venues });
    return points;
  }

  /** The last good quote of each source of the symbol. */
  async latestQuotes(symbol: string): Promise<Quote[]> {
    const items = await this.store.query<QuoteItem>(`PRICE#LATEST#${symbol}`);
    return items.map(toQuote);
  }

  /**
   * Every source's health. `ownWrites`: the price job (the one writer) takes what this process
   * last wrote or read instead of reading it again each poll.
   */
  async sourceHealth(opts: { ownWrites?: boolean } = {}): Promise<SourceHealth[]> {
    const known = opts.ownWrites ? healthCache.get(this.store.identity) : undefined;
    if (known) return [...known.values()];
    const items = await this.store.query<HealthItem>(HEALTH);
    const health = items.map(({ pk: _pk, sk: _sk, expiresAt: _e, gsi1pk: _g, gsi1sk: _s, ...h }) => h);
    healthCache.set(this.store.identity, new Map(health.map((h) => [h.sourceId, h])));
    return health;
  }

  /** Samples of the symbol in a time range (replay, charts), oldest first. */
  async samples(symbol: string, fromMs: number, toMs: number): Promise<Quote[]> {
    const items = await this.store.query<QuoteItem>(`PRICE#SAMPLE#${symbol}`, {
      from: iso(fromMs),
      to: `${iso(toMs)}#\uffff`,
    });
    return items.map(toQuote);
  }

  // ---- writes (the price job) ----

  /** Store one sample (TTL) and make it the source's latest quote. */
  async putSample(quote: Quote, retentionDays: number): Promise<void> {
    await this.store.putAll(sampleItems(quote, retentionDays));
  }

  /**
   * A poll's samples, latest quotes, source health and consensus (one per symbol, `consensus`) in
   * one batch write (25 items a request) rather than a request or three each; then the hour's
   * rollup of each consensus with a price. `previous`: each source's health before this poll.
   */
  async recordPoll(
    polled: PolledSource[],
    previous: Map<string, SourceHealth>,
    retentionDays: number,
    consensus: { result: ConsensusResult; at: number }[] = [],
  ): Promise<void> {
    const items: Item[] = [];
    const health: SourceHealth[] = [];
    for (const p of polled) {
      const sourceId = p.ok ? p.quote.sourceId : p.source.sourceId;
      const h = p.ok
        ? this.okHealth(p.quote, previous.get(sourceId))
        : this.failedHealth(p.source, p.reason, p.message, previous.get(sourceId));
      if (p.ok) items.push(...sampleItems(p.quote, retentionDays));
      items.push({ pk: HEALTH, sk: sourceId, ...h });
      health.push(h);
    }
    const points = consensus.map((c) => consensusItem(c.result, c.at, retentionDays));
    await this.store.putAll([...items, ...points]);
    this.keepHealth(health);
    for (const point of points) await this.keptConsensus(point, retentionDays);
  }

  /** Store this poll's consensus (or its absence) at `at`. A re-run at the same time overwrites it. */
  async putConsensus(result: ConsensusResult, at: number, retentionDays: number): Promise<void> {
    const item = consensusItem(result, at, retentionDays);
    await this.store.put(item);
    await this.keptConsensus(item, retentionDays);
  }

  /** After a consensus is stored: the caches follow it, and the hour's rollup. */
  private async keptConsensus(item: ConsensusItem, retentionDays: number): Promise<void> {
    this.keepOwnPoint(item);
    // A write at or before what the last day-start read covered (a test, a replay going back).
    const since = sinceCache.get(this.store.identity);
    if ((since?.get(item.symbol)?.to ?? -Infinity) >= item.at) since?.delete(item.symbol);
    if (item.price !== undefined)
      await this.putHourRollup(item.symbol, item.at, item.price, item.venues, retentionDays);
  }

  /** The series cache follows this process's own write forward; an earlier time drops it. */
  private keepOwnPoint(item: ConsensusItem): void {
    const bySymbol = seriesCache.get(this.store.identity);
    const cached = bySymbol?.get(item.symbol);
    if (!bySymbol || !cached) return;
    if (item.at < cached.upTo) {
      bySymbol.delete(item.symbol);
      return;
    }
    const points = cached.points.filter((p) => p.at < item.at);
    if (typeof item.price === 'number') points.push(toPoint({ ...item, price: item.price }));
    bySymbol.set(item.symbol, { from: cached.from, upTo: item.at, points, written: true });
  }

  /**
   * The hour's rollup point, written by the first poll of each hour: one write an hour per symbol.
   * A process that starts mid-hour finds it there (ifAbsent) and leaves it.
   */
  private async putHourRollup(
    symbol: string,
    at: number,
    price: number,
    venues: string[],
    retentionDays: number,
  ): Promise<void> {
    const hour = Math.floor(at / HOUR) * HOUR;
    let bySymbol = rollupHours.get(this.store.identity);
    if (!bySymbol) rollupHours.set(this.store.identity, (bySymbol = new Map()));
    if (bySymbol.get(symbol) === hour) return;
    const rollup: RollupItem = {
      pk: `PRICE#HOUR#${symbol}`,
      sk: iso(hour),
      at,
      price,
      venues,
      expiresAt: ttlAfter(at, retentionDays),
    };
    await this.store.put(rollup, { ifAbsent: true });
    bySymbol.set(symbol, hour);
  }

  /** `ownWrites`: the price job takes what this process last read or saved instead of reading again. */
  async ruleStates(symbol: string, opts: { ownWrites?: boolean } = {}): Promise<Record<string, RuleState>> {
    let bySymbol = ruleStateCache.get(this.store.identity);
    const known = opts.ownWrites ? bySymbol?.get(symbol) : undefined;
    if (known) return { ...known };
    const items = await this.store.query<RuleStateItem>(`PRICE#RULES#${symbol}`);
    const out: Record<string, RuleState> = {};
    for (const { pk: _pk, sk: _sk, ...state } of items) out[state.ruleId] = state;
    if (!bySymbol) ruleStateCache.set(this.store.identity, (bySymbol = new Map()));
    bySymbol.set(symbol, { ...out });
    return out;
  }

  /** Save the states that changed since `before` (by value); delete those `states` no longer has. */
  async saveRuleStates(
    symbol: string,
    states: Record<string, RuleState>,
    before: Record<string, RuleState> = {},
  ): Promise<void> {
    const known = ruleStateCache.get(this.store.identity);
    const gone = Object.keys(before).filter((id) => !(id in states));
    try {
      for (const state of Object.values(states)) {
        const prev = before[state.ruleId];
        if (prev && sameState(prev, state)) continue;
        await this.store.put({ pk: `PRICE#RULES#${symbol}`, sk: state.ruleId, ...state });
      }
      for (const id of gone) await this.store.delete(`PRICE#RULES#${symbol}`, id);
    } catch (err) {
      // Some were saved, some not: the next poll reads them again.
      known?.delete(symbol);
      throw err;
    }
    // The saved ones over the known ones, less the deleted, are what is stored.
    const kept = known?.get(symbol);
    if (kept) {
      const next = { ...kept, ...states };
      for (const id of gone) delete next[id];
      known?.set(symbol, next);
    }
  }

  async recordSourceOk(quote: Quote, previous: SourceHealth | undefined): Promise<SourceHealth> {
    return this.putHealth(this.okHealth(quote, previous));
  }

  async recordSourceFailure(
    source: { sourceId: string; exchange: string; symbol: string },
    reason: SourceFailureReason,
    message: string,
    previous: SourceHealth | undefined,
  ): Promise<SourceHealth> {
    return this.putHealth(this.failedHealth(source, reason, message, previous));
  }

  private async putHealth(health: SourceHealth): Promise<SourceHealth> {
    await this.store.put({ pk: HEALTH, sk: health.sourceId, ...health });
    this.keepHealth([health]);
    return health;
  }

  /** What this process wrote, for sourceHealth({ ownWrites }) (only once it has read them all). */
  private keepHealth(written: SourceHealth[]): void {
    const known = healthCache.get(this.store.identity);
    for (const h of written) known?.set(h.sourceId, h);
  }

  private okHealth(quote: Quote, previous: SourceHealth | undefined): SourceHealth {
    return {
      ...(previous ?? {}),
      sourceId: quote.sourceId,
      exchange: quote.exchange,
      symbol: quote.symbol,
      lastOkAt: quote.fetchedAt,
      lastPrice: quote.price,
      consecutiveFailures: 0,
      marketMissing: false,
      updatedAt: this.clock.now(),
    };
  }

  private failedHealth(
    source: { sourceId: string; exchange: string; symbol: string },
    reason: SourceFailureReason,
    message: string,
    previous: SourceHealth | undefined,
  ): SourceHealth {
    const now = this.clock.now();
    return {
      ...(previous ?? {}),
      ...source,
      lastErrorAt: now,
      lastError: message.slice(0, 500),
      lastErrorReason: reason,
      consecutiveFailures: (previous?.consecutiveFailures ?? 0) + 1,
      marketMissing: reason === 'market-missing',
      updatedAt: now,
    };
  }
}
