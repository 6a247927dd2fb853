import type { DropRule, RulesConfig } from './config';
import type { Subscription } from './subscription';

/**
 * Price rule ids, what a channel may add, and which rules are in use: the names the config, the
 * /alerts command and the stored subscriptions share. How a rule fires is rules.ts.
 */

export const BELOW_REF = 'below-ref';

export function dropRuleId(rule: DropRule): string {
  return `drop-${rule.percent}-${rule.windowMinutes}`;
}

/** A rise rule (channel-own only, `/alerts subscribe rise_percent`): same bounds as a drop. */
export function riseRuleId(rule: DropRule): string {
  return `rise-${rule.percent}-${rule.windowMinutes}`;
}

/**
 * A channel's level alert (`/alerts subscribe above:150 series:XEM/JPY`): fires when the
 * consensus of that series crosses the price, in the series' quote currency.
 */
export interface LevelRule {
  direction: 'above' | 'below';
  price: number;
  /** The series, e.g. "XEM/JPY": the price is in its quote currency. */
  symbol: string;
}

/** A series name a level rule id may carry: BASE/QUOTE, letters and digits (no ":" or "-"). */
const LEVEL_SYMBOL = /^[A-Za-z0-9.]+\/[A-Za-z0-9.]+$/;

/** Level prices are positive and at most this (beyond it String() turns to exponent form). */
export const MAX_LEVEL_PRICE = 1e15;

/**
 * `above-<price>-<BASE>/<QUOTE>`, e.g. "above-150-XEM/JPY", "below-0.00012-XEM/BTC". The price is
 * String(price): the shortest text that reads back to the same number, so a decimal price has one
 * spelling. The series is part of the id: two series may share a quote currency (XEM/JPY, BTC/JPY).
 */
export function levelRuleId(rule: LevelRule): string {
  return `${rule.direction}-${String(rule.price)}-${rule.symbol}`;
}

/** What is wrong with a level rule, or nothing. */
export function levelRuleProblems(rule: LevelRule): string[] {
  const problems: string[] = [];
  if (!(Number.isFinite(rule.price) && rule.price > 0 && rule.price <= MAX_LEVEL_PRICE))
    problems.push(`price must be above 0 and at most ${MAX_LEVEL_PRICE}`);
  if (!LEVEL_SYMBOL.test(rule.symbol)) problems.push(`series "${rule.symbol}" is not BASE/QUOTE`);
  return problems;
}

/** The configured rules plus the channels' own rise and level rules (never in the config file). */
export type EvaluatedRules = RulesConfig & { rises?: DropRule[]; levels?: LevelRule[] };

export function ruleIdsFor(rules: RulesConfig): string[] {
  return [...rules.drops.map(dropRuleId), BELOW_REF];
}

/** A rule id read back into its rule: `drop-<percent>-<windowMinutes>`, `rise-…`, `above-…`, `below-…` or `below-ref`. */
export type ParsedRuleId =
  | { kind: 'drop'; drop: DropRule }
  | { kind: 'rise'; rise: DropRule }
  | { kind: 'level'; level: LevelRule }
  | { kind: 'below-ref' };

/**
 * Parse a rule id (as stored by `/alerts subscribe` or made by dropRuleId). Throws an Error that
 * names the id and what is wrong. Only the canonical spelling is accepted ("drop-5-60", not
 * "drop-05-60"): alerts carry dropRuleId(rule), and fan-out compares ids as text.
 */
export function parseRuleId(id: string): ParsedRuleId {
  if (id === BELOW_REF) return { kind: 'below-ref' };
  // The price may hold a dash (String(1e-7)), the series may not: the series is the last part.
  const level = /^(above|below)-(.+)-([^-]+)$/.exec(id);
  if (level) {
    const rule: LevelRule = {
      direction: level[1] as LevelRule['direction'],
      price: Number(level[2]),
      symbol: level[3] as string,
    };
    const problems = levelRuleProblems(rule);
    if (problems.length) throw new Error(`rule id "${id}": ${problems.join('; ')}`);
    const canonical = levelRuleId(rule);
    if (canonical !== id) throw new Error(`rule id "${id}": not in canonical form (expected "${canonical}")`);
    return { kind: 'level', level: rule };
  }
  // The percent may hold a dash of its own (String(1e-7) is "1e-7"), so the window is the last part.
  const m = /^(drop|rise)-(.+)-(\d+)$/.exec(id);
  if (!m)
    throw new Error(
      `rule id "${id}": expected drop-<percent>-<windowMinutes>, rise-<percent>-<windowMinutes>, above-<price>-<BASE/QUOTE>, below-<price>-<BASE/QUOTE> or ${BELOW_REF}`,
    );
  // A rise rule has the same bounds as a drop rule.
  const rule: DropRule = { percent: Number(m[2]), windowMinutes: Number(m[3]) };
  const problems = dropRuleProblems(rule);
  if (problems.length) throw new Error(`rule id "${id}": ${problems.join('; ')}`);
  const canonical = m[1] === 'rise' ? riseRuleId(rule) : dropRuleId(rule);
  if (canonical !== id) throw new Error(`rule id "${id}": not in canonical form (expected "${canonical}")`);
  return m[1] === 'rise' ? { kind: 'rise', rise: rule } : { kind: 'drop', drop: rule };
}

