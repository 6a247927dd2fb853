import { ripemd160 } from '@noble/hashes/legacy.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { base32 } from '@scure/base';

/**
 * NEM (NIS1) addresses: base32 of 25 bytes = network byte + ripemd160(keccak256(public key)) +
 * the first 4 bytes of keccak256 of those 21 bytes. NEM uses the original Keccak-256, not SHA3-256
 * (they differ in padding), hence keccak_256. Checked against NEM's published address vectors in
 * test/unit/chain-address.test.ts.
 */

export const NEM_NETWORKS = { mainnet: 0x68, testnet: 0x98 } as const;
export type NemNetwork = keyof typeof NEM_NETWORKS;

function hexToBytes(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`not a 32-byte hex public key: "${hex.slice(0, 70)}"`);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The address of a NEM public key (64 hex digits), upper case, no dashes. */
export function nemAddressFromPublicKey(publicKeyHex: string, network: NemNetwork = 'mainnet'): string {
  const body = new Uint8Array(25);
  body[0] = NEM_NETWORKS[network];
  body.set(ripemd160(keccak_256(hexToBytes(publicKeyHex))), 1);
  body.set(keccak_256(body.subarray(0, 21)).subarray(0, 4), 21);
  return base32.encode(body);
}

/** "NC3BI3-DNMR2P-…" and lower case are accepted in config; stored and compared in this form. */
export function normalizeNemAddress(address: string): string {
  return address.replace(/-/g, '').trim().toUpperCase();
}

/**
 * Why `address` is not a NEM address of `network`, or undefined when it is one. A typo changes
 * the checksum, so a mistyped watch address is refused instead of silently watching nothing.
 */
export function nemAddressProblem(address: string, network: NemNetwork = 'mainnet'): string | undefined {
  const plain = normalizeNemAddress(address);
  if (!/^[A-Z2-7]{40}$/.test(plain)) return 'must be 40 base32 characters (A-Z, 2-7)';
  const bytes = base32.decode(plain);
  if (bytes[0] !== NEM_NETWORKS[network])
    return `is not a ${network} address (starts with ${plain[0]}, expected ${network === 'mainnet' ? 'N' : 'T'})`;
  const checksum = keccak_256(bytes.subarray(0, 21)).subarray(0, 4);
  if (checksum.some((b, i) => b !== bytes[21 + i])) return 'has a bad checksum (a typo?)';
  return undefined;
}

/** "NC3BI3…5CSZ": the short form used in messages when an account has no label. */
export function shortNemAddress(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}
