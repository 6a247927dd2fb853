import { ManualClock } from '../../lambdas/domain/clock';
import { DEFAULT_CONFIG, type ChannelConfig } from '../../lambdas/domain/config';
import { MemoryLogger } from '../../lambdas/domain/log';
import type { Announcement } from '../../lambdas/domain/messages';
import { createDiscordClient, type DiscordClient } from '../../lambdas/discord/rest-client';
import type { JobRuns } from '../../lambdas/store/job-runs';
import { outboxId, type Outbox, type OutboxEntry } from '../../lambdas/store/outbox';
import type { Subscriptions } from '../../lambdas/store/subscriptions';
import { runDelivery } from '../../lambdas/app/jobs/delivery';
import { createContainer } from '../../lambdas/app/container';
import { buildAnnouncement } from '../support/announcements';
import {
  startDiscordServer,
  type DiscordServer,
  type DiscordServerOptions,
} from '../../testkit/discord-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';

const A = '100000000000000001';
const B = '100000000000000002';
const CHANNELS: ChannelConfig[] = [
  { id: A, kinds: ['price'], language: 'en' },
  { id: B, kinds: ['price'], language: 'ja' },
];

interface World {
  discord: DiscordServer;
  store: TestStore;
  clock: ManualClock;
  logger: MemoryLogger;
  outbox: Outbox;
  subscriptions: Subscriptions;
  jobRuns: JobRuns;
  printed: string[];
  client(token?: string): DiscordClient;
  enqueue(a: Announcement): Promise<number>;
  deliver(opts?: { client?: DiscordClient | null; maxItems?: number }): ReturnType<typeof runDelivery>;
  entry(a: Announcement, channelId: string): Promise<OutboxEntry | undefined>;
}

let world: World | undefined;

async function start(serverOpts: DiscordServerOptions = {}): Promise<World> {
  const clock = new ManualClock(Date.parse('2018-01-26T03:00:00Z'));
  const discord = await startDiscordServer(serverOpts);
  const store = await startTestStore(clock);
  const logger = new MemoryLogger();
  const container = createContainer({
    config: { ...DEFAULT_CONFIG, language: 'ja', channels: CHANNELS },
    store: store.store,
    clock,
    logger,
  });
  const { outbox, subscriptions, jobRuns } = container;
  const printed: string[] = [];
  const client = (token = discord.token) =>
    createDiscordClient({ token, apiBase: discord.apiBase, maxRateLimitWaitMs: 5_000 });
  const defaultClient = client();
  world = {
    discord,
    store,
    clock,
    logger,
    outbox,
    subscriptions,
    jobRuns,
    printed,
    client,
    enqueue: async (a) => (await container.enqueue(a)).added,
    deliver: (o = {}) =>
      runDelivery(container, {
        discord: o.client === null ? undefined : (o.client ?? defaultClient),
        print: (text) => printed.push(text),
        ...(o.maxItems ? { maxItems: o.maxItems } : {}),
      }),
    entry: (a, channelId) => outbox.get(outboxId(a.key, channelId)),
  };
  return world;
}

afterEach(async () => {
  if (!world) return;
  await world.discord.close();
  await world.store.close();
  world = undefined;
});

const postsTo = (w: World, channelId: string) =>
  w.discord.requests.filter(
    (r) => r.method === 'POST' && r.path === `/api/v10/channels/${channelId}/messages`,
  );

