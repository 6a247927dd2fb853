import { setTimeout as sleep } from 'node:timers/promises';
import { createContainer } from '../../lambdas/app/container';
import type { APIEmbed } from 'discord-api-types/v10';
import { PermissionFlagsBits } from 'discord-api-types/v10';
import { buildCommandInteraction, type DevInteractionOptions } from '../../local/dev-client';
import { createFetchFollowUp } from '../../lambdas/discord/followup';
import { Store, type Item, type QueryOptions } from '../../lambdas/store/store';
import { HOUR, ManualClock, MINUTE } from '../../lambdas/domain/clock';
import { COINCHECK_NEM_2018, DEFAULT_CONFIG, type Config } from '../../lambdas/domain/config';
import { MemoryLogger } from '../../lambdas/domain/log';
import {
  handleInteraction,
  type InteractionDeps,
  type InteractionHttpResponse,
} from '../../lambdas/discord/interactions';
import type { DeferredWork } from '../../lambdas/discord/deferred';
import { localInteractions } from '../../local/interactions-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { startFollowUpRecorder, type FollowUpRecorder } from '../support/followup-recorder';
import { quote, seedConsensus, seedNews, seedQuotes } from '../support/interaction-fixtures';
import { generateTestKeys, readDiscordFixture, realVectors, signedHeaders } from '../support/interactions';
import { decodePng } from '../support/png';

interface ReplyJson {
  type: number;
  data?: {
    content?: string;
    embeds?: APIEmbed[];
    flags?: number;
    allowed_mentions?: unknown;
    choices?: unknown[];
  };
}

const NOW = Date.parse('2018-01-26T06:00:00Z'); // 15:00 JST, the afternoon after the hack
const EPHEMERAL = 64;
const MANAGE_CHANNELS = PermissionFlagsBits.ManageChannels;
const PLAIN_MEMBER = PermissionFlagsBits.SendMessages | PermissionFlagsBits.ViewChannel;
const incidentId = COINCHECK_NEM_2018.id;

const clock = new ManualClock(NOW);
const keys = generateTestKeys();
const logger = new MemoryLogger();
let t: TestStore;
let recorder: FollowUpRecorder;
let deps: InteractionDeps;

/** Per deps: the in-process worker's drain and what was handed to it. */
const workers = new WeakMap<InteractionDeps, { drain(): Promise<void>; handed: DeferredWork[] }>();

/** The endpoint's deps with the in-process hand-off to a worker on the same store (as `npm start`). */
function makeDeps(
  overrides: Partial<InteractionDeps> & { config?: Config; store?: Store } = {},
): InteractionDeps {
  const local = localInteractions(
    createContainer({
      config: overrides.config ?? DEFAULT_CONFIG,
      store: overrides.store ?? t.store,
      clock,
      logger,
    }),
    {
      publicKey: keys.publicKeyHex,
      followUp: () => createFetchFollowUp({ apiBase: recorder.apiBase }),
      // Generous: these tests are about answers, not speed; the deferred path has its own test.
      budgetMs: 20_000,
    },
  );
  const d = { ...local.deps, ...overrides };
  workers.set(d, local);
  return d;
}

/** Run the work the endpoint handed off, as the worker would after the response. */
async function runHandedOff(d: InteractionDeps): Promise<DeferredWork[]> {
  const worker = workers.get(d);
  const handed = [...(worker?.handed ?? [])];
  await worker?.drain();
  return handed;
}

beforeAll(async () => {
  t = await startTestStore(clock);
  recorder = await startFollowUpRecorder();
  deps = makeDeps();
  // 24 h of hourly consensus: XEM/JPY from 120 down to 96, XEM/USDT from 1.10 to 0.88.
  await seedConsensus(deps.prices, {
    symbol: 'XEM/JPY',
    now: NOW,
    from: 120,
    to: 96,
    points: 25,
    stepMinutes: 60,
    venues: ['zaif'],
  });
  await seedConsensus(deps.prices, {
    symbol: 'XEM/USDT',
    now: NOW,
    from: 1.1,
    to: 0.88,
    points: 25,
    stepMinutes: 60,
    venues: ['hitbtc', 'htx'],
  });
  await seedQuotes(deps.prices, [
    quote('zaif', 'XEM/JPY', 96, NOW - MINUTE),
    quote('hitbtc', 'XEM/USDT', 0.88, NOW - MINUTE),
    quote('htx', 'XEM/USDT', 0.879, NOW - MINUTE),
  ]);
});

