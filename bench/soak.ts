/**
 * `npm run soak -- --minutes 30`: `npm start` (bin/goxwatch.ts start, a real child process) against
 * loopback exchanges, a loopback feed and a loopback Discord that fail about 1 request in 5 (errors,
 * slow drips, 429s with and without a body, one Cloudflare 1015), then an outbox audit: every
 * outbox entry posted exactly once (the loopback Discord does not check nonces), none lost, and the
 * bot's heap at start and end (from its own log lines).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../lambdas/domain/clock';
import { DEFAULT_CONFIG, type Config } from '../lambdas/domain/config';
import type { OutboxEntry } from '../lambdas/store/outbox';
import { Store, dynamoClient } from '../lambdas/store/store';
import { TABLE } from '../lambdas/store/table';
import { startEmbeddedDynamo } from '../local/embedded-dynamo';
import { startDiscordServer } from '../testkit/discord-server';
import { LoopbackExchanges, type ExchangeMode } from '../testkit/exchange-server';
import { startFeedServer } from '../testkit/feed-server';

const ROOT = join(__dirname, '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const FAIL_RATE = 0.2;
const VENUES = ['zaif', 'binance', 'upbit'] as const;
const SYMBOL = 'XEM/BTC';
const CHANNELS = ['600000000000000001', '600000000000000002', '600000000000000003'];

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' } } });
  const minutes = Number(values.minutes);
  if (!(minutes > 0)) throw new Error('--minutes must be a positive number');
  const started = Date.now();
  const say = (line: string) =>
    console.log(`[soak ${((Date.now() - started) / 60_000).toFixed(1)} min] ${line}`);

  const exchanges = await LoopbackExchanges.start(systemClock, [...VENUES]);
  let price = 0.0004;
  exchanges.setPriceEverywhere(SYMBOL, price);
  const discord = await startDiscordServer({ checkNonces: false, failRate: FAIL_RATE });
  const feeds = await startFeedServer();
  let items = 0;
  let feedFailures = 0;
  feeds.route('/soak.rss', (_req, res) => {
    const roll = Math.random();
    if (roll < FAIL_RATE) return failFeed(res, feedFailures++);
    res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
    res.end(rss(items));
  });

  const dir = mkdtempSync(join(tmpdir(), 'goxwatch-soak-'));
  const config: Config = {
    ...DEFAULT_CONFIG,
    sources: VENUES.map((id) => ({ exchange: id, symbol: SYMBOL, urls: exchanges.urls(id) })),
    channels: CHANNELS.map((id) => ({ id, kinds: ['price', 'news', 'refund'] })),
    feeds: [{ id: 'soak', url: feeds.url('/soak.rss'), language: 'en' }],
    incidents: DEFAULT_CONFIG.incidents.map((i) => ({ ...i, feeds: ['soak'] })),
    rules: {
      ...DEFAULT_CONFIG.rules,
      drops: [{ percent: 3, windowMinutes: 10 }],
      cooldownMinutes: 2,
    },
    intervals: { priceSeconds: 5, newsSeconds: 30 },
  };
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));

  const child = spawn(TSX, [join(ROOT, 'bin', 'goxwatch.ts'), 'start', '--port', '0'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      GOXWATCH_CONFIG: configFile,
      GOXWATCH_DATA_DIR: join(dir, 'data'),
      DISCORD_BOT_TOKEN: discord.token,
      DISCORD_API_BASE: discord.apiBase,
    },
  });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  say(`bot started (pid ${child.pid}); data in ${dir}`);

  // The weather: each price poll, every venue fails with FAIL_RATE (500, 503, 429 JSON/text, hang);
  // prices walk and now and then fall 4 % (a drop alert); a new incident item every news poll.
  const modes: ExchangeMode[] = ['error500', 'error503', 'rate-limit-json', 'rate-limit-text', 'hang'];
  let exchangeFailures = 0;
  const weather = setInterval(() => {
    for (const v of VENUES) {
      const fail = Math.random() < FAIL_RATE;
      if (fail) exchangeFailures++;
      void exchanges.setMode(v, fail ? (modes[exchangeFailures % modes.length] as ExchangeMode) : 'up');
    }
    price *= Math.random() < 0.05 ? 0.96 : 1 + (Math.random() - 0.48) * 0.004;
    exchanges.setPriceEverywhere(SYMBOL, price);
  }, 5_000);
  const news = setInterval(() => items++, 20_000);
  // One Cloudflare 1015 a minute in: the bot must stop all sending for its backoff, then go on.
  const ban = setTimeout(() => discord.script([{ cloudflare1015: true }]), 60_000);

  const heartbeat = setInterval(
    () => say(`${discord.messages.length} messages posted, ${discord.requests.length} Discord requests`),
    5 * 60_000,
  );
  await new Promise((r) => setTimeout(r, minutes * 60_000));
  clearInterval(weather);
  clearInterval(news);
  clearInterval(heartbeat);
  clearTimeout(ban);
  // Fair weather until the outbox drains (at most the 1015 backoff plus a few polls), then stop.
  for (const v of VENUES) await exchanges.setMode(v, 'up');
  // The 1015's backoff is 5 minutes from when it was served; then a few polls to send what waited.
  const banEnds = started + 60_000 + 5 * 60_000;
  const drainMs = Math.max(60_000, banEnds - Date.now() + 60_000);
  say(`weather off; letting the outbox drain for ${Math.round(drainMs / 1000)} s`);
  await new Promise((r) => setTimeout(r, drainMs));
  child.kill('SIGINT');
  const code = await exited;

  // Audit: the bot is stopped, so its store can be opened here.
  const dynamo = await startEmbeddedDynamo(join(dir, 'data', 'dynamo'));
  const client = dynamoClient(dynamo.endpoint);
  const store = new Store(client, TABLE.defaultName, systemClock);
  const entries = await store.query<OutboxEntry>('OUTBOX');
  client.destroy();
  await dynamo.close();
  const posts = new Map<string, number>();
  for (const m of discord.messages) posts.set(m.nonce ?? '?', (posts.get(m.nonce ?? '?') ?? 0) + 1);
  const byStatus = new Map<string, number>();
  for (const e of entries) byStatus.set(e.status, (byStatus.get(e.status) ?? 0) + 1);
  const sent = entries.filter((e) => e.status === 'sent');
  const twice = sent.filter((e) => (posts.get(e.id) ?? 0) > 1);
  const lost = entries.filter((e) => e.status === 'pending' || (e.status === 'sent' && !posts.has(e.id)));
  const strays = [...posts.keys()].filter((n) => !entries.some((e) => e.id === n));
  const heaps = [...log.matchAll(/heap used ([\d.]+) MB/g)].map((m) => Number(m[1]));

  await discord.close();
  await feeds.close();
  await exchanges.close();
  const ok = twice.length === 0 && lost.length === 0 && strays.length === 0 && code === 0;
  say(`bot exited ${code}`);
  console.log(
    [
      `soak: ${minutes} min, failure rate ${FAIL_RATE} on exchanges (${exchangeFailures} venue-polls failed), feed (${feedFailures}) and Discord, one 1015`,
      `discord: ${discord.requests.length} requests, ${discord.messages.length} messages created`,
      `outbox: ${entries.length} entries (${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ')})`,
      `audit: ${twice.length} posted twice, ${lost.length} lost or pending, ${strays.length} posts without an entry`,
      `heap: ${heaps.length >= 2 ? `${heaps[0]} MB at start, ${heaps[heaps.length - 1]} MB at end` : 'not reported'}`,
      `1015 backoff said: ${(log.match(/Cloudflare ban/g) ?? []).length} line(s)`,
      ok ? 'SOAK OK' : 'SOAK FAILED',
    ].join('\n'),
  );
  if (ok) rmSync(dir, { recursive: true, force: true });
  else
    console.log(
      `kept for inspection: ${dir}\n--- bot log tail ---\n${log.split('\n').slice(-40).join('\n')}`,
    );
  return ok ? 0 : 1;
}

function failFeed(res: ServerResponse, n: number): void {
  const kind = n % 3;
  if (kind === 0) return void res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>500</h1>');
  if (kind === 1)
    return void res.writeHead(429, { 'retry-after': '30', 'content-type': 'text/plain' }).end('slow down');
  // Slow drip: a few bytes a second, longer than the fetch's timeout.
  res.writeHead(200, { 'content-type': 'application/rss+xml' });
  res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>drip');
  const t = setInterval(() => res.write('.'), 1_000);
  res.on('close', () => clearInterval(t));
  setTimeout(() => res.end('</title></channel></rss>'), 60_000);
}

// Distinct stories, so the bot does not fold them into one as the same news.
const HEADLINES = [
  'Coincheck hack: exchange confirms NEM outflow',
  'Police investigate Coincheck XEM theft',
  'NEM Foundation tags stolen XEM on chain',
  'Coincheck to reimburse NEM holders in yen',
  'FSA orders Coincheck to improve security after hack',
  'Stolen NEM moved to new accounts, tracker shows',
  'Coincheck resumes yen withdrawals after the hack',
];
const SUBJECTS = [
  'Tokyo',
  'Singapore',
  'London',
  'New York',
  'Seoul',
  'Sydney',
  'Berlin',
  'Paris',
  'Toronto',
];

/** An RSS feed whose newest items report on the incident (so each new one is news for the bot). */
function rss(count: number): string {
  const now = Date.now();
  const item = (i: number) =>
    `<item><title>${HEADLINES[i % HEADLINES.length]} (report ${i}, ${SUBJECTS[Math.floor(i / HEADLINES.length) % SUBJECTS.length]})</title><link>https://example.org/soak/${i}</link>` +
    `<guid>https://example.org/soak/${i}</guid><pubDate>${new Date(now - (count - i) * 30_000).toUTCString()}</pubDate>` +
    `<description>Coincheck says the NEM (XEM) refund is progressing, update ${i}.</description></item>`;
  const list = Array.from({ length: Math.min(count, 20) }, (_, k) => item(count - k)).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>soak</title><link>https://example.org/</link><description>soak</description>${list}</channel></rss>`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
