import { PermissionFlagsBits } from 'discord-api-types/v10';
import { DEV_GUILD_ID, buildCommandInteraction } from '../../local/dev-client';
import { localInteractions } from '../../local/interactions-server';
import { handleInteraction } from '../../lambdas/discord/interactions';
import { createFetchFollowUp } from '../../lambdas/discord/followup';
import { createContainer, type Container } from '../../lambdas/app/container';
import { runNewsJob } from '../../lambdas/app/jobs/news-job';
import { runDelivery } from '../../lambdas/app/jobs/delivery';
import { createDiscordClient } from '../../lambdas/discord/rest-client';
import { startDiscordServer } from '../../testkit/discord-server';
import { MAX_FEEDS_PER_GUILD, storedFeedId } from '../../lambdas/store/guild-feeds';
import { blindSpotsNow } from '../../lambdas/store/repositories';
import { ManualClock, HOUR } from '../../lambdas/domain/clock';
import { COINCHECK_NEM_2018, DEFAULT_CONFIG, type Config } from '../../lambdas/domain/config';
import { MemoryLogger } from '../../lambdas/domain/log';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { startFeedServer, type FeedServer } from '../../testkit/feed-server';
import { startFollowUpRecorder, type FollowUpRecorder } from '../support/followup-recorder';
import { generateTestKeys, signedHeaders } from '../support/interactions';
import { rssFeed, type RssItemSpec } from '../support/feed-builders';

/**
 * /feeds add|remove|list through the signed endpoint, the in-process worker (which checks the URL
 * with the real fetch and parser) and the news job, on dynalite and a loopback feed server.
 */

const NEWS_CHANNEL = '100000000000000001';
const GUILD = DEV_GUILD_ID;
const OTHER_GUILD = '100000000000000099';
/** News channels subscribed with /alerts in GUILD and in OTHER_GUILD. */
const GUILD_NEWS = '100000000000000002';
const OTHER_NEWS = '100000000000000003';
const MANAGE = PermissionFlagsBits.ManageChannels;
const keys = generateTestKeys();

let clock: ManualClock;
let t: TestStore;
let feeds: FeedServer;
let recorder: FollowUpRecorder;
let container: Container;
let local: ReturnType<typeof localInteractions>;
/** What the server's own feed currently lists. */
let items: RssItemSpec[];

beforeEach(async () => {
  clock = new ManualClock(Date.parse('2018-01-27T00:00:00Z'));
  t = await startTestStore(clock);
  feeds = await startFeedServer();
  recorder = await startFollowUpRecorder();
  items = [{ title: 'Weather in Tokyo', guid: 'w1', pubDate: 'Fri, 26 Jan 2018 20:00:00 GMT' }];
  feeds.route('/server.rss', (_req, res) => res.end(rssFeed('Server news', items)));
  feeds.route('/config.rss', (_req, res) => res.end(rssFeed('Config news', [])));
  feeds.route('/page.html', (_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><html><body>not a feed</body></html>');
  });
  const config: Config = {
    ...DEFAULT_CONFIG,
    channels: [{ id: NEWS_CHANNEL, kinds: ['news'], language: 'en' }],
    feeds: [{ id: 'config-feed', url: feeds.url('/config.rss') }],
    incidents: [{ ...COINCHECK_NEM_2018, feeds: ['config-feed'] }],
  };
  wire(config);
  await container.subscriptions.put({ channelId: GUILD_NEWS, guildId: GUILD, kinds: ['news'] });
  await container.subscriptions.put({ channelId: OTHER_NEWS, guildId: OTHER_GUILD, kinds: ['news'] });
});

/** The container and the local endpoint + worker for this config, on the test's store. */
function wire(config: Config): void {
  container = createContainer({ config, store: t.store, clock, logger: new MemoryLogger() });
  local = localInteractions(container, {
    publicKey: keys.publicKeyHex,
    followUp: () => createFetchFollowUp({ apiBase: recorder.apiBase }),
    budgetMs: 20_000,
  });
}

afterEach(async () => {
  await recorder.close();
  await feeds.close();
  await t.close();
});

/**
 * `/feeds …` in a channel; runs what was handed to the worker. The answer's text: the endpoint's
 * message, or (for a deferred answer) the worker's edit of it.
 */
