import { say, type Localized } from './i18n';
import type { Language } from './config';

/**
 * Refund status of an incident: a small stage machine. The main line moves forward only
 * (none → announced → terms-fixed → scheduled → paying → paid); `partial` sits between paying
 * and paid (some holders paid, or only part of the amount); `disputed` is a side state that
 * evidence can enter from anywhere before `paid` and leave only by evidence of payment.
 * Automatic moves (from news evidence) follow those rules; maintainers may set any stage by hand.
 */
export const REFUND_STAGES = [
  'none',
  'announced',
  'terms-fixed',
  'scheduled',
  'paying',
  'partial',
  'paid',
  'disputed',
] as const;
export type RefundStage = (typeof REFUND_STAGES)[number];

const MAIN_LINE: readonly RefundStage[] = [
  'none',
  'announced',
  'terms-fixed',
  'scheduled',
  'paying',
  'partial',
  'paid',
];

export function isRefundStage(value: unknown): value is RefundStage {
  return typeof value === 'string' && (REFUND_STAGES as readonly string[]).includes(value);
}

/** One stage change, as stored in the refund history and posted once. */
export interface RefundChange {
  incidentId: string;
  /** 1, 2, 3 ... per incident: the change's place in the history. */
  seq: number;
  from: RefundStage;
  to: RefundStage;
  /** Epoch ms (from the injected clock). */
  at: number;
  /** true = moved by news evidence; false = set by hand (then actor and reason are the audit). */
  auto: boolean;
  /** Rate per unit of the asset, when the evidence (or the maintainer) gave one. */
  rate?: number;
  currency?: string;
  /** Payment date as written in the evidence, normalised to YYYY-MM-DD when possible. */
  paymentDate?: string;
  /** Links of the news items (or documents) that evidence the change. */
  evidence: string[];
  /** The source sentence the stage was read from (news evidence), quoted in the post. */
  quote?: string;
  /**
   * Where `rate` came from: read from this change's source sentence, carried from an earlier
   * source, or set by a maintainer. Unset with no rate: the post uses the incident config's terms.
   */
  rateSource?: RateSource;
  /**
   * Why news evidence was believed: an official source said it, or two independent sources did
   * (then `citations` holds both). Unset on changes made by hand.
   */
  basis?: 'official' | 'confirmed';
  /** Every source the change rests on, each with its link and sentence (quoted in the post). */
  citations?: Citation[];
  /** Terms beyond the rate, set by hand (`refund set-terms`); carried while the rate stays. */
  terms?: RefundTermsDetail;
  /**
   * This change corrects change `corrects` (a maintainer or an official source moved the stage
   * back): the channels that got that change's message get one correction.
   */
  corrects?: number;
  /** The channels this change's message was queued for (recorded when posted). */
  postedTo?: string[];
  actor?: string;
  reason?: string;
}

export interface Citation {
  feedId: string;
  link?: string;
  quote: string;
}

export type RateSource = 'source' | 'earlier-source' | 'maintainer';

/** The current refund status of an incident. */
export interface RefundRecord {
  incidentId: string;
  stage: RefundStage;
  /** Number of changes so far (0 = never set); also the optimistic-lock version. */
  version: number;
  rate?: number;
  currency?: string;
  paymentDate?: string;
  updatedAt?: number;
  /** Evidence links of the last change. */
  evidence: string[];
  rateSource?: RateSource;
  terms?: RefundTermsDetail;
}

/** Refund terms beyond rate and currency, as a maintainer sets them (all optional). */
export interface RefundTermsDetail {
  /** The venue the reference rate was taken on, e.g. "Zaif". */
  venue?: string;
  /** The reference window, ISO times. */
  window?: { from: string; to: string };
  /** About how many holders are refunded. */
  holders?: number;
  /** The total refunded, in the currency. */
  total?: number;
}

/** Terms a maintainer sets by hand: rate and currency, and what else is known. */
export interface ManualTerms extends RefundTermsDetail {
  rate: number;
  currency: string;
}

