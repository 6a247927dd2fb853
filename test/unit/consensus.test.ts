import { computeConsensus, median, type Quote } from '../../lambdas/domain/consensus';
import { DEFAULT_CONFIG, type RulesConfig } from '../../lambdas/domain/config';

const NOW = Date.parse('2018-01-26T03:00:00Z');
const rules: RulesConfig = { ...DEFAULT_CONFIG.rules, maxQuoteAgeSeconds: 300, outlierPercent: 20 };

function quote(exchange: string, price: number, ageSeconds = 0, symbol = 'XEM/BTC'): Quote {
  return {
    sourceId: `${exchange}:${symbol}`,
    exchange,
    symbol,
    price,
    timestamp: NOW - ageSeconds * 1000,
    fetchedAt: NOW,
  };
}

describe('consensus price', () => {
  it('is the median of the fresh quotes (odd and even counts)', () => {
    expect(computeConsensus([quote('a', 10), quote('b', 11), quote('c', 12)], NOW, rules).price).toBe(11);
    expect(computeConsensus([quote('a', 10), quote('b', 11)], NOW, rules).price).toBe(10.5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('comes from a single venue when only one quote is fresh', () => {
    const r = computeConsensus([quote('zaif', 88.5, 0, 'XEM/JPY')], NOW, rules);
    expect(r.price).toBe(88.5);
    expect(r.used.map((q) => q.exchange)).toEqual(['zaif']);
  });

  it('drops a stale quote and says how old it was', () => {
    const r = computeConsensus([quote('a', 10), quote('b', 11), quote('c', 50, 301)], NOW, rules);
    expect(r.price).toBe(10.5);
    expect(r.dropped).toEqual([{ sourceId: 'c:XEM/BTC', reason: 'stale: 301 s old (max 300 s)' }]);
  });

  it('drops a wild outlier among three and keeps the median of the other two', () => {
    const r = computeConsensus([quote('a', 100), quote('b', 102), quote('c', 1000)], NOW, rules);
    expect(r.price).toBe(101);
    expect(r.used.map((q) => q.exchange)).toEqual(['a', 'b']);
    expect(r.dropped).toHaveLength(1);
    expect(r.dropped[0]?.sourceId).toBe('c:XEM/BTC');
    expect(r.dropped[0]?.reason).toMatch(/^outlier: .*% from the median of the others 101 \(max 20%\)$/);
  });

  it('drops a low outlier too (a venue printing a crash alone)', () => {
    const r = computeConsensus(
      [quote('a', 100), quote('b', 101), quote('c', 99), quote('d', 10)],
      NOW,
      rules,
    );
    expect(r.price).toBe(100);
    expect(r.dropped.map((d) => d.sourceId)).toEqual(['d:XEM/BTC']);
  });

  it('gives no consensus when only two fresh quotes disagree beyond the outlier limit', () => {
    const r = computeConsensus([quote('a', 100), quote('b', 130)], NOW, rules);
    expect(r.price).toBeUndefined();
    expect(r.used).toEqual([]);
    expect(r.dropped.map((d) => d.sourceId).sort()).toEqual(['a:XEM/BTC', 'b:XEM/BTC']);
    expect(r.dropped[0]?.reason).toMatch(
      /^disagree: .* differ by 30% \(max 20%\), no consensus from two venues$/,
    );
  });

  it('gives no consensus on an even split (outliers must be a minority)', () => {
    const r = computeConsensus(
      [quote('a', 100), quote('b', 100), quote('c', 50), quote('d', 50)],
      NOW,
      rules,
    );
    expect(r.price).toBeUndefined();
    expect(r.dropped.some((d) => d.reason.startsWith('split: only 2 of 4'))).toBe(true);
  });

  it('drops non-positive or non-finite prices and quotes of another symbol', () => {
    const r = computeConsensus(
      [quote('a', 100), quote('b', 0), quote('c', Number.NaN), quote('d', 100, 0, 'XEM/JPY')],
      NOW,
      rules,
      'XEM/BTC',
    );
    expect(r.price).toBe(100);
    expect(r.dropped.map((d) => d.reason)).toEqual([
      'invalid price 0',
      'invalid price NaN',
      'different symbol XEM/JPY (series is XEM/BTC)',
    ]);
  });

  it('gives no price when every quote is stale', () => {
    const r = computeConsensus([quote('a', 100, 600)], NOW, rules);
    expect(r.price).toBeUndefined();
    expect(r.symbol).toBe('XEM/BTC');
  });
});
