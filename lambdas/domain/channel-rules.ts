import type { Language, MessageKind } from './config';
import { addMentionKind, removeMentionKind } from './mentions';
import type { Subscription } from './subscription';

/**
 * What `/alerts` does to a channel's subscription, as pure functions: the command parses and
 * renders, these decide. `defaults` is ruleIdsFor(config.rules): what a channel without its own
 * list receives.
 */

/** The price rules the channel has: its own list, else the configured defaults. */
export function channelPriceRules(sub: Subscription | undefined, defaults: readonly string[]): string[] {
  return [...(sub?.priceRules ?? defaults)];
}

/** Whether the channel's price rules are the configured defaults (no list of its own). */
export function usesDefaultRules(sub: Subscription | undefined): boolean {
  return sub?.priceRules === undefined;
}

export interface SubscribeChange {
  channelId: string;
  guildId: string;
  kind: MessageKind;
  /** Price rule ids to add (kind price only). */
  addRules?: readonly string[];
  /** Set the channel's language; otherwise it keeps the one it had. */
  language?: Language;
  /** Mention this role for this kind too. */
  roleId?: string;
}

/**
 * Subscribe the channel to a kind and add rules. An added rule joins the rules the channel
 * already has, which are the defaults unless it removed some: adding a rule never drops one.
 */
export function subscribe(
  existing: Subscription | undefined,
  change: SubscribeChange,
  defaults: readonly string[],
): Subscription {
  const added = change.addRules ?? [];
  const priceRules = added.length
    ? [...new Set([...channelPriceRules(existing, defaults), ...added])]
    : existing?.priceRules;
  const language = change.language ?? existing?.language;
  const mentionRole = change.roleId
    ? addMentionKind(existing?.mentionRole, change.roleId, change.kind)
    : existing?.mentionRole;
  return {
    channelId: change.channelId,
    guildId: change.guildId,
    kinds: [...new Set([...(existing?.kinds ?? []), change.kind])],
    ...(language ? { language } : {}),
    ...(priceRules ? { priceRules } : {}),
    ...(mentionRole ? { mentionRole } : {}),
  };
}

/** The rule ids of `added` that are the channel's own (not among the defaults). */
export function ownRules(added: readonly string[], defaults: readonly string[]): string[] {
  const d = new Set(defaults);
  return added.filter((r) => !d.has(r));
}

export type RemoveRuleResult =
  | { removed: true; subscription: Subscription }
  /** The channel has no such rule; `has` is what it has. */
  | { removed: false; has: string[] };

/**
 * Remove one price rule. Removing a default stores the channel's own list without it; removing
 * the last rule stops price alerts for the channel (and their role ping).
 */
export function removeRule(
  existing: Subscription,
  rule: string,
  defaults: readonly string[],
  guildId: string,
): RemoveRuleResult {
  const current = channelPriceRules(existing, defaults);
  if (!current.includes(rule)) return { removed: false, has: current };
  const remaining = current.filter((r) => r !== rule);
  const base = { ...existing, guildId: existing.guildId ?? guildId };
  if (remaining.length) return { removed: true, subscription: { ...base, priceRules: remaining } };
  return {
    removed: true,
    subscription: {
      ...withoutMention(base, 'price'),
      kinds: existing.kinds.filter((k) => k !== 'price'),
      // Empty, not undefined: undefined would mean "the defaults" again.
      priceRules: [],
    },
  };
}

/**
 * Stop a kind (or all). A kind no longer received is no longer mentioned; the price rules are
 * kept only while price is. An empty kinds list is kept on purpose: it also silences a channel
 * listed in the config file.
 */
export function unsubscribe(
  existing: Subscription,
  kind: MessageKind | 'all',
  guildId: string,
): Subscription {
  const kindsLeft = kind === 'all' ? [] : existing.kinds.filter((k) => k !== kind);
  const { priceRules, mentionRole: _mention, ...rest } = existing;
  const left = removeMentionKind(existing.mentionRole, kind);
  return {
    ...rest,
    ...(kindsLeft.includes('price') && priceRules ? { priceRules } : {}),
    ...(left ? { mentionRole: left } : {}),
    guildId: existing.guildId ?? guildId,
    kinds: kindsLeft,
  };
}

/** Stop the role ping for this kind (or all), keeping what the channel receives. */
export function stopMention(
  existing: Subscription,
  kind: MessageKind | 'all',
  guildId: string,
): Subscription {
  return { ...withoutMention(existing, kind), guildId: existing.guildId ?? guildId };
}

function withoutMention(sub: Subscription, kind: MessageKind | 'all'): Subscription {
  const { mentionRole: _old, ...rest } = sub;
  const left = removeMentionKind(sub.mentionRole, kind);
  return left ? { ...rest, mentionRole: left } : rest;
}

export type SeriesChoice =
  | { symbol: string }
  /** Nothing configured matches `asked`; `series` lists what is configured. */
  | { unknown: true; series: string[] }
  /** More than one series fits: the user must name one of `series`. */
  | { ambiguous: true; series: string[] };

/**
 * The series a level price is in: `asked` is a series ("XEM/JPY"), a quote currency ("JPY") or
 * nothing; it must name exactly one of the configured series, else the user is asked to choose.
 */
export function chooseSeries(symbols: readonly string[], asked: string | undefined): SeriesChoice {
  const series = [...new Set(symbols)].sort();
  const wanted = asked?.trim().toUpperCase();
  const fits = !wanted
    ? series
    : series.filter((s) =>
        wanted.includes('/') ? s.toUpperCase() === wanted : s.toUpperCase().endsWith(`/${wanted}`),
      );
  if (fits.length === 1) return { symbol: fits[0] as string };
  if (!fits.length) return { unknown: true, series };
  return { ambiguous: true, series: fits };
}
