import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContainer, type Container } from '../../lambdas/app/container';
import { runNewsJob } from '../../lambdas/app/jobs/news-job';
import { runPriceJob } from '../../lambdas/app/jobs/price-job';
import { refundCalc, refundShow } from '../../lambdas/discord/commands/refund';
import { statusCommand } from '../../lambdas/discord/commands/status';
import { Subscriptions } from '../../lambdas/store/subscriptions';
import { CommandError, type ParsedCommand } from '../../lambdas/discord/commands/shared';
import { ManualClock, MINUTE } from '../../lambdas/domain/clock';
import { COINCHECK_NEM_2018, parsePartialConfig, type IncidentConfig } from '../../lambdas/domain/config';
import { MemoryLogger } from '../../lambdas/domain/log';
import { createPriceSources, type PriceSource } from '../../lambdas/sources/exchanges';
import type { OutboxEntry } from '../../lambdas/store/outbox';
import { LoopbackExchanges } from '../../testkit/exchange-server';
import { sendWithValidators, startFeedServer, type FeedServer } from '../../testkit/feed-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { rssFeed } from '../support/feed-builders';

/**
 * Two incidents side by side, from the shipped example config (examples/dmm-bitcoin-2024.json:
 * Coincheck's XEM in JPY with its refund terms, DMM Bitcoin's BTC in JPY with none), through the
 * real price and news jobs (refund stages included) on loopback exchanges and a loopback feed:
 * each incident's messages carry its own facts and nothing of the other's.
 */

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'dmm-bitcoin-2024.json');
const CHANNEL_EN = '300000000000000001';
const CHANNEL_JA = '300000000000000002';
const START = Date.parse('2024-06-03T00:00:00Z');
const DMM = 'dmm-bitcoin-2024';

/** What a DMM message may never say, and what a Coincheck one may never say. */
const COINCHECK_FACTS = [/XEM/, /NEM/, /88[.,]549/, /Coincheck/i, /コインチェック/];
const DMM_FACTS = [/BTC/, /DMM/, /4[.,]?502/, /ビットコイン/];

function exampleIncidents(feedId: string): IncidentConfig[] {
  const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { incidents: unknown[] };
  const config = parsePartialConfig(example);
  return config.incidents.map((i) => ({ ...i, feeds: [feedId] }));
}

function command(
  sub: string,
  options: Record<string, string | number>,
  language: 'en' | 'ja' = 'en',
): ParsedCommand {
  return {
    name: 'refund',
    sub,
    options: new Map(Object.entries(options)),
    language,
    userId: '1',
    userName: 'tester',
  };
}

const text = (e: OutboxEntry) => JSON.stringify(e.payload);