/** What is wrong with terms set by hand, each naming the field; empty when none. */
export function manualTermsProblems(t: ManualTerms): string[] {
  const problems: string[] = [];
  if (!(Number.isFinite(t.rate) && t.rate > 0))
    problems.push(`rate must be a number above 0 (got ${t.rate})`);
  if (!/^[A-Z][A-Z0-9]{1,9}$/.test(t.currency))
    problems.push(`currency must be a code like JPY or USDT (got "${t.currency}")`);
  if (t.venue !== undefined && !t.venue.trim()) problems.push('venue must not be empty');
  if (t.window) {
    const from = Date.parse(t.window.from);
    const to = Date.parse(t.window.to);
    if (!Number.isFinite(from)) problems.push(`window from must be an ISO time (got "${t.window.from}")`);
    if (!Number.isFinite(to)) problems.push(`window to must be an ISO time (got "${t.window.to}")`);
    if (Number.isFinite(from) && Number.isFinite(to) && !(from < to))
      problems.push('window from must be before window to');
  }
  if (t.holders !== undefined && !(Number.isInteger(t.holders) && t.holders > 0))
    problems.push(`holders must be a whole number above 0 (got ${t.holders})`);
  if (t.total !== undefined && !(Number.isFinite(t.total) && t.total > 0))
    problems.push(`total must be a number above 0 (got ${t.total})`);
  return problems;
}

/**
 * The stage after a maintainer sets the terms: terms-fixed, unless the main line is already at
 * or past it (scheduled, paying …), which stays. The reference price exists from that change on.
 */
export function stageAfterTerms(current: RefundStage): RefundStage {
  return FROM_TERMS.includes(current) ? current : 'terms-fixed';
}

/** Does a change from `from` to `to` go back along the main line (a correction)? */
export function isBackward(from: RefundStage, to: RefundStage): boolean {
  const a = MAIN_LINE.indexOf(from);
  const b = MAIN_LINE.indexOf(to);
  return a >= 0 && b >= 0 && b < a;
}

/** A rate carried to a later change: read from an earlier source, or still the maintainer's. */
export function carriedRateSource(source: RateSource | undefined): RateSource | undefined {
  return source === 'source' ? 'earlier-source' : source;
}

/** May news evidence move the stage from `from` to `to` without a maintainer? */
export function canAutoTransition(from: RefundStage, to: RefundStage): boolean {
  if (from === to) return false;
  if (to === 'none') return false;
  if (to === 'disputed') return from !== 'paid';
  if (from === 'disputed') return to === 'paying' || to === 'partial' || to === 'paid';
  return MAIN_LINE.indexOf(to) > MAIN_LINE.indexOf(from);
}

/** A maintainer may set any stage other than the current one (audited). */
export function canManualTransition(from: RefundStage, to: RefundStage): boolean {
  return from !== to;
}

const LABELS: Record<RefundStage, Localized> = {
  none: { en: 'no refund announced', ja: '返金の発表なし' },
  announced: { en: 'refund announced', ja: '返金を発表' },
  'terms-fixed': { en: 'terms fixed', ja: '返金条件が確定' },
  scheduled: { en: 'payment scheduled', ja: '返金日が決定' },
  paying: { en: 'paying out', ja: '返金中' },
  partial: { en: 'partly paid', ja: '一部返金済み' },
  paid: { en: 'paid', ja: '返金完了' },
  disputed: { en: 'disputed', ja: '係争中' },
};

export function stageLabel(stage: RefundStage, language: Language): string {
  return say(language, LABELS[stage]);
}

const FROM_TERMS: readonly RefundStage[] = ['terms-fixed', 'scheduled', 'paying', 'partial', 'paid'];

/**
 * Since when the refund terms (and so the reference price) exist, from the history: the time of
 * the change that reached terms-fixed or later, unless a later change (a correction) went back
 * before it; and not before the change that set the current rate, when a change carries one (a
 * maintainer's `refund set-terms` while the stage was already past terms-fixed). Undefined while
 * no terms are fixed.
 */
export function termsFixedAt(history: readonly RefundChange[]): number | undefined {
  let since: number | undefined;
  let rate: number | undefined;
  let rateSince: number | undefined;
  for (const c of [...history].sort((a, b) => a.seq - b.seq)) {
    if (FROM_TERMS.includes(c.to)) since ??= c.at;
    else if (c.to !== 'disputed') since = undefined;
    if (c.rate !== rate) rateSince = c.at;
    rate = c.rate;
  }
  if (since === undefined) return undefined;
  return rate === undefined || rateSince === undefined ? since : Math.max(since, rateSince);
}
