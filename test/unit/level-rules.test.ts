import { MINUTE } from '../../lambdas/domain/clock';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import type { ConsensusPoint } from '../../lambdas/domain/consensus';
import { evaluateRules, type PriceAlert, type RuleState } from '../../lambdas/domain/rules';
import {
  isLevelRuleId,
  levelRuleId,
  parseRuleId,
  rulesInUse,
  type EvaluatedRules,
  type LevelRule,
} from '../../lambdas/domain/rule-ids';
import { chooseSeries } from '../../lambdas/domain/channel-rules';
import { renderPriceAlert } from '../../lambdas/discord/render-price';

const T0 = Date.parse('2018-01-26T00:00:00Z');
const THREE = ['zaif', 'binance', 'upbit'];
const ABOVE_150: LevelRule = { direction: 'above', price: 150, symbol: 'XEM/JPY' };

const rules = (levels: LevelRule[]): EvaluatedRules => ({
  ...DEFAULT_CONFIG.rules,
  drops: [],
  cooldownMinutes: 60,
  hysteresisPercent: 1,
  maxQuoteAgeSeconds: 300,
  levels,
});

/** One poll a minute from T0, state carried over as the job does; the alerts of every poll. */
function replay(
  prices: number[],
  symbol = 'XEM/JPY',
  venues = THREE,
  levels: LevelRule[] = [ABOVE_150],
): PriceAlert[] {
  const points: ConsensusPoint[] = prices.map((price, i) => ({ at: T0 + i * MINUTE, price, venues }));
  let state: Record<string, RuleState> = {};
  const alerts: PriceAlert[] = [];
  for (let i = 0; i < points.length; i++) {
    const out = evaluateRules({
      symbol,
      series: points.slice(0, i + 1),
      state,
      rules: rules(levels),
      now: (points[i] as ConsensusPoint).at,
    });
    alerts.push(...out.alerts);
    state = out.state;
  }
  return alerts;
}

describe('level rule ids', () => {
  it.each([
    [{ direction: 'above', price: 150, symbol: 'XEM/JPY' }, 'above-150-XEM/JPY'],
    [{ direction: 'below', price: 0.00012, symbol: 'XEM/BTC' }, 'below-0.00012-XEM/BTC'],
    [{ direction: 'below', price: 1e-7, symbol: 'XEM/BTC' }, 'below-1e-7-XEM/BTC'],
    [{ direction: 'above', price: 0.1 + 0.2, symbol: 'BTC/JPY' }, 'above-0.30000000000000004-BTC/JPY'],
  ] as const)('%j is %s and reads back into the same rule', (rule, id) => {
    expect(levelRuleId(rule)).toBe(id);
    expect(parseRuleId(id)).toEqual({ kind: 'level', level: rule });
    expect(isLevelRuleId(id)).toBe(true);
  });

  it.each([
    ['above-0150-XEM/JPY', 'not in canonical form (expected "above-150-XEM/JPY")'],
    ['above-0-XEM/JPY', 'price must be above 0'],
    ['below--5-XEM/JPY', 'price must be above 0'],
    ['above-150-JPY', 'series "JPY" is not BASE/QUOTE'],
  ])('%s is refused: %s', (id, why) => {
    expect(() => parseRuleId(id)).toThrow(`rule id "${id}": ${why}`);
  });

  it('below-ref is not a level rule', () => {
    expect(isLevelRuleId('below-ref')).toBe(false);
  });

  it("a channel's level rule is evaluated beside the configured ones", () => {
    const inUse = rulesInUse(DEFAULT_CONFIG.rules, [
      { channelId: '1', kinds: ['price'], priceRules: ['above-150-XEM/JPY'] },
    ]);
    expect(inUse.custom).toEqual(['above-150-XEM/JPY']);
    expect(inUse.rules.levels).toEqual([ABOVE_150]);
  });
});

describe('choosing the series of a level price', () => {
  const symbols = ['XEM/BTC', 'XEM/JPY', 'BTC/JPY'];
  it('one series, named or not, is the one', () => {
    expect(chooseSeries(['XEM/JPY'], undefined)).toEqual({ symbol: 'XEM/JPY' });
    expect(chooseSeries(symbols, 'xem/jpy')).toEqual({ symbol: 'XEM/JPY' });
    expect(chooseSeries(symbols, 'BTC')).toEqual({ symbol: 'XEM/BTC' });
  });

  it('a quote currency two series share is ambiguous, and the choice lists them', () => {
    expect(chooseSeries(symbols, 'JPY')).toEqual({ ambiguous: true, series: ['BTC/JPY', 'XEM/JPY'] });
    expect(chooseSeries(symbols, undefined)).toEqual({
      ambiguous: true,
      series: ['BTC/JPY', 'XEM/BTC', 'XEM/JPY'],
    });
  });

  it('a series nobody configured is unknown, listing what is configured', () => {
    expect(chooseSeries(symbols, 'ETH/USD')).toEqual({
      unknown: true,
      series: ['BTC/JPY', 'XEM/BTC', 'XEM/JPY'],
    });
  });
});

