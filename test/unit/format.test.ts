import { ZONE_OFFSET_MINUTES, formatClock, formatTime } from '../../lambdas/domain/format';

// The first outflow of the Coincheck hack: 2018-01-26 00:02 JST.
const FIRST_OUTFLOW = Date.parse('2018-01-25T15:02:00Z');

describe('formatClock, the one time formatter', () => {
  it('writes the same instant in JST and UTC, crossing the date line', () => {
    expect(formatClock(FIRST_OUTFLOW, 'YYYY-MM-DD hh:mm JST', ZONE_OFFSET_MINUTES.JST)).toBe(
      '2018-01-26 00:02 JST',
    );
    expect(formatClock(FIRST_OUTFLOW, 'YYYY-MM-DD hh:mm UTC')).toBe('2018-01-25 15:02 UTC');
  });

  it('keeps what is not a field (a calendar day, an axis label, an ISO-like log stamp)', () => {
    expect(formatClock(FIRST_OUTFLOW, 'YYYY-MM-DD', ZONE_OFFSET_MINUTES.JST)).toBe('2018-01-26');
    expect(formatClock(FIRST_OUTFLOW, 'MM/DD', ZONE_OFFSET_MINUTES.JST)).toBe('01/26');
    expect(formatClock(FIRST_OUTFLOW, 'hh:mm')).toBe('15:02');
    expect(formatClock(FIRST_OUTFLOW, 'YYYY-MM-DDThh:mmZ')).toBe('2018-01-25T15:02Z');
  });

  it('messages: Japanese in JST with slashes, English in UTC', () => {
    expect(formatTime(FIRST_OUTFLOW, 'ja')).toBe('2018/01/26 00:02 JST');
    expect(formatTime(FIRST_OUTFLOW, 'en')).toBe('2018-01-25 15:02 UTC');
  });
});