afterAll(async () => {
  await recorder.close();
  await t.close();
});

/** Sign and send one interaction through the real verifier and handler; run the work it handed off. */
async function send(
  interaction: Record<string, unknown> | string,
  d: InteractionDeps = deps,
): Promise<{ res: InteractionHttpResponse; reply: ReplyJson }> {
  const body = typeof interaction === 'string' ? interaction : JSON.stringify(interaction);
  const res = await handleInteraction(
    { headers: signedHeaders(body, keys.privateKey, clock.now()), body },
    d,
  );
  await runHandedOff(d);
  const reply = JSON.parse(res.body) as ReplyJson;
  // Every message answer pings nobody.
  if (reply.type === 4) expect(reply.data?.allowed_mentions).toEqual({ parse: [] });
  return { res, reply };
}

function command(line: string, opts: DevInteractionOptions = {}): Record<string, unknown> {
  return buildCommandInteraction(line.split(' '), opts);
}

/** All text of a message: content, embed titles, descriptions, field names and values, footers. */
function textOf(data: ReplyJson['data'] | Record<string, unknown> | undefined): string {
  if (!data) return '';
  const d = data as ReplyJson['data'] & {};
  const parts = [d.content ?? ''];
  for (const e of d.embeds ?? [])
    parts.push(
      e.title ?? '',
      e.description ?? '',
      ...(e.fields ?? []).flatMap((f) => [f.name, f.value]),
      e.footer?.text ?? '',
    );
  return parts.join('\n');
}

describe('interactions endpoint: verification and protocol', () => {
  it('PING signed with a generated key answers PONG', async () => {
    const { res, reply } = await send(readDiscordFixture('discord-interactions-js/ping.request-body.json'));
    expect(res.statusCode).toBe(200);
    expect(reply).toEqual({ type: 1 });
  });

  it('the real published vector is accepted under its key; the reverted one is refused with 401', async () => {
    const { public_key, cases } = realVectors();
    for (const c of cases) {
      const at = Number(c.headers['X-Signature-Timestamp']);
      const d = { ...makeDeps({ publicKey: public_key }), clock: new ManualClock(at) };
      const res = await handleInteraction({ headers: c.headers, body: c.body }, d);
      expect(res.statusCode).toBe(c.expected_valid ? 200 : 401);
      if (c.expected_valid) expect(JSON.parse(res.body)).toEqual({ type: 1 });
    }
  });

  describe('401 on anything wrong', () => {
    const body = readDiscordFixture('discord-interactions-js/ping.request-body.json');
    const cases: [string, () => Promise<InteractionHttpResponse>][] = [
      ['no signature headers', () => handleInteraction({ headers: {}, body }, deps)],
      [
        'a body changed after signing',
        () =>
          handleInteraction(
            { headers: signedHeaders(body, keys.privateKey, NOW), body: body.replace('1}', '2}') },
            deps,
          ),
      ],
      [
        'a key that is not the application key',
        () =>
          handleInteraction({ headers: signedHeaders(body, generateTestKeys().privateKey, NOW), body }, deps),
      ],
      [
        'a timestamp ten minutes old',
        () =>
          handleInteraction({ headers: signedHeaders(body, keys.privateKey, NOW - 10 * MINUTE), body }, deps),
      ],
      [
        'a signature that is not hex',
        () =>
          handleInteraction(
            {
              headers: { ...signedHeaders(body, keys.privateKey, NOW), 'X-Signature-Ed25519': 'nothex' },
              body,
            },
            deps,
          ),
      ],
      [
        'no public key configured',
        () =>
          handleInteraction(
            { headers: signedHeaders(body, keys.privateKey, NOW), body },
            makeDeps({ publicKey: undefined }),
          ),
      ],
    ];
    it.each(cases)('%s', async (_name, run) => {
      const handedBefore = workers.get(deps)?.handed.length;
      const res = await run();
      expect(res.statusCode).toBe(401);
      // Nothing is handed off for a refused request.
      expect(workers.get(deps)?.handed.length).toBe(handedBefore);
    });
  });

  it("a command this bot does not have (Discord's docs example /cardsearch) gets an ephemeral error", async () => {
    const { res, reply } = await send(
      readDiscordFixture('api-docs/slash-command-interaction.APPLICATION_COMMAND.example.json'),
    );
    expect(res.statusCode).toBe(200);
    expect(reply.type).toBe(4);
    expect(reply.data?.flags).toBe(EPHEMERAL);
    expect(reply.data?.content).toContain('Unknown command /cardsearch');
  });

  it('an interaction without a user (discord-interactions-js test body) gets an ephemeral error, not a 5xx', async () => {
    const { res, reply } = await send(
      readDiscordFixture('discord-interactions-js/application-command.request-body.json'),
    );
    expect(res.statusCode).toBe(200);
    expect(reply.data?.flags).toBe(EPHEMERAL);
  });

  it('components get an ephemeral "not handled"; autocomplete gets an empty choice list', async () => {
    const component = await send(
      readDiscordFixture('discord-interactions-js/message-component.request-body.json'),
    );
    expect(component.reply.type).toBe(4);
    expect(component.reply.data?.flags).toBe(EPHEMERAL);
    const auto = await send(readDiscordFixture('discord-interactions-js/autocomplete.request-body.json'));
    expect(auto.reply).toEqual({ type: 8, data: { choices: [] } });
  });

  it('a store failure becomes an ephemeral error and a log line, never a 5xx', async () => {
    class BrokenStore extends Store {
      override async put(): Promise<boolean> {
        throw new Error('ProvisionedThroughputExceededException: simulated');
      }
    }
    const broken = new BrokenStore(t.store.client, t.store.tableName, clock);
    const { res, reply } = await send(command('status'), makeDeps({ store: broken }));
    expect(res.statusCode).toBe(200);
    expect(reply.data?.flags).toBe(EPHEMERAL);
    expect(reply.data?.content).toContain('went wrong');
    expect(logger.lines.some((l) => l.includes('/status failed') && l.includes('simulated'))).toBe(true);
  });
});

