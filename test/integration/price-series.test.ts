import { ManualClock, MINUTE } from '../../lambdas/domain/clock';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import type { Quote } from '../../lambdas/domain/consensus';
import { computeConsensus } from '../../lambdas/domain/consensus';
import { PriceRepo } from '../../lambdas/store/price-repo';
import { Store } from '../../lambdas/store/store';
import { startTestStore } from '../../testkit/dynamo';

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
});
