import { MINUTE } from './clock';
import { MICRO_PER_XEM, type ChainTransfer } from './chain';
import type { NemChainConfig } from './config';

/**
 * The watch's decisions, pure: which recipients to follow, when a victim's outflow is a drain,
 * when a poll's movements become one summary, and how the stolen XEM is spread now.
 */

export type WatchRole = 'victim' | 'attacker';

/** A watched account as the job knows it (from config, or followed from an attacker account). */
export interface WatchedAccount {
  chain: 'nem';
  address: string;
  incidentId: string;
  role: WatchRole;
  label?: string;
  /** 0 for accounts in config; a followed account is its funder's depth + 1. */
  depth: number;
  /** Transfers before this (ms) are history: recorded, never posted. */
  since: number;
  /** The attacker account and transfer that made us follow this one. */
  fundedBy?: string;
  fundingHash?: string;
  /** Last known balance (micro-XEM) and when it was read. */
  balanceMicro?: number;
  balanceAt?: number;
}

export interface FollowRules {
  maxDepth: number;
  minXem: number;
}

/**
 * Recipients to start watching: an account that receives at least `minXem` from a watched
 * attacker account becomes an attacker account one level deeper, up to `maxDepth`. One entry per
 * new address (its first qualifying transfer), in time order.
 */
export function accountsToFollow(
  transfers: readonly ChainTransfer[],
  watched: ReadonlyMap<string, WatchedAccount>,
  rules: FollowRules,
): WatchedAccount[] {
  const found = new Map<string, WatchedAccount>();
  const ordered = [...transfers].sort((a, b) => a.at - b.at || a.hash.localeCompare(b.hash));
  for (const t of ordered) {
    const funder = watched.get(t.from) ?? found.get(t.from);
    if (!funder || funder.role !== 'attacker') continue;
    if (watched.has(t.to) || found.has(t.to)) continue;
    if (t.microXem < rules.minXem * MICRO_PER_XEM || t.microXem === 0) continue;
    if (funder.depth + 1 > rules.maxDepth) continue;
    found.set(t.to, {
      chain: t.chain,
      address: t.to,
      incidentId: funder.incidentId,
      role: 'attacker',
      depth: funder.depth + 1,
      since: t.at,
      fundedBy: t.from,
      fundingHash: t.hash,
    });
  }
  return [...found.values()];
}

export interface Outflow {
  at: number;
  microXem: number;
  hash: string;
}

export type DrainRule = NemChainConfig['drain'];

export interface DrainAlert {
  address: string;
  /** micro-XEM that left within the window. */
  outMicro: number;
  /** Share of the balance before the window (balance now + the outflow), percent. */
  sharePercent: number;
  /** First and last outflow of the window: the alert says how long it took. */
  firstAt: number;
  lastAt: number;
  transfers: number;
  /** Deterministic: the first outflow's hash, so a re-run makes the same alert key. */
  firstHash: string;
  balanceMicro?: number;
}

/**
 * A victim account is being drained when, within `windowMinutes` before `now`, at least
 * `minXem` or `sharePercent` of its balance left it. Quiet for `cooldownMinutes` after an alert.
 */
export function detectDrain(opts: {
  address: string;
  outflows: readonly Outflow[];
  balanceMicro: number | undefined;
  now: number;
  rule: DrainRule;
  lastAlertAt?: number;
}): DrainAlert | undefined {
  const { rule, now } = opts;
  if (opts.lastAlertAt !== undefined && now - opts.lastAlertAt < rule.cooldownMinutes * MINUTE)
    return undefined;
  const inWindow = opts.outflows
    .filter((o) => o.at > now - rule.windowMinutes * MINUTE && o.at <= now && o.microXem > 0)
    .sort((a, b) => a.at - b.at);
  const first = inWindow[0];
  const last = inWindow[inWindow.length - 1];
  if (!first || !last) return undefined;
  const outMicro = inWindow.reduce((sum, o) => sum + o.microXem, 0);
  const before = opts.balanceMicro === undefined ? undefined : opts.balanceMicro + outMicro;
  const sharePercent = before ? (outMicro / before) * 100 : 0;
  const byAmount = outMicro >= rule.minXem * MICRO_PER_XEM;
  const byShare = before !== undefined && sharePercent >= rule.sharePercent;
  if (!byAmount && !byShare) return undefined;
  return {
    address: opts.address,
    outMicro,
    sharePercent,
    firstAt: first.at,
    lastAt: last.at,
    transfers: inWindow.length,
    firstHash: first.hash,
    ...(opts.balanceMicro !== undefined ? { balanceMicro: opts.balanceMicro } : {}),
  };
}

/** Keep the outflows a drain check can still need (the window), newest last. */
export function pruneOutflows(outflows: readonly Outflow[], now: number, windowMinutes: number): Outflow[] {
  return outflows.filter((o) => o.at > now - windowMinutes * MINUTE).sort((a, b) => a.at - b.at);
}

/** Where the stolen XEM is now: the attacker accounts' last known balances against the stolen total. */
export interface Holdings {
  attackerAccounts: number;
  /** Attacker accounts with a balance above zero. */
  holding: number;
  heldMicro: number;
  /** Share of the incident's stolen total (config amountStolen), percent. */
  heldPercent: number;
}

export function holdings(accounts: readonly WatchedAccount[], stolenXem: number): Holdings {
  const attackers = accounts.filter((a) => a.role === 'attacker');
  const withBalance = attackers.filter((a) => (a.balanceMicro ?? 0) > 0);
  const heldMicro = withBalance.reduce((s, a) => s + (a.balanceMicro ?? 0), 0);
  return {
    attackerAccounts: attackers.length,
    holding: withBalance.length,
    heldMicro,
    heldPercent: stolenXem > 0 ? (heldMicro / (stolenXem * MICRO_PER_XEM)) * 100 : 0,
  };
}

/** A poll's movements: posted one by one, or as one summary when more than `threshold`. */
export function isBurst(movements: number, threshold: number): boolean {
  return movements > threshold;
}

export interface BurstSummary {
  transfers: number;
  totalMicro: number;
  senders: string[];
  recipients: string[];
  firstAt: number;
  lastAt: number;
}

export function summariseBurst(transfers: readonly ChainTransfer[]): BurstSummary {
  const sorted = [...transfers].sort((a, b) => a.at - b.at);
  return {
    transfers: sorted.length,
    totalMicro: sorted.reduce((s, t) => s + t.microXem, 0),
    senders: [...new Set(sorted.map((t) => t.from))],
    recipients: [...new Set(sorted.map((t) => t.to))],
    firstAt: sorted[0]?.at ?? 0,
    lastAt: sorted[sorted.length - 1]?.at ?? 0,
  };
}