/** One poll a minute with the levels in use at each (undefined: the channels' rules unread). */
function polls(prices: number[], levels: (LevelRule[] | undefined)[]): PriceAlert[] {
  const points: ConsensusPoint[] = prices.map((price, i) => ({ at: T0 + i * MINUTE, price, venues: THREE }));
  let state: Record<string, RuleState> = {};
  const alerts: PriceAlert[] = [];
  points.forEach((point, i) => {
    const inUse = levels[i];
    const { levels: _unread, ...configured } = rules([]);
    const out = evaluateRules({
      symbol: 'XEM/JPY',
      series: points.slice(0, i + 1),
      state,
      rules: inUse ? rules(inUse) : configured,
      now: point.at,
    });
    alerts.push(...out.alerts);
    state = out.state;
  });
  return alerts;
}

describe('level rules fire on a crossing', () => {
  it('crossing above 150 fires once, with the level, and not again while above', () => {
    const alerts = replay([140, 145, 151, 155, 160]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      ruleId: 'above-150-XEM/JPY',
      rule: 'above',
      level: 150,
      price: 151,
      key: 'price:XEM/JPY:above-150-XEM/JPY:2018-01-26T00:02:00.000Z',
    });
  });

  it('a price already above the level at the first look is not a crossing', () => {
    expect(replay([155, 156, 160])).toEqual([]);
  });

  it('already above at first, then back under by more than the hysteresis, then above again: fires', () => {
    expect(replay([155, 146, 151]).map((a) => a.price)).toEqual([151]);
  });

  it('a wobble around the level within the hysteresis fires once', () => {
    expect(replay([140, 151, 149.5, 151, 149.9, 152])).toHaveLength(1);
  });

  it('one venue must say it twice: a single-venue spike above is not a crossing', () => {
    expect(replay([140, 151, 140], 'XEM/JPY', ['zaif'])).toEqual([]);
    expect(replay([140, 151, 152], 'XEM/JPY', ['zaif']).map((a) => a.price)).toEqual([152]);
  });

  it("another series' level is not evaluated on this one", () => {
    expect(replay([140, 151, 160], 'BTC/JPY')).toEqual([]);
  });

  it('removed and re-added while the price crossed: the first look after re-adding only records the side', () => {
    // In use at 140 (records "below"), removed while it rises to 160, re-added at 160.
    expect(polls([140, 160, 160, 161], [[ABOVE_150], [], [ABOVE_150], [ABOVE_150]])).toEqual([]);
    // The same while it stays wanted is a crossing.
    expect(polls([140, 160, 160], [[ABOVE_150], [ABOVE_150], [ABOVE_150]])).toHaveLength(1);
  });

  it("a poll that could not read the channels' rules (no levels) keeps the recorded side", () => {
    const fired = polls([140, 160, 160], [[ABOVE_150], undefined, [ABOVE_150]]);
    expect(fired.map((a) => a.price)).toEqual([160]);
  });

  it('falling below a below-level fires; rising back does not', () => {
    const below: LevelRule = { direction: 'below', price: 100, symbol: 'XEM/JPY' };
    const fired = replay([110, 99, 101, 120], 'XEM/JPY', THREE, [below]);
    expect(fired.map((a) => [a.ruleId, a.price])).toEqual([['below-100-XEM/JPY', 99]]);
  });
});

describe('level alert message', () => {
  const alert: PriceAlert = {
    key: 'price:XEM/JPY:above-150-XEM/JPY:2018-01-26T00:02:00.000Z',
    ruleId: 'above-150-XEM/JPY',
    rule: 'above',
    symbol: 'XEM/JPY',
    asset: 'XEM',
    quoteCurrency: 'JPY',
    price: 151,
    at: T0,
    venues: THREE,
    level: 150,
    changePercent: 0.67,
    episodeStart: T0,
  };

  it('says in English and Japanese which level was crossed, and pings nobody', () => {
    const en = renderPriceAlert(alert, 'en');
    expect(en.embeds?.[0]?.title).toBe('XEM rose above 150 JPY');
    expect(en.embeds?.[0]?.description).toBe(
      'The consensus price crossed above 150 JPY, the level set for this channel.',
    );
    expect(en.embeds?.[0]?.fields).toContainEqual({ name: 'Level', value: '150 JPY', inline: true });
    expect(en.allowed_mentions).toEqual({ parse: [] });
    const ja = renderPriceAlert({ ...alert, rule: 'below', level: 100, price: 99 }, 'ja');
    expect(ja.embeds?.[0]?.title).toBe('XEM が 100 JPY を下回りました');
    expect(ja.embeds?.[0]?.description).toBe('合意価格が、このチャンネルで設定した 100 JPY を下回りました。');
  });
});
