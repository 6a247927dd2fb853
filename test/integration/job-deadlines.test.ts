import { ManualClock } from '../../lambdas/domain/clock';
import { COINCHECK_NEM_2018, DEFAULT_CONFIG, type Config } from '../../lambdas/domain/config';
import { deadlineFrom } from '../../lambdas/domain/deadline';
import { MemoryLogger } from '../../lambdas/domain/log';
import { createContainer } from '../../lambdas/app/container';
import { runNewsJob } from '../../lambdas/app/jobs/news-job';
import { runPriceJob } from '../../lambdas/app/jobs/price-job';
import { createPriceSources, resetPriceSourceCache } from '../../lambdas/sources/exchanges';
import { startTestStore } from '../../testkit/dynamo';
import { startFeedServer } from '../../testkit/feed-server';
import { rssFeed } from '../support/feed-builders';
import { VENUES, XEM_BTC, steady, withHarness } from '../support/price-harness';

/**
 * Deadlines are real (issue 11): the price and news jobs take a deadline (Lambda's time left less
 * a margin, or locally the interval), start no source or feed after it, and say what they skipped;
 * no retry or wait starts past it, so a run ends within the deadline plus one request's timeout.
 */

describe('price job deadline', () => {
  afterEach(() => resetPriceSourceCache());

  it('a deadline already passed polls no source, records no source as failed, and lists them all as skipped', async () => {
    await withHarness({}, async (h) => {
      await steady(h, 1);
      const before = VENUES.map((id) => h.exchanges.requestCount(id));
      const r = await runPriceJob(h.container, {
        sources: h.sources,
        deadline: deadlineFrom({ budgetMs: 0, marginMs: 0 }),
      });
      expect(r.skipped).toEqual(VENUES.map((id) => `${id}:${XEM_BTC}`));
      expect(VENUES.map((id) => h.exchanges.requestCount(id))).toEqual(before);
      // Not an outage: the runner does not report every source failed, and no health is marked down.
      expect(r.allSourcesFailed).toBe(false);
      expect((await h.repo.sourceHealth()).every((s) => s.consecutiveFailures === 0)).toBe(true);
      expect(r.summary).toContain(`skipped (deadline): ${VENUES.map((id) => `${id}:${XEM_BTC}`).join(', ')}`);
    });
  });

  it('a hanging exchange and a short deadline: one request, no retry past the deadline, done within deadline + one timeout', async () => {
    await withHarness({}, async (h) => {
      await steady(h, 1);
      // A request timeout longer than the deadline, and retries that would otherwise follow it.
      const timeoutMs = 2_000;
      const sources = createPriceSources(h.config.sources, h.logger, {
        timeoutMs,
        retries: 3,
        backoffMs: 10,
        deadlineMs: 60_000,
      });
      await h.exchanges.setMode('binance', 'hang');
      const tickersBefore = h.exchanges.requestCount('binance');
      const budgetMs = 1_000;
      const deadline = deadlineFrom({ budgetMs, marginMs: 0 });
      const r = await runPriceJob(h.container, { sources, deadline });
      const overrunMs = Date.now() - deadline.at;
      expect(h.exchanges.requestCount('binance') - tickersBefore).toBe(1);
      expect(r.sources.find((s) => s.sourceId === `binance:${XEM_BTC}`)).toMatchObject({
        ok: false,
        reason: 'transient',
      });
      expect(r.sources.filter((s) => s.ok).map((s) => s.sourceId)).toEqual([
        `zaif:${XEM_BTC}`,
        `upbit:${XEM_BTC}`,
      ]);
      expect(r.skipped).toEqual([]);
      // Past the deadline by at most the one request's timeout (the store writes after it: a generous bound).
      expect(overrunMs).toBeLessThan(timeoutMs + 10_000);
      // Without the deadline the same exchange would have been asked 4 times (3 retries).
      expect(h.exchanges.requestCount('binance') - tickersBefore).toBeLessThan(4);
    });
  });
});

describe('news job deadline', () => {
  it('feeds not started by the deadline are skipped, listed, and still due next run', async () => {
    const clock = new ManualClock(Date.parse('2018-01-26T06:00:00Z'));
    const t = await startTestStore(clock);
    const server = await startFeedServer();
    // A controlled wall clock for the deadline: the first feeds' answers move it past the deadline.
    let wall = 0;
    const deadline = () => deadlineFrom({ budgetMs: 100, marginMs: 0, now: () => wall });
    const ids = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'];
    for (const id of ids)
      server.route(`/${id}`, (_req, res) => {
        wall = 1_000;
        res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rssFeed(id, []));
      });
    const feeds = ids.map((id) => ({ id, url: server.url(`/${id}`), language: 'en' as const }));
    const config: Config = {
      ...DEFAULT_CONFIG,
      feeds,
      incidents: [{ ...COINCHECK_NEM_2018, feeds: ids }],
    };
    const container = createContainer({ config, store: t.store, clock, logger: new MemoryLogger() });
    try {
      const r = await runNewsJob(container, { deadline: deadline(), options: { concurrency: 2 } });
      // Two fetches started before the deadline (concurrency 2); every later one was skipped.
      expect(r.feedsFetched).toBe(2);
      expect(r.feedsSkipped).toEqual(['f3', 'f4', 'f5', 'f6']);
      expect(ids.map((id) => server.count(`/${id}`))).toEqual([1, 1, 0, 0, 0, 0]);
      expect(r.summary).toContain('skipped (deadline): f3, f4, f5, f6');
      expect(r.errors).toEqual([]);

      // The skipped feeds were not marked fetched: the next run (no deadline) reads them too.
      wall = 0;
      const next = await runNewsJob(container, { options: { concurrency: 2 } });
      expect(next.feedsSkipped).toEqual([]);
      expect(ids.map((id) => server.count(`/${id}`))).toEqual([2, 2, 1, 1, 1, 1]);
    } finally {
      await server.close();
      await t.close();
    }
  });
});
