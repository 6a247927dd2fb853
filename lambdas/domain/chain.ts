import { nemAddressFromPublicKey, type NemNetwork } from './chain-address';

/**
 * NEM (NIS1) transfers as the watch sees them, decoded from the REST JSON (shapes and units in
 * test/fixtures/nem/README.md). Pure: the chain adapter in lambdas/sources/chains/ fetches,
 * this turns a TransactionMetaDataPair into what moved, from whom, to whom, when.
 */

/** NEM's epoch, 2015-03-29T00:06:25Z: `timeStamp` counts seconds from here. */
export const NEM_EPOCH_MS = Date.UTC(2015, 2, 29, 0, 6, 25);
/** 1 XEM = 1,000,000 micro-XEM (XEM's divisibility is 6). */
export const MICRO_PER_XEM = 1_000_000;

export const NEM_TX_TYPES = { transfer: 257, multisig: 4100 } as const;

export function nemTimeToMs(timeStamp: number): number {
  return NEM_EPOCH_MS + timeStamp * 1000;
}

export function msToNemTime(ms: number): number {
  return Math.floor((ms - NEM_EPOCH_MS) / 1000);
}

/** A transfer of XEM (and maybe other mosaics) between two accounts, the same on every node. */
export interface ChainTransfer {
  chain: 'nem';
  /** The transaction hash; for a multisig wrapper the inner transfer's hash (meta.innerHash). */
  hash: string;
  height: number;
  /** Block-time of the transfer, ms since 1970. */
  at: number;
  from: string;
  to: string;
  /** XEM moved, in micro-XEM (0 when only other mosaics moved). */
  microXem: number;
  /** Other mosaics moved, "namespace:name" → atomic units (informational). */
  otherMosaics?: Record<string, number>;
  /** Sent through a multisig account (type 4100 wrapper). */
  multisig?: boolean;
}

export class ChainDataError extends Error {
  override name = 'ChainDataError';
}

type Json = Record<string, unknown>;

function obj(value: unknown, what: string): Json {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new ChainDataError(`${what}: not an object`);
  return value as Json;
}

function num(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ChainDataError(`${what}: not a number`);
  return value;
}

function str(value: unknown, what: string): string {
  if (typeof value !== 'string' || !value) throw new ChainDataError(`${what}: not a string`);
  return value;
}

/**
 * What a transfer moves. Without mosaics, `amount` is micro-XEM. With mosaics (version 2),
 * `amount / 1e6` multiplies each mosaic's quantity, and XEM travels as the mosaic nem:xem.
 * BigInt: amount × quantity can pass 2^53 before the division.
 */
export function transferAmounts(tx: Json): { microXem: number; otherMosaics?: Record<string, number> } {
  const amount = num(tx.amount, 'transaction.amount');
  const mosaics = Array.isArray(tx.mosaics) ? tx.mosaics : [];
  if (mosaics.length === 0) return { microXem: amount };
  let microXem = 0n;
  const other: Record<string, number> = {};
  for (const [i, raw] of mosaics.entries()) {
    const m = obj(raw, `mosaics[${i}]`);
    const id = obj(m.mosaicId, `mosaics[${i}].mosaicId`);
    const name = `${str(id.namespaceId, 'mosaicId.namespaceId')}:${str(id.name, 'mosaicId.name')}`;
    const moved = (BigInt(amount) * BigInt(num(m.quantity, `mosaics[${i}].quantity`))) / 1_000_000n;
    if (name === 'nem:xem') microXem += moved;
    else other[name] = (other[name] ?? 0) + Number(moved);
  }
  return { microXem: Number(microXem), ...(Object.keys(other).length ? { otherMosaics: other } : {}) };
}

/**
 * Decode one item of /account/transfers/* (a TransactionMetaDataPair). Undefined for
 * transactions that move no money (importance transfers, namespace or multisig changes);
 * ChainDataError for a body that is not the documented shape. `signerAddress`: the account whose
 * outgoing list this came from, which NIS defines as the signer (the multisig account for a
 * wrapper), so no key needs deriving; otherwise the sender is derived from the public key.
 */
export function decodeNemTransfer(
  pair: unknown,
  network: NemNetwork = 'mainnet',
  signerAddress?: string,
): ChainTransfer | undefined {
  const p = obj(pair, 'transfer');
  const meta = obj(p.meta, 'meta');
  let tx = obj(p.transaction, 'transaction');
  let hash = str(obj(meta.hash, 'meta.hash').data, 'meta.hash.data');
  let multisig = false;
  if (tx.type === NEM_TX_TYPES.multisig) {
    // The wrapper is signed by a cosignatory; the money moves in otherTrans, whose signer is
    // the multisig account itself, and whose hash is meta.innerHash (the one explorers show).
    tx = obj(tx.otherTrans, 'transaction.otherTrans');
    const inner =
      meta.innerHash && typeof meta.innerHash === 'object' ? (meta.innerHash as Json).data : undefined;
    if (typeof inner === 'string' && inner) hash = inner;
    multisig = true;
  }
  if (tx.type !== NEM_TX_TYPES.transfer) return undefined;
  const amounts = transferAmounts(tx);
  return {
    chain: 'nem',
    hash: hash.toLowerCase(),
    height: num(meta.height, 'meta.height'),
    at: nemTimeToMs(num(tx.timeStamp, 'transaction.timeStamp')),
    from: signerAddress ?? nemAddressFromPublicKey(str(tx.signer, 'transaction.signer'), network),
    to: str(tx.recipient, 'transaction.recipient').toUpperCase(),
    ...amounts,
    ...(multisig ? { multisig } : {}),
  };
}

/** micro-XEM → XEM as a number (for display and the quote-currency value). */
export function toXem(micro: number): number {
  return micro / MICRO_PER_XEM;
}