describe('/refund calc', () => {
  it('1000 XEM was refunded at 88,549 JPY and is worth 96,000 JPY at the latest consensus', async () => {
    const { reply } = await send(command('refund calc amount:1000'));
    expect(reply.type).toBe(4);
    expect(reply.data?.flags).toBeUndefined();
    const text = textOf(reply.data);
    expect(text).toContain('1,000 XEM × 88.549 JPY = **88,549 JPY**');
    expect(text).toContain('**96,000 JPY**');
    expect(text).toContain('+8.4%');
  });

  it('answers in Japanese for a Japanese client', async () => {
    const { reply } = await send(command('refund calc amount:1000', { locale: 'ja' }));
    const text = textOf(reply.data);
    expect(text).toContain('返金計算');
    expect(text).toContain('88,549 JPY');
    expect(text).toContain('現在の価値');
  });

  it.each([
    ['amount:0', 'above 0'],
    ['amount:-5', 'above 0'],
    ['amount:abc', 'must be a number'],
    ['amount:600000000', 'at most 523,000,000 XEM'],
    ['amount:1000 incident:mtgox-2014', 'Unknown incident "mtgox-2014"'],
  ])('refuses %s with a clear ephemeral error', async (args, message) => {
    const { reply } = await send(command(`refund calc ${args}`));
    expect(reply.data?.flags).toBe(EPHEMERAL);
    expect(reply.data?.content).toContain(message);
  });
});

