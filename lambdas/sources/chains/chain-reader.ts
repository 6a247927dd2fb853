import type { ChainTransfer } from '../../domain/chain';

/**
 * What the on-chain watch needs from a chain, whatever the chain: NEM NIS1 today
 * (nem-nis1.ts); a Symbol reader can implement the same interface later.
 */
export type TransferDirection = 'incoming' | 'outgoing';

export interface NodeHealth {
  url: string;
  ok: boolean;
  height?: number;
  /** Why the node is not used this poll: down, error, or lagging behind the best node. */
  problem?: string;
}

export interface TransferPage {
  /** Decoded transfers, newest first, that were not known yet. */
  transfers: ChainTransfer[];
  /** Hashes of every item read (transfers or not), newest first: the next poll stops at them. */
  seenHashes: string[];
  /** Items that could not be decoded, each named (kept out, the rest goes on). */
  problems: string[];
  pages: number;
  /** The node that answered. */
  node: string;
}

export interface ChainReader {
  readonly chain: 'nem';
  /** Health-check every node; those usable this poll come first, in rotation order. */
  checkNodes(): Promise<NodeHealth[]>;
  /** Transfers of one account newer than the first item whose hash `isKnown`, newest first. */
  newTransfers(
    address: string,
    direction: TransferDirection,
    isKnown: (hash: string) => boolean,
  ): Promise<TransferPage>;
  /** Balance in the chain's smallest unit (micro-XEM). */
  balance(address: string): Promise<number>;
  /** HTTP requests sent so far (bench, logs). */
  readonly requests: number;
}

export class ChainUnavailableError extends Error {
  override name = 'ChainUnavailableError';
}
