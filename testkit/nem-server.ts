import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { nemAddressFromPublicKey } from '../lambdas/domain/chain-address';
import { MICRO_PER_XEM, NEM_EPOCH_MS, msToNemTime } from '../lambdas/domain/chain';
import type { Clock } from '../lambdas/domain/clock';
import { startLoopbackServer, type LoopbackServer } from './loopback';

/**
 * A loopback NEM NIS1 node: /heartbeat, /chain/height, /account/get and
 * /account/transfers/{incoming,outgoing} with NIS paging (newest first, pageSize clamped to
 * 5..100, `id` = the last item's meta.id). Bodies are the recorded mainnet/testnet responses in
 * test/fixtures/nem with their values replaced (fixture builders below). Several servers can
 * serve one simulated chain with different meta.id numbering (ids are per node in NIS), and
 * each can fail or lag on demand. With a clock, a transfer exists only once its time has come.
 */

const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'nem');
type Json = Record<string, unknown>;

const cache = new Map<string, string>();

/** A recorded body, parsed afresh each time (callers change it), read from disk once. */
function fixture(name: string): Json {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(FIXTURES, name), 'utf8');
    cache.set(name, text);
  }
  return JSON.parse(text) as Json;
}

/** An account of the simulated chain: a public key (signer) and its address. */
export interface NemAccount {
  publicKey: string;
  address: string;
}

/** A made-up key pair's public half, deterministic from a name; the address derives from it. */
export function madeUpAccount(name: string): NemAccount {
  const publicKey = createHash('sha256').update(`goxwatch made-up NEM account ${name}`).digest('hex');
  return { publicKey, address: nemAddressFromPublicKey(publicKey) };
}

/** A made-up, clearly labelled transaction hash (64 hex, the first 8 spell "deadbeef"-like noise). */
export function madeUpHash(name: string): string {
  return createHash('sha256').update(`goxwatch made-up NEM tx ${name}`).digest('hex');
}

export interface SimTransfer {
  hash: string;
  at: number;
  from: NemAccount;
  to: string;
  /** XEM moved, micro-XEM. */
  microXem: number;
  /** Send as a version-2 transfer: amount = multiplier × 1e6, nem:xem quantity = microXem / multiplier. */
  mosaicMultiplier?: number;
  /** Wrap in a multisig transaction (type 4100) signed by this cosignatory. */
  multisigCosigner?: NemAccount;
}

/** Block height at a time: a block a minute since the NEM epoch (about what mainnet did). */
export function heightAt(ms: number): number {
  return 1 + Math.floor((ms - NEM_EPOCH_MS) / 60_000);
}

/** The inner transfer (type 257) in the shape of account_transfers_incoming.mainnet.json. */
function transferBody(t: SimTransfer): Json {
  const template = (fixture('account_transfers_incoming.mainnet.json').data as Json[])[0]
    ?.transaction as Json;
  const ts = msToNemTime(t.at);
  const body: Json = {
    ...template,
    timeStamp: ts,
    deadline: ts + 3600,
    recipient: t.to,
    signer: t.from.publicKey,
  };
  if (t.mosaicMultiplier !== undefined) {
    body.amount = t.mosaicMultiplier * MICRO_PER_XEM;
    body.mosaics = [
      {
        quantity: Math.round(t.microXem / t.mosaicMultiplier),
        mosaicId: { namespaceId: 'nem', name: 'xem' },
      },
    ];
    body.version = 1744830466; // mainnet, version 2
  } else {
    body.amount = t.microXem;
    body.mosaics = [];
  }
  return body;
}

/** A TransactionMetaDataPair as /account/transfers/* returns it, with this node's id. */
export function transferPair(t: SimTransfer, id: number): Json {
  const inner = transferBody(t);
  const height = heightAt(t.at);
  if (!t.multisigCosigner)
    return { meta: { innerHash: {}, id, hash: { data: t.hash }, height }, transaction: inner };
  const wrapper = fixture('transaction_multisig_transfer_mosaics.testnet.json');
  const wtx = wrapper.transaction as Json;
  return {
    meta: { innerHash: { data: t.hash }, id, hash: { data: madeUpHash(`wrapper ${t.hash}`) }, height },
    transaction: {
      ...wtx,
      timeStamp: inner.timeStamp,
      deadline: inner.deadline,
      version: 1744830465, // 0x68000001: mainnet, version 1 (the fixture is testnet's 0x98000001)
      signer: t.multisigCosigner.publicKey,
      signatures: [],
      otherTrans: inner,
    },
  };
}