async function send(
  line: string,
  permissions = MANAGE,
  guildId = GUILD,
): Promise<{ type: number; text: string }> {
  return ask(`feeds ${line}`, permissions, guildId);
}

/** Any command line, as `send` runs it; the answer's text is its content or its embeds as JSON. */
async function ask(
  line: string,
  permissions = MANAGE,
  guildId = GUILD,
): Promise<{ type: number; text: string }> {
  const body = JSON.stringify({
    ...buildCommandInteraction(line.split(' '), { permissions }),
    guild_id: guildId,
    channel_id: NEWS_CHANNEL,
  });
  const before = recorder.edits.length;
  const res = await handleInteraction(
    { headers: signedHeaders(body, keys.privateKey, clock.now()), body },
    local.deps,
  );
  await local.drain();
  const answer = JSON.parse(res.body) as {
    type: number;
    data?: { content?: string; embeds?: unknown[]; flags?: number };
  };
  const edit = recorder.edits[before]?.payload as { content?: string } | undefined;
  const embeds = answer.data?.embeds ? JSON.stringify(answer.data.embeds) : undefined;
  return { type: answer.type, text: answer.data?.content ?? embeds ?? edit?.content ?? '' };
}

async function newsRun() {
  clock.advance(HOUR);
  return runNewsJob(container);
}

