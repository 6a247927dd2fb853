import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetPriceSourceCache } from '../../lambdas/sources/exchanges';
import { Store, ttlAfter } from '../../lambdas/store/store';
import { createContainer } from '../../lambdas/app/container';
import { queriesOf, recordRequests } from '../support/store-requests';
import { JobRuns } from '../../lambdas/store/job-runs';
import { MINUTE } from '../../lambdas/domain/clock';
import { runPriceJob } from '../../lambdas/app/jobs/price-job';
import {
  BASE,
  EN_CHANNEL,
  JA_CHANNEL,
  NEWS_ONLY,
  START,
  VENUES,
  XEM_BTC,
  pendingFor,
  setAll,
  steady,
  withHarness,
} from '../support/price-harness';

/** The price job end to end, on the harness in test/support/price-harness.ts. */

describe('price job on loopback exchanges and dynalite', () => {
  afterEach(() => resetPriceSourceCache());

  it('a 12 % drop within an hour puts one alert in the outbox for each subscribed price channel, though two rules fired', async () => {
    await withHarness({}, async (h) => {
      await steady(h, 5);
      setAll(h, BASE * 0.88);
      const fired = await h.tick();
      expect(fired.alerts.map((a) => a.ruleId)).toEqual(['drop-5-60', 'drop-10-1440']);
      expect(fired.summary).toContain('fired: XEM/BTC drop-5-60, XEM/BTC drop-10-1440 (2 queued)');
      const pending = await pendingFor(h);
      // One fall, one message per channel: the 1 h rule's, the 24 h rule only enters its cooldown.
      expect(pending).toHaveLength(2);
      const drop5 = pending.filter((e) => e.messageKey.includes(':drop-5-60:'));
      expect(drop5.map((e) => e.channelId).sort()).toEqual([JA_CHANNEL, EN_CHANNEL]);
      expect(pending.some((e) => e.channelId === NEWS_ONLY)).toBe(false);
      expect(drop5[0]?.messageKey).toBe('price:XEM/BTC:drop-5-60:2018-01-26T00:06:00.000Z');
      const titles = drop5.map((e) => e.payload.embeds?.[0]?.title).sort();
      expect(titles).toEqual(['XEM price drop: -12.0% in 1 h', 'XEM 価格下落: 1時間で -12.0%']);
      expect(drop5[0]?.payload.allowed_mentions).toEqual({ parse: [] });
      // Staying down does not repeat the alert.
      await h.tick();
      await h.tick();
      expect(await pendingFor(h)).toHaveLength(2);
    });
  });

  it('one exchange down and the alert still comes from the others', async () => {
    await withHarness({}, async (h) => {
      await steady(h, 3);
      await h.exchanges.setMode('binance', 'refuse');
      setAll(h, BASE * 0.88, ['zaif', 'upbit']);
      const r = await h.tick();
      expect(r.sources.find((s) => s.sourceId === 'binance:XEM/BTC')).toMatchObject({
        ok: false,
        reason: 'offline',
      });
      expect(r.summary).toContain('sources 2/3 ok (failed: binance:XEM/BTC offline)');
      expect(r.allSourcesFailed).toBe(false);
      const drop = r.alerts.find((a) => a.ruleId === 'drop-5-60');
      expect(drop?.venues).toEqual(['zaif', 'upbit']);
      expect((await pendingFor(h)).filter((e) => e.messageKey.includes(':drop-5-60:'))).toHaveLength(2);
      expect(
        h.logger.lines.filter((l) => l.includes('binance:XEM/BTC') && l.includes('offline')),
      ).toHaveLength(1);
      const health = (await h.repo.sourceHealth()).find((s) => s.sourceId === 'binance:XEM/BTC');
      expect(health).toMatchObject({
        consecutiveFailures: 1,
        lastErrorReason: 'offline',
        marketMissing: false,
      });
    });
  });

  it('an exchange answering 503 or hanging is retried within bounds and the others go on', async () => {
    await withHarness({}, async (h) => {
      await h.exchanges.setMode('upbit', 'error503');
      await h.exchanges.setMode('binance', 'hang');
      const r = await h.tick();
      expect(r.sources.find((s) => s.sourceId === 'upbit:XEM/BTC')?.reason).toBe('transient');
      expect(r.sources.find((s) => s.sourceId === 'binance:XEM/BTC')?.error).toMatch(/RequestTimeout/);
      // First attempt plus one retry each.
      expect(h.exchanges.requestCount('upbit', '/v1/market/all')).toBe(2);
      expect(h.exchanges.requestCount('binance', '/api/v3/exchangeInfo')).toBe(2);
      expect(r.symbols[0]).toMatchObject({ symbol: XEM_BTC, price: BASE, venues: ['zaif'] });
      await h.exchanges.setMode('upbit', 'up');
      await h.exchanges.setMode('binance', 'up');
      const back = await h.tick();
      expect(back.sources.every((s) => s.ok)).toBe(true);
    });
  });

  it('one exchange returning a wild outlier gives no alert', async () => {
    await withHarness({}, async (h) => {
      await steady(h, 3);
      h.exchanges.setPrice('upbit', XEM_BTC, BASE * 0.1);
      for (let i = 0; i < 3; i++) {
        const r = await h.tick();
        expect(r.alerts).toEqual([]);
        expect(r.symbols[0]?.price).toBe(BASE);
        expect(r.symbols[0]?.dropped.map((d) => d.sourceId)).toEqual(['upbit:XEM/BTC']);
      }
      expect(await pendingFor(h)).toEqual([]);
      const latest = await h.repo.latestConsensus(XEM_BTC);
      expect(latest?.venues).toEqual(['zaif', 'binance']);
      expect(latest?.dropped[0]?.reason).toMatch(/^outlier: 90% from the median of the others/);
    });
  });

  it('a bad ticker (last price 0) is rejected with its reason and never makes an alert', async () => {
    await withHarness({}, async (h) => {
      await steady(h, 3);
      h.exchanges.setPrice('binance', XEM_BTC, 0);
      const r = await h.tick();
      expect(r.sources.find((s) => s.sourceId === 'binance:XEM/BTC')).toMatchObject({
        ok: false,
        reason: 'bad-ticker',
        // ccxt's safeTicker already turns a zero last price into undefined.
        error: 'binance:XEM/BTC: bad ticker: no last price',
      });
      expect(r.alerts).toEqual([]);
      expect(r.symbols[0]).toMatchObject({ price: BASE, venues: ['zaif', 'upbit'] });
    });
  });

  it('a wobble around the threshold alerts once', async () => {
    await withHarness({}, async (h) => {
      await steady(h, 3);
      for (const factor of [0.949, 0.951, 0.948, 0.952, 0.947, 0.953, 0.949]) {
        setAll(h, BASE * factor);
        await h.tick();
      }
      const pending = await pendingFor(h);
      expect(pending.map((e) => e.messageKey)).toEqual([
        'price:XEM/BTC:drop-5-60:2018-01-26T00:04:00.000Z',
        'price:XEM/BTC:drop-5-60:2018-01-26T00:04:00.000Z',
      ]);
    });
  });

  it('a restart keeps the series and the cooldowns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'goxwatch-price-'));
    try {
      await withHarness({ dataDir: dir }, async (h) => {
        await steady(h, 3);
        await h.restart();
        // The high from before the restart is still in the stored series.
        setAll(h, BASE * 0.93);
        const r = await h.tick();
        expect(r.alerts.map((a) => a.ruleId)).toEqual(['drop-5-60']);
        await h.restart();
        // Recover (re-arms through hysteresis), then drop again 5 minutes later: inside the cooldown.
        setAll(h, BASE);
        await h.tick();
        expect((await h.repo.latestConsensus(XEM_BTC))?.price).toBe(BASE);
        await h.restart();
        setAll(h, BASE * 0.93);
        const again = await h.tick();
        expect(again.alerts).toEqual([]);
        expect(await pendingFor(h)).toHaveLength(2);
        const series = await h.repo.consensusSeries(XEM_BTC, START, h.clock.now());
        expect(series).toHaveLength(6);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a delisted market is reported once and the other sources go on', async () => {
    await withHarness({ withJpy: true }, async (h) => {
      h.exchanges.delist('upbit', XEM_BTC);
      const results = [await h.tick(), await h.tick(), await h.tick()];
      const reports = h.logger.lines.filter((l) => l.includes('upbit:XEM/BTC'));
      expect(reports).toEqual([
        'price source upbit:XEM/BTC: market XEM/BTC not listed on upbit (delisted or renamed); this source is skipped until restart',
      ]);
      for (const r of results) {
        expect(r.sources.filter((s) => s.ok).map((s) => s.sourceId)).toEqual([
          'zaif:XEM/JPY',
          'zaif:XEM/BTC',
          'binance:XEM/BTC',
        ]);
        expect(r.summary).toContain('upbit:XEM/BTC market missing');
      }
      expect(h.exchanges.requestCount('upbit', '/v1/ticker')).toBe(0);
      expect(h.exchanges.requestCount('upbit', '/v1/market/all')).toBe(1);
      const health = (await h.repo.sourceHealth()).find((s) => s.sourceId === 'upbit:XEM/BTC');
      expect(health).toMatchObject({ marketMissing: true, consecutiveFailures: 3 });
    });
  });

  it('a steady-state poll costs one ticker request per source', async () => {
    await withHarness({ withJpy: true }, async (h) => {
      await h.tick();
      h.exchanges.resetCounts();
      const r = await h.tick();
      expect(r.sources.every((s) => s.ok)).toBe(true);
      expect([...h.exchanges.requestPaths('zaif')].sort()).toEqual([
        ['/api/1/ticker/xem_btc', 1],
        ['/api/1/ticker/xem_jpy', 1],
      ]);
      expect([...h.exchanges.requestPaths('binance')]).toEqual([['/api/v3/ticker/24hr', 1]]);
      expect([...h.exchanges.requestPaths('upbit')]).toEqual([['/v1/ticker', 1]]);
      expect(r.summary).toBe(
        'price 2018-01-26T00:02Z: sources 4/4 ok; XEM/JPY 120 (zaif); XEM/BTC 0.0001 (zaif+binance+upbit); no rule fired',
      );
    });
  });

  it('the /price and /status reads see the consensus, latest quotes, samples with a TTL and source health', async () => {
    await withHarness({ withJpy: true }, async (h) => {
      await h.tick();
      h.exchanges.setPrice('binance', XEM_BTC, BASE * 1.02);
      await h.tick();
      const latest = await h.repo.latestConsensus(XEM_BTC);
      expect(latest).toMatchObject({
        at: h.clock.now(),
        price: BASE,
        venues: ['zaif', 'binance', 'upbit'],
        dropped: [],
      });
      expect(latest?.used.map((u) => u.sourceId)).toEqual([
        'zaif:XEM/BTC',
        'binance:XEM/BTC',
        'upbit:XEM/BTC',
      ]);
      expect((await h.repo.consensusSeries(XEM_BTC, START, h.clock.now())).map((p) => p.price)).toEqual([
        BASE,
        BASE,
      ]);
      const quotes = await h.repo.latestQuotes(XEM_BTC);
      expect(quotes.find((q) => q.exchange === 'binance')?.price).toBeCloseTo(BASE * 1.02, 12);
      expect(quotes).toHaveLength(3);
      const samples = await h.db.store.query(`PRICE#SAMPLE#${XEM_BTC}`);
      expect(samples).toHaveLength(6);
      expect(samples[0]?.expiresAt).toBe(ttlAfter(START + MINUTE, h.config.rules.sampleRetentionDays));
      const health = await h.repo.sourceHealth();
      expect(health.map((s) => [s.sourceId, s.consecutiveFailures, s.lastOkAt])).toEqual(
        expect.arrayContaining([['zaif:XEM/JPY', 0, h.clock.now()]]),
      );
      expect(health).toHaveLength(4);
    });
  });

  it('the same cycle run twice adds no second outbox entry', async () => {
    await withHarness({}, async (h) => {
      await steady(h, 3);
      setAll(h, BASE * 0.88);
      const first = await h.tick();
      expect(first.enqueued).toBe(2);
      const again = await h.cycle();
      expect(again.enqueued).toBe(0);
      // Even when the rule state was lost between enqueueing and saving it (a crash), the key is the
      // same: the process that runs next (its own store object, nothing remembered) reads the store.
      await h.db.store.delete(`PRICE#RULES#${XEM_BTC}`, 'drop-5-60');
      const next = new Store(h.db.store.client, h.db.store.tableName, h.clock);
      const restarted = createContainer({ config: h.config, store: next, clock: h.clock, logger: h.logger });
      const afterCrash = await runPriceJob(restarted, { sources: h.sources });
      expect(afterCrash.alerts.map((a) => a.ruleId)).toEqual(['drop-5-60']);
      expect(afterCrash.enqueued).toBe(0);
      expect(await pendingFor(h)).toHaveLength(2);
    });
  });

  it("a poll's samples, source health and consensus are one write", async () => {
    await withHarness({}, async (h) => {
      await steady(h, 1);
      const sent = recordRequests(h.db.store);
      await steady(h, 1);
      const consensusWrites = sent.filter((q) => q.pks.includes(`PRICE#${XEM_BTC}`));
      expect(consensusWrites).toEqual([
        {
          command: 'BatchWriteItem',
          pks: expect.arrayContaining([`PRICE#SAMPLE#${XEM_BTC}`, 'PRICE#HEALTH', `PRICE#${XEM_BTC}`]),
        },
      ]);
      expect(sent.filter((q) => q.command === 'BatchWriteItem')).toHaveLength(1);
    });
  });

  it("a process reads a symbol's rule states once; each poll after starts from what the last one saved", async () => {
    await withHarness({}, async (h) => {
      const sent = recordRequests(h.db.store);
      await steady(h, 3);
      setAll(h, BASE * 0.93);
      expect((await h.tick()).alerts.map((a) => a.ruleId)).toEqual(['drop-5-60']);
      // Still down: the saved state (fired, in its episode) holds the rule back.
      expect((await h.tick()).alerts).toEqual([]);
      expect(queriesOf(sent, `PRICE#RULES#${XEM_BTC}`)).toBe(1);
    });
  });

  it('a failed enqueue keeps the rule armed, and the next poll puts the alert in the outbox', async () => {
    await withHarness({}, async (h) => {
      await steady(h, 3);
      setAll(h, BASE * 0.93);
      h.clock.advance(MINUTE);
      const failed = await runPriceJob(
        { ...h.container, enqueue: () => Promise.reject(new Error('store unavailable')) },
        { sources: h.sources },
      );
      expect(failed.errors).toEqual([
        'enqueueing price:XEM/BTC:drop-5-60:2018-01-26T00:04:00.000Z: Error: store unavailable',
      ]);
      expect(failed.summary).toContain('1 error(s)');
      const retried = await h.tick();
      expect(retried.enqueued).toBe(2);
      expect((await pendingFor(h)).map((e) => e.messageKey)).toEqual([
        'price:XEM/BTC:drop-5-60:2018-01-26T00:04:00.000Z',
        'price:XEM/BTC:drop-5-60:2018-01-26T00:04:00.000Z',
      ]);
    });
  });

  it('every exchange offline says so once per source and marks the cycle as all failed', async () => {
    await withHarness({}, async (h) => {
      for (const id of VENUES) await h.exchanges.setMode(id, 'refuse');
      const r = await h.tick();
      expect(r.allSourcesFailed).toBe(true);
      expect(r.symbols[0]).toMatchObject({ symbol: XEM_BTC, price: undefined });
      expect(h.logger.lines.filter((l) => l.includes('offline, cannot reach the exchange'))).toHaveLength(3);
      const runs = await new JobRuns(h.db.store, h.clock).last();
      expect(runs.find((j) => j.job === 'price')).toMatchObject({ ok: false, summary: r.summary });
    });
  });
});