describe('/price', () => {
  it('shows consensus, venues, 24 h change and distance from the refund price, then attaches the chart', async () => {
    const before = recorder.edits.length;
    const interaction = command('price');
    const { reply } = await send(interaction);
    expect(reply.type).toBe(4);
    const embed = reply.data?.embeds?.[0];
    const jpy = embed?.fields?.find((f) => f.name === 'XEM/JPY')?.value ?? '';
    expect(jpy).toContain('**96 JPY** (zaif)');
    expect(jpy).toContain('24 h change: -20.0%');
    expect(jpy).toContain('vs refund price 88.549 JPY: +8.4%');
    expect(jpy).toContain('• zaif: 96 JPY');
    const usdt = embed?.fields?.find((f) => f.name === 'XEM/USDT')?.value ?? '';
    expect(usdt).toContain('hitbtc');
    expect(usdt).toContain('htx');

    // The chart follows as an edit of the original response (multipart), after the response.
    expect(recorder.edits.length).toBe(before + 1);
    const edit = recorder.edits[recorder.edits.length - 1];
    expect(edit?.token).toBe(interaction.token);
    expect(edit?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(edit?.payload.attachments).toEqual([{ id: '0', filename: 'chart.png' }]);
    const editedEmbeds = edit?.payload.embeds as APIEmbed[];
    expect(editedEmbeds[0]?.image?.url).toBe('attachment://chart.png');
    expect(edit?.payload.allowed_mentions).toEqual({ parse: [] });
    const file = edit?.files[0];
    expect(file?.name).toBe('chart.png');
    expect(file?.type).toBe('image/png');
    const png = decodePng(file?.data ?? Buffer.alloc(0));
    expect([png.width, png.height]).toEqual([800, 360]);
    const colours = new Set<string>();
    for (let y = 0; y < png.height; y++) colours.add(png.pixel(400, y).join(','));
    expect(colours.size).toBeGreaterThan(2);
  });

  it('answers in Japanese for a Japanese client, with times in JST', async () => {
    const { reply } = await send(command('price', { locale: 'ja' }));
    const text = textOf(reply.data);
    expect(text).toContain('XEM の価格');
    expect(text).toContain('合意価格: **96 JPY** (zaif)');
    expect(text).toContain('24時間変化: -20.0%');
    expect(text).toContain('2018/01/26 14:59 JST');
  });

  it('venue filters the per-venue lines; range 7d charts a week', async () => {
    const { reply } = await send(command('price venue:htx range:7d'));
    const text = textOf(reply.data);
    expect(text).toContain('• htx: 0.879 USDT');
    expect(text).not.toContain('• hitbtc');
    expect(text).not.toContain('XEM/JPY');
    expect(text).toContain('XEM/USDT consensus, 7d');
  });

  it.each([
    ['venue:binance', 'XEM is not watched on "binance"'],
    ['asset:BTC', 'No price source for BTC'],
    ['range:1y', 'range must be one of 24h, 7d, 30d'],
  ])('refuses %s', async (args, message) => {
    const { reply } = await send(command(`price ${args}`));
    expect(reply.data?.flags).toBe(EPHEMERAL);
    expect(reply.data?.content).toContain(message);
  });
});

describe('/news', () => {
  beforeAll(async () => {
    await seedNews(deps.news, incidentId, [
      {
        feedId: 'coinpost',
        title: 'コインチェック、NEM流出で返金方針',
        link: 'https://coinpost.jp/?p=1',
        publishedAt: NOW - 3 * HOUR,
      },
      {
        feedId: 'cointelegraph',
        title: 'Coincheck to refund @everyone hit by NEM hack',
        link: 'https://cointelegraph.com/a',
        publishedAt: NOW - 2 * HOUR,
      },
      {
        feedId: 'coindesk',
        title: 'NEM Foundation tags stolen XEM',
        link: 'https://coindesk.com/b',
        publishedAt: NOW - HOUR,
      },
    ]);
  });

  it('lists the latest matched items, newest first, with untrusted titles neutralised', async () => {
    const { reply } = await send(command('news count:2'));
    const text = textOf(reply.data);
    expect(text.indexOf('NEM Foundation tags stolen XEM')).toBeGreaterThan(-1);
    expect(text.indexOf('NEM Foundation')).toBeLessThan(text.indexOf('Coincheck to refund'));
    expect(text).not.toContain('コインチェック');
    expect(text).toContain('@\u200beveryone');
    expect(text).toContain('<https://coindesk.com/b>');
  });

  it("another server's own feed (/feeds add) stays in that server: /news elsewhere does not list it", async () => {
    const otherGuild = '300000000000000009';
    const { feed } = await deps.guildFeeds.add({
      guildId: otherGuild,
      url: 'http://127.0.0.1:9/other-servers-feed.xml',
      addedBy: 'someone',
    });
    await seedNews(deps.news, incidentId, [
      {
        feedId: feed.id,
        title: 'Only for the server that added it',
        link: 'http://127.0.0.1:9/item',
        publishedAt: NOW - MINUTE,
      },
    ]);
    const here = textOf((await send(command('news count:5'))).reply.data);
    expect(here).toContain('NEM Foundation tags stolen XEM');
    expect(here).not.toContain('Only for the server that added it');
    const there = textOf((await send({ ...command('news count:5'), guild_id: otherGuild })).reply.data);
    expect(there).toContain('Only for the server that added it');
    const dm = textOf((await send(command('news count:5', { dm: true }))).reply.data);
    expect(dm).not.toContain('Only for the server that added it');
  });

  it.each([
    ['count:0', 'count must be a whole number from 1 to 10'],
    ['count:11', 'count must be a whole number from 1 to 10'],
    ['incident:nope', 'Unknown incident "nope"'],
  ])('refuses %s', async (args, message) => {
    const { reply } = await send(command(`news ${args}`));
    expect(reply.data?.flags).toBe(EPHEMERAL);
    expect(reply.data?.content).toContain(message);
  });
});

describe('/refund show and set-stage', () => {
  it('a member without Administrator cannot set the stage, and nothing is recorded', async () => {
    const { reply } = await send(
      command('refund set-stage stage:announced reason:test', { permissions: MANAGE_CHANNELS }),
    );
    expect(reply.data?.flags).toBe(EPHEMERAL);
    expect(reply.data?.content).toContain('Administrator');
    expect(await deps.refunds.history(incidentId)).toEqual([]);
  });

  it.each([
    ['stage:refunded reason:x', 'stage must be one of none, announced'],
    ['stage:paid reason:x evidence:not-a-link', '"not-a-link" is not one'],
  ])('refuses %s', async (args, message) => {
    const { reply } = await send(command(`refund set-stage ${args}`));
    expect(reply.data?.flags).toBe(EPHEMERAL);
    expect(reply.data?.content).toContain(message);
  });

  it('an admin sets the stage with an audit entry; /refund show then shows it with its evidence', async () => {
    const { reply } = await send(
      command(
        'refund set-stage stage:announced reason:Coincheck_press_release evidence:https://corporate.coincheck.com/2018/01/28',
      ),
    );
    expect(reply.data?.flags).toBe(EPHEMERAL);
    expect(reply.data?.content).toContain('none → **announced** (audit entry #1)');
    const history = await deps.refunds.history(incidentId);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ to: 'announced', auto: false, reason: 'Coincheck_press_release' });
    expect(history[0]?.actor).toContain('discord:');

    const show = await send(command('refund show'));
    const text = textOf(show.reply.data);
    expect(show.reply.data?.flags).toBeUndefined();
    expect(text).toContain('88.549 JPY / XEM');
    expect(text).toContain('refund announced');
    expect(text).toContain('<https://corporate.coincheck.com/2018/01/28>');
  });

  it('the same interaction delivered twice changes the stage once', async () => {
    const interaction = command('refund set-stage stage:scheduled reason:payment_date_set');
    const first = await send(interaction);
    const second = await send(interaction);
    expect(first.reply.data?.content).toContain('→ **scheduled**');
    expect(second.reply.data?.content).toContain('already handled');
    const history = await deps.refunds.history(incidentId);
    expect(history.filter((c) => c.to === 'scheduled')).toHaveLength(1);
  });
});

