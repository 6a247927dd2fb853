import { createContainer, type Container } from '../../lambdas/app/container';
import { runDelivery } from '../../lambdas/app/jobs/delivery';
import { runNewsJob } from '../../lambdas/app/jobs/news-job';
import { createDiscordClient } from '../../lambdas/discord/rest-client';
import { HOUR, ManualClock, MINUTE } from '../../lambdas/domain/clock';
import { COINCHECK_NEM_2018, DEFAULT_CONFIG, type Config } from '../../lambdas/domain/config';
import { MemoryLogger } from '../../lambdas/domain/log';
import { startDiscordServer, type DiscordServer } from '../../testkit/discord-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { sendWithValidators, startFeedServer, type FeedServer } from '../../testkit/feed-server';
import { rssFeed, type RssItemSpec } from '../support/feed-builders';
import { storedFeedId } from '../../lambdas/store/guild-feeds';

/**
 * Who must say a refund stage (ADR 0010), through the real news job on dynalite, loopback feeds
 * (testkit/feed-server.ts) and loopback Discord (testkit/discord-server.ts): the incident's own
 * domain moves the stage at once; one other source is posted once as "reported, unconfirmed";
 * a second source on another feed and domain within the window moves it, citing both; a move
 * back (official contradiction or a maintainer) sends one correction to exactly the channels
 * that got the wrong message.
 */

const CHANNEL_EN = '400000000000000001';
const CHANNEL_JA = '400000000000000002';
/** Subscribes after the wrong message went out: it must not get the correction. */
const CHANNEL_LATE = '400000000000000003';
const INCIDENT = COINCHECK_NEM_2018.id;
const START = Date.parse('2018-03-10T00:00:00Z');
const FEEDS = ['wire-a', 'wire-b'] as const;
type FeedId = (typeof FEEDS)[number];

const PAYING_A: RssItemSpec = {
  title: 'Coincheck begins refunding NEM holders',
  link: 'https://news-a.example.com/2018/03/12/coincheck-refunds',
  description: 'Coincheck started paying compensation to NEM holders on Monday, at 88.549 JPY per XEM.',
};
const PAYING_B: RssItemSpec = {
  title: 'Coincheck NEM victims get their money back',
  link: 'https://news-b.example.org/coincheck-nem-compensation',
  description: 'Coincheck has begun compensating the NEM holders hit by the January hack.',
};
const OFFICIAL_NOTICE: RssItemSpec = {
  title: 'Regarding reparations to users in possession of NEM',
  link: 'https://corporate.coincheck.com/2018/03/12/47.html',
  description:
    'Reparations for the NEM illicitly transferred from our platform will be made at 88.549 JPY per XEM. ' +
    'The date of the reparations has not been decided yet.',
};

interface World {
  clock: ManualClock;
  container: Container;
  discord: DiscordServer;
  /** Publish an item on a feed, dated now (the feed's next fetch sees it). */
  publish(feed: FeedId, item: RssItemSpec): void;
  /** One news run, then delivery to loopback Discord. */
  run(): Promise<Awaited<ReturnType<typeof runNewsJob>>>;
  /** When set and true for a message key, queueing it throws (a crash mid-run). */
  crashOn?: (key: string) => boolean;
  /** The embed titles each channel got, in order. */
  titles(channelId: string): string[];
  text(channelId: string): string;
}

