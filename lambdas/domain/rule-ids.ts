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

/** The configured rules plus the channels' own rise rules (rises are never in the config file). */
export type EvaluatedRules = RulesConfig & { rises?: DropRule[] };

export function ruleIdsFor(rules: RulesConfig): string[] {
  return [...rules.drops.map(dropRuleId), BELOW_REF];
}

/** A rule id read back into its rule: `drop-<percent>-<windowMinutes>`, `rise-…` or `below-ref`. */
export type ParsedRuleId =
  { kind: 'drop'; drop: DropRule } | { kind: 'rise'; rise: DropRule } | { kind: 'below-ref' };

/**
 * Parse a rule id (as stored by `/alerts subscribe` or made by dropRuleId). Throws an Error that
 * names the id and what is wrong. Only the canonical spelling is accepted ("drop-5-60", not
 * "drop-05-60"): alerts carry dropRuleId(rule), and fan-out compares ids as text.
 */
export function parseRuleId(id: string): ParsedRuleId {
  if (id === BELOW_REF) return { kind: 'below-ref' };
  // The percent may hold a dash of its own (String(1e-7) is "1e-7"), so the window is the last part.
  const m = /^(drop|rise)-(.+)-(\d+)$/.exec(id);
  if (!m)
    throw new Error(
      `rule id "${id}": expected drop-<percent>-<windowMinutes>, rise-<percent>-<windowMinutes> or ${BELOW_REF}`,
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
  /** The configured rules plus the channels' own drop and rise rules: what the price job evaluates. */
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
      // below-ref is always a configured id, so only drops and rises reach here.
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
    },
    custom: kept.map((k) => k.id),
    capped: valid.slice(kept.length).map((k) => k.id),
    invalid,
  };
}
