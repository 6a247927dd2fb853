import { buildCommandInteraction } from '../../local/dev-client';
import { createContainer } from '../../lambdas/app/container';
import {
  completeDeferredWork,
  createWorkerDeps,
  parseDeferredWork,
  toWire,
  type DeferredWork,
} from '../../lambdas/discord/deferred';
import { createFetchFollowUp } from '../../lambdas/discord/followup';
import { parseCommand } from '../../lambdas/discord/interactions';
import type { ParsedCommand } from '../../lambdas/discord/commands';
import { ManualClock, MINUTE } from '../../lambdas/domain/clock';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import { MemoryLogger } from '../../lambdas/domain/log';
import { startDiscordServer, type DiscordServer } from '../../testkit/discord-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';

const NOW = Date.parse('2018-01-26T06:00:00Z');
const clock = new ManualClock(NOW);
let t: TestStore;
let discord: DiscordServer;
let logger: MemoryLogger;

beforeAll(async () => {
  t = await startTestStore(clock);
});
afterAll(async () => {
  await t.close();
});
beforeEach(async () => {
  discord = await startDiscordServer();
  logger = new MemoryLogger();
});
afterEach(async () => {
  await discord.close();
});

/** What the endpoint hands off for a command line, as it arrived `ageMs` ago. */
function work(line: string, ageMs = 0): DeferredWork {
  const interaction = buildCommandInteraction(line.split(' '));
  const parsed = parseCommand(interaction) as ParsedCommand;
  return {
    version: 1,
    interactionId: String(interaction.id),
    applicationId: String(interaction.application_id),
    token: String(interaction.token),
    receivedAt: NOW - ageMs,
    reason: 'deferred',
    command: toWire(parsed),
  };
}

function worker() {
  return createWorkerDeps(createContainer({ config: DEFAULT_CONFIG, store: t.store, clock, logger }), {
    // Short waits: these tests are about how many edits land, not how long they take.
    followUp: (window) =>
      createFetchFollowUp({
        apiBase: discord.apiBase,
        retries: { ...window, delaysMs: [5, 5, 5] },
        now: () => clock.now(),
      }),
  });
}

describe('deferred-work worker against the loopback Discord', () => {
  it('a worker whose edit fails twice (500, 503) and then succeeds edits the response once', async () => {
    discord.script([{ status: 500 }, { status: 503 }]);
    const handed = work('refund calc amount:1000');
    expect(await completeDeferredWork(handed, worker())).toBe('edited');
    expect(discord.requests.map((r) => r.status)).toEqual([500, 503, 200]);
    expect(discord.webhookMessages).toEqual([
      expect.objectContaining({ kind: 'edit-original', interactionToken: handed.token }),
    ]);
    expect(JSON.stringify(discord.webhookMessages[0]?.payload)).toContain('88,549 JPY');
  });

  it('an edit that keeps failing rejects after its retries, for the transport to retry and dead-letter', async () => {
    discord.script([{ status: 502 }], { forever: true });
    const error = await completeDeferredWork(work('refund calc amount:1000'), worker()).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toContain('PATCH /webhooks/:application/:token/messages/@original: HTTP 502');
    expect(discord.requests).toHaveLength(4);
    expect(discord.webhookMessages).toHaveLength(0);
  });

  it('an edit that fails as the token runs out ends "expired", logged with the interaction id (counted by the worker)', async () => {
    discord.script([{ status: 502 }], { forever: true });
    // 3 ms before the token's margin: one attempt starts, its retry (5 ms later) would not.
    const handed = work('refund calc amount:1000', 14 * MINUTE + 29_997);
    expect(await completeDeferredWork(handed, worker())).toBe('expired');
    expect(discord.requests).toHaveLength(1);
    const said = logger.lines.filter((l) => l.includes('token expired'));
    expect(said).toEqual([expect.stringContaining(handed.interactionId)]);
  });

  it('a 429 is waited out and then edits once', async () => {
    discord.script([{ rateLimit: 'user', retryAfterSeconds: 0.02 }]);
    await completeDeferredWork(work('news count:3'), worker());
    expect(discord.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(discord.webhookMessages).toHaveLength(1);
  });

  it('work whose token has expired (15 minutes) edits nothing and says so', async () => {
    expect(await completeDeferredWork(work('status', 15 * MINUTE), worker())).toBe('expired');
    expect(discord.requests).toEqual([]);
    expect(logger.lines.join('\n')).toContain('interaction token has expired');
  });

  it('an event that is not deferred work is named as such, never run', () => {
    expect(parseDeferredWork({ version: 2 })).toMatch(/not a goxwatch deferred-work event/);
    expect(parseDeferredWork({ ...work('status'), token: '' })).toBe('deferred work has no token');
    const good = work('status');
    expect(parseDeferredWork(JSON.parse(JSON.stringify(good)))).toEqual(good);
  });
});