describe('/alerts', () => {
  const channel = (n: number) => `20000000000000000${n}`;
  const inChannel = (line: string, n: number, opts: DevInteractionOptions = {}) => {
    const i = command(line, { permissions: MANAGE_CHANNELS, ...opts });
    return { ...i, channel_id: channel(n), channel: { id: channel(n), type: 0 } };
  };

  it('a member without Manage Channels is refused and nothing is stored', async () => {
    const { reply } = await send(inChannel('alerts subscribe kind:news', 1, { permissions: PLAIN_MEMBER }));
    expect(reply.data?.flags).toBe(EPHEMERAL);
    expect(reply.data?.content).toContain('Manage Channels');
    expect(await deps.subscriptions.get(channel(1))).toBeUndefined();
  });

  it('outside a server the command is refused', async () => {
    const { reply } = await send(command('alerts list', { dm: true }));
    expect(reply.data?.content).toContain('in a server only');
  });

  it.each([
    ['kind:price drop_percent:0', 'drop_percent must be above 0 and below 100 (got 0)'],
    ['kind:price drop_percent:500', 'drop_percent must be above 0 and below 100 (got 500)'],
    ['kind:price drop_percent:5 window_minutes:0', 'window_minutes must be a whole number from 1'],
    ['kind:price window_minutes:60', 'window_minutes needs drop_percent or rise_percent'],
    ['kind:price rise_percent:100', 'rise_percent must be above 0 and below 100 (got 100)'],
    ['kind:news rise_percent:5', 'apply to kind price only'],
    ['kind:news drop_percent:5', 'apply to kind price only'],
    ['kind:weather', 'kind must be one of price, news, refund'],
  ])('refuses subscribe %s', async (args, message) => {
    const { reply } = await send(inChannel(`alerts subscribe ${args}`, 2));
    expect(reply.data?.flags).toBe(EPHEMERAL);
    expect(reply.data?.content).toContain(message);
    expect(await deps.subscriptions.get(channel(2))).toBeUndefined();
  });

  it('subscribe stores kinds and price rules, list shows them, unsubscribe removes them', async () => {
    await send(inChannel('alerts subscribe kind:news', 3));
    const { reply } = await send(
      inChannel('alerts subscribe kind:price drop_percent:5 window_minutes:60 below_reference:true', 3),
    );
    expect(reply.data?.content).toContain('Subscribed.');
    expect(await deps.subscriptions.get(channel(3))).toEqual({
      channelId: channel(3),
      guildId: expect.any(String),
      kinds: ['news', 'price'],
      // The channel keeps the configured defaults it had; these two were among them.
      priceRules: ['drop-5-60', 'drop-10-1440', 'below-ref'],
      language: 'en',
    });
    const list = await send(inChannel('alerts list', 3));
    expect(list.reply.data?.content).toContain('news, price');
    expect(list.reply.data?.content).toContain('drop-5-60, drop-10-1440, below-ref');

    await send(inChannel('alerts unsubscribe kind:price rule:below-ref', 3));
    expect((await deps.subscriptions.get(channel(3)))?.priceRules).toEqual(['drop-5-60', 'drop-10-1440']);
    const missing = await send(inChannel('alerts unsubscribe kind:price rule:drop-9-9', 3));
    expect(missing.reply.data?.content).toContain('no price rule "drop-9-9"');
    await send(inChannel('alerts unsubscribe kind:all', 3));
    expect(await deps.subscriptions.get(channel(3))).toBeUndefined();
    expect((await deps.subscriptions.channelsFor('news')).map((s) => s.channelId)).not.toContain(channel(3));
  });

  it("a channel's own drop rule is stored and the reply says it is checked from the next poll", async () => {
    const { reply } = await send(
      inChannel('alerts subscribe kind:price drop_percent:3 window_minutes:30', 4),
    );
    expect(reply.data?.content).toContain('drop-3-30: checked for this channel from the next price poll.');
    expect(reply.data?.content).not.toContain('Note:');
    // Adding an own rule keeps the defaults; the reply lists what the channel now has.
    expect((await deps.subscriptions.get(channel(4)))?.priceRules).toEqual([
      'drop-5-60',
      'drop-10-1440',
      'below-ref',
      'drop-3-30',
    ]);
    expect(reply.data?.content).toContain('Price rules: drop-5-60, drop-10-1440, below-ref, drop-3-30');
  });

  it('mention_role opts a role in per kind; the reply names it without pinging; @everyone is refused', async () => {
    const role = '300000000000000088';
    const { reply } = await send(inChannel(`alerts subscribe kind:price mention_role:${role}`, 13));
    expect(reply.data?.content).toContain(`Mentions: <@&${role}> (price)`);
    expect(reply.data?.allowed_mentions).toEqual({ parse: [] });
    await send(inChannel(`alerts subscribe kind:refund mention_role:${role}`, 13));
    expect((await deps.subscriptions.get(channel(13)))?.mentionRole).toEqual({
      roleId: role,
      kinds: ['price', 'refund'],
    });
    await send(inChannel('alerts unsubscribe kind:price mention_only:true', 13));
    const after = await deps.subscriptions.get(channel(13));
    expect(after?.kinds).toEqual(['price', 'refund']);
    expect(after?.mentionRole).toEqual({ roleId: role, kinds: ['refund'] });
    await send(inChannel('alerts unsubscribe kind:refund', 13));
    expect((await deps.subscriptions.get(channel(13)))?.mentionRole).toBeUndefined();

    // The @everyone role's id is the guild's id.
    const guildId = '300000000000000005';
    const everyone = await send({
      ...inChannel(`alerts subscribe kind:news mention_role:${guildId}`, 14),
      guild_id: guildId,
    });
    expect(everyone.reply.data?.content).toContain('@everyone cannot be mentioned');
    expect(await deps.subscriptions.get(channel(14))).toBeUndefined();
  });

  it('a rise rule joins the defaults; removing a default leaves the rest and the rise', async () => {
    const { reply } = await send(
      inChannel('alerts subscribe kind:price rise_percent:8 window_minutes:120', 12),
    );
    expect(reply.data?.content).toContain('rise-8-120: checked for this channel from the next price poll.');
    expect(reply.data?.content).toContain('Price rules: drop-5-60, drop-10-1440, below-ref, rise-8-120');
    const removed = await send(inChannel('alerts unsubscribe kind:price rule:drop-10-1440', 12));
    expect(removed.reply.data?.content).toContain('Price rules: drop-5-60, below-ref, rise-8-120');
    expect((await deps.subscriptions.get(channel(12)))?.priceRules).toEqual([
      'drop-5-60',
      'below-ref',
      'rise-8-120',
    ]);
  });

  it('an own rule beyond the bot-wide cap of channel rules is stored with a note that it waits', async () => {
    // Another guild's channel already asks for 50 distinct rules (stored directly, past the per-channel
    // limit); with one channel each, ties go by id and drop-1-* sort before drop-4-30.
    await deps.subscriptions.put({
      channelId: channel(10),
      guildId: '300000000000000002',
      kinds: ['price'],
      priceRules: Array.from({ length: 50 }, (_, i) => `drop-1-${i + 1}`),
    });
    const { reply } = await send(
      inChannel('alerts subscribe kind:price drop_percent:4 window_minutes:30', 11),
    );
    expect(reply.data?.content).toContain('Subscribed.');
    expect(reply.data?.content).toContain('at most 50 channel rules in all');
    expect(reply.data?.content).toContain('drop-4-30 is stored and checked once fewer are in use.');
  });

  it('the per-guild cap refuses one channel more, but a subscribed channel may still change', async () => {
    const capped = makeDeps({ guildSubscriptionCap: 3 });
    const guild = { guild_id: '300000000000000001' };
    const sub = (n: number, kind: string) =>
      send({ ...inChannel(`alerts subscribe kind:${kind}`, n), ...guild }, capped);
    for (const n of [5, 6, 7]) expect((await sub(n, 'news')).reply.data?.content).toContain('Subscribed.');
    const refused = await sub(8, 'news');
    expect(refused.reply.data?.content).toContain('already has 3 subscribed channels');
    expect(await deps.subscriptions.get(channel(8))).toBeUndefined();
    expect((await sub(5, 'refund')).reply.data?.content).toContain('Subscribed.');
  });

  it('the same subscribe delivered twice is stored once and answered "already handled"', async () => {
    const interaction = inChannel('alerts subscribe kind:refund', 9);
    await send(interaction);
    const again = await send(interaction);
    expect(again.reply.data?.content).toContain('already handled');
    expect((await deps.subscriptions.get(channel(9)))?.kinds).toEqual(['refund']);
  });
});

