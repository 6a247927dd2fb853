import { HOUR } from './clock';
import type { IncidentConfig } from './config';
import { httpUrl } from './news';
import { canAutoTransition, isBackward, type RefundStage } from './refund';

/**
 * Who must say a refund stage before the bot repeats it (ADR 0010). An official source (a feed
 * or link domain the incident names as its own) moves the stage at once, backwards too when it
 * contradicts the current stage. Anyone else is a claim: the first one is posted as "reported,
 * unconfirmed" and moves nothing; a second, independent one (another feed AND another link
 * domain) for the same stage within the window moves it. Pure: the store keeps the claims.
 */

export const DEFAULT_CONFIRM_WINDOW_HOURS = 48;

/** Where one piece of evidence came from. */
export interface EvidenceSource {
  feedId: string;
  link?: string;
}

/** One unofficial source saying the refund reached `stage` (kept until confirmed or stale). */
export interface RefundClaim {
  incidentId: string;
  /** Stable per (stage, feed, item): the same item read twice is the same claim. */
  id: string;
  stage: RefundStage;
  feedId: string;
  /** Link host without "www."; no link, no domain: such a claim is never independent. */
  domain?: string;
  link?: string;
  quote: string;
  /** When the source said it: its publication time, else when we saw it (epoch ms). */
  at: number;
  /** When the bot read it (epoch ms, the injected clock). */
  seenAt: number;
  rate?: number;
  currency?: string;
  paymentDate?: string;
  because?: string;
  /** The "reported, unconfirmed" message was queued. */
  posted: boolean;
}

/** The host of a link, lower case, without a leading "www."; undefined for no http(s) link. */
export function linkDomain(link: string | undefined): string | undefined {
  const host = httpUrl(link)?.hostname.toLowerCase();
  return host ? host.replace(/^www\./, '') : undefined;
}

/** Does the incident name this feed, or the link's domain (or a parent of it), as its own? */
export function isOfficialSource(incident: IncidentConfig, source: EvidenceSource): boolean {
  const official = incident.officialSources;
  if (!official) return false;
  if (official.feeds.includes(source.feedId)) return true;
  const host = linkDomain(source.link);
  return !!host && official.domains.some((d) => host === d || host.endsWith(`.${d}`));
}

export function confirmWindowMs(incident: IncidentConfig): number {
  return (incident.confirmWindowHours ?? DEFAULT_CONFIRM_WINDOW_HOURS) * HOUR;
}

/** Two claims are independent when both feed and link domain differ (a missing domain never does). */
export function independent(
  a: Pick<RefundClaim, 'feedId' | 'domain'>,
  b: Pick<RefundClaim, 'feedId' | 'domain'>,
) {
  return a.feedId !== b.feedId && !!a.domain && !!b.domain && a.domain !== b.domain;
}

export type EvidenceDecision =
  /** Nothing to do: the stage would not move forward (or back, for an official contradiction). */
  | { kind: 'ignore' }
  /** An official source: move now (backwards only when it contradicts the current stage). */
  | { kind: 'official'; backward: boolean }
  /** A second independent source within the window: move, citing `with` and this one. */
  | { kind: 'confirmed'; with: RefundClaim }
  /** The first word from this source: keep the claim; post it as unconfirmed when `post`. */
  | { kind: 'unconfirmed'; post: boolean };

export interface DecideInput {
  incident: IncidentConfig;
  /** The current stage and since when (epoch ms of the last change; undefined if never set). */
  current: { stage: RefundStage; updatedAt?: number };
  /** The stage this item's evidence says. */
  stage: RefundStage;
  /** The item contradicts a later stage (a hedge or denial about the refund); see refundDoubt. */
  doubts: boolean;
  source: EvidenceSource;
  /** This item's claim as it would be stored (its id, time and domain). */
  claim: Pick<RefundClaim, 'id' | 'at' | 'domain' | 'feedId'>;
  /** Claims stored for this incident. */
  claims: readonly RefundClaim[];
}

/** What one item's refund evidence does to the stage (see the module comment). */
export function decideEvidence(input: DecideInput): EvidenceDecision {
  const { incident, current, stage, source, claim } = input;
  if (isOfficialSource(incident, source)) {
    if (canAutoTransition(current.stage, stage)) return { kind: 'official', backward: false };
    // Back only on an explicit contradiction: an official recap of an earlier stage ("we
    // announced the refund on 28 January") is not a correction.
    if (input.doubts && isBackward(current.stage, stage)) return { kind: 'official', backward: true };
    return { kind: 'ignore' };
  }
  if (!canAutoTransition(current.stage, stage)) return { kind: 'ignore' };
  const window = confirmWindowMs(incident);
  // Claims read before the stage last changed belong to the old state; stale ones to nobody.
  const live = input.claims.filter(
    (c) =>
      c.stage === stage &&
      c.id !== claim.id &&
      Math.abs(c.at - claim.at) <= window &&
      (current.updatedAt === undefined || c.seenAt >= current.updatedAt),
  );
  const other = live.find((c) => independent(c, claim));
  if (other) return { kind: 'confirmed', with: other };
  // One source, one message: a second item of the same feed or domain says nothing new.
  return { kind: 'unconfirmed', post: !live.some((c) => c.posted) };
}
