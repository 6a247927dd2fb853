import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, systemClock, type Clock } from '../../lambdas/domain/clock';
import { MemoryLogger } from '../../lambdas/domain/log';
import { createDiscordClient } from '../../lambdas/discord/rest-client';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import { Outbox, outboxId } from '../../lambdas/store/outbox';
import { createContainer } from '../../lambdas/app/container';
import { runDelivery, type DeliveryResult } from '../../lambdas/app/jobs/delivery';
import { buildAnnouncement } from '../support/announcements';
import { startDiscordServer, type DiscordServer } from '../../testkit/discord-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';

// Real processes and many store writes: generous limits, so a busy machine slows them but never fails them.
jest.setTimeout(180_000);

/**
 * Exactly once without Discord's help: the loopback Discord here does NOT check nonces (as Discord
 * does not after a few minutes), so only the outbox's claim-before-send can stop a double post.
 */

const ROOT = join(__dirname, '..', '..');
const CHILD = join(ROOT, 'test', 'support', 'delivery-child.ts');
const TABLE = 'goxwatch-test';

const channelIds = (n: number) =>
  Array.from({ length: n }, (_, i) => String(300000000000000000n + BigInt(i)));

interface World {
  discord: DiscordServer;
  store: TestStore;
  clock: Clock;
  channels: string[];
  keys: string[];
  outbox: Outbox;
  run(opts?: { leaseMs?: number; clock?: Clock }): Promise<DeliveryResult>;
}

let world: World | undefined;
let dir: string | undefined;

async function start(opts: { channels: number; messages: number; clock: Clock; dataDir?: string }) {
  const discord = await startDiscordServer({ checkNonces: false });
  const store = await startTestStore(opts.clock, opts.dataDir, TABLE);
  const channels = channelIds(opts.channels);
  const config = channels.map((id) => ({ id, kinds: ['price' as const], language: 'en' as const }));
  const outbox = new Outbox(store.store, opts.clock);
  const keys: string[] = [];
  for (let m = 0; m < opts.messages; m++) {
    const a = buildAnnouncement({ key: `exactly-once-${m}` });
    keys.push(a.key);
    for (const c of channels) await outbox.enqueue(a.key, c, 'price', a.render('en'));
  }
  world = {
    discord,
    store,
    clock: opts.clock,
    channels,
    keys,
    outbox,
    // Each run has its own client, as two Lambda invocations would.
    run: (o = {}) =>
      runDelivery(
        createContainer({
          config: { ...DEFAULT_CONFIG, channels: config },
          store: store.store,
          clock: o.clock ?? opts.clock,
          logger: new MemoryLogger(),
        }),
        {
          discord: createDiscordClient({
            token: discord.token,
            apiBase: discord.apiBase,
            maxRateLimitWaitMs: 5_000,
          }),
          print: () => undefined,
          wallBudgetMs: 120_000,
          ...(o.leaseMs ? { leaseMs: o.leaseMs } : {}),
        },
      ),
  };
  return world;
}

afterEach(async () => {
  if (world) {
    await world.discord.close();
    await world.store.close();
  }
  world = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Posts per (message, channel), read from the nonce Discord received (= the outbox id). */
function postsPerEntry(w: World): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of w.keys) for (const c of w.channels) counts.set(outboxId(key, c), 0);
  for (const m of w.discord.messages) counts.set(m.nonce ?? '?', (counts.get(m.nonce ?? '?') ?? 0) + 1);
  return counts;
}

async function expectAllSent(w: World): Promise<void> {
  expect(await w.outbox.pending()).toHaveLength(0);
  for (const key of w.keys)
    for (const c of w.channels) expect((await w.outbox.get(outboxId(key, c)))?.status).toBe('sent');
}

describe('exactly once without Discord checking nonces', () => {
  it.each([2, 4])(
    '%i delivery runs at once on one store post every (message, channel) once',
    async (runs) => {
      const w = await start({
        channels: 50,
        messages: 2,
        clock: new ManualClock(Date.parse('2018-01-26T03:00:00Z')),
      });
      const results = await Promise.all(Array.from({ length: runs }, () => w.run()));
      const counts = postsPerEntry(w);
      expect(counts.size).toBe(100);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      // Every entry was sent by exactly one run, and the runs really did overlap.
      expect(results.reduce((n, r) => n + r.sent, 0)).toBe(100);
      expect(results.filter((r) => r.sent > 0).length).toBeGreaterThan(1);
      await expectAllSent(w);
    },
  );

  describe('kill -9 of a delivery process at each outbox step', () => {
    // Long enough that no busy machine lets it lapse before the next run; a later run reads the
    // clock a lease ahead instead of sleeping through it.
    const LEASE_MS = 10 * 60_000;
    const leaseLater: Clock = { now: () => Date.now() + LEASE_MS + 1_000 };

    function child(
      w: World,
      env: Record<string, string>,
    ): Promise<{ signal: string | null; stdout: string }> {
      return new Promise((resolve) => {
        // node with tsx's loader, not the tsx wrapper: one process, so the SIGKILL is what we see.
        execFile(
          process.execPath,
          ['--import', 'tsx', CHILD],
          {
            cwd: ROOT,
            timeout: 60_000,
            env: {
              PATH: process.env.PATH ?? '',
              HOME: process.env.HOME ?? '',
              STORE_ENDPOINT: w.store.dynamo.endpoint,
              TABLE,
              DISCORD_API_BASE: w.discord.apiBase,
              DISCORD_BOT_TOKEN: w.discord.token,
              CHANNELS: w.channels.join(','),
              LEASE_MS: String(LEASE_MS),
              ...env,
            },
          },
          (err, stdout, stderr) => resolve({ signal: err?.signal ?? null, stdout: stdout + stderr }),
        );
      });
    }

    it.each([
      ['after claim, before send', 'claimed', 0],
      ['after send, before mark (the one window left: the nonce covers it at Discord)', 'sent', 1],
      ['after mark', 'marked', 0],
    ] as const)(
      'killed %s: nothing lost, nothing posted twice outside the send-to-mark window',
      async (_label, step, extraPosts) => {
        dir = mkdtempSync(join(tmpdir(), 'goxwatch-kill-'));
        const w = await start({ channels: 10, messages: 1, clock: systemClock, dataDir: dir });
        const killed = await child(w, { KILL_STEP: step, KILL_AT: '4' });
        expect(killed.signal).toBe('SIGKILL');
        const victim = /killed at \w+ (\S+)/.exec(killed.stdout)?.[1];
        expect(victim).toBeDefined();
        // The dead run's claim holds until its lease ends: a run now leaves that entry alone.
        const early = await w.run({ leaseMs: LEASE_MS });
        if (step !== 'marked') expect(early.claimedElsewhere).toBe(1);
        const late = await w.run({ leaseMs: LEASE_MS, clock: leaseLater });
        expect(late.stillPending).toBe(0);
        const counts = postsPerEntry(w);
        for (const [id, n] of counts) expect([id, n]).toEqual([id, id === victim ? 1 + extraPosts : 1]);
        await expectAllSent(w);
      },
    );
  });
});
