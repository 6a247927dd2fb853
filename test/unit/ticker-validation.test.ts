import { validateTicker } from '../../lambdas/sources/exchanges';

const NOW = Date.parse('2018-01-26T03:00:00Z');
const DAY = 24 * 60 * 60 * 1000;

describe('ticker validation', () => {
  it('accepts a positive last price and keeps the exchange timestamp', () => {
    expect(validateTicker({ last: 88.5, timestamp: NOW - 1000 }, NOW, DAY)).toEqual({
      ok: true,
      price: 88.5,
      timestamp: NOW - 1000,
    });
  });

  it('stamps a ticker without an exchange timestamp (zaif) with the fetch time', () => {
    expect(validateTicker({ last: 88.5 }, NOW, DAY)).toEqual({
      ok: true,
      price: 88.5,
      timestamp: NOW,
    });
  });

  it.each([
    ['no ticker', null, 'no ticker in the response'],
    ['null last price', { last: null, close: null }, 'no last price'],
    ['NaN', { last: Number.NaN }, 'last price is not a number (NaN)'],
    ['zero', { last: 0 }, 'last price 0 is not positive'],
    ['negative', { last: -3 }, 'last price -3 is not positive'],
    [
      'two days old',
      { last: 1, timestamp: NOW - 2 * DAY },
      'timestamp 2018-01-24T03:00:00.000Z is 2880 min old (max 1440 min)',
    ],
    [
      'an hour in the future',
      { last: 1, timestamp: NOW + 3_600_000 },
      'timestamp 2018-01-26T04:00:00.000Z is in the future',
    ],
  ])('rejects %s with a clear reason', (_name, ticker, reason) => {
    expect(validateTicker(ticker, NOW, DAY)).toEqual({ ok: false, reason });
  });
});