async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  const clock = new ManualClock(START);
  let t: TestStore | undefined;
  let feedServer: FeedServer | undefined;
  let discord: DiscordServer | undefined;
  try {
    t = await startTestStore(clock);
    feedServer = await startFeedServer();
    discord = await startDiscordServer();
    const items = new Map<FeedId, RssItemSpec[]>(FEEDS.map((f) => [f, []]));
    for (const id of FEEDS)
      feedServer.route(`/${id}`, (req, res) =>
        sendWithValidators(req, res, Buffer.from(rssFeed(id, items.get(id) ?? [])), {
          contentType: 'application/rss+xml',
        }),
      );
    const server = feedServer;
    const config: Config = {
      ...DEFAULT_CONFIG,
      channels: [
        { id: CHANNEL_EN, kinds: ['refund'], language: 'en' },
        { id: CHANNEL_JA, kinds: ['refund'], language: 'ja' },
      ],
      feeds: FEEDS.map((id) => ({ id, url: server.url(`/${id}`) })),
      incidents: [{ ...COINCHECK_NEM_2018, feeds: [...FEEDS], confirmWindowHours: 48 }],
    };
    const container = createContainer({ config, store: t.store, clock, logger: new MemoryLogger() });
    const client = createDiscordClient({
      token: discord.token,
      apiBase: discord.apiBase,
      maxRateLimitWaitMs: 5_000,
    });
    const d = discord;
    const embeds = (channelId: string) =>
      d.messagesIn(channelId).map((m) => (m.payload.embeds as { title?: string }[] | undefined)?.[0] ?? {});
    const w: World = {
      clock,
      container,
      discord: d,
      publish: (feed, item) =>
        items.get(feed)?.unshift({
          ...item,
          guid: `${feed}:${item.link ?? item.title}:${clock.now()}`,
          pubDate: new Date(clock.now()).toUTCString(),
        }),
      run: async () => {
        const r = await runNewsJob({
          ...container,
          enqueue: async (a, target) => {
            const key = (Array.isArray(a) ? a[0] : a)?.key ?? '';
            if (w.crashOn?.(key)) throw new Error(`simulated crash queueing ${key}`);
            return container.enqueue(a, target);
          },
        });
        await runDelivery(container, { discord: client, print: () => undefined });
        return r;
      },
      titles: (channelId) => embeds(channelId).map((e) => e.title ?? ''),
      text: (channelId) => JSON.stringify(d.messagesIn(channelId).map((m) => m.payload)),
    };
    await w.run(); // each feed's first fetch: nothing in it yet, nothing posted
    await fn(w);
  } finally {
    await discord?.close();
    await feedServer?.close();
    await t?.close();
  }
}

const later = (w: World, ms: number) => w.clock.advance(ms);
const stage = async (w: World) => (await w.container.refunds.get(INCIDENT)).stage;

/** Two independent sources (another feed and domain, 6 h apart) confirm "paying out". */
async function confirmPaying(w: World): Promise<void> {
  later(w, HOUR);
  w.publish('wire-a', PAYING_A);
  await w.run();
  later(w, 6 * HOUR);
  w.publish('wire-b', PAYING_B);
  await w.run();
  expect(await stage(w)).toBe('paying');
}

