import { HOUR, ManualClock, MINUTE } from '../../lambdas/domain/clock';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import { computeConsensus, type Quote } from '../../lambdas/domain/consensus';
import { PriceRepo } from '../../lambdas/store/price-repo';
import { Store } from '../../lambdas/store/store';
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

let t: TestStore;
const clock = new ManualClock(T0);

beforeAll(async () => {
  t = await startTestStore(clock);
});
afterAll(async () => {
  await t.close();
});

/** The price job's write: one consensus at the clock's time. */
async function poll(repo: PriceRepo, price: number): Promise<void> {
  const c = computeConsensus([quote(price, clock.now())], clock.now(), DEFAULT_CONFIG.rules, SYMBOL);
  await repo.putConsensus(c, clock.now(), 35);
}

describe('hourly rollups of the consensus (the 7 d / 30 d charts)', () => {
  it("three hours of minute polls: the chart reads one point per hour (the hour's first) plus the current hour's minutes", async () => {
    clock.set(T0);
    const repo = new PriceRepo(t.store, clock);
    for (let i = 0; i < 3 * 60 + 10; i++) {
      await poll(repo, 100 + i);
      clock.advance(MINUTE);
    }
    const now = clock.now() - MINUTE;
    const minutes = await repo.consensusSeries(SYMBOL, T0, now);
    expect(minutes).toHaveLength(190);
    const before = t.store.requests;
    const chart = await repo.chartSeries(SYMBOL, T0, now);
    // Two queries, whatever the range: the rollups and the current hour's minutes.
    expect(t.store.requests - before).toBe(2);
    expect(chart.map((p) => p.price)).toEqual([
      100,
      160,
      220,
      ...minutes.filter((p) => p.at >= T0 + 3 * HOUR).map((p) => p.price),
    ]);
    expect(chart).toHaveLength(3 + 10);
  });

  it('a process that starts mid-hour leaves the hour its first point; the next hour gets its own', async () => {
    clock.set(T0 + 10 * HOUR);
    const first = new PriceRepo(t.store, clock);
    await poll(first, 50);
    clock.advance(20 * MINUTE);
    // A cold Lambda instance: another Store object over the same table.
    const cold = new PriceRepo(new Store(t.store.client, t.store.tableName, clock), clock);
    await poll(cold, 60);
    clock.advance(40 * MINUTE);
    await poll(cold, 70);
    const chart = await cold.chartSeries(SYMBOL, T0 + 10 * HOUR, clock.now());
    expect(chart.map((p) => p.price)).toEqual([50, 70]);
  });

  it('a range with no rollups yet (a store from before them) reads the minute series', async () => {
    const other = 'XEM/USDT';
    clock.set(T0 + 20 * HOUR);
    await t.store.put({
      pk: `PRICE#${other}`,
      sk: new Date(clock.now()).toISOString(),
      at: clock.now(),
      price: 1,
      venues: ['x'],
      symbol: other,
      used: [],
      dropped: [],
    });
    const repo = new PriceRepo(t.store, clock);
    expect((await repo.chartSeries(other, clock.now() - HOUR, clock.now())).map((p) => p.price)).toEqual([1]);
  });
});
