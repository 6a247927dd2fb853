import type { ChainReader, NodeHealth } from '../../sources/chains/chain-reader';
import type { WatchState } from '../../store/chain-repo';
import type { ChainTransfer } from '../../domain/chain';
import {
  accountsToFollow,
  detectDrain,
  holdings,
  isBurst,
  pruneOutflows,
  type DrainAlert,
  type WatchedAccount,
} from '../../domain/chain-watch';
import { errorMessage } from '../../domain/log';
import type { Announcement } from '../../domain/messages';
import type { Container } from '../container';
import {
  burstAnnouncement,
  drainAnnouncement,
  movementAnnouncement,
  newAccountAnnouncement,
  xemText,
  type ChainView,
} from '../../discord/render-chain';

/** Accounts read at once (each read is one or more NIS1 requests). */
const READ_CONCURRENCY = 8;

async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface ChainJobOptions {
  /** Built once per process (it remembers the node that last worked). */
  reader: ChainReader;
}

export interface ChainCycleResult {
  at: number;
  nodes: NodeHealth[];
  /** Watched accounts after this poll. */
  accounts: number;
  /** Transfers not seen before (this poll, any node). */
  newTransfers: number;
  /** Movements handed to the outbox (one burst summary counts its transfers). */
  posted: number;
  followed: string[];
  drains: DrainAlert[];
  enqueued: number;
  /** No node was usable: nothing was read. */
  unavailable: boolean;
  requests: number;
  errors: string[];
  summary: string;
}

/**
 * One poll of the on-chain watch: seed the configured accounts, health-check the nodes, read
 * each watched account's new transfers (outgoing, then incoming, until a known hash), record
 * them by hash, follow attacker money to new accounts, read balances of the accounts that moved,
 * check victim accounts for a drain, then publish: the drain alert first, new accounts, the
 * movements (one summary when a poll has more than burstThreshold). An account whose read
 * failed keeps its old position and is read again next poll; nothing is posted twice because
 * both the transfer record and the outbox refuse a second write of the same hash.
 */