describe('two incidents side by side: Coincheck XEM/JPY and DMM Bitcoin BTC/JPY', () => {
  let clock: ManualClock;
  let t: TestStore;
  let exchanges: LoopbackExchanges;
  let feeds: FeedServer;
  let container: Container;
  let sources: PriceSource[];
  const entries = new Map<string, OutboxEntry>();
  let feedItems = '';
  let feedBody = rssFeed('Crypto news (test)', []);

  const tick = async (xem: number, btc: number) => {
    clock.advance(5 * MINUTE);
    exchanges.setPriceEverywhere('XEM/JPY', xem);
    exchanges.setPriceEverywhere('BTC/JPY', btc);
    const result = await runPriceJob(container, { sources });
    for (const e of await container.outbox.pending()) entries.set(e.id, e);
    return result;
  };

  beforeAll(async () => {
    clock = new ManualClock(START);
    t = await startTestStore(clock);
    exchanges = await LoopbackExchanges.start(clock, ['zaif', 'binance']);
    for (const id of ['zaif', 'binance'] as const) {
      exchanges.setPrice(id, 'XEM/JPY', 100);
      exchanges.setPrice(id, 'BTC/JPY', 10_000_000);
    }
    feeds = await startFeedServer();
    feedItems = rssFeed('Crypto news (test)', [
      {
        title: 'DMMビットコイン、4,502.9BTCが不正流出　約482億円相当',
        link: 'https://news.example/dmm-outflow',
        pubDate: 'Fri, 31 May 2024 08:00:00 GMT',
        description: 'DMM Bitcoinは31日、ビットコインの不正流出を検知したと発表した。',
      },
      {
        title: 'Coincheck NEM hack: holders of stolen XEM to be refunded',
        link: 'https://news.example/coincheck-refund',
        pubDate: 'Sat, 01 Jun 2024 08:00:00 GMT',
        description: 'Coincheck said it will refund NEM holders hit by the 2018 hack.',
      },
      {
        title: 'Bitcoin climbs above $70,000 as ETF inflows continue',
        link: 'https://news.example/btc-price',
        pubDate: 'Sun, 02 Jun 2024 08:00:00 GMT',
        description: 'BTC rose 3 % on the day.',
      },
    ]);
    // The first fetch of a feed is its baseline (nothing posted); the items arrive after it.
    feeds.route('/news.xml', (req, res) => sendWithValidators(req, res, Buffer.from(feedBody)));

    const example = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
    const config = parsePartialConfig({
      ...example,
      sources: ['zaif', 'binance'].flatMap((id) =>
        ['XEM/JPY', 'BTC/JPY'].map((symbol) => ({
          exchange: id,
          symbol,
          urls: exchanges.urls(id as 'zaif' | 'binance'),
        })),
      ),
      channels: [
        { id: CHANNEL_EN, kinds: ['price', 'news', 'refund'], language: 'en' },
        { id: CHANNEL_JA, kinds: ['price', 'news', 'refund'], language: 'ja' },
      ],
      feeds: [{ id: 'news', url: feeds.url('/news.xml') }],
      incidents: exampleIncidents('news'),
    });
    container = createContainer({ config, store: t.store, clock, logger: new MemoryLogger() });
    sources = createPriceSources(config.sources, container.logger, {
      timeoutMs: 2000,
      retries: 1,
      backoffMs: 10,
      deadlineMs: 10_000,
    });
  });

  afterAll(async () => {
    await exchanges.close();
    await feeds.close();
    await t.close();
  });

  it('the example config holds both incidents; only XEM/JPY has a reference (88.549 JPY)', () => {
    const [coincheck, dmm] = container.config.incidents;
    expect(coincheck?.id).toBe(COINCHECK_NEM_2018.id);
    expect(dmm?.id).toBe(DMM);
    expect(dmm?.asset).toBe('BTC');
    expect(dmm?.refund).toBeUndefined();
  });

  it('price job: XEM/JPY crossing 88.549 fires below-ref; BTC/JPY falling 15 % fires a drop and never a reference rule', async () => {
    // 50 minutes of steady prices: enough samples for the 1 h drop rule to speak (not the 24 h one).
    for (let i = 0; i < 11; i++) await tick(100, 10_000_000);
    const fall = await tick(85, 8_500_000);
    const fired = fall.alerts.map((a) => `${a.symbol} ${a.rule}`).sort();
    expect(fired).toEqual(['BTC/JPY drop', 'XEM/JPY below-ref', 'XEM/JPY drop']);
    const btc = fall.alerts.filter((a) => a.symbol === 'BTC/JPY');
    expect(btc.every((a) => a.referencePrice === undefined)).toBe(true);
    expect(Object.keys(await container.prices.ruleStates('BTC/JPY'))).not.toContain('below-ref');

    const price = [...entries.values()].filter((e) => e.kind === 'price');
    const btcMessages = price.filter((e) => e.messageKey.startsWith('price:BTC/JPY'));
    const xemMessages = price.filter((e) => e.messageKey.startsWith('price:XEM/JPY'));
    // One grouped drop message and, for XEM, one below-ref message, in each of the two channels.
    expect(btcMessages).toHaveLength(2);
    expect(xemMessages).toHaveLength(4);
    for (const e of btcMessages) for (const fact of COINCHECK_FACTS) expect(text(e)).not.toMatch(fact);
    for (const e of xemMessages) for (const fact of DMM_FACTS) expect(text(e)).not.toMatch(fact);
    expect(xemMessages.some((e) => /88[.,]549/.test(text(e)))).toBe(true);
  });

  it('news job: each item goes to its own incident, a general Bitcoin article to none', async () => {
    const baseline = await runNewsJob(container);
    expect(baseline.errors).toEqual([]);
    clock.advance(10 * MINUTE);
    feedBody = feedItems;
    const result = await runNewsJob(container);
    expect(result.errors).toEqual([]);
    expect(result.newsPosted).toBe(2);
    for (const e of await container.outbox.pending()) entries.set(e.id, e);
    const news = [...entries.values()].filter((e) => e.kind === 'news');
    const about = (link: string) => news.filter((e) => text(e).includes(link));
    const dmm = about('news.example/dmm-outflow');
    const coincheck = about('news.example/coincheck-refund');
    expect(dmm).toHaveLength(2);
    expect(coincheck).toHaveLength(2);
    expect(about('news.example/btc-price')).toEqual([]);
    for (const e of dmm) {
      expect(text(e)).toMatch(/DMM Bitcoin/);
      for (const fact of [/Coincheck/i, /コインチェック/, /88[.,]549/]) expect(text(e)).not.toMatch(fact);
    }
    for (const e of coincheck) {
      expect(text(e)).toMatch(/Coincheck|コインチェック/);
      expect(text(e)).not.toMatch(/DMM/);
    }
  });

  it("refund stages: whatever moves, moves for its own incident only and never shows the other's rate", async () => {
    const refund = [...entries.values()].filter((e) => e.kind === 'refund');
    // "will refund NEM holders" announces Coincheck's refund: posted in both channels.
    expect(refund.map((e) => e.messageKey.split(':')[1])).toEqual([
      COINCHECK_NEM_2018.id,
      COINCHECK_NEM_2018.id,
    ]);
    for (const e of refund) {
      const ofDmm = e.messageKey.startsWith(`refund:${DMM}:`);
      for (const fact of ofDmm ? COINCHECK_FACTS : DMM_FACTS) expect(text(e)).not.toMatch(fact);
    }
    const dmmRecord = await container.refunds.get(DMM);
    expect(dmmRecord.rate).toBeUndefined();
  });

  it('/refund show for the incident with no terms says none were announced; /refund calc refuses to guess', async () => {
    const deps = { ...container, attachments: 'render' as const };
    const shown = await refundShow(command('show', { incident: DMM }), deps);
    const embed = JSON.stringify(shown.data);
    expect(embed).toContain('No refund terms announced yet');
    expect(embed).not.toMatch(/88[.,]549/);
    const shownJa = JSON.stringify((await refundShow(command('show', { incident: DMM }, 'ja'), deps)).data);
    expect(shownJa).toContain('返金条件はまだ発表されていません');
    await expect(refundCalc(command('calc', { incident: DMM, amount: 1 }), deps)).rejects.toThrow(
      CommandError,
    );
    const coincheck = JSON.stringify((await refundShow(command('show', {}), deps)).data);
    expect(coincheck).toMatch(/88[.,]549 JPY \/ XEM/);
  });

  it('/status says, one line each, what nobody will see: BTC/JPY has no reference; with no channel, that too', async () => {
    const deps = { ...container, attachments: 'render' as const };
    const status = (language: 'en' | 'ja', d = deps) =>
      statusCommand({ ...command('status', {}, language), name: 'status' }, d).then((r) =>
        JSON.stringify(r.data),
      );
    const en = await status('en');
    expect(en).toContain('⚠️ series BTC/JPY has no reference price: no below-reference alert');
    expect(en).not.toContain('no channel subscribed');
    expect(await status('ja')).toContain('⚠️ BTC/JPY には基準価格がありません');
    const unsubscribed = {
      ...deps,
      config: { ...container.config, channels: [] },
      subscriptions: new Subscriptions(container.store, clock, []),
    };
    expect(await status('en', unsubscribed)).toContain('⚠️ no channel subscribed');
  });
});