describe('refund stages need an official source or two independent ones', () => {
  it('an official source (the incident domain) moves the stage at once', async () => {
    await withWorld(async (w) => {
      later(w, HOUR);
      w.publish('wire-a', { ...PAYING_A, link: 'https://corporate.coincheck.com/2018/03/12/47.html' });
      const r = await w.run();
      expect(r.stageChanges.map((c) => [c.from, c.to, c.basis])).toEqual([['none', 'paying', 'official']]);
      expect(r.unconfirmedPosted).toBe(0);
      expect(w.titles(CHANNEL_EN)).toEqual(['Refund status: Coincheck NEM hack (January 2018)']);
      expect(w.text(CHANNEL_EN)).toContain('(the official source)');
      expect(w.titles(CHANNEL_JA)).toHaveLength(1);
    });
  });

  it('one unofficial source: one unconfirmed post with its link and sentence, no stage move, not reposted on the next run', async () => {
    await withWorld(async (w) => {
      later(w, HOUR);
      w.publish('wire-a', PAYING_A);
      const r = await w.run();
      expect(r.stageChanges).toEqual([]);
      expect(r.unconfirmedPosted).toBe(1);
      expect(await stage(w)).toBe('none');
      expect(w.titles(CHANNEL_EN)).toEqual([
        'Reported, unconfirmed: refund status, Coincheck NEM hack (January 2018)',
      ]);
      const text = w.text(CHANNEL_EN);
      expect(text).toContain(PAYING_A.link);
      expect(text).toContain('> Coincheck begins refunding NEM holders'); // the sentence it was read from
      expect(text).toContain(
        'One source reports \\"paying out\\". The stage stays \\"no refund announced\\"',
      );
      expect(w.titles(CHANNEL_JA)).toEqual([
        '未確認の報道: 返金状況 コインチェック NEM 流出事件（2018年1月）',
      ]);
      later(w, 5 * MINUTE);
      const again = await w.run();
      expect(again.unconfirmedPosted).toBe(0);
      expect(w.discord.messages).toHaveLength(2);
    });
  });

  it('a second independent source within the window moves the stage, and the post cites both', async () => {
    await withWorld(async (w) => {
      await confirmPaying(w);
      const [change] = await w.container.refunds.history(INCIDENT);
      expect(change).toMatchObject({ from: 'none', to: 'paying', basis: 'confirmed' });
      expect(change?.evidence).toEqual([PAYING_A.link, PAYING_B.link]);
      expect(w.titles(CHANNEL_EN)).toEqual([
        'Reported, unconfirmed: refund status, Coincheck NEM hack (January 2018)',
        'Refund status: Coincheck NEM hack (January 2018)',
      ]);
      const post = JSON.stringify(w.discord.messagesIn(CHANNEL_EN)[1]?.payload);
      expect(post).toContain('two independent sources agree');
      expect(post).toContain(PAYING_A.link);
      expect(post).toContain(PAYING_B.link);
      expect(post).toContain('Coincheck begins refunding NEM holders');
      expect(post).toContain('Coincheck has begun compensating the NEM holders');
    });
  });

  it.each([
    ['the same domain on another feed', 'wire-b', 'https://news-a.example.com/2018/03/12/coincheck-update'],
    ['the same feed from another domain', 'wire-a', PAYING_B.link ?? ''],
  ] as const)(
    'a second item from %s leaves it unconfirmed and posts nothing more',
    async (_what, feed, link) => {
      await withWorld(async (w) => {
        later(w, HOUR);
        w.publish('wire-a', PAYING_A);
        await w.run();
        later(w, HOUR);
        w.publish(feed, { ...PAYING_B, link });
        const r = await w.run();
        expect(r.stageChanges).toEqual([]);
        expect(r.unconfirmedPosted).toBe(0);
        expect(await stage(w)).toBe('none');
        expect(w.titles(CHANNEL_EN)).toEqual([
          'Reported, unconfirmed: refund status, Coincheck NEM hack (January 2018)',
        ]);
      });
    },
  );

  it("a claim kept earlier from a server's own feed (/feeds add) confirms nothing: one config source stays unconfirmed", async () => {
    await withWorld(async (w) => {
      later(w, HOUR);
      // What a server's feed left before its items stopped counting as refund evidence.
      const serverFeed = storedFeedId('http://127.0.0.1:9/a-servers-own-feed.xml');
      await w.container.refunds.putClaim({
        incidentId: INCIDENT,
        id: `paying#${serverFeed}#old`,
        stage: 'paying',
        feedId: serverFeed,
        domain: 'someones-blog.example.net',
        link: 'https://someones-blog.example.net/coincheck-pays',
        quote: 'Coincheck is paying everyone back now.',
        at: w.clock.now(),
        seenAt: w.clock.now(),
        because: 'paying',
        posted: true,
      });
      later(w, HOUR);
      w.publish('wire-a', PAYING_A);
      const r = await w.run();
      expect(r.stageChanges).toEqual([]);
      expect(await stage(w)).toBe('none');
      expect(w.titles(CHANNEL_EN)).toEqual([
        'Reported, unconfirmed: refund status, Coincheck NEM hack (January 2018)',
      ]);
    });
  });

  it('a run that dies after keeping the claim posts the unconfirmed message once on the retry', async () => {
    await withWorld(async (w) => {
      later(w, HOUR);
      w.publish('wire-a', PAYING_A);
      w.crashOn = (key) => key.startsWith('refund-unconfirmed:');
      const crashed = await w.run();
      expect(crashed.errors.join()).toContain('simulated crash');
      expect(await w.container.refunds.claims(INCIDENT)).toHaveLength(1);
      delete w.crashOn;
      later(w, 5 * MINUTE);
      expect((await w.run()).unconfirmedPosted).toBe(1);
      later(w, 5 * MINUTE);
      await w.run();
      expect(w.titles(CHANNEL_EN)).toEqual([
        'Reported, unconfirmed: refund status, Coincheck NEM hack (January 2018)',
      ]);
    });
  });

  it('a second source outside the window is unconfirmed again, with a post of its own', async () => {
    await withWorld(async (w) => {
      later(w, HOUR);
      w.publish('wire-a', PAYING_A);
      await w.run();
      later(w, 49 * HOUR);
      w.publish('wire-b', PAYING_B);
      const r = await w.run();
      expect(r.stageChanges).toEqual([]);
      expect(r.unconfirmedPosted).toBe(1);
      expect(await stage(w)).toBe('none');
      const texts = w.discord.messagesIn(CHANNEL_EN).map((m) => JSON.stringify(m.payload));
      expect(texts).toHaveLength(2);
      expect(texts[0]).toContain(PAYING_A.link);
      expect(texts[1]).toContain(PAYING_B.link);
    });
  });
});