export async function runChainJob(c: Container, opts: ChainJobOptions): Promise<ChainCycleResult> {
  const { config, clock, logger } = c;
  const { reader } = opts;
  const nem = config.chains?.nem;
  const at = clock.now();
  const repo = c.chain;
  const errors: string[] = [];
  const requestsBefore = reader.requests;
  const result: ChainCycleResult = {
    at,
    nodes: [],
    accounts: 0,
    newTransfers: 0,
    posted: 0,
    followed: [],
    drains: [],
    enqueued: 0,
    unavailable: false,
    requests: 0,
    errors,
    summary: '',
  };
  const watchList = config.incidents.flatMap((inc) => (inc.watch ?? []).map((w) => ({ inc, w })));
  if (!nem || watchList.length === 0) {
    result.summary = 'chain: no watched accounts configured';
    return result;
  }

  let accounts = await repo.watched();
  const known = new Set(accounts.map((a) => a.address));
  let seeded = false;
  for (const { inc, w } of watchList) {
    if (known.has(w.address)) continue;
    seeded = true;
    await repo.addWatched(
      {
        chain: 'nem',
        address: w.address,
        incidentId: inc.id,
        role: w.role,
        depth: 0,
        since: at,
        ...(w.label ? { label: w.label } : {}),
      },
      'config',
    );
  }
  // Read again only when the config added an account (or another run did at the same time).
  if (seeded) accounts = await repo.watched();

  result.nodes = await reader.checkNodes();
  if (!result.nodes.some((n) => n.ok)) {
    result.unavailable = true;
    errors.push(`no usable NEM node: ${result.nodes.map((n) => `${n.url} ${n.problem ?? ''}`).join('; ')}`);
    return finish(c, reader, result, accounts.length, requestsBefore);
  }

  // Read. Outgoing first: NIS defines the signer of an outgoing transfer as the account listed.
  const fresh = new Map<string, ChainTransfer>();
  const newSeen = new Map<string, string[]>();
  const failed = new Set<string>();
  for (const direction of ['outgoing', 'incoming'] as const) {
    const live = accounts.filter((a) => !failed.has(a.address));
    // A few accounts at a time: 200 accounts one by one would not fit a one-minute schedule.
    const pages = await mapConcurrent(live, READ_CONCURRENCY, async (account) => {
      const seen = new Set(account.seen);
      try {
        return await reader.newTransfers(account.address, direction, (h) => seen.has(h));
      } catch (err) {
        failed.add(account.address);
        errors.push(`reading ${direction} transfers of ${account.address}: ${errorMessage(err)}`);
        return undefined;
      }
    });
    // Merged in account order, so the result does not depend on which read finished first.
    live.forEach((account, i) => {
      const page = pages[i];
      if (!page) return;
      newSeen.set(account.address, [...(newSeen.get(account.address) ?? []), ...page.seenHashes]);
      for (const p of page.problems) errors.push(p);
      for (const t of page.transfers) if (!fresh.has(t.hash)) fresh.set(t.hash, t);
    });
  }

  // Record; history from before an account was watched is only remembered as read.
  const byAddress = new Map<string, WatchState>(accounts.map((a) => [a.address, a]));
  const isCurrent = (t: ChainTransfer) =>
    [byAddress.get(t.from), byAddress.get(t.to)].some((a) => a !== undefined && t.at >= a.since);
  const toPost = new Map<string, ChainTransfer>();
  for (const t of [...fresh.values()].sort((a, b) => a.at - b.at)) {
    if (!isCurrent(t)) continue;
    try {
      const outcome = await repo.recordTransfer(t);
      if (outcome === 'new') result.newTransfers++;
      if (outcome !== 'posted') toPost.set(t.hash, t);
    } catch (err) {
      errors.push(`recording ${t.hash}: ${errorMessage(err)}`);
    }
  }
  for (const t of await repo.unposted()) if (!toPost.has(t.hash)) toPost.set(t.hash, t);

  // Follow the money.
  const follow = accountsToFollow([...toPost.values()], byAddress, nem.follow);
  for (const a of follow) {
    if (await repo.addWatched(a, 'followed')) result.followed.push(a.address);
  }
  if (follow.length) accounts = await repo.watched();
  const all = new Map<string, WatchState>(accounts.map((a) => [a.address, a]));

  // Balances of the accounts that moved (and the new ones), outflows and drains.
  const moved = new Set([...toPost.values()].flatMap((t) => [t.from, t.to]).filter((a) => all.has(a)));
  for (const a of result.followed) moved.add(a);
  const balances = new Map<string, number>();
  for (const address of moved) {
    try {
      balances.set(address, await reader.balance(address));
    } catch (err) {
      errors.push(`balance of ${address}: ${errorMessage(err)}`);
    }
  }
  const drains: { account: WatchState; alert: DrainAlert }[] = [];
  const outflowsOf = new Map<string, WatchState['outflows']>();
  for (const account of all.values()) {
    if (account.role !== 'victim') continue;
    const out = [...fresh.values()].filter((t) => t.from === account.address && isCurrent(t));
    const merged = [
      ...account.outflows.filter((o) => !out.some((t) => t.hash === o.hash)),
      ...out.map((t) => ({ at: t.at, microXem: t.microXem, hash: t.hash })),
    ];
    const outflows = pruneOutflows(merged, at, nem.drain.windowMinutes);
    outflowsOf.set(account.address, outflows);
    const alert = detectDrain({
      address: account.address,
      outflows,
      balanceMicro: balances.get(account.address) ?? account.balanceMicro,
      now: at,
      rule: nem.drain,
      ...(account.lastDrainAt !== undefined ? { lastAlertAt: account.lastDrainAt } : {}),
    });
    if (alert) drains.push({ account, alert });
  }

  // The view the messages are rendered from: balances as now known.
  const current: WatchedAccount[] = [...all.values()].map((a) => {
    const balanceMicro = balances.get(a.address);
    return { ...a, ...(balanceMicro !== undefined ? { balanceMicro } : {}) };
  });
  const incident =
    config.incidents.find((i) => i.id === current.find((a) => a.role === 'attacker')?.incidentId) ??
    config.incidents[0];
  const stolenXem = incident?.amountStolen ?? 0;
  const view: ChainView = {
    explorer: nem.explorer,
    accounts: new Map(current.map((a) => [a.address, a])),
    holdings: holdings(current, stolenXem),
    stolenXem,
    // Read only when there is something to say: an idle poll costs no price read.
    ...(drains.length || toPost.size || [...all.values()].some((a) => !a.announced)
      ? await latestPrice(c, errors)
      : {}),
  };

  const publish = async (what: string, a: Announcement | Announcement[], after: () => Promise<void>) => {
    try {
      result.enqueued += (await c.enqueue(a)).added;
      await after();
      return true;
    } catch (err) {
      errors.push(`publishing ${what}: ${errorMessage(err)}`);
      return false;
    }
  };
  const lastDrainAt = new Map<string, number>();
  for (const { account, alert } of drains) {
    if (await publish(`drain of ${account.address}`, drainAnnouncement(alert, view), async () => undefined)) {
      result.drains.push(alert);
      lastDrainAt.set(account.address, at);
    }
  }
  for (const account of all.values()) {
    if (account.announced) continue;
    const funding = account.fundingHash ? toPost.get(account.fundingHash) : undefined;
    await publish(`new account ${account.address}`, newAccountAnnouncement(account, funding, view), () =>
      repo.markAnnounced(account),
    );
  }
  // A movement of the stolen coins: whatever an attacker account sends, and a victim's transfer
  // into an attacker account once a drain was raised for that victim. A victim's other outflows
  // are its business as usual (withdrawals): they speak only through the drain check. Victim
  // transfers of the poll that raised the drain wait one poll, so the alert is posted first.
  const classify = (t: ChainTransfer): 'post' | 'later' | 'quiet' => {
    const from = all.get(t.from);
    if (from?.role === 'attacker') return 'post';
    if (from?.role !== 'victim' || all.get(t.to)?.role !== 'attacker') return 'quiet';
    if (from.lastDrainAt !== undefined) return 'post';
    return lastDrainAt.has(t.from) ? 'later' : 'quiet';
  };
  for (const t of toPost.values())
    if (classify(t) === 'quiet')
      await repo
        .markPosted(t)
        .catch((err: unknown) => errors.push(`recording ${t.hash}: ${errorMessage(err)}`));
  const movements = [...toPost.values()].filter((t) => classify(t) === 'post').sort((a, b) => a.at - b.at);
  const markAll = async () => {
    for (const t of movements) await repo.markPosted(t);
  };
  if (isBurst(movements.length, nem.burstThreshold)) {
    if (await publish(`${movements.length} movements`, burstAnnouncement(movements, view), markAll))
      result.posted = movements.length;
  } else {
    for (const t of movements)
      if (await publish(`movement ${t.hash}`, movementAnnouncement(t, view), () => repo.markPosted(t)))
        result.posted++;
  }

  // Remember where each account was read up to: only after its transfers are recorded.
  for (const account of all.values()) {
    if (failed.has(account.address)) continue;
    // An idle account costs no write.
    const changed =
      (newSeen.get(account.address) ?? []).length > 0 ||
      balances.has(account.address) ||
      lastDrainAt.has(account.address) ||
      JSON.stringify(outflowsOf.get(account.address) ?? account.outflows) !==
        JSON.stringify(account.outflows);
    if (!changed) continue;
    const outflows = outflowsOf.get(account.address);
    const balanceMicro = balances.get(account.address);
    const drainAt = lastDrainAt.get(account.address);
    await repo
      .savePoll(account, {
        newSeen: newSeen.get(account.address) ?? [],
        ...(outflows ? { outflows } : {}),
        ...(balanceMicro !== undefined ? { balanceMicro } : {}),
        ...(drainAt !== undefined ? { lastDrainAt: drainAt } : {}),
      })
      .catch((err: unknown) => errors.push(`saving ${account.address}: ${errorMessage(err)}`));
  }
  for (const d of result.drains)
    logger.warn(
      `chain: DRAIN ${d.address}: ${xemText(d.outMicro, 'en')} out within ${nem.drain.windowMinutes} min`,
    );
  return finish(c, reader, result, all.size, requestsBefore);
}

