import { MINUTE } from '../../lambdas/domain/clock';
import { DEFAULT_CONFIG, type RulesConfig } from '../../lambdas/domain/config';
import type { ConsensusPoint } from '../../lambdas/domain/consensus';
import { referenceFor } from '../../lambdas/domain/reference';
import { evaluateRules, type PriceAlert, type RuleState } from '../../lambdas/domain/rules';
import { ruleIdsFor } from '../../lambdas/domain/rule-ids';

const T0 = Date.parse('2018-01-26T00:00:00Z');
const THREE = ['zaif', 'binance', 'upbit'];

const baseRules: RulesConfig = {
  ...DEFAULT_CONFIG.rules,
  drops: [{ percent: 5, windowMinutes: 60 }],
  cooldownMinutes: 60,
  hysteresisPercent: 1,
  maxQuoteAgeSeconds: 300,
};

/**
 * A series builder: one point per minute from `start`, each with the given venues, after an hour
 * of flat history at the first price (a 1 h window needs samples spanning it: WINDOW_COVERAGE).
 */
function series(prices: number[], venues = THREE, start = T0, historyMinutes = 60): ConsensusPoint[] {
  const first = prices[0];
  const history =
    first === undefined
      ? []
      : Array.from({ length: historyMinutes }, (_, k) => ({
          at: start - (historyMinutes - k) * MINUTE,
          price: first,
          venues,
        }));
  return [...history, ...prices.map((price, i) => ({ at: start + i * MINUTE, price, venues }))];
}

/** The refund reference exists from here on in these tests (a day before T0). */
const REFERENCE_SINCE = T0 - 24 * 60 * MINUTE;

/**
 * Feed the points one poll at a time, as the job does (state carried over), and collect alerts.
 */
function replay(
  points: ConsensusPoint[],
  rules: RulesConfig = baseRules,
  symbol = 'XEM/JPY',
  initial: Record<string, RuleState> = {},
  referenceSince: number | null = REFERENCE_SINCE,
): { alerts: PriceAlert[]; state: Record<string, RuleState> } {
  let state = initial;
  const alerts: PriceAlert[] = [];
  // The default incident's reference for this series (88.549 for XEM/JPY; none for XEM/BTC).
  const reference = referenceFor(DEFAULT_CONFIG, symbol)?.price;
  for (let i = 0; i < points.length; i++) {
    const point = points[i] as ConsensusPoint;
    const out = evaluateRules({
      symbol,
      series: points.slice(0, i + 1),
      state,
      rules,
      now: point.at,
      ...(reference !== undefined ? { reference } : {}),
      ...(referenceSince !== null ? { referenceSince } : {}),
    });
    alerts.push(...out.alerts);
    state = out.state;
  }
  return { alerts, state };
}

