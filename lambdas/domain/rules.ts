import { MINUTE } from './clock';
import { splitSymbol, type ConsensusPoint } from './consensus';
import {
  BELOW_REF,
  dropRuleId,
  isLevelRuleId,
  levelRuleId,
  riseRuleId,
  type EvaluatedRules,
} from './rule-ids';
import { SPARSE_FRACTION, dropFromHigh, sampleTime } from './price-window';

/**
 * Price rules, evaluated on the stored consensus series (oldest first), never on a single poll,
 * so a missed poll does not hide a drop: the window's high is still in the series.
 *
 * Rule ids (rule-ids.ts): `drop-<percent>-<windowMinutes>` (e.g. "drop-5-60"), `rise-…`,
 * `above-<price>-<BASE/QUOTE>`, `below-…` and `below-ref`.
 *
 * Decisions (docs/adr/0002-reference-price-and-currencies.md):
 * - Confirmation ("never an alert from a single quote"): a condition counts at a point when that
 *   point's consensus came from ≥2 venues (they agreed within outlierPercent), or when the point
 *   before it satisfied the condition too (a single venue must say it twice in a row).
 * - The window's high only counts levels that were confirmed the same way: a single-venue point
 *   contributes min(its price, the previous point's price), so one wild spike up cannot become the
 *   "high" that a normal price then appears to drop from.
 * - Hysteresis: after firing, a rule stays quiet until the condition clears by hysteresisPercent
 *   (drop back under percent − hysteresis; price back above reference × (1 + hysteresis)).
 * - Cooldown: after an alert the same rule of the same symbol stays quiet cooldownMinutes even if
 *   re-armed, so a price wobbling around a threshold alerts once; a drop rule at least half its
 *   window, so a "10 % in 24 h" rule does not restate a long slide every hour.
 * - The alert key holds the episode start: the time of the first point of the current unbroken run
 *   of points satisfying the condition, read from the series. A re-run (even after a crash between
 *   enqueueing and saving the state) computes the same key, and the outbox refuses the duplicate.
 * - below-ref alerts on a crossing only: when the series starts below the reference (a fresh
 *   install while the price is already under it) the rule is marked fired silently. It is not
 *   evaluated before the reference exists (`referenceSince`, docs/adr/0010), and only points
 *   sampled since then count, so a fall in November 2017 is never "below the refund price".
 * - Level rules (a channel's above / below a price) alert on a crossing only: the rule's first
 *   evaluation records the side and never fires; then hysteresis and cooldown as for below-ref.
 *   A level rule no channel asks for any more loses its state, so re-added it starts again with
 *   a first look (its old side may be long out of date).
 * - Drop windows are measured on sample time and need samples spanning WINDOW_COVERAGE of the
 *   window: a 1 h rule does not fire on daily candles or on 70 s of data; with sparse samples the
 *   alert carries the real gap ("since the last price 24 h ago").
 */

export interface RuleState {
  ruleId: string;
  /** Fired and not yet re-armed by hysteresis. */
  active: boolean;
  episodeStart?: number;
  lastAlertAt?: number;
  lastAlertKey?: string;
  updatedAt: number;
}

/** above / below: a channel's level rule (rule-ids.ts LevelRule). */
export type PriceRuleKind = 'drop' | 'rise' | 'below-ref' | 'above' | 'below';

export interface PriceAlert {
  /** Deterministic: `price:<symbol>:<ruleId>:<episode start ISO>`. */
  key: string;
  ruleId: string;
  rule: PriceRuleKind;
  symbol: string;
  asset: string;
  quoteCurrency: string;
  price: number;
  at: number;
  venues: string[];
  /** drop: the confirmed high of the window and when it was seen. */
  high?: number;
  highAt?: number;
  /** rise: the confirmed low of the window and when it was seen. */
  low?: number;
  lowAt?: number;
  /**
   * drop: the samples are sparse (daily candles, a gap in polling): minutes between the latest
   * sample and the one before it. The message then says "since the last price N ago", not "in 1 h".
   */
  sinceLastSampleMinutes?: number;
  /** above / below: the level crossed, in the quote currency. */
  level?: number;
  /**
   * drop: % change from the high (negative); rise: % change from the low (positive); below-ref:
   * % distance to the reference (negative); above / below: % distance to the level.
   */
  changePercent: number;
  windowMinutes?: number;
  thresholdPercent?: number;
  /** The reference price of this series (its incident's refund rate in this currency), when there is one. */
  referencePrice?: number;
  /** % distance from the reference price ((price − ref) / ref × 100). */
  referenceDistancePercent?: number;
  episodeStart: number;
}

export interface EvaluateInput {
  symbol: string;
  series: ConsensusPoint[];
  state: Record<string, RuleState>;
  rules: EvaluatedRules;
  /**
   * The reference price of this series (lambdas/domain/reference.ts referenceFor: its incident's
   * refund rate in this quote currency); undefined = no below-ref rule for this series.
   */
  reference?: number;
  now: number;
  /**
   * Since when the reference (refund) price exists: the refund terms' fixed time from the
   * incident config or the refund record. Undefined = no reference yet: below-ref is not evaluated.
   */
  referenceSince?: number;
}