async function latestPrice(c: Container, errors: string[]): Promise<Pick<ChainView, 'price'>> {
  const { config } = c;
  const symbol = config.sources.map((s) => s.symbol).find((s) => s.startsWith('XEM/'));
  if (!symbol) return {};
  try {
    const latest = await c.prices.latestConsensus(symbol);
    return latest ? { price: { value: latest.price, currency: symbol.slice(4), at: latest.at } } : {};
  } catch (err) {
    errors.push(`reading the XEM price: ${errorMessage(err)}`);
    return {};
  }
}

async function finish(
  c: Container,
  reader: ChainReader,
  result: ChainCycleResult,
  accounts: number,
  requestsBefore: number,
): Promise<ChainCycleResult> {
  result.accounts = accounts;
  result.requests = reader.requests - requestsBefore;
  const nodes = result.nodes
    .map((n) => `${n.url.replace(/^https?:\/\//, '')} ${n.ok ? `ok@${n.height}` : 'skipped'}`)
    .join(', ');
  result.summary =
    `chain: ${accounts} account(s), ${result.newTransfers} new transfer(s), ${result.posted} posted` +
    (result.followed.length ? `, now following ${result.followed.length} more` : '') +
    (result.drains.length ? `, DRAIN ALERT ×${result.drains.length}` : '') +
    ` | nodes: ${nodes || 'none'} | ${result.requests} request(s)` +
    (result.errors.length ? ` | ${result.errors.length} problem(s): ${result.errors[0]}` : '');
  for (const e of result.errors) c.logger.warn(`chain: ${e}`);
  await c.jobRuns
    .record('chain', result.at, !result.unavailable && result.errors.length === 0, result.summary)
    .catch((err: unknown) => c.logger.error(`chain: recording the run: ${errorMessage(err)}`));
  return result;
}
