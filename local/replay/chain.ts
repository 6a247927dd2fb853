import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MICRO_PER_XEM } from '../../lambdas/domain/chain';
import type { Clock } from '../../lambdas/domain/clock';
import {
  madeUpAccount,
  madeUpHash,
  startNemNode,
  type NemAccount,
  type NemNode,
  type SimTransfer,
} from '../../testkit/nem-server';

/**
 * The replay's NEM chain: the theft of 2018-01-26 and the dispersal after it
 * (data/coincheck-2018-nem.json, provenance in data/PROVENANCE.md), served by a loopback NIS1
 * node on the replay's clock. Hashes and keys are made up (the sources give addresses only) and
 * say so: every hash is sha256 of "goxwatch made-up NEM tx …".
 */

interface ChainFile {
  accounts: Record<string, { address: string }>;
  openingBalancesXem: Record<string, number>;
  transfers: { at: string; from: string; to: string; xem: number; note: string }[];
  dispersal: {
    from: string;
    to: string;
    accounts: number;
    xemEach: number;
    extra100?: number;
    zeroXem?: number;
    note: string;
  }[];
}

export const CHAIN_FILE = 'coincheck-2018-nem.json';

/** A documented account: its real address, with a made-up key to sign with (only the address is public). */
function documented(name: string, address: string): NemAccount {
  return { publicKey: madeUpAccount(name).publicKey, address };
}

export function loadTheftChain(dataDir: string): {
  transfers: SimTransfer[];
  openingBalances: Record<string, number>;
  accounts: number;
} {
  const file = JSON.parse(readFileSync(join(dataDir, CHAIN_FILE), 'utf8')) as ChainFile;
  const named = new Map<string, NemAccount>(
    Object.entries(file.accounts).map(([name, a]) => [name, documented(name, a.address)]),
  );
  const account = (name: string): NemAccount => {
    const a = named.get(name);
    if (!a) throw new Error(`${CHAIN_FILE}: unknown account "${name}"`);
    return a;
  };
  const transfers: SimTransfer[] = file.transfers.map((t, i) => {
    const at = Date.parse(t.at);
    if (Number.isNaN(at)) throw new Error(`${CHAIN_FILE}: transfers[${i}].at "${t.at}" is not a date`);
    return {
      hash: madeUpHash(`theft ${i} ${t.note}`),
      at,
      from: account(t.from),
      to: account(t.to).address,
      microXem: Math.round(t.xem * MICRO_PER_XEM),
    };
  });
  const attacker = account('attacker1');
  let made = 0;
  for (const [d, batch] of file.dispersal.entries()) {
    const from = Date.parse(batch.from);
    const span = Date.parse(batch.to) - from;
    const targets = Array.from({ length: batch.accounts }, () => madeUpAccount(`dispersal ${++made}`));
    const sends: { to: NemAccount; xem: number }[] = [
      ...targets.map((to) => ({ to, xem: batch.xemEach })),
      ...targets.slice(0, batch.extra100 ?? 0).map((to) => ({ to, xem: 100 })),
      ...targets.slice(2, 2 + (batch.zeroXem ?? 0)).map((to) => ({ to, xem: 0 })),
    ];
    sends.forEach((s, i) =>
      transfers.push({
        hash: madeUpHash(`dispersal ${d}.${i}`),
        at: from + (sends.length > 1 ? Math.round((span * i) / (sends.length - 1)) : 0),
        from: attacker,
        to: s.to.address,
        microXem: s.xem * MICRO_PER_XEM,
      }),
    );
  }
  const openingBalances = Object.fromEntries(
    Object.entries(file.openingBalancesXem).map(([name, xem]) => [
      account(name).address,
      xem * MICRO_PER_XEM,
    ]),
  );
  return { transfers, openingBalances, accounts: named.size + made };
}

export interface ReplayNemNode extends NemNode {
  transfers: number;
  /** Each transfer (any account) with the time the node starts serving it. */
  appearing: readonly { at: number }[];
}

export async function startReplayNemNode(opts: { clock: Clock; dataDir: string }): Promise<ReplayNemNode> {
  const chain = loadTheftChain(opts.dataDir);
  const node = await startNemNode({ chain, clock: opts.clock, record: false });
  return Object.assign(node, {
    transfers: chain.transfers.length,
    appearing: chain.transfers,
  });
}

/**
 * When the replay polls the chain. The Lambda polls every minute; the replay does so while the
 * theft happens (00:00–01:00 JST on 2018-01-26: the eight large transfers and the drain alert)
 * and once an hour otherwise, so weeks of replay stay quick. Later transfers are posted at the
 * next hourly poll, several at once (a burst summary).
 */
export const CHAIN_MINUTE_POLLS = {
  from: Date.parse('2018-01-26T00:00:00+09:00'),
  to: Date.parse('2018-01-26T01:00:00+09:00'),
};

/** The chain poll times in (prev, t]: every minute inside CHAIN_MINUTE_POLLS, on the hour otherwise. */
export function chainPollTimes(prev: number | undefined, t: number): number[] {
  if (prev === undefined) return [t];
  const times: number[] = [];
  for (let m = Math.floor(prev / 60_000) * 60_000 + 60_000; m <= t; m += 60_000)
    if ((m >= CHAIN_MINUTE_POLLS.from && m <= CHAIN_MINUTE_POLLS.to) || m % 3_600_000 === 0) times.push(m);
  return times;
}