describe('delivery to Discord through the outbox', () => {
  it('one run sends batch after batch until the outbox is empty', async () => {
    const w = await start();
    const announcements = [1, 2, 3].map((n) => buildAnnouncement({ key: `batch-${n}` }));
    for (const a of announcements) await w.enqueue(a);
    const result = await w.deliver({ maxItems: 2 });
    expect(result.sent).toBe(6);
    expect(await w.outbox.pending()).toHaveLength(0);
    expect(postsTo(w, A)).toHaveLength(3);
    expect(postsTo(w, B)).toHaveLength(3);
  });

  it('a message for two channels posts once to each', async () => {
    const w = await start();
    const alert = buildAnnouncement();
    expect(await w.enqueue(alert)).toBe(2);
    const result = await w.deliver();
    expect(result).toMatchObject({ sent: 2, stillPending: 0, dropped: 0, badToken: false });
    expect(w.discord.messagesIn(A)).toHaveLength(1);
    expect(w.discord.messagesIn(B)).toHaveLength(1);
    // Each channel gets its own language.
    expect(w.discord.messagesIn(A)[0]?.payload.embeds).toEqual(alert.render('en').embeds);
    expect(w.discord.messagesIn(B)[0]?.payload.embeds).toEqual(alert.render('ja').embeds);
    const entry = await w.entry(alert, A);
    expect(entry).toMatchObject({ status: 'sent', discordMessageId: w.discord.messagesIn(A)[0]?.id });
    const runs = await w.jobRuns.last();
    expect(runs.find((r) => r.job === 'delivery')).toMatchObject({ ok: true, summary: result.summary });
  });

  it('the same delivery run twice posts once', async () => {
    const w = await start();
    await w.enqueue(buildAnnouncement());
    // Two invocations at once (EventBridge is at-least-once), each with its own client.
    const [first, second] = await Promise.all([w.deliver(), w.deliver({ client: w.client() })]);
    expect(w.discord.messagesIn(A)).toHaveLength(1);
    expect(w.discord.messagesIn(B)).toHaveLength(1);
    expect((first?.sent ?? 0) + (second?.sent ?? 0)).toBe(2);
    // And once more, later: nothing left to send.
    const third = await w.deliver();
    expect(third.sent).toBe(0);
    expect(w.discord.messages).toHaveLength(2);
  });

  it('429 with retry_after waits, then posts once', async () => {
    const w = await start();
    w.discord.script([{ rateLimit: 'user', retryAfterSeconds: 0.2 }], { channelId: A });
    await w.enqueue(buildAnnouncement());
    const result = await w.deliver();
    expect(result).toMatchObject({ sent: 2, stillPending: 0 });
    expect(postsTo(w, A).map((r) => r.status)).toEqual([429, 200]);
    expect(w.discord.messagesIn(A)).toHaveLength(1);
  });

  it('a global 429 waits, then posts once', async () => {
    const w = await start();
    w.discord.script([{ rateLimit: 'global', retryAfterSeconds: 0.2 }]);
    const alert = buildAnnouncement();
    await w.enqueue(alert);
    const result = await w.deliver();
    expect(result).toMatchObject({ sent: 2, stillPending: 0 });
    expect(w.discord.requests.map((r) => r.status)).toEqual([429, 200, 200]);
    expect(w.discord.messagesIn(A)).toHaveLength(1);
    expect(w.discord.messagesIn(B)).toHaveLength(1);
  });

  it('a 429 longer than the wait budget leaves the entry pending for the next run', async () => {
    const w = await start();
    // The recorded timings: retry_after 64.57 s, far beyond the 5 s this client may wait.
    w.discord.script([{ rateLimit: 'user' }], { channelId: A });
    const alert = buildAnnouncement();
    await w.enqueue(alert);
    const result = await w.deliver();
    expect(result).toMatchObject({ sent: 1, stillPending: 1 });
    const entry = await w.entry(alert, A);
    expect(entry).toMatchObject({ status: 'pending', attempts: 1 });
    const waited = /rate limited \(user\) for ([\d.]+) s, longer than the 5 s left/.exec(
      entry?.lastError ?? '',
    );
    expect(Number(waited?.[1])).toBeGreaterThan(60);
  });

  it('500 on every try leaves the entry pending and the next run sends it', async () => {
    const w = await start();
    w.discord.script([{ status: 500 }], { forever: true });
    const alert = buildAnnouncement();
    await w.enqueue(alert);
    const first = await w.deliver();
    expect(first).toMatchObject({ sent: 0, stillPending: 2 });
    expect(w.discord.messages).toHaveLength(0);
    const entry = await w.entry(alert, A);
    expect(entry).toMatchObject({ status: 'pending', attempts: 1 });
    expect(entry?.lastError).toContain('500');
    expect((await w.jobRuns.last()).find((r) => r.job === 'delivery')?.ok).toBe(false);

    w.discord.clearScripts();
    const second = await w.deliver();
    expect(second).toMatchObject({ sent: 2, stillPending: 0 });
    expect(w.discord.messagesIn(A)).toHaveLength(1);
    expect(w.discord.messagesIn(B)).toHaveLength(1);
  });

  it('401 stops sending and says the token is bad, without printing it', async () => {
    const w = await start();
    const wrongToken = 'MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.wrong-token-value';
    const alert = buildAnnouncement();
    await w.enqueue(alert);
    await w.enqueue(buildAnnouncement());
    const result = await w.deliver({ client: w.client(wrongToken) });
    expect(result).toMatchObject({ sent: 0, badToken: true, stillPending: 4 });
    // One request told us; the run stopped instead of trying the other entries.
    expect(w.discord.requests).toHaveLength(1);
    expect(w.discord.requests[0]?.status).toBe(401);
    const said = [...w.logger.lines, result.summary, ...w.printed].join('\n');
    expect(said).toMatch(/token/i);
    expect(said).toContain('DISCORD_BOT_TOKEN');
    const entry = await w.entry(alert, A);
    expect(entry?.status).toBe('pending');
    for (const text of [said, entry?.lastError ?? '', JSON.stringify(await w.jobRuns.last())]) {
      expect(text).not.toContain(wrongToken);
    }
  });

  it('403 disables the channel once and the other channels still get the message', async () => {
    const w = await start();
    w.discord.forbid(A);
    const first = buildAnnouncement();
    const second = buildAnnouncement();
    await w.enqueue(first);
    await w.enqueue(second);
    const result = await w.deliver();
    expect(result).toMatchObject({ sent: 2, dropped: 2, disabledChannels: 1 });
    expect(w.discord.messagesIn(B)).toHaveLength(2);
    // Only the first entry reached Discord; the second was dropped without asking again.
    expect(postsTo(w, A)).toHaveLength(1);
    expect(w.logger.lines.filter((l) => l.includes(`channel ${A} disabled`))).toHaveLength(1);
    expect((await w.subscriptions.get(A))?.disabledReason).toContain('Missing Access');
    expect((await w.entry(second, A))?.status).toBe('dropped');
    // Later announcements skip the disabled channel.
    expect(await w.enqueue(buildAnnouncement())).toBe(1);
    const later = await w.deliver();
    expect(later.disabledChannels).toBe(0);
    expect(postsTo(w, A)).toHaveLength(1);
  });

  it('404 unknown channel disables it', async () => {
    const w = await start();
    w.discord.removeChannel(B);
    const alert = buildAnnouncement();
    await w.enqueue(alert);
    const result = await w.deliver();
    expect(result).toMatchObject({ sent: 1, dropped: 1, disabledChannels: 1 });
    expect((await w.subscriptions.get(B))?.disabledReason).toContain('Unknown Channel');
    expect((await w.entry(alert, B))?.lastError).toContain('10003');
    expect(w.discord.messagesIn(A)).toHaveLength(1);
  });

  it('a resend after a crash between send and mark-sent does not double-post (nonce)', async () => {
    const w = await start();
    const alert = buildAnnouncement();
    await w.enqueue(alert);
    // The crashed run: it sent A's entry exactly as delivery would, then died before marking it sent.
    const crashed = (await w.entry(alert, A)) as OutboxEntry;
    const posted = await w.client().postMessage(crashed.channelId, crashed.payload);
    expect((await w.entry(alert, A))?.status).toBe('pending');

    const result = await w.deliver();
    expect(result.sent).toBe(2);
    expect(w.discord.messagesIn(A)).toHaveLength(1);
    // Discord answered the resend with the original message.
    expect((await w.entry(alert, A))?.discordMessageId).toBe(posted.id);
  });

  it('a lost answer after Discord created the message does not double-post on the next run', async () => {
    const w = await start();
    w.discord.script([{ hangUp: 'after-create' }], { channelId: A });
    const alert = buildAnnouncement();
    await w.enqueue(alert);
    const first = await w.deliver();
    expect(first).toMatchObject({ sent: 1, stillPending: 1 });
    expect((await w.entry(alert, A))?.lastError).toMatch(/network error/);
    const second = await w.deliver();
    expect(second).toMatchObject({ sent: 1, stillPending: 0 });
    expect(w.discord.messagesIn(A)).toHaveLength(1);
  });

  it('no token: the message is printed as it would look and kept in the outbox', async () => {
    const w = await start();
    const alert = buildAnnouncement();
    await w.enqueue(alert);
    const result = await w.deliver({ client: null });
    expect(result).toMatchObject({ printed: 2, sent: 0, stillPending: 0 });
    expect(w.discord.requests).toHaveLength(0);
    expect(w.printed).toHaveLength(2);
    const forA = w.printed.find((t) => t.includes(`#${A}`));
    expect(forA).toContain('XEM price drop -12.0% (1 h)');
    expect(forA).toContain('Refund rate');
    expect(w.printed.find((t) => t.includes(`#${B}`))).toContain('XEM 価格下落');
    expect(await w.entry(alert, A)).toMatchObject({ status: 'printed' });
    // Not printed again next cycle.
    const again = await w.deliver({ client: null });
    expect(again.printed).toBe(0);
    expect(w.printed).toHaveLength(2);
  });

  it('every posted message has allowed_mentions parse []', async () => {
    const w = await start();
    await w.enqueue(
      buildAnnouncement({ title: '@everyone XEM crashed', extra: { content: '@here <@&123456789>' } }),
    );
    await w.deliver();
    expect(w.discord.messages).toHaveLength(2);
    for (const m of w.discord.messages) {
      expect(m.payload.allowed_mentions).toEqual({ parse: [] });
      expect(m.payload.enforce_nonce).toBe(true);
      expect(typeof m.payload.nonce).toBe('string');
    }
  });

  it('an oversized payload is refused by the server and the entry is dropped with a clear reason', async () => {
    const w = await start();
    const alert = buildAnnouncement({ title: 'X'.repeat(300) });
    await w.enqueue(alert);
    const result = await w.deliver();
    expect(result).toMatchObject({ sent: 0, dropped: 2, stillPending: 0, disabledChannels: 0 });
    expect(w.discord.messages).toHaveLength(0);
    const entry = await w.entry(alert, A);
    expect(entry?.status).toBe('dropped');
    expect(entry?.lastError).toContain('50035');
    expect(entry?.lastError).toContain('embeds[0].title: Must be 256 or fewer in length.');
    const said = w.logger.lines.find((l) => l.includes(entry?.id ?? '?'));
    expect(said).toContain(alert.key);
    expect(said).toContain('embeds[0].title');
  });

  it('a server-enforced global limit is waited out and every channel gets its message once', async () => {
    const w = await start({ globalRequestsPerSecond: 2 });
    await w.enqueue(buildAnnouncement());
    await w.enqueue(buildAnnouncement());
    const result = await w.deliver();
    expect(result).toMatchObject({ sent: 4, stillPending: 0 });
    expect(w.discord.requests.some((r) => r.status === 429)).toBe(true);
    expect(w.discord.messagesIn(A)).toHaveLength(2);
    expect(w.discord.messagesIn(B)).toHaveLength(2);
  });
});
