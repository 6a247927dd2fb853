import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Discord's recorded HTTP examples (test/fixtures/discord), as the loopback server answers with them. */

const FIXTURES = join(__dirname, '..', 'test', 'fixtures', 'discord');

/** A recorded raw HTTP exchange from Discord's docs: status line (optional), headers, JSON body. */
export interface RecordedHttp {
  status?: number;
  headers: [string, string][];
  body?: Record<string, unknown>;
}

/** Parse the docs' raw HTTP text ("< HTTP/1.1 429 ...", "< Name: value", then a JSON body). */
export function parseHttpFixture(text: string): RecordedHttp {
  const lines = text.split(/\r?\n/).map((l) => l.replace(/^< ?/, ''));
  const out: RecordedHttp = { headers: [] };
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('{')) break;
    const status = /^HTTP\/[\d.]+ (\d{3})/.exec(line);
    if (status) {
      out.status = Number(status[1]);
      continue;
    }
    const header = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (header) out.headers.push([header[1] as string, header[2] as string]);
  }
  const body = lines.slice(i).join('\n').trim();
  if (body) out.body = JSON.parse(body) as Record<string, unknown>;
  return out;
}

export type RateLimitFixture = 'user' | 'shared' | 'global';

export function loadFixture(name: string): RecordedHttp {
  return parseHttpFixture(readFileSync(join(FIXTURES, name), 'utf8'));
}

export const RATE_LIMIT_429: Record<RateLimitFixture, RecordedHttp> = {
  user: loadFixture('rate-limit-429-user.example.txt'),
  shared: loadFixture('rate-limit-429-shared-resource.example.txt'),
  global: loadFixture('rate-limit-429-global.example.txt'),
};
export const RATE_LIMIT_HEADERS = loadFixture('rate-limit-headers.example.txt');

export function fixtureHeader(f: RecordedHttp, name: string): string | undefined {
  return f.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** The shape of Cloudflare's rate-limit ban page (error 1015), trimmed: no JSON, no rate-limit headers. */
export const CLOUDFLARE_1015_PAGE =
  '<!DOCTYPE html><html><head><title>Access denied | discord.com used Cloudflare to restrict access</title></head>' +
  '<body><h1>error code: 1015</h1><p>You are being rate limited.</p></body></html>';

/** The message object Discord returns for a created message. */
export function messageObject(
  id: string,
  channelId: string,
  payload: Record<string, unknown>,
): Record<string, unknown> {
  return {
    id,
    type: 0,
    channel_id: channelId,
    content: payload.content ?? '',
    embeds: payload.embeds ?? [],
    author: { id: '1000000000000000001', username: 'goxwatch', bot: true },
    timestamp: new Date().toISOString(),
    ...(payload.nonce !== undefined ? { nonce: payload.nonce } : {}),
  };
}