describe('a wrong stage moved back: one correction to exactly the channels that got it', () => {
  it('an official source contradicting the stage moves it back; the correction quotes the wrong message', async () => {
    await withWorld(async (w) => {
      await confirmPaying(w);
      await w.container.subscriptions.put({ channelId: CHANNEL_LATE, kinds: ['refund'], language: 'en' });
      later(w, HOUR);
      w.publish('wire-b', OFFICIAL_NOTICE);
      const r = await w.run();
      expect(r.stageChanges.map((c) => [c.from, c.to, c.corrects])).toEqual([['paying', 'terms-fixed', 1]]);
      const history = await w.container.refunds.history(INCIDENT);
      expect(history.map((c) => `${c.from}→${c.to}`)).toEqual(['none→paying', 'paying→terms-fixed']);
      for (const channel of [CHANNEL_EN, CHANNEL_JA]) expect(w.discord.messagesIn(channel)).toHaveLength(3); // unconfirmed, paying, correction
      const correction = JSON.stringify(w.discord.messagesIn(CHANNEL_EN)[2]?.payload);
      expect(correction).toContain('Correction: refund status');
      expect(correction).toContain('~~paying out~~');
      expect(correction).toContain('Coincheck has begun compensating the NEM holders'); // the wrong sentence
      expect(correction).toContain('The date of the reparations has not been decided yet.');
      expect(correction).toContain(OFFICIAL_NOTICE.link);
      expect(w.discord.messagesIn(CHANNEL_LATE)).toEqual([]);
      later(w, 5 * MINUTE);
      await w.run();
      expect(w.discord.messagesIn(CHANNEL_EN)).toHaveLength(3);
    });
  });

  it('a maintainer moving the stage back: both entries kept, the correction to exactly the channels that got it', async () => {
    await withWorld(async (w) => {
      await confirmPaying(w);
      await w.container.subscriptions.put({ channelId: CHANNEL_LATE, kinds: ['refund'], language: 'en' });
      const change = await w.container.refunds.setStage(INCIDENT, 'terms-fixed', {
        actor: 'cli:maintainer',
        reason: 'payouts have not started; the reports were wrong',
      });
      expect(change).toMatchObject({ from: 'paying', to: 'terms-fixed', corrects: 1 });
      later(w, 5 * MINUTE);
      await w.run();
      const history = await w.container.refunds.history(INCIDENT);
      expect(history.map((c) => `${c.from}→${c.to}`)).toEqual(['none→paying', 'paying→terms-fixed']);
      expect(w.titles(CHANNEL_EN).at(-1)).toBe(
        'Correction: refund status, Coincheck NEM hack (January 2018)',
      );
      expect(w.titles(CHANNEL_JA).at(-1)).toBe('訂正: 返金状況 コインチェック NEM 流出事件（2018年1月）');
      const correction = JSON.stringify(w.discord.messagesIn(CHANNEL_EN).at(-1)?.payload);
      expect(correction).toContain('Coincheck has begun compensating the NEM holders');
      expect(correction).toContain('cli:maintainer: payouts have not started; the reports were wrong');
      expect(w.discord.messagesIn(CHANNEL_LATE)).toEqual([]);
      later(w, 5 * MINUTE);
      await w.run();
      expect(w.discord.messages).toHaveLength(6);
    });
  });
});