export interface EvaluateResult {
  alerts: PriceAlert[];
  state: Record<string, RuleState>;
}

/** The longest look-back any rule needs (the series to load for an evaluation). */
export function seriesLookbackMs(rules: EvaluatedRules): number {
  const longest = Math.max(60, ...[...rules.drops, ...(rules.rises ?? [])].map((d) => d.windowMinutes));
  return longest * MINUTE;
}

interface Condition {
  /** Does the condition hold at point i? */
  holds(i: number): boolean;
  /** Has it cleared by the hysteresis margin at point i (re-arm)? */
  cleared(i: number): boolean;
  /** How far back an episode may be walked. */
  lookbackMs: number;
}

export function evaluateRules(input: EvaluateInput): EvaluateResult {
  const { symbol, series, rules, now } = input;
  const state: Record<string, RuleState> = { ...input.state };
  const alerts: PriceAlert[] = [];
  const last = series.length - 1;
  const latest = series[last];
  // Only a current point is evaluated: a series whose newest point is stale says nothing new.
  if (!latest || now - latest.at > rules.maxQuoteAgeSeconds * 1000) return { alerts, state };
  const { base, quote } = splitSymbol(symbol);
  const reference = input.reference;
  const refDistance = reference !== undefined ? ((latest.price - reference) / reference) * 100 : undefined;
  const common = {
    symbol,
    asset: base,
    quoteCurrency: quote,
    price: latest.price,
    at: latest.at,
    venues: latest.venues,
    ...(reference !== undefined && refDistance !== undefined
      ? { referencePrice: reference, referenceDistancePercent: refDistance }
      : {}),
  };

  for (const drop of rules.drops) {
    const ruleId = dropRuleId(drop);
    const windowMs = drop.windowMinutes * MINUTE;
    const dropAt = (i: number) => dropFromHigh(series, i, windowMs);
    const condition: Condition = {
      holds: (i) => (dropAt(i)?.percent ?? 0) >= drop.percent,
      cleared: (i) => {
        const d = dropAt(i)?.percent ?? 0;
        return d <= 0 || d < drop.percent - rules.hysteresisPercent;
      },
      lookbackMs: windowMs,
    };
    // A long-window rule restating the same slide every hour is noise: at least half its window.
    const cooldownMs = Math.max(rules.cooldownMinutes, drop.windowMinutes / 2) * MINUTE;
    const outcome = step(symbol, ruleId, condition, series, state[ruleId], cooldownMs, now, false);
    state[ruleId] = outcome.state;
    const d = dropAt(last);
    if (outcome.fire && d) {
      alerts.push({
        ...common,
        key: alertKey(symbol, ruleId, outcome.fire.episodeStart),
        ruleId,
        rule: 'drop',
        high: d.high,
        highAt: d.highAt,
        ...(d.sinceLastSampleMs > windowMs / SPARSE_FRACTION
          ? { sinceLastSampleMinutes: Math.round(d.sinceLastSampleMs / MINUTE) }
          : {}),
        changePercent: -d.percent,
        windowMinutes: drop.windowMinutes,
        thresholdPercent: drop.percent,
        episodeStart: outcome.fire.episodeStart,
      });
    }
  }

  for (const rise of rules.rises ?? []) {
    const ruleId = riseRuleId(rise);
    const windowMs = rise.windowMinutes * MINUTE;
    const riseAt = (i: number) => dropFromHigh(series, i, windowMs, 'up');
    const condition: Condition = {
      holds: (i) => (riseAt(i)?.percent ?? 0) >= rise.percent,
      cleared: (i) => {
        const r = riseAt(i)?.percent ?? 0;
        return r <= 0 || r < rise.percent - rules.hysteresisPercent;
      },
      lookbackMs: windowMs,
    };
    const cooldownMs = Math.max(rules.cooldownMinutes, rise.windowMinutes / 2) * MINUTE;
    const outcome = step(symbol, ruleId, condition, series, state[ruleId], cooldownMs, now, false);
    state[ruleId] = outcome.state;
    const r = riseAt(last);
    if (outcome.fire && r) {
      alerts.push({
        ...common,
        key: alertKey(symbol, ruleId, outcome.fire.episodeStart),
        ruleId,
        rule: 'rise',
        low: r.high,
        lowAt: r.highAt,
        ...(r.sinceLastSampleMs > windowMs / SPARSE_FRACTION
          ? { sinceLastSampleMinutes: Math.round(r.sinceLastSampleMs / MINUTE) }
          : {}),
        changePercent: r.percent,
        windowMinutes: rise.windowMinutes,
        thresholdPercent: rise.percent,
        episodeStart: outcome.fire.episodeStart,
      });
    }
  }

  // A channel's level rule of this series: a crossing only. Its first look at the series records
  // which side the price is on and says nothing, so a price already beyond the level when the rule
  // was added (or the bot installed) is not "crossed".
  for (const level of rules.levels ?? []) {
    if (level.symbol !== symbol) continue;
    const ruleId = levelRuleId(level);
    const above = level.direction === 'above';
    const margin = rules.hysteresisPercent / 100;
    const at = (i: number) => (series[i] as ConsensusPoint).price;
    const condition: Condition = {
      holds: (i) => (above ? at(i) > level.price : at(i) < level.price),
      cleared: (i) => (above ? at(i) < level.price * (1 - margin) : at(i) > level.price * (1 + margin)),
      lookbackMs: Number.POSITIVE_INFINITY,
    };
    if (!state[ruleId]) {
      state[ruleId] = { ruleId, active: condition.holds(last), updatedAt: now };
      continue;
    }
    const outcome = step(
      symbol,
      ruleId,
      condition,
      series,
      state[ruleId],
      rules.cooldownMinutes * MINUTE,
      now,
      true,
    );
    state[ruleId] = outcome.state;
    if (outcome.fire) {
      alerts.push({
        ...common,
        key: alertKey(symbol, ruleId, outcome.fire.episodeStart),
        ruleId,
        rule: level.direction,
        level: level.price,
        changePercent: ((latest.price - level.price) / level.price) * 100,
        episodeStart: outcome.fire.episodeStart,
      });
    }
  }
  // Levels nobody asks for any more are forgotten. Only when the channels' rules were read
  // (`levels` set): a poll whose subscription read failed keeps every recorded side.
  if (rules.levels) {
    const inUse = new Set(rules.levels.filter((l) => l.symbol === symbol).map(levelRuleId));
    for (const id of Object.keys(state)) if (isLevelRuleId(id) && !inUse.has(id)) delete state[id];
  }

  // The reference exists only from its fixed time: before it no price is "below the refund price",
  // and a crossing needs a point above it, at or after that time, followed by one below.
  const since = input.referenceSince;
  const refSeries = since === undefined ? [] : series.filter((p) => sampleTime(p) >= since);
  if (reference !== undefined && refSeries.length && refSeries.at(-1) === latest) {
    const condition: Condition = {
      holds: (i) => (refSeries[i] as ConsensusPoint).price < reference,
      cleared: (i) =>
        (refSeries[i] as ConsensusPoint).price > reference * (1 + rules.hysteresisPercent / 100),
      lookbackMs: Number.POSITIVE_INFINITY,
    };
    const outcome = step(
      symbol,
      BELOW_REF,
      condition,
      refSeries,
      state[BELOW_REF],
      rules.cooldownMinutes * MINUTE,
      now,
      true,
    );
    state[BELOW_REF] = outcome.state;
    if (outcome.fire) {
      alerts.push({
        ...common,
        key: alertKey(symbol, BELOW_REF, outcome.fire.episodeStart),
        ruleId: BELOW_REF,
        rule: 'below-ref',
        changePercent: refDistance ?? 0,
        episodeStart: outcome.fire.episodeStart,
      });
    }
  }
  return { alerts, state };
}

