import { MINUTE } from '../../lambdas/domain/clock';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import type { Subscription } from '../../lambdas/domain/subscription';
import { seriesLookbackMs } from '../../lambdas/domain/rules';
import { dropRuleId, parseRuleId, riseRuleId, rulesInUse } from '../../lambdas/domain/rule-ids';

/** A price subscription with its own rules (as /alerts subscribe stores it). */
function sub(channelId: string, priceRules: string[], extra: Partial<Subscription> = {}): Subscription {
  return { channelId, kinds: ['price'], priceRules, ...extra };
}

describe('rule ids', () => {
  it.each([
    ['drop-3-30', { percent: 3, windowMinutes: 30 }],
    ['drop-2.5-1440', { percent: 2.5, windowMinutes: 1440 }],
    ['drop-1e-7-60', { percent: 1e-7, windowMinutes: 60 }],
  ])('%s reads back into the rule dropRuleId made it from', (id, drop) => {
    expect(parseRuleId(id)).toEqual({ kind: 'drop', drop });
    expect(dropRuleId(drop)).toBe(id);
  });

  it('rise-8-120 reads back into the rise riseRuleId made it from', () => {
    expect(parseRuleId('rise-8-120')).toEqual({ kind: 'rise', rise: { percent: 8, windowMinutes: 120 } });
    expect(riseRuleId({ percent: 8, windowMinutes: 120 })).toBe('rise-8-120');
  });

  it("a channel's rise rule is evaluated as a rise and its window counts for the look-back", () => {
    const inUse = rulesInUse(DEFAULT_CONFIG.rules, [sub('1', ['drop-5-60', 'rise-4-2880'])]);
    expect(inUse.custom).toEqual(['rise-4-2880']);
    expect(inUse.rules.rises).toEqual([{ percent: 4, windowMinutes: 2880 }]);
    expect(inUse.rules.drops).toEqual(DEFAULT_CONFIG.rules.drops);
    expect(seriesLookbackMs(inUse.rules)).toBe(2880 * MINUTE);
  });

  it('below-ref reads as the reference rule', () => {
    expect(parseRuleId('below-ref')).toEqual({ kind: 'below-ref' });
  });

  it.each([
    [
      'drop-5',
      'expected drop-<percent>-<windowMinutes>, rise-<percent>-<windowMinutes>, above-<price>-<BASE/QUOTE>, below-<price>-<BASE/QUOTE> or below-ref',
    ],
    [
      'above-ref',
      'expected drop-<percent>-<windowMinutes>, rise-<percent>-<windowMinutes>, above-<price>-<BASE/QUOTE>, below-<price>-<BASE/QUOTE> or below-ref',
    ],
    ['rise-0-60', 'percent must be above 0'],
    ['rise-5-0', 'windowMinutes'],
    ['rise-05-60', 'not in canonical form (expected "rise-5-60")'],
    ['drop-0-60', 'percent must be above 0'],
    ['drop-100-60', 'percent must be below 100'],
    ['drop-5-0', 'windowMinutes'],
    ['drop-5-50000', 'windowMinutes'],
    ['drop-05-60', 'not in canonical form (expected "drop-5-60")'],
  ])('%s is refused, naming the id and what is wrong', (id, why) => {
    expect(() => parseRuleId(id)).toThrow(`rule id "${id}": `);
    expect(() => parseRuleId(id)).toThrow(why);
  });
});

describe('rules in use', () => {
  const rules = DEFAULT_CONFIG.rules;

  it('adds each distinct own drop rule of active price channels after the configured ones', () => {
    const inUse = rulesInUse(rules, [
      sub('1', ['drop-3-30', 'drop-5-60']),
      sub('2', ['drop-3-30', 'below-ref', 'drop-7-2880']),
      sub('3', ['drop-2-5'], { disabledReason: '403' }),
      sub('4', ['drop-2-10'], { kinds: ['news'] }),
      { channelId: '5', kinds: ['price'] },
    ]);
    expect(inUse.rules.drops.map(dropRuleId)).toEqual([
      'drop-5-60',
      'drop-10-1440',
      'drop-3-30',
      'drop-7-2880',
    ]);
    expect(inUse.custom).toEqual(['drop-3-30', 'drop-7-2880']);
    expect(inUse).toMatchObject({ capped: [], invalid: [] });
    // The series has to reach back over the longest window in use (2 days here, not the configured 1).
    expect(seriesLookbackMs(inUse.rules)).toBe(2880 * MINUTE);
    expect(seriesLookbackMs(rules)).toBe(1440 * MINUTE);
  });

  it('over the cap keeps the rules most channels asked for, ties by id', () => {
    const inUse = rulesInUse(
      rules,
      [sub('1', ['drop-4-30', 'drop-3-30', 'drop-2-30']), sub('2', ['drop-4-30'])],
      2,
    );
    expect(inUse.custom).toEqual(['drop-4-30', 'drop-2-30']);
    expect(inUse.capped).toEqual(['drop-3-30']);
  });

  it('an unparsable id is reported and left out, the rest stays', () => {
    const inUse = rulesInUse(rules, [sub('1', ['drop-x-30', 'drop-3-30'])]);
    expect(inUse.custom).toEqual(['drop-3-30']);
    expect(inUse.invalid).toEqual([
      { id: 'drop-x-30', error: expect.stringContaining('rule id "drop-x-30": percent') },
    ]);
  });
});