describe('price rules', () => {
  it('lists rule ids drop-<percent>-<window> and below-ref', () => {
    expect(ruleIdsFor(DEFAULT_CONFIG.rules)).toEqual(['drop-5-60', 'drop-10-1440', 'below-ref']);
  });

  it('a 12 % drop within the hour fires drop-5-60 once with the high, change and reference', () => {
    const { alerts } = replay(series([110, 110, 109, 110, 96.8, 96.8]));
    expect(alerts).toHaveLength(1);
    const a = alerts[0] as PriceAlert;
    expect(a.ruleId).toBe('drop-5-60');
    expect(a.key).toBe('price:XEM/JPY:drop-5-60:2018-01-26T00:04:00.000Z');
    expect(a.high).toBe(110);
    expect(a.changePercent).toBeCloseTo(-12, 6);
    expect(a.windowMinutes).toBe(60);
    expect(a.asset).toBe('XEM');
    expect(a.quoteCurrency).toBe('JPY');
    expect(a.venues).toEqual(THREE);
    expect(a.referencePrice).toBe(88.549);
    expect(a.referenceDistancePercent).toBeCloseTo(((96.8 - 88.549) / 88.549) * 100, 6);
  });

  it('a missed poll does not hide a drop: the high is read from the stored series', () => {
    // Polls stop at 00:02 and resume at 00:40 already 12 % lower.
    const points = [...series([110, 110, 110]), { at: T0 + 40 * MINUTE, price: 96.8, venues: THREE }];
    const { alerts } = replay(points);
    expect(alerts.map((a) => a.ruleId)).toEqual(['drop-5-60']);
  });

  it('a drop older than the window does not fire', () => {
    const points = [...series([110]), { at: T0 + 61 * MINUTE, price: 96.8, venues: THREE }];
    expect(replay(points).alerts).toEqual([]);
  });

  it('never alerts from a single quote: a single-venue drop needs the next poll to confirm it', () => {
    const zaifOnly = ['zaif'];
    const first = replay(series([110, 110, 110, 96.8], zaifOnly));
    expect(first.alerts).toEqual([]);
    const second = replay(series([110, 110, 110, 96.8, 96.5], zaifOnly));
    expect(second.alerts).toHaveLength(1);
    // The episode starts at the first point of the drop, so the key does not depend on the confirming poll.
    expect(second.alerts[0]?.key).toBe('price:XEM/JPY:drop-5-60:2018-01-26T00:03:00.000Z');
  });

  it('a single-venue spike up does not become the high that a normal price then drops from', () => {
    const zaifOnly = ['zaif'];
    expect(replay(series([100, 100, 150, 100, 100], zaifOnly)).alerts).toEqual([]);
  });

  it('a wobble around the threshold alerts once (hysteresis, even with no cooldown)', () => {
    const rules = { ...baseRules, cooldownMinutes: 0 };
    const { alerts } = replay(series([100, 100, 94.9, 95.1, 94.8, 95.3, 94.7, 95.2, 94.9]), rules);
    expect(alerts).toHaveLength(1);
  });

  it('re-arms after recovering past the hysteresis margin, but the cooldown still holds', () => {
    // 94 (alert), back to 100 (re-armed), 94 again 10 min later: inside the 60 min cooldown.
    const early = replay(series([100, 94, 100, 100, 94, 94]));
    expect(early.alerts).toHaveLength(1);
    expect(early.state['drop-5-60']?.active).toBe(false);
    // Same pattern, the second drop 70 min after the first alert (and still 6 % under a high in the window).
    const points = [
      ...series([100, 94, 100]),
      ...series([100, 100], THREE, T0 + 40 * MINUTE, 0),
      ...series([94, 94], THREE, T0 + 71 * MINUTE, 0),
    ];
    const late = replay(points);
    expect(late.alerts.map((a) => a.key)).toEqual([
      'price:XEM/JPY:drop-5-60:2018-01-26T00:01:00.000Z',
      'price:XEM/JPY:drop-5-60:2018-01-26T01:11:00.000Z',
    ]);
  });

  it('a 24 h rule does not restate a long slide within half its window, then may again', () => {
    const rules = { ...baseRules, drops: [{ percent: 10, windowMinutes: 24 * 60 }], hysteresisPercent: 0 };
    // -11 % (alert), a bounce that re-arms it, -11 % again 4 h later, and once more 13 h later.
    const points = [
      ...series([1000, 890, 890], THREE, T0, 24 * 60), // a day of history: the window needs it
      ...series([950, 950], THREE, T0 + 60 * MINUTE, 0),
      ...series([880, 880], THREE, T0 + 4 * 60 * MINUTE, 0),
      ...series([950, 950], THREE, T0 + 5 * 60 * MINUTE, 0),
      ...series([870, 870], THREE, T0 + 13 * 60 * MINUTE, 0),
    ];
    const { alerts } = replay(points, rules);
    expect(alerts.every((a) => a.ruleId === 'drop-10-1440')).toBe(true);
    expect(alerts.map((a) => new Date(a.at).toISOString())).toEqual([
      '2018-01-26T00:01:00.000Z',
      '2018-01-26T13:00:00.000Z',
    ]);
  });

  it('evaluating the same poll twice does not alert twice, and without saved state gives the same key', () => {
    const points = series([110, 110, 96.8]);
    const now = T0 + 2 * MINUTE;
    const first = evaluateRules({ symbol: 'XEM/JPY', series: points, state: {}, rules: baseRules, now });
    expect(first.alerts).toHaveLength(1);
    const again = evaluateRules({
      symbol: 'XEM/JPY',
      series: points,
      state: first.state,
      rules: baseRules,
      now,
    });
    expect(again.alerts).toEqual([]);
    const crashed = evaluateRules({ symbol: 'XEM/JPY', series: points, state: {}, rules: baseRules, now });
    expect(crashed.alerts[0]?.key).toBe(first.alerts[0]?.key);
  });

  it('crossing below the reference price fires below-ref once, with the distance to it', () => {
    const rules = { ...baseRules, drops: [] };
    const { alerts } = replay(series([90, 89.5, 88.4, 88.6, 88.3, 88.9]), rules);
    expect(alerts).toHaveLength(1);
    const a = alerts[0] as PriceAlert;
    expect(a.ruleId).toBe('below-ref');
    expect(a.key).toBe('price:XEM/JPY:below-ref:2018-01-26T00:02:00.000Z');
    expect(a.referencePrice).toBe(88.549);
    expect(a.changePercent).toBeCloseTo(((88.4 - 88.549) / 88.549) * 100, 6);
  });

  it('a series that is already below the reference when watching starts is not a crossing', () => {
    const rules = { ...baseRules, drops: [] };
    const { alerts, state } = replay(series([0.5, 0.5, 0.49]), rules);
    expect(alerts).toEqual([]);
    expect(state['below-ref']?.active).toBe(true);
  });

  it('a series in a quote currency with no reference price has no below-ref rule', () => {
    const rules = { ...baseRules, drops: [] };
    const { alerts, state } = replay(series([0.0001, 0.00005]), rules, 'XEM/BTC');
    expect(alerts).toEqual([]);
    expect(state['below-ref']).toBeUndefined();
  });

  it('a stale newest point evaluates nothing', () => {
    const points = series([110, 96.8]);
    const out = evaluateRules({
      symbol: 'XEM/JPY',
      series: points,
      state: {},
      rules: baseRules,
      now: T0 + 30 * MINUTE,
    });
    expect(out.alerts).toEqual([]);
  });

  it('daily candles: the 1 h rule stays quiet and the 24 h rule says "since the last price 24 h ago"', () => {
    const rules = {
      ...baseRules,
      drops: [
        { percent: 5, windowMinutes: 60 },
        { percent: 10, windowMinutes: 24 * 60 },
      ],
    };
    const DAY_MS = 24 * 60 * MINUTE;
    // Polled every 15 minutes, each poll sees the same daily close until the next day's: the
    // points repeat one sample (sampledAt), then the price is 20 % lower.
    const points: ConsensusPoint[] = [];
    for (let t = T0; t <= T0 + DAY_MS + 30 * MINUTE; t += 15 * MINUTE) {
      const day = t < T0 + DAY_MS ? 0 : 1;
      points.push({ at: t, price: day ? 0.8 : 1, venues: THREE, sampledAt: T0 + day * DAY_MS });
    }
    const { alerts } = replay(points, rules, 'XEM/BTC'); // no reference in BTC: drops only
    expect(alerts.map((a) => a.ruleId)).toEqual(['drop-10-1440']);
    expect(alerts[0]?.sinceLastSampleMinutes).toBe(24 * 60);
    expect(alerts[0]?.changePercent).toBeCloseTo(-20, 6);
  });

  it('a 70 s series is too short for a 1 h rule, however far it falls', () => {
    const points: ConsensusPoint[] = [
      { at: T0, price: 110, venues: THREE },
      { at: T0 + 35_000, price: 100, venues: THREE },
      { at: T0 + 70_000, price: 90, venues: THREE },
    ];
    expect(replay(points).alerts).toEqual([]);
  });

  it('replayed from November 2017: no "below the refund price" before the reference existed', () => {
    const NOV = Date.parse('2017-11-01T00:00:00Z');
    const termsFixed = Date.parse('2018-01-27T14:00:00Z');
    // Hourly points, below 88.549 from the start, above after the terms, then a real crossing.
    const points: ConsensusPoint[] = [];
    for (let t = NOV; t < termsFixed; t += 60 * 60 * MINUTE) points.push({ at: t, price: 30, venues: THREE });
    points.push({ at: termsFixed + 60 * MINUTE, price: 95, venues: THREE });
    points.push({ at: termsFixed + 120 * MINUTE, price: 80, venues: THREE });
    const belowRef = (since: number | null) =>
      replay(points, { ...baseRules, drops: [] }, 'XEM/JPY', {}, since).alerts.map((a) => [
        a.ruleId,
        new Date(a.at).toISOString(),
      ]);
    expect(belowRef(termsFixed)).toEqual([['below-ref', '2018-01-27T16:00:00.000Z']]);
    // Without a reference (no terms in the config or the record) nothing is ever "below" it.
    expect(belowRef(null)).toEqual([]);
  });

  it('a fresh install whose first prices are already below the reference posts nothing for it', () => {
    const points = series([20, 19.5, 19, 19.2], THREE, T0, 0);
    expect(replay(points, { ...baseRules, drops: [] }).alerts).toEqual([]);
  });
});
