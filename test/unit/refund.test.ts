import {
  REFUND_STAGES,
  canAutoTransition,
  canManualTransition,
  stageLabel,
} from '../../lambdas/domain/refund';

describe('refund stage machine', () => {
  it('news moves the main line forward, skipping stages when the evidence does', () => {
    expect(canAutoTransition('none', 'announced')).toBe(true);
    expect(canAutoTransition('announced', 'terms-fixed')).toBe(true);
    expect(canAutoTransition('none', 'terms-fixed')).toBe(true);
    expect(canAutoTransition('scheduled', 'paying')).toBe(true);
    expect(canAutoTransition('paying', 'partial')).toBe(true);
    expect(canAutoTransition('partial', 'paid')).toBe(true);
  });

  it('news never moves the stage back, nor to the same stage, nor to none', () => {
    expect(canAutoTransition('paid', 'announced')).toBe(false);
    expect(canAutoTransition('scheduled', 'terms-fixed')).toBe(false);
    expect(canAutoTransition('paid', 'partial')).toBe(false);
    expect(canAutoTransition('announced', 'announced')).toBe(false);
    expect(canAutoTransition('announced', 'none')).toBe(false);
  });

  it('a dispute can be entered before payment completes and left only by evidence of payment', () => {
    expect(canAutoTransition('terms-fixed', 'disputed')).toBe(true);
    expect(canAutoTransition('paid', 'disputed')).toBe(false);
    expect(canAutoTransition('disputed', 'paid')).toBe(true);
    expect(canAutoTransition('disputed', 'paying')).toBe(true);
    expect(canAutoTransition('disputed', 'announced')).toBe(false);
  });

  it('by hand any stage may be set except the current one', () => {
    for (const from of REFUND_STAGES)
      for (const to of REFUND_STAGES) expect(canManualTransition(from, to)).toBe(from !== to);
  });

  it('every stage has a label in both languages', () => {
    for (const s of REFUND_STAGES) {
      expect(stageLabel(s, 'en')).toMatch(/\w/);
      expect(stageLabel(s, 'ja').length).toBeGreaterThan(0);
    }
  });
});