describe('/status', () => {
  it('shows job runs, source and feed health, and pending outbox items, to the caller only', async () => {
    await deps.jobRuns.record('price', NOW - 2 * MINUTE, true, '3 sources, consensus 96 JPY');
    await deps.jobRuns.record('news', NOW - 5 * MINUTE, false, 'coindesk: timeout');
    await deps.prices.recordSourceFailure(
      { sourceId: 'htx:XEM/USDT', exchange: 'htx', symbol: 'XEM/USDT' },
      'transient',
      'RequestTimeout after 10000 ms',
      undefined,
    );
    await deps.news.recordSuccess('coinpost', 'https://coinpost.jp/?feed=rss2', {}, 12);
    await deps.outbox.enqueue('price:XEM/JPY:drop-5-60:2018-01-26T05', '123456789012345678', 'price', {
      content: 'x',
    });
    const { reply } = await send(command('status'));
    expect(reply.data?.flags).toBe(EPHEMERAL);
    const text = textOf(reply.data);
    expect(text).toContain('✅ price');
    expect(text).toContain('❌ news');
    expect(text).toContain('⚠️ htx:XEM/USDT — 1 failures');
    expect(text).toContain('✅ zaif:XEM/JPY');
    expect(text).toContain('✅ coinpost');
    expect(text).toContain('Pending: 1');
  });
});

