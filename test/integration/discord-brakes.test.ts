import { ManualClock, MINUTE } from '../../lambdas/domain/clock';
import { MemoryLogger } from '../../lambdas/domain/log';
import { createDiscordClient } from '../../lambdas/discord/rest-client';
import { DiscordGuard } from '../../lambdas/store/discord-guard';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import { createContainer } from '../../lambdas/app/container';
import { runDelivery } from '../../lambdas/app/jobs/delivery';
import { buildAnnouncement } from '../support/announcements';
import { startDiscordServer, type DiscordServer } from '../../testkit/discord-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';

/**
 * Brakes that keep Cloudflare from banning the bot's IP: a bare 429 stops all sending for a long,
 * growing backoff; 401/403/429 answers are counted per 10 minutes and sending stops at a limit.
 */

const channels = Array.from({ length: 6 }, (_, i) => String(400000000000000000n + BigInt(i)));
let discord: DiscordServer | undefined;
let store: TestStore | undefined;

afterEach(async () => {
  await discord?.close();
  await store?.close();
  discord = undefined;
  store = undefined;
});

async function world(invalidLimit?: number) {
  const clock = new ManualClock(Date.parse('2018-01-26T03:00:00Z'));
  discord = await startDiscordServer();
  store = await startTestStore(clock);
  const logger = new MemoryLogger();
  const config = channels.map((id) => ({ id, kinds: ['price' as const], language: 'en' as const }));
  const container = createContainer({
    config: { ...DEFAULT_CONFIG, channels: config },
    store: store.store,
    clock,
    logger,
  });
  const { outbox } = container;
  const a = buildAnnouncement({ key: 'brakes' });
  for (const c of channels) await outbox.enqueue(a.key, c, 'price', a.render('en'));
  const guard = new DiscordGuard(store.store, clock, logger, invalidLimit);
  const d = discord;
  const client = createDiscordClient({
    token: d.token,
    apiBase: d.apiBase,
    maxRateLimitWaitMs: 5_000,
    guard,
  });
  const run = () => runDelivery(container, { discord: client, print: () => undefined, guard });
  return { clock, logger, outbox, guard, run, discord: d };
}

const banLines = (logger: MemoryLogger) => logger.lines.filter((l) => l.includes('Cloudflare ban'));

describe('Cloudflare-safe sending', () => {
  it('a 429 with an HTML 1015 body stops all sending for a long growing backoff, said once', async () => {
    const w = await world();
    w.discord.script([{ cloudflare1015: true }], { forever: true });

    const first = await w.run();
    expect(w.discord.requests).toHaveLength(1); // one knock, not 300
    expect(first.paused).toContain('Cloudflare ban');
    expect(first.stillPending).toBe(channels.length);
    expect(banLines(w.logger)).toHaveLength(1);
    expect(banLines(w.logger)[0]).toContain('2018-01-26T03:05:00.000Z');

    // Four minutes later: still banned, nothing sent, nothing said again.
    w.clock.advance(4 * MINUTE);
    const second = await w.run();
    expect(second.paused).toContain('Cloudflare ban');
    expect(w.discord.requests).toHaveLength(1);
    expect(banLines(w.logger)).toHaveLength(1);

    // After the ban one request tries; banned again, the backoff doubles (10 minutes).
    w.clock.advance(2 * MINUTE);
    await w.run();
    expect(w.discord.requests).toHaveLength(2);
    expect(banLines(w.logger)).toHaveLength(2);
    expect(banLines(w.logger)[1]).toContain('2018-01-26T03:16:00.000Z');
    expect(w.guard.takeCounts()).toEqual({ invalidResponses: 2, cloudflareBans: 2 });

    // Ban lifted: everything goes out once, nothing was lost.
    w.discord.clearScripts();
    w.clock.advance(11 * MINUTE);
    const last = await w.run();
    expect(last).toMatchObject({ sent: channels.length, stillPending: 0 });
    expect(await w.outbox.pending()).toHaveLength(0);
  });

  it('invalid answers (401/403/429) are counted per 10 minutes and sending stops at the limit', async () => {
    const w = await world(3);
    for (const c of channels) w.discord.forbid(c);

    const first = await w.run();
    expect(w.discord.requests).toHaveLength(3);
    expect(first.paused).toContain('3 invalid answers');
    expect(first.disabledChannels).toBe(3);
    expect(w.logger.lines.filter((l) => l.includes('invalid answers'))).toHaveLength(1);

    // Another process (a fresh guard) reads the count from the store and holds back too.
    const other = new DiscordGuard((store as TestStore).store, w.clock, new MemoryLogger(), 3);
    await other.refresh();
    expect(other.pausedReason()).toContain('3 invalid answers');

    // The next 10-minute window starts from zero.
    w.clock.advance(10 * MINUTE);
    await w.run();
    expect(w.discord.requests).toHaveLength(6);
  });
});
