import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Discord interaction request verification: Ed25519 over `X-Signature-Timestamp + raw body`,
 * checked with node:crypto against the application's public key (hex).
 *
 * Timestamp window: a request is accepted only when its timestamp is within
 * SIGNATURE_WINDOW_MS (5 minutes) of the injected clock, either way, so a captured request
 * cannot be replayed later. Discord sends Unix seconds; a 13-digit value is read as
 * milliseconds (some published test vectors use milliseconds).
 */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;

export interface SignedRequest {
  headers: Record<string, string | undefined>;
  body: string | undefined;
  /** Lambda Function URLs deliver binary-looking or all bodies base64-encoded with this flag. */
  isBase64Encoded?: boolean;
}

export type VerifyOutcome = { ok: true; body: string } | { ok: false; reason: string };

const keyCache = new Map<string, KeyObject>();

const P = 2n ** 255n - 19n;
/** y of the order-8 points (the order-4 points have y = 0, order 2 y = -1, the identity y = 1). */
const Y_ORDER_8 = 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n;
const SMALL_ORDER_Y = new Set([0n, 1n, P - 1n, Y_ORDER_8, P - Y_ORDER_8]);

/**
 * Why a configured Ed25519 public key must not be trusted, or undefined when it is fine.
 * A small-order key (all zeros, the identity, ...) verifies forged signatures in lax verifiers;
 * a non-canonical encoding (y ≥ 2^255 − 19) is not a key Discord issues. Both are refused at start.
 */
export function publicKeyProblem(publicKeyHex: string): string | undefined {
  if (!/^[0-9a-fA-F]{64}$/.test(publicKeyHex))
    return 'DISCORD_PUBLIC_KEY is not 32 bytes of hex (64 characters)';
  const bytes = Buffer.from(publicKeyHex, 'hex');
  // Little-endian y with the top bit (the sign of x) cleared.
  let y = 0n;
  for (let i = 31; i >= 0; i--)
    y = (y << 8n) | BigInt(i === 31 ? (bytes[i] as number) & 0x7f : (bytes[i] as number));
  if (y >= P)
    return 'DISCORD_PUBLIC_KEY is a non-canonical Ed25519 encoding (y ≥ 2^255 − 19): not a real key';
  if (SMALL_ORDER_Y.has(y))
    return 'DISCORD_PUBLIC_KEY is a small-order Ed25519 point (e.g. all zeros): it would accept forged signatures';
  return undefined;
}

/** The public key as a KeyObject, cached per hex string (verify then costs ~80 µs). */
function publicKeyObject(publicKeyHex: string): KeyObject | undefined {
  const cached = keyCache.get(publicKeyHex);
  if (cached) return cached;
  if (publicKeyProblem(publicKeyHex) !== undefined) return undefined;
  const x = Buffer.from(publicKeyHex, 'hex').toString('base64url');
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  keyCache.set(publicKeyHex, key);
  return key;
}

/** Header lookup ignoring case: API Gateway, Function URLs and node:http differ in casing. */
export function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** Timestamp header to epoch milliseconds, or undefined when it is not a plain integer. */
function timestampMs(raw: string): number | undefined {
  if (!/^\d{1,16}$/.test(raw)) return undefined;
  const n = Number(raw);
  return raw.length >= 13 ? n : n * 1000;
}

/**
 * Verify a request as Discord signs it. Never throws: anything wrong (missing header, bad hex,
 * wrong key, modified body, stale or future timestamp) is `{ ok: false, reason }`. On success
 * returns the body as text (decoded from base64 when flagged).
 */
export function verifyInteractionRequest(
  req: SignedRequest,
  publicKeyHex: string,
  nowMs: number,
  windowMs: number = SIGNATURE_WINDOW_MS,
): VerifyOutcome {
  const signature = header(req.headers, 'x-signature-ed25519');
  const timestamp = header(req.headers, 'x-signature-timestamp');
  if (!signature) return { ok: false, reason: 'missing X-Signature-Ed25519 header' };
  if (!timestamp) return { ok: false, reason: 'missing X-Signature-Timestamp header' };
  if (req.body === undefined) return { ok: false, reason: 'missing body' };
  if (!/^[0-9a-fA-F]{128}$/.test(signature)) return { ok: false, reason: 'signature is not 64 bytes of hex' };
  const at = timestampMs(timestamp);
  if (at === undefined) return { ok: false, reason: 'timestamp is not an integer' };
  if (Math.abs(nowMs - at) > windowMs) return { ok: false, reason: 'timestamp outside the accepted window' };
  let key: KeyObject | undefined;
  try {
    key = publicKeyObject(publicKeyHex);
  } catch {
    key = undefined;
  }
  if (!key)
    return {
      ok: false,
      reason: `configured public key refused: ${publicKeyProblem(publicKeyHex) ?? 'unreadable'}`,
    };
  // The signature covers the exact bytes Discord sent: decode base64 to bytes, never re-serialise JSON.
  const raw = req.isBase64Encoded ? Buffer.from(req.body, 'base64') : Buffer.from(req.body, 'utf8');
  const message = Buffer.concat([Buffer.from(timestamp, 'utf8'), raw]);
  let valid: boolean;
  try {
    valid = verify(null, message, key, Buffer.from(signature, 'hex'));
  } catch {
    valid = false;
  }
  return valid
    ? { ok: true, body: raw.toString('utf8') }
    : { ok: false, reason: 'signature does not verify' };
}