export type NemNodeMode = 'up' | 'error' | 'lag';

export interface NemNode extends LoopbackServer {
  setMode(mode: NemNodeMode): void;
  /** Requests served, by path (without query). */
  readonly hits: Map<string, number>;
}

export interface NemChain {
  transfers: SimTransfer[];
  /** Balance (micro-XEM) of an account before any simulated transfer. */
  openingBalances?: Record<string, number>;
}

/** One NIS1 node over `chain`. `idBase` shifts meta.id so two nodes disagree on ids, as real ones do. */
export async function startNemNode(opts: {
  chain: NemChain;
  clock?: Clock;
  idBase?: number;
  mode?: NemNodeMode;
  /** Blocks a lagging node is behind. */
  lagBlocks?: number;
  /** Keep each request in `requests` (default); the replay's months of polls keep none. */
  record?: boolean;
}): Promise<NemNode> {
  let mode: NemNodeMode = opts.mode ?? 'up';
  const hits = new Map<string, number>();
  const idBase = opts.idBase ?? 1000;
  const now = () => opts.clock?.now() ?? Date.now();
  const visible = () => {
    const t = now();
    return [...opts.chain.transfers]
      .sort((a, b) => a.at - b.at || a.hash.localeCompare(b.hash))
      .map((tx, i) => ({ tx, id: idBase + i }))
      .filter(
        ({ tx }) => tx.at <= t && (mode !== 'lag' || heightAt(tx.at) <= heightAt(t) - (opts.lagBlocks ?? 10)),
      );
  };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    if (mode === 'error')
      return send(res, 503, {
        timeStamp: msToNemTime(now()),
        error: 'Service Unavailable',
        message: 'simulated outage',
        status: 503,
      });
    const address = (url.searchParams.get('address') ?? '').toUpperCase();
    switch (url.pathname) {
      case '/heartbeat':
        return send(res, 200, { code: 1, type: 2, message: 'ok' });
      case '/chain/height':
        return send(res, 200, { height: heightAt(now()) - (mode === 'lag' ? (opts.lagBlocks ?? 10) : 0) });
      case '/account/get': {
        if (!/^[A-Z2-7]{40}$/.test(address))
          return send(res, 400, {
            timeStamp: msToNemTime(now()),
            error: 'Bad Request',
            message: 'address must be valid',
            status: 400,
          });
        let balance = opts.chain.openingBalances?.[address] ?? 0;
        for (const { tx } of visible()) {
          if (tx.to === address) balance += tx.microXem;
          if (tx.from.address === address) balance -= tx.microXem;
        }
        const body = fixture('account_get.mainnet.json');
        return send(res, 200, {
          ...body,
          account: { ...(body.account as Json), address, balance, vestedBalance: balance },
        });
      }
      case '/account/transfers/incoming':
      case '/account/transfers/outgoing': {
        const outgoing = url.pathname.endsWith('outgoing');
        const pageSize = Math.min(100, Math.max(5, Number(url.searchParams.get('pageSize') ?? 25) || 25));
        const before = url.searchParams.get('id');
        const items = visible()
          .filter(({ tx }) => (outgoing ? tx.from.address === address : tx.to === address))
          .filter(({ id }) => before === null || id < Number(before))
          .reverse()
          .slice(0, pageSize)
          .map(({ tx, id }) => transferPair(tx, id));
        return send(res, 200, { data: items });
      }
      default:
        return send(res, 404, {
          timeStamp: msToNemTime(now()),
          error: 'Not Found',
          message: url.pathname,
          status: 404,
        });
    }
  };
  const server = await startLoopbackServer(handle, { record: opts.record ?? true });
  return { ...server, hits, setMode: (m) => (mode = m) };
}
