import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicKeyHex } from '../../local/dev-client';

export const DISCORD_FIXTURES = join(__dirname, '..', 'fixtures', 'discord');

export function readDiscordFixture(relative: string): string {
  return readFileSync(join(DISCORD_FIXTURES, relative), 'utf8');
}

export interface TestKeys {
  privateKey: KeyObject;
  publicKeyHex: string;
}

/** A fresh Ed25519 key pair, as discord-interactions-js's own tests do. */
export function generateTestKeys(): TestKeys {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKeyHex: publicKeyHex(privateKey) };
}

/** Sign a body the way Discord does (timestamp in seconds unless given), returning the request headers. */
export function signedHeaders(
  body: string,
  privateKey: KeyObject,
  nowMs: number,
  timestamp?: string,
): Record<string, string> {
  const ts = timestamp ?? String(Math.floor(nowMs / 1000));
  return {
    'Content-Type': 'application/json',
    'X-Signature-Ed25519': sign(null, Buffer.from(ts + body), privateKey).toString('hex'),
    'X-Signature-Timestamp': ts,
  };
}

export interface RealVectorCase {
  headers: Record<string, string>;
  body: string;
  expected_valid: boolean;
  description: string;
}

export function realVectors(): { public_key: string; cases: RealVectorCase[] } {
  return JSON.parse(readDiscordFixture('signature-vectors/carto-discord_ed25519_vectors.json')) as {
    public_key: string;
    cases: RealVectorCase[];
  };
}