describe('the 3 s budget', () => {
  /** The network edge made slow: every DynamoDB call waits first. */
  class SlowStore extends Store {
    constructor(
      base: Store,
      private readonly delayMs: number,
    ) {
      super(base.client, base.tableName, clock);
    }
    override async get<T extends Item>(pk: string, sk: string): Promise<T | undefined> {
      await sleep(this.delayMs);
      return super.get<T>(pk, sk);
    }
    override async put(item: Item, opts: { ifAbsent?: boolean } = {}): Promise<boolean> {
      await sleep(this.delayMs);
      return super.put(item, opts);
    }
    override async query<T extends Item>(pk: string, opts: QueryOptions = {}): Promise<T[]> {
      await sleep(this.delayMs);
      return super.query<T>(pk, opts);
    }
  }

  it('a slow store gets a deferred answer (type 5) and one hand-off; the worker edits the original', async () => {
    const slow = makeDeps({ store: new SlowStore(t.store, 150), budgetMs: 50 });
    const before = recorder.edits.length;
    const interaction = command('refund calc amount:1000');
    const body = JSON.stringify(interaction);
    const res = await handleInteraction({ headers: signedHeaders(body, keys.privateKey, NOW), body }, slow);
    expect(JSON.parse(res.body)).toEqual({ type: 5 });
    expect(recorder.edits.length).toBe(before);
    const handed = await runHandedOff(slow);
    expect(handed).toEqual([
      expect.objectContaining({
        version: 1,
        reason: 'deferred',
        interactionId: interaction.id,
        token: interaction.token,
        command: expect.objectContaining({ name: 'refund', sub: 'calc', options: [['amount', 1000]] }),
      }),
    ]);
    expect(recorder.edits.length).toBe(before + 1);
    const edit = recorder.edits[recorder.edits.length - 1];
    expect(edit?.token).toBe(interaction.token);
    expect(edit?.applicationId).toBe(interaction.application_id);
    expect(edit?.contentType).toBe('application/json');
    expect(textOf(edit?.payload)).toContain('**88,549 JPY**');
    expect(edit?.payload.allowed_mentions).toEqual({ parse: [] });
  });

  it('a deferred admin command stays ephemeral (type 5 with the ephemeral flag)', async () => {
    const slow = makeDeps({ store: new SlowStore(t.store, 150), budgetMs: 50 });
    const body = JSON.stringify(command('status'));
    const res = await handleInteraction({ headers: signedHeaders(body, keys.privateKey, NOW), body }, slow);
    expect(JSON.parse(res.body)).toEqual({ type: 5, data: { flags: EPHEMERAL } });
    await runHandedOff(slow);
    expect(textOf(recorder.edits[recorder.edits.length - 1]?.payload)).toContain('Pending');
  });
});
