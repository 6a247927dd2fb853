import { createFetchFollowUp, printFollowUp } from '../../lambdas/discord/followup';
import { ManualClock } from '../../lambdas/domain/clock';
import { MemoryLogger } from '../../lambdas/domain/log';
import { DiscordGuard } from '../../lambdas/store/discord-guard';
import { startDiscordServer, type DiscordServer } from '../../testkit/discord-server';
import { startTestStore } from '../../testkit/dynamo';

const APP = '775799577604522054';
const TOKEN = 'aW50ZXJhY3Rpb246ODY3NzkzODczMzM2OTI2MjQ5OnNlY3JldA';

describe('interaction follow-up sender (fetch) against the loopback Discord', () => {
  let discord: DiscordServer;
  beforeEach(async () => {
    discord = await startDiscordServer();
  });
  afterEach(async () => {
    await discord.close();
  });

  it('edits the original response once, without a bot token', async () => {
    const followUp = createFetchFollowUp({ apiBase: discord.apiBase });
    await followUp(APP, TOKEN, { data: { content: 'done', allowed_mentions: { parse: [] } } });
    expect(discord.webhookMessages).toEqual([
      expect.objectContaining({ kind: 'edit-original', applicationId: APP, interactionToken: TOKEN }),
    ]);
    expect(discord.requests[0]?.authorization).toBeUndefined();
  });

  it('a 429 with a short retry_after (recorded body) waits, then edits once', async () => {
    discord.script([{ rateLimit: 'user', retryAfterSeconds: 0.05 }]);
    const followUp = createFetchFollowUp({ apiBase: discord.apiBase });
    await followUp(APP, TOKEN, { data: { content: 'after the wait' } });
    expect(discord.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(discord.webhookMessages).toHaveLength(1);
  });

  it('a 429 longer than the allowed wait fails at once, naming the route and never the token', async () => {
    discord.script([{ rateLimit: 'user', retryAfterSeconds: 60 }]);
    const followUp = createFetchFollowUp({ apiBase: discord.apiBase, maxRateLimitWaitMs: 1000 });
    const error = await followUp(APP, TOKEN, { data: { content: 'x' } }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toContain('PATCH /webhooks/:application/:token/messages/@original: HTTP 429');
    expect(error?.message).not.toContain(TOKEN);
    expect(discord.webhookMessages).toHaveLength(0);
  });

  it('a reply without allowed_mentions is sent with parse [] (nobody pinged), like every message', async () => {
    const followUp = createFetchFollowUp({ apiBase: discord.apiBase });
    await followUp(APP, TOKEN, { data: { content: 'XEM 79.20 JPY' } });
    expect(discord.webhookMessages.map((m) => m.payload.allowed_mentions)).toEqual([{ parse: [] }]);
  });

  it('a refused edit names the route and what Discord refused, never the interaction token', async () => {
    const followUp = createFetchFollowUp({ apiBase: discord.apiBase });
    const error = await followUp(APP, TOKEN, { data: { content: 'x'.repeat(2001) } }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toContain('PATCH /webhooks/:application/:token/messages/@original: HTTP 400');
    expect(error?.message).toContain('content: Must be 2000 or fewer in length.');
    expect(error?.message).not.toContain(TOKEN);
  });

  it("a 429 without Discord's JSON body (Cloudflare 1015) is not retried, and the guard stops all sending", async () => {
    const clock = new ManualClock(Date.now());
    const db = await startTestStore(clock);
    try {
      const guard = new DiscordGuard(db.store, clock, new MemoryLogger());
      discord.script([{ cloudflare1015: true }], { forever: true });
      const followUp = createFetchFollowUp({
        apiBase: discord.apiBase,
        guard,
        retries: { delaysMs: [1, 1, 1], receivedAt: clock.now(), deadline: clock.now() + 60_000 },
      });
      await expect(followUp(APP, TOKEN, { data: { content: 'x' } })).rejects.toThrow('Cloudflare');
      expect(discord.requests).toHaveLength(1);
      expect(guard.pausedReason()).toContain('Cloudflare ban');
      // Paused: the next edit is not even tried.
      await expect(followUp(APP, TOKEN, { data: { content: 'y' } })).rejects.toThrow('sending paused');
      expect(discord.requests).toHaveLength(1);
    } finally {
      await db.close();
    }
  });

  it('a 5xx is reported as an error with its status', async () => {
    discord.script([{ status: 503 }]);
    const followUp = createFetchFollowUp({ apiBase: discord.apiBase });
    await expect(followUp(APP, TOKEN, { data: { content: 'x' } })).rejects.toThrow('HTTP 503');
  });
});

describe('printing follow-up (local runs without Discord)', () => {
  it('prints the completed reply as a message box and lists attachments', async () => {
    const logger = new MemoryLogger();
    await printFollowUp(logger)(APP, TOKEN, {
      data: { embeds: [{ title: 'XEM price', description: 'Consensus: 96 JPY' }] },
      files: [{ name: 'chart.png', contentType: 'image/png', data: new Uint8Array(10) }],
    });
    const out = logger.lines.join('\n');
    expect(out).toContain('■ XEM price');
    expect(out).toContain('Consensus: 96 JPY');
    expect(out).toContain('[attachment chart.png, 10 bytes]');
  });
});