export function alertKey(symbol: string, ruleId: string, episodeStart: number): string {
  return `price:${symbol}:${ruleId}:${new Date(episodeStart).toISOString()}`;
}

/** One rule's state transition at the latest point. */
function step(
  symbol: string,
  ruleId: string,
  condition: Condition,
  series: ConsensusPoint[],
  previous: RuleState | undefined,
  cooldownMs: number,
  now: number,
  needsCrossing: boolean,
): { state: RuleState; fire?: { episodeStart: number } } {
  const last = series.length - 1;
  const current: RuleState = previous
    ? { ...previous, updatedAt: now }
    : { ruleId, active: false, updatedAt: now };
  if (current.active) {
    if (condition.cleared(last)) current.active = false;
    return { state: current };
  }
  if (!confirmed(series, last, condition)) return { state: current };
  const episodeStart = episodeStartOf(series, last, condition);
  if (needsCrossing && episodeStart.atSeriesStart && !previous) {
    // Already past the threshold when watching began: not a crossing, so no alert.
    return { state: { ...current, active: true, episodeStart: episodeStart.at } };
  }
  if (current.lastAlertAt !== undefined && now - current.lastAlertAt < cooldownMs) {
    return { state: current };
  }
  return {
    state: {
      ...current,
      active: true,
      episodeStart: episodeStart.at,
      lastAlertAt: now,
      lastAlertKey: alertKey(symbol, ruleId, episodeStart.at),
    },
    fire: { episodeStart: episodeStart.at },
  };
}

function confirmed(series: ConsensusPoint[], i: number, condition: Condition): boolean {
  const point = series[i];
  if (!point || !condition.holds(i)) return false;
  if (point.venues.length >= 2) return true;
  return i > 0 && condition.holds(i - 1);
}

/** First point of the unbroken run of points (ending at i) where the condition holds. */
function episodeStartOf(
  series: ConsensusPoint[],
  i: number,
  condition: Condition,
): { at: number; atSeriesStart: boolean } {
  const end = series[i] as ConsensusPoint;
  let j = i;
  while (
    j > 0 &&
    condition.holds(j - 1) &&
    end.at - (series[j - 1] as ConsensusPoint).at <= condition.lookbackMs
  ) {
    j--;
  }
  return { at: (series[j] as ConsensusPoint).at, atSeriesStart: j === 0 };
}
