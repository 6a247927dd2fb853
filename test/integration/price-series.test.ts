import { DAY, ManualClock, MINUTE } from '../../lambdas/domain/clock';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import type { Quote } from '../../lambdas/domain/consensus';
import { computeConsensus } from '../../lambdas/domain/consensus';
import { PriceRepo } from '../../lambdas/store/price-repo';
import { Store, dynamoClient } from '../../lambdas/store/store';
import { startTestStore, type TestStore } from '../../testkit/dynamo';

const T0 = Date.parse('2018-01-26T00:00:00Z');
const SYMBOL = 'XEM/JPY';

function quote(price: number, at: number): Quote {
  return {
    sourceId: `zaif:${SYMBOL}`,
    exchange: 'zaif',
    symbol: SYMBOL,
    price,
    timestamp: at,
    fetchedAt: at,
  };
}

describe('stored consensus series', () => {
  it("a warm reader's incremental series equals a cold full read, a rewrite of the newest point included", async () => {
    const clock = new ManualClock(T0);
    const t = await startTestStore(clock);
    try {
      const warm = new PriceRepo(t.store, clock);
      const put = async (price: number) => {
        const c = computeConsensus([quote(price, clock.now())], clock.now(), DEFAULT_CONFIG.rules, SYMBOL);
        await warm.putConsensus(c, clock.now(), 35);
      };
      const window = 60 * MINUTE;
      for (let i = 0; i < 90; i++) {
        await put(100 + (i % 7));
        await warm.consensusSeries(SYMBOL, clock.now() - window, clock.now());
        clock.advance(MINUTE);
      }
      // A re-run at the same time rewrites the newest point; the warm reader sees the rewrite.
      clock.advance(-MINUTE);
      await put(42);
      const warmSeries = await warm.consensusSeries(SYMBOL, clock.now() - window, clock.now());
      // A cold reader: the same table through a new client, so nothing is cached for it.
      const cold = new PriceRepo(new Store(t.store.client, t.store.tableName, clock), clock);
      const coldSeries = await cold.consensusSeries(SYMBOL, clock.now() - window, clock.now());
      expect(warmSeries).toEqual(coldSeries);
      expect(warmSeries).toHaveLength(61);
      expect(warmSeries.at(-1)?.price).toBe(42);
    } finally {
      await t.close();
    }
  });

  it('the writer reads back neither the point it has just written nor the health it wrote, and sees what a cold reader sees', async () => {
    const clock = new ManualClock(T0);
    const t = await startTestStore(clock);
    try {
      const writer = new PriceRepo(t.store, clock);
      const window = 60 * MINUTE;
      const poll = async (price: number) => {
        const q = quote(price, clock.now());
        const health = new Map((await writer.sourceHealth({ ownWrites: true })).map((h) => [h.sourceId, h]));
        await writer.recordPoll([{ ok: true, quote: q }], health, 35);
        const c = computeConsensus([q], clock.now(), DEFAULT_CONFIG.rules, SYMBOL);
        await writer.putConsensus(c, clock.now(), 35);
        return writer.consensusSeries(SYMBOL, clock.now() - window, clock.now());
      };
      for (let i = 0; i < 5; i++) {
        await poll(100 + i);
        clock.advance(MINUTE);
      }
      const before = t.store.requests;
      const series = await poll(120);
      // One batch (sample, latest quote, health) and the consensus put: no read at all.
      expect(t.store.requests - before).toBe(2);
      const cold = new PriceRepo(new Store(t.store.client, t.store.tableName, clock), clock);
      expect(series).toEqual(await cold.consensusSeries(SYMBOL, clock.now() - window, clock.now()));
      expect(series.map((p) => p.price)).toEqual([100, 101, 102, 103, 104, 120]);
      expect(await writer.sourceHealth({ ownWrites: true })).toEqual(await cold.sourceHealth());
      expect((await cold.sourceHealth())[0]).toMatchObject({ lastPrice: 120, consecutiveFailures: 0 });
    } finally {
      await t.close();
    }
  });

  describe("the day's first point (/price's 24 h change)", () => {
    const clients: Store['client'][] = [];
    afterEach(() => clients.splice(0).forEach((c) => c.destroy()));
    /** The same table as another process sees it: its own client, request counter and caches. */
    const otherProcess = (t: TestStore, clock: ManualClock) => {
      const client = dynamoClient(t.dynamo.endpoint);
      clients.push(client);
      return new Store(client, t.store.tableName, clock);
    };

    /** A poll's consensus at `at`: a price, or none (a poll without consensus). */
    const putAt = (repo: PriceRepo, at: number, price: number | undefined) =>
      repo.putConsensus(
        { symbol: SYMBOL, price, used: price === undefined ? [] : [quote(price, at)], dropped: [] },
        at,
        35,
      );

    it('a warm reader answers from its last read until the window passes it, and always as a cold read does', async () => {
      const clock = new ManualClock(T0);
      const t = await startTestStore(clock);
      try {
        // 25 h of 10-minute polls, every seventh without consensus, written by the price job.
        const writer = new PriceRepo(otherProcess(t, clock), clock);
        for (let at = T0 - 25 * 60 * MINUTE, i = 0; at <= T0; at += 10 * MINUTE, i++)
          await putAt(writer, at, i % 7 === 3 ? undefined : 100 + i);
        const warm = new PriceRepo(t.store, clock);
        const before = t.store.requests;
        for (let step = 0; step < 40; step++) {
          const now = clock.now();
          const cold = new PriceRepo(otherProcess(t, clock), clock);
          const expected = await cold.firstConsensusSince(SYMBOL, now - DAY, now);
          expect(expected).toBeDefined();
          expect(await warm.firstConsensusSince(SYMBOL, now - DAY, now)).toEqual(expected);
          clock.advance(10 * MINUTE);
          // The job goes on writing new polls; none of them is that old.
          await putAt(writer, clock.now(), 200 + step);
        }
        // One read of 30 items (300 minutes of polls) per 30 steps, not one per step.
        expect(t.store.requests - before).toBe(2);
      } finally {
        await t.close();
      }
    });

    it('a first point younger than an hour is read again: a re-run that rewrote it is seen', async () => {
      const clock = new ManualClock(T0);
      const t = await startTestStore(clock);
      try {
        // A new deployment: its first poll 20 minutes ago.
        const writer = new PriceRepo(otherProcess(t, clock), clock);
        await putAt(writer, T0 - 20 * MINUTE, 100);
        await putAt(writer, T0 - 10 * MINUTE, 101);
        const reader = new PriceRepo(t.store, clock);
        expect((await reader.firstConsensusSince(SYMBOL, T0 - DAY, T0))?.price).toBe(100);
        // A re-run of that poll (another process) rewrites its point.
        await putAt(writer, T0 - 20 * MINUTE, 99);
        clock.advance(MINUTE);
        expect((await reader.firstConsensusSince(SYMBOL, clock.now() - DAY, clock.now()))?.price).toBe(99);
      } finally {
        await t.close();
      }
    });

    it("this process's own write of an older point is seen by its next read of the day's first point", async () => {
      const clock = new ManualClock(T0);
      const t = await startTestStore(clock);
      try {
        const repo = new PriceRepo(t.store, clock);
        for (let at = T0 - 25 * 60 * MINUTE; at <= T0; at += 10 * MINUTE) await putAt(repo, at, 100);
        const first = await repo.firstConsensusSince(SYMBOL, T0 - DAY, T0);
        expect(first?.price).toBe(100);
        // The same process rewrites that point (a replay going back over its range).
        await putAt(repo, first?.at ?? 0, 77);
        expect((await repo.firstConsensusSince(SYMBOL, T0 - DAY, T0))?.price).toBe(77);
      } finally {
        await t.close();
      }
    });

    it('the latest consensus is a one-item read; after polls without consensus, a second read finds the last price', async () => {
      const clock = new ManualClock(T0);
      const t = await startTestStore(clock);
      try {
        const repo = new PriceRepo(t.store, clock);
        expect(await repo.latestConsensus(SYMBOL)).toBeUndefined();
        await putAt(repo, T0 - 3 * MINUTE, 100);
        await putAt(repo, T0 - 2 * MINUTE, 101);
        let before = t.store.requests;
        expect(await repo.latestConsensus(SYMBOL)).toMatchObject({ at: T0 - 2 * MINUTE, price: 101 });
        expect(t.store.requests - before).toBe(1);
        await putAt(repo, T0 - MINUTE, undefined);
        await putAt(repo, T0, undefined);
        before = t.store.requests;
        expect(await repo.latestConsensus(SYMBOL)).toMatchObject({ at: T0 - 2 * MINUTE, price: 101 });
        expect(t.store.requests - before).toBe(2);
      } finally {
        await t.close();
      }
    });
  });
});
