import { systemClock } from '../../lambdas/domain/clock';
import { MemoryLogger } from '../../lambdas/domain/log';
import { createDiscordClient } from '../../lambdas/discord/rest-client';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import { createContainer } from '../../lambdas/app/container';
import { runDelivery } from '../../lambdas/app/jobs/delivery';
import { buildAnnouncement } from '../support/announcements';
import { startDiscordServer, type DiscordServer } from '../../testkit/discord-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';

/**
 * The deadline is a wall: 200 posts to one channel meet its bucket (5 per second, Discord's recorded
 * headers), so they need 40 s; a run with 10 s left stops starting sends and waiting on 429s in
 * time, and leaves the rest pending. The bound is generous (budget + one request timeout) and the
 * run must stop well short of the 40 s, so a busy machine cannot make it fail.
 */

const CHANNEL = '500000000000000001';
const REQUEST_TIMEOUT_MS = 10_000;
let discord: DiscordServer | undefined;
let store: TestStore | undefined;

afterEach(async () => {
  await discord?.close();
  await store?.close();
});

it('200 rate-limited posts with a 10 s budget end within budget + one request timeout', async () => {
  discord = await startDiscordServer();
  store = await startTestStore(systemClock);
  const container = createContainer({
    config: { ...DEFAULT_CONFIG, channels: [{ id: CHANNEL, kinds: ['price'] }] },
    store: store.store,
    clock: systemClock,
    logger: new MemoryLogger(),
  });
  const { outbox } = container;
  for (let i = 0; i < 200; i++) {
    const a = buildAnnouncement({ key: `deadline-${i}` });
    await outbox.enqueue(a.key, CHANNEL, 'price', a.render('en'));
  }
  const budgetMs = 10_000;
  const startedAt = Date.now();
  const deadlineAt = startedAt + budgetMs;
  const result = await runDelivery(container, {
    discord: createDiscordClient({
      token: discord.token,
      apiBase: discord.apiBase,
      // Longer than the budget on purpose: the deadline, not this, must cut the waits.
      maxRateLimitWaitMs: 60_000,
      timeoutMs: REQUEST_TIMEOUT_MS,
    }),
    print: () => undefined,
    remainingMs: () => deadlineAt - Date.now(),
  });
  const elapsed = Date.now() - startedAt;
  expect(elapsed).toBeLessThan(budgetMs + REQUEST_TIMEOUT_MS);
  // It did work, stopped for the deadline, and lost nothing.
  expect(result.sent).toBeGreaterThan(0);
  expect(result.sent).toBeLessThan(200);
  expect(result.sent + (await outbox.pending()).length).toBe(200);
  expect(discord.messagesIn(CHANNEL)).toHaveLength(result.sent);
});