/** The bounds of a drop rule: the config schema (config.ts) enforces them, /alerts quotes them. */
export const DROP_RULE_BOUNDS = {
  /** The percent is strictly between these. */
  percentAbove: 0,
  percentBelow: 100,
  /** Whole minutes, inclusive. */
  minWindowMinutes: 1,
  maxWindowMinutes: 60 * 24 * 30,
} as const;

/**
 * What is wrong with a drop rule, in the config schema's words. Plain code rather than the zod
 * schema: this runs in the interactions Lambda, whose bundle leaves zod out (issue 15).
 */
export function dropRuleProblems(drop: DropRule): string[] {
  const b = DROP_RULE_BOUNDS;
  const problems: string[] = [];
  if (!(drop.percent > b.percentAbove)) problems.push(`percent must be above ${b.percentAbove}`);
  else if (!(drop.percent < b.percentBelow)) problems.push(`percent must be below ${b.percentBelow}`);
  const w = drop.windowMinutes;
  if (!Number.isInteger(w) || w < b.minWindowMinutes || w > b.maxWindowMinutes)
    problems.push(`windowMinutes must be a whole number from ${b.minWindowMinutes} to ${b.maxWindowMinutes}`);
  return problems;
}

/** Most distinct channel-own rules the price job evaluates per poll (each one walks its window). */
export const MAX_CUSTOM_RULES = 50;

export interface RulesInUse {
  /** The configured rules plus the channels' own drop, rise and level rules: what the price job evaluates. */
  rules: EvaluatedRules;
  /** Channel-own rule ids evaluated beyond the configured ones. */
  custom: string[];
  /** Channel-own rule ids left out by the cap (the ones fewest channels asked for). */
  capped: string[];
  /** Stored ids that do not parse, with why; never evaluated. */
  invalid: { id: string; error: string }[];
}

/**
 * The rules to evaluate: the configured ones, plus every distinct rule id in the active price
 * subscriptions (not disabled, taking price). At most maxCustom of the latter: the ones most
 * channels asked for, ties by id, so the same set is chosen every poll.
 */
export function rulesInUse(
  rules: RulesConfig,
  subscriptions: readonly Subscription[],
  maxCustom = MAX_CUSTOM_RULES,
): RulesInUse {
  const defaults = new Set(ruleIdsFor(rules));
  const channelsPerId = new Map<string, number>();
  for (const s of subscriptions) {
    if (s.disabledReason || !s.kinds.includes('price')) continue;
    for (const id of new Set(s.priceRules ?? [])) {
      if (!defaults.has(id)) channelsPerId.set(id, (channelsPerId.get(id) ?? 0) + 1);
    }
  }
  const invalid: { id: string; error: string }[] = [];
  const valid: { id: string; parsed: ParsedRuleId; channels: number }[] = [];
  for (const [id, channels] of channelsPerId) {
    try {
      const parsed = parseRuleId(id);
      // below-ref is always a configured id, so only drops, rises and levels reach here.
      if (parsed.kind !== 'below-ref') valid.push({ id, parsed, channels });
    } catch (err) {
      invalid.push({ id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  valid.sort((a, b) => b.channels - a.channels || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const kept = valid.slice(0, Math.max(0, maxCustom));
  return {
    rules: {
      ...rules,
      drops: [...rules.drops, ...kept.flatMap((k) => (k.parsed.kind === 'drop' ? [k.parsed.drop] : []))],
      rises: kept.flatMap((k) => (k.parsed.kind === 'rise' ? [k.parsed.rise] : [])),
      levels: kept.flatMap((k) => (k.parsed.kind === 'level' ? [k.parsed.level] : [])),
    },
    custom: kept.map((k) => k.id),
    capped: valid.slice(kept.length).map((k) => k.id),
    invalid,
  };
}

/** Whether an id is a level rule (above-/below-<price>-<series>), not below-ref. */
export function isLevelRuleId(id: string): boolean {
  try {
    return parseRuleId(id).kind === 'level';
  } catch {
    return false;
  }
}
