import { MINUTE } from '../../lambdas/domain/clock';
import { resetPriceSourceCache } from '../../lambdas/sources/exchanges';
import { runPriceJob } from '../../lambdas/app/jobs/price-job';
import { BASE, START, XEM_BTC, pendingFor, setAll, steady, withHarness } from '../support/price-harness';

/**
 * No crash from one venue: a lone venue's jump beyond the suspect factor (×3) is held until a second
 * venue or three polls confirm it; while held it neither moves the high nor fires a rule.
 */

afterEach(() => resetPriceSourceCache());

describe('suspect single-venue quotes', () => {
  it('one venue quoting 100,000 × for two polls never becomes the high, and its return posts no drop', async () => {
    await withHarness({}, async (h) => {
      await steady(h, 3);
      await h.exchanges.setMode('binance', 'error500');
      await h.exchanges.setMode('upbit', 'error500');
      setAll(h, BASE * 100_000, ['zaif']);
      for (let i = 0; i < 2; i++) {
        const r = await h.tick();
        expect(r.symbols[0]?.price).toBeUndefined();
        expect(r.symbols[0]?.dropped.map((d) => d.reason).join()).toContain(
          'suspect: zaif alone moved 100000×',
        );
        expect(r.alerts).toEqual([]);
      }
      await h.exchanges.setMode('binance', 'up');
      await h.exchanges.setMode('upbit', 'up');
      setAll(h, BASE);
      const back = await h.tick();
      expect(back.alerts).toEqual([]);
      expect(await pendingFor(h)).toEqual([]);
      const series = await h.repo.consensusSeries(XEM_BTC, START, h.clock.now() + MINUTE);
      expect(Math.max(...series.map((p) => p.price))).toBeLessThanOrEqual(BASE * 1.001);
      expect(h.logger.lines.filter((l) => l.includes('suspect:'))).toHaveLength(2);
    });
  });

  it('the same jump on a second venue is confirmed at once', async () => {
    await withHarness({}, async (h) => {
      await steady(h, 3);
      await h.exchanges.setMode('upbit', 'error500');
      setAll(h, BASE * 4, ['zaif', 'binance']);
      const r = await h.tick();
      expect(r.symbols[0]).toMatchObject({ price: BASE * 4, venues: ['zaif', 'binance'] });
    });
  });

  it('a lone venue is believed after three polls in a row at the new level', async () => {
    await withHarness({}, async (h) => {
      await steady(h, 3);
      await h.exchanges.setMode('binance', 'error500');
      await h.exchanges.setMode('upbit', 'error500');
      setAll(h, BASE / 4, ['zaif']);
      expect((await h.tick()).symbols[0]?.price).toBeUndefined();
      expect((await h.tick()).symbols[0]?.price).toBeUndefined();
      expect((await h.tick()).symbols[0]?.price).toBe(BASE / 4);
    });
  });

  it('with one venue configured it says so at start: no consensus possible, jumps need polls', async () => {
    await withHarness({}, async (h) => {
      const single = { ...h.container, config: { ...h.config, sources: h.config.sources.slice(0, 1) } };
      await runPriceJob(single, { sources: h.sources.slice(0, 1) });
      await runPriceJob(single, { sources: h.sources.slice(0, 1) });
      const said = h.logger.lines.filter((l) => l.includes('only one venue (zaif) is configured'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain(
        'no consensus is possible; a move beyond ×3 in one poll is held until 3 polls confirm it',
      );
    });
  });
});
