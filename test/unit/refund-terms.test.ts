import {
  manualTermsProblems,
  stageAfterTerms,
  termsFixedAt,
  type RefundChange,
} from '../../lambdas/domain/refund';

const change = (seq: number, to: RefundChange['to'], at: number, rate?: number): RefundChange => ({
  incidentId: 'i',
  seq,
  from: 'none',
  to,
  at,
  auto: rate === undefined,
  evidence: [],
  ...(rate !== undefined ? { rate, currency: 'JPY', rateSource: 'maintainer' as const } : {}),
});

describe('refund terms set by hand', () => {
  it('move the stage to terms-fixed, or keep a stage already past it', () => {
    expect(stageAfterTerms('none')).toBe('terms-fixed');
    expect(stageAfterTerms('announced')).toBe('terms-fixed');
    expect(stageAfterTerms('disputed')).toBe('terms-fixed');
    expect(stageAfterTerms('scheduled')).toBe('scheduled');
  });

  it('the reference exists from the later of terms-fixed and the rate being set', () => {
    // Scheduled at 100 from news without a rate; a maintainer gives the rate at 300.
    expect(termsFixedAt([change(1, 'scheduled', 100), change(2, 'scheduled', 300, 88.5)])).toBe(300);
    // Rate with the stage: from that change.
    expect(termsFixedAt([change(1, 'announced', 100), change(2, 'terms-fixed', 200, 88.5)])).toBe(200);
    // A later change carrying the same rate does not move the time.
    expect(termsFixedAt([change(1, 'terms-fixed', 200, 88.5), change(2, 'scheduled', 400, 88.5)])).toBe(200);
    // No terms-fixed stage: no reference, whatever the rate.
    expect(termsFixedAt([change(1, 'announced', 100, 88.5)])).toBeUndefined();
  });

  it.each([
    [{ rate: 0, currency: 'JPY' }, 'rate must be a number above 0'],
    [{ rate: 1, currency: 'yen' }, 'currency must be a code like JPY or USDT'],
    [{ rate: 1, currency: 'JPY', holders: 1.5 }, 'holders must be a whole number above 0'],
    [{ rate: 1, currency: 'JPY', total: -1 }, 'total must be a number above 0'],
    [
      { rate: 1, currency: 'JPY', window: { from: 'soon', to: '2018-03-12' } },
      'window from must be an ISO time',
    ],
  ])('%j is refused: %s', (terms, why) => {
    expect(manualTermsProblems(terms).join('; ')).toContain(why);
  });
});
