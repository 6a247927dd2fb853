import { performance } from 'node:perf_hooks';
import { createDiscordClient } from '../lambdas/discord/rest-client';
import { ManualClock } from '../lambdas/domain/clock';
import { COINCHECK_NEM_2018, DEFAULT_CONFIG, type Config, type FeedConfig } from '../lambdas/domain/config';
import { MemoryLogger } from '../lambdas/domain/log';
import { newsAnnouncement } from '../lambdas/discord/render-news';
import { deliver } from '../lambdas/app/bot';
import { createContainer } from '../lambdas/app/container';
import { startDiscordServer } from '../testkit/discord-server';
import { startTestStore } from '../testkit/dynamo';
import { meterCapacity } from './capacity';

/** Discord's global ceiling for a bot: 50 requests per second. */
export const DISCORD_GLOBAL_PER_SECOND = 50;
/** As the Lambda handlers set it (lambdas/app/lambda-bot.ts MAX_RATE_LIMIT_WAIT_MS). */
const MAX_RATE_LIMIT_WAIT_MS = 5_000;
const FEED: FeedConfig = { id: 'coinpost', url: 'https://coinpost.jp/?feed=rss2', language: 'ja' };

export interface DeliveryBench {
  channels: number;
  /** Time and DynamoDB requests to put the announcement in the outbox for every channel. */
  enqueueMs: number;
  enqueueRequests: number;
  /** From the first delivery run's start to the last message. */
  totalMs: number;
  messagesPerSecond: number;
  /** runDelivery calls until nothing was pending (100 entries per run). */
  deliveryRuns: number;
  /** Discord answers, by kind. */
  posts: number;
  rateLimited: number;
  /** Every channel got exactly one message. */
  exactlyOnce: boolean;
  /** DynamoDB requests and request units, enqueue and delivery together, per message. */
  requestsPerMessage: number;
  rruPerMessage: number;
  wruPerMessage: number;
  /** Approximate size of one outbox entry: the rendered payload plus ~300 B of keys and bookkeeping. */
  entryBytes: number;
}

/**
 * One news announcement enqueued for `channels` configured channels (lambdas/app/enqueue.ts
 * through the container), then runDelivery (real @discordjs/rest through createDiscordClient)
 * against the loopback Discord enforcing the global limit, run after run until nothing is pending.
 */
export async function benchDelivery(channels = 1000): Promise<DeliveryBench> {
  const clock = new ManualClock(Date.parse('2018-01-28T00:00:00Z'));
  const t = await startTestStore(clock, undefined, 'goxwatch-bench');
  const discord = await startDiscordServer({ globalRequestsPerSecond: DISCORD_GLOBAL_PER_SECOND });
  try {
    const capacity = meterCapacity(t.store.client);
    const ids = Array.from({ length: channels }, (_, i) => String(400_000_000_000_000_000n + BigInt(i)));
    const config: Config = {
      ...DEFAULT_CONFIG,
      channels: ids.map((id) => ({ id, kinds: ['news'] })),
    };
    const container = createContainer({ config, store: t.store, clock, logger: new MemoryLogger() });
    const item = {
      key: 'bench-refund-announced',
      feedId: FEED.id,
      title: 'コインチェック、NEM保有者約26万人に日本円で返金へ（1XEM=88.549円）',
      link: 'https://coinpost.jp/?p=bench',
      publishedAt: clock.now(),
      summary: '不正送金されたNEMについて、保有者に日本円で返金する方針を発表した。',
      feedTitle: 'CoinPost',
    };

    const announcement = newsAnnouncement(item, COINCHECK_NEM_2018, FEED);
    const p0 = performance.now();
    const queued = (await container.enqueue(announcement)).added;
    const enqueueMs = performance.now() - p0;
    const enqueueRequests = t.store.requests;
    if (queued !== channels)
      throw new Error(`delivery bench: enqueued for ${queued} of ${channels} channels`);

    const bot = {
      container,
      discord: createDiscordClient({
        token: discord.token,
        apiBase: discord.apiBase,
        maxRateLimitWaitMs: MAX_RATE_LIMIT_WAIT_MS,
      }),
      print: () => {},
    };
    const start = performance.now();
    let runs = 0;
    for (;;) {
      const d = await deliver(bot);
      runs++;
      if (d.sent + d.stillPending + d.dropped === 0) break;
      if (d.badToken || d.dropped) throw new Error(`delivery bench: ${d.summary}`);
      if (runs > 10 * Math.ceil(channels / 100)) throw new Error(`delivery bench: no end after ${runs} runs`);
    }
    const totalMs = performance.now() - start;
    const exactlyOnce =
      discord.messages.length === channels && ids.every((id) => discord.messagesIn(id).length === 1);
    return {
      channels,
      enqueueMs,
      enqueueRequests,
      totalMs,
      messagesPerSecond: discord.messages.length / (totalMs / 1000),
      deliveryRuns: runs,
      posts: discord.requests.filter((r) => r.status === 200).length,
      rateLimited: discord.requests.filter((r) => r.status === 429).length,
      exactlyOnce,
      requestsPerMessage: t.store.requests / channels,
      rruPerMessage: capacity.rru / channels,
      wruPerMessage: capacity.wru / channels,
      entryBytes: Buffer.byteLength(JSON.stringify(announcement.render(config.language))) + 300,
    };
  } finally {
    await discord.close();
    await t.close();
  }
}

if (require.main === module) {
  void benchDelivery(Number(process.argv[2] ?? 1000)).then((r) => console.log(r));
}
