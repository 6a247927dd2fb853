import type { ChainTransfer } from '../domain/chain';
import type { Outflow, WatchedAccount } from '../domain/chain-watch';
import type { Clock } from '../domain/clock';
import type { Item, Store } from './store';

/**
 * The on-chain watch in the one table (single-item conditional writes only):
 *   CHAIN#WATCH / <chain>#<address>      a watched account: role, depth, balance, the hashes
 *                                        already read (where the next poll stops), recent
 *                                        outflows (drain window), announced flag
 *   CHAIN#TX / <at, 15 digits>#<hash>    a transfer, keyed by its hash (the same on every node;
 *                                        meta.id is not), with a posted flag; unposted ones carry
 *                                        gsi1 CHAIN#TX#UNPOSTED so a crashed run's are found again
 * A transfer is written with a conditional put before it is published, and marked posted after:
 * two polls, a restart or a second node can only find it recorded, never post it twice (the
 * outbox also refuses its key). A followed account is added the same way and announced once.
 */

const WATCH = 'CHAIN#WATCH';
const TX = 'CHAIN#TX';
const UNPOSTED = 'CHAIN#TX#UNPOSTED';
/** Hashes kept per account: more than one poll ever reads, so a poll always meets a known one. */
const SEEN_KEPT = 100;

export interface WatchState extends WatchedAccount {
  source: 'config' | 'followed';
  announced: boolean;
  /** Hashes already read, newest first. */
  seen: string[];
  outflows: Outflow[];
  lastDrainAt?: number;
  addedAt: number;
}

type WatchItem = Item & WatchState;
type TxItem = Item & ChainTransfer & { posted: boolean; recordedAt: number };

const watchSk = (chain: string, address: string) => `${chain}#${address}`;
const txSk = (t: Pick<ChainTransfer, 'at' | 'hash'>) => `${String(t.at).padStart(15, '0')}#${t.hash}`;

export type RecordOutcome = 'new' | 'unposted' | 'posted';

export class ChainRepo {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async watched(): Promise<WatchState[]> {
    return (await this.store.query<WatchItem>(WATCH)).map(stripKeys);
  }

  /** Add an account unless it is watched already; true when this call added it. */
  async addWatched(account: WatchedAccount, source: 'config' | 'followed'): Promise<boolean> {
    const item: WatchItem = {
      pk: WATCH,
      sk: watchSk(account.chain, account.address),
      ...account,
      source,
      // Accounts from config are the user's own list: nothing to announce.
      announced: source === 'config',
      seen: [],
      outflows: [],
      addedAt: this.clock.now(),
    };
    return this.store.put(item, { ifAbsent: true });
  }

  /** After a poll of the account: hashes read (newest first), outflows in the window, balance. */
  async savePoll(
    account: Pick<WatchState, 'chain' | 'address' | 'seen'>,
    update: { newSeen: string[]; outflows?: Outflow[]; balanceMicro?: number; lastDrainAt?: number },
  ): Promise<void> {
    const seen = [...new Set([...update.newSeen, ...account.seen])].slice(0, SEEN_KEPT);
    await this.store.update(WATCH, watchSk(account.chain, account.address), {
      seen,
      outflows: update.outflows,
      balanceMicro: update.balanceMicro,
      balanceAt: update.balanceMicro !== undefined ? this.clock.now() : undefined,
      lastDrainAt: update.lastDrainAt,
    });
  }

  async markAnnounced(account: Pick<WatchState, 'chain' | 'address'>): Promise<void> {
    await this.store.update(WATCH, watchSk(account.chain, account.address), { announced: true });
  }

  /** Record a transfer by its hash: 'new' the first time, then whether it was posted. */
  async recordTransfer(t: ChainTransfer): Promise<RecordOutcome> {
    const item: TxItem = {
      pk: TX,
      sk: txSk(t),
      ...t,
      posted: false,
      recordedAt: this.clock.now(),
      gsi1pk: UNPOSTED,
      gsi1sk: txSk(t),
    };
    if (await this.store.put(item, { ifAbsent: true })) return 'new';
    const existing = await this.store.get<TxItem>(TX, txSk(t));
    return existing?.posted ? 'posted' : 'unposted';
  }

  /** Transfers recorded but not yet handed to the outbox (a run that died between the two). */
  async unposted(): Promise<ChainTransfer[]> {
    return (await this.store.query<TxItem>(UNPOSTED, { index: 'gsi1' })).map(toTransfer);
  }

  async markPosted(t: Pick<ChainTransfer, 'at' | 'hash'>): Promise<void> {
    await this.store.update(TX, txSk(t), { posted: true }, { remove: ['gsi1pk', 'gsi1sk'] });
  }

  /** The latest transfers recorded, newest first (for /chain). */
  async recentTransfers(limit: number): Promise<ChainTransfer[]> {
    return (await this.store.query<TxItem>(TX, { descending: true, limit })).map(toTransfer);
  }
}

function stripKeys(i: WatchItem): WatchState {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, expiresAt: _e, ...rest } = i;
  return { ...rest, seen: rest.seen ?? [], outflows: rest.outflows ?? [] };
}

function toTransfer(i: TxItem): ChainTransfer {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, expiresAt: _e, posted: _p, recordedAt: _r, ...rest } = i;
  return rest;
}