describe('/feeds', () => {
  it('a feed added from Discord is checked by the worker, read by the next news runs, and its new matching item posted', async () => {
    const url = feeds.url('/server.rss');
    const added = await send(`add url:${url}`);
    // Answered "thinking…" at once: the check (fetch and parse) runs in the worker.
    expect(added.type).toBe(5);
    expect(added.text).toContain(
      `Added feed ${storedFeedId(url)} "Server news" (1 items now), matched against every incident.`,
    );
    expect(added.text).toContain(`New items are posted in <#${GUILD_NEWS}>.`);
    expect(feeds.count('/server.rss')).toBe(1);

    // The first run is the feed's baseline: what it listed when added is not news.
    expect((await newsRun()).newsPosted).toBe(0);
    expect(feeds.count('/server.rss')).toBe(2);
    items = [
      { title: 'Coincheck to refund NEM holders', guid: 'n1', pubDate: 'Sat, 27 Jan 2018 01:00:00 GMT' },
      ...items,
    ];
    const run = await newsRun();
    expect(run.newsPosted).toBe(1);
    const posted = (await container.outbox.pending()).filter((e) => e.kind === 'news');
    // The server's own news channel: the config's channel (server unknown) gets no server's feed.
    expect(posted.map((e) => e.channelId)).toEqual([GUILD_NEWS]);
    expect(JSON.stringify(posted[0]?.payload)).toContain('Coincheck to refund NEM holders');
  });

  it("a feed one server added posts only in that server's news channels; a config feed's news still reaches every channel", async () => {
    const discord = await startDiscordServer();
    try {
      const url = feeds.url('/server.rss');
      await send(`add url:${url}`);
      await newsRun();
      const refund = 'Coincheck to refund NEM holders at 88.549 JPY per XEM';
      items = [{ title: refund, guid: 'n1', pubDate: 'Sat, 27 Jan 2018 01:00:00 GMT' }, ...items];
      await newsRun();
      // The same story from a config feed is not a duplicate of a story only GUILD was shown.
      feeds.route('/config.rss', (_req, res) =>
        res.end(
          rssFeed('Config news', [
            { title: refund, guid: 'c1', pubDate: 'Sat, 27 Jan 2018 01:30:00 GMT' },
            { title: 'Coincheck NEM hack: FSA order', guid: 'c2', pubDate: 'Sat, 27 Jan 2018 01:40:00 GMT' },
          ]),
        ),
      );
      // The config feed's first fetch was its (empty) baseline: these two are new.
      const run = await newsRun();
      expect(run.newsPosted).toBe(2);
      const client = createDiscordClient({
        token: discord.token,
        apiBase: discord.apiBase,
        maxRateLimitWaitMs: 5_000,
      });
      await runDelivery(container, { discord: client, print: () => undefined });
      const titles = (channel: string) =>
        discord
          .messagesIn(channel)
          .map((m) => (JSON.stringify(m.payload).includes(refund) ? 'refund' : 'fsa'));
      expect(titles(GUILD_NEWS).sort()).toEqual(['fsa', 'refund', 'refund']);
      expect(titles(OTHER_NEWS).sort()).toEqual(['fsa', 'refund']);
      expect(titles(NEWS_CHANNEL).sort()).toEqual(['fsa', 'refund']);
      // The server's feed moved no stage and left no claim: the stage is every server's.
      expect(await container.refunds.claims(COINCHECK_NEM_2018.id)).toEqual(
        expect.not.arrayContaining([expect.objectContaining({ feedId: storedFeedId(url) })]),
      );
    } finally {
      await discord.close();
    }
  });

  it("a config channel that names its server (guildId) gets that server's own feed too, and the answer says so", async () => {
    wire({
      ...container.config,
      channels: [{ id: NEWS_CHANNEL, kinds: ['news'], language: 'en', guildId: GUILD }],
    });
    const url = feeds.url('/server.rss');
    const added = await send(`add url:${url}`);
    expect(added.text).toContain(`New items are posted in <#${NEWS_CHANNEL}> <#${GUILD_NEWS}>.`);
    await newsRun();
    items = [
      { title: 'Coincheck to refund NEM holders', guid: 'n1', pubDate: 'Sat, 27 Jan 2018 01:00:00 GMT' },
      ...items,
    ];
    expect((await newsRun()).newsPosted).toBe(1);
    const posted = (await container.outbox.pending()).filter((e) => e.kind === 'news');
    expect(posted.map((e) => e.channelId).sort()).toEqual([NEWS_CHANNEL, GUILD_NEWS].sort());
  });

  it('a feed added in a server with no news channel is added, and the answer says nothing will be posted', async () => {
    const added = await send(`add url:${feeds.url('/server.rss')}`, MANAGE, '100000000000000077');
    expect(added.text).toContain(`Added feed ${storedFeedId(feeds.url('/server.rss'))}`);
    expect(added.text).toContain('No channel of this server takes news yet, so nothing will be posted');
  });

  it('a removed feed is no longer fetched', async () => {
    const url = feeds.url('/server.rss');
    await send(`add url:${url}`);
    await newsRun();
    const fetched = feeds.count('/server.rss');
    expect((await send(`remove id:${storedFeedId(url)}`)).text).toContain('no longer reads it');
    await newsRun();
    expect(feeds.count('/server.rss')).toBe(fetched);
    expect((await send('remove id:u-000000000000')).text).toContain(
      'This server added no feed "u-000000000000"',
    );
  });

  it('a URL that is not a feed is refused with the reason, and nothing is stored', async () => {
    const { text } = await send(`add url:${feeds.url('/page.html')}`);
    expect(text).toContain('Not added:');
    expect(text).toContain('is not a readable RSS or Atom feed');
    expect(await container.guildFeeds.list(GUILD)).toEqual([]);
    expect((await send('add url:ftp://example.com/feed')).text).toContain('url must be an http(s) address');
  });

  it('the per-server limit refuses one more feed, saying so, without fetching it', async () => {
    for (let i = 0; i < MAX_FEEDS_PER_GUILD; i++)
      await container.guildFeeds.add({ guildId: GUILD, url: feeds.url(`/f${i}.rss`), addedBy: 'test' });
    const { type, text } = await send(`add url:${feeds.url('/server.rss')}`);
    expect(type).toBe(4);
    expect(text).toContain(`This server already has ${MAX_FEEDS_PER_GUILD} feeds, the limit.`);
    expect(feeds.count('/server.rss')).toBe(0);
  });

  it("/status and the start-up check stop saying 'no incident matches any feed' once a server's own feed reports on the incident", async () => {
    // A config whose incident lists no feed: only /feeds add can link one.
    const config: Config = {
      ...container.config,
      feeds: [],
      incidents: [{ ...COINCHECK_NEM_2018, feeds: [] }],
    };
    wire(config);
    const unlinked = 'no incident matches any feed';
    expect((await ask('status')).text).toContain(unlinked);
    expect((await blindSpotsNow(container, config)).map((l) => l.en).join('\n')).toContain(unlinked);

    await send(`add url:${feeds.url('/server.rss')} incident:${COINCHECK_NEM_2018.id}`);
    expect(await container.guildFeeds.list(GUILD)).toHaveLength(1);
    expect((await ask('status')).text).not.toContain(unlinked);
    expect((await blindSpotsNow(container, config)).map((l) => l.en)).toEqual([]);
  });

  it("/status says when a server's own feed has no channel of that server to post in, until one subscribes", async () => {
    const lonely = '100000000000000077';
    const url = feeds.url('/server.rss');
    await send(`add url:${url}`, MANAGE, lonely);
    const unheard = `feed ${storedFeedId(url)}, added in server ${lonely}: no channel of that server takes news`;
    const spots = async () => (await blindSpotsNow(container, container.config)).map((l) => l.en).join('\n');
    expect(await spots()).toContain(unheard);
    expect((await ask('status')).text).toContain(unheard);

    await container.subscriptions.put({ channelId: '100000000000000078', guildId: lonely, kinds: ['news'] });
    expect(await spots()).not.toContain(unheard);
    // GUILD has its news channel: its own copy of the same URL was never unheard.
    await send(`add url:${url}`);
    expect(await spots()).not.toContain('no channel of that server takes news');
  });

  it("two servers add the same URL: one feed fetched once a run; one server's remove leaves the other's read", async () => {
    const url = feeds.url('/server.rss');
    const id = storedFeedId(url);
    expect((await send(`add url:${url}`)).text).toContain(`Added feed ${id}`);
    expect((await send(`add url:${url}`, MANAGE, OTHER_GUILD)).text).toContain(`Added feed ${id}`);
    let fetched = feeds.count('/server.rss');
    await newsRun();
    expect(feeds.count('/server.rss')).toBe(fetched + 1);

    expect((await send(`remove id:${id}`)).text).toContain('no longer reads it');
    expect(await container.guildFeeds.list(GUILD)).toEqual([]);
    expect((await container.guildFeeds.list(OTHER_GUILD)).map((f) => f.id)).toEqual([id]);
    fetched = feeds.count('/server.rss');
    await newsRun();
    expect(feeds.count('/server.rss')).toBe(fetched + 1);
  });

  it('a feed switched off after failures, then added by another server (its check reads it fine), is read again', async () => {
    let gone = false;
    feeds.route('/flaky.rss', (_req, res) => {
      if (gone) res.writeHead(410).end();
      else res.end(rssFeed('Flaky news', items));
    });
    const url = feeds.url('/flaky.rss');
    const id = storedFeedId(url);
    await send(`add url:${url}`);
    gone = true;
    await newsRun();
    expect((await container.news.feedStates()).get(id)?.disabledAt).toBeDefined();
    const whileOff = feeds.count('/flaky.rss');
    await newsRun();
    expect(feeds.count('/flaky.rss')).toBe(whileOff);

    gone = false;
    expect((await send(`add url:${url}`, MANAGE, OTHER_GUILD)).text).toContain(`Added feed ${id}`);
    const afterAdd = feeds.count('/flaky.rss');
    await newsRun();
    expect(feeds.count('/flaky.rss')).toBe(afterAdd + 1);
    expect((await container.news.feedStates()).get(id)).toMatchObject({ failures: 0, lastOutcome: 'ok' });
    expect((await container.news.feedStates()).get(id)?.disabledAt).toBeUndefined();
  });

  it("lists the config's feeds and this server's; refuses a member without Manage Channels", async () => {
    await send(`add url:${feeds.url('/server.rss')} incident:${COINCHECK_NEM_2018.id}`);
    const { text } = await send('list');
    expect(text).toContain(`• config-feed <${feeds.url('/config.rss')}> (${COINCHECK_NEM_2018.id})`);
    expect(text).toContain(`Added in this server (1/${MAX_FEEDS_PER_GUILD}):`);
    expect(text).toContain(
      `• ${storedFeedId(feeds.url('/server.rss'))} <${feeds.url('/server.rss')}> "Server news" (${COINCHECK_NEM_2018.id})`,
    );
    const refused = await send('list', PermissionFlagsBits.SendMessages);
    expect(refused.text).toContain('Manage Channels');
  });
});
