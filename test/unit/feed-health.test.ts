import { backoffMs, isFeedDue, judgeFeedFailure } from '../../lambdas/domain/feed-health';

const POLICY = { intervalMs: 60_000, maxBackoffMs: 3_600_000, maxFailures: 3 };
const NOW = Date.parse('2018-01-26T03:00:00Z');

describe('the feed-disable rule', () => {
  it('a 410 Gone switches the feed off on its first failure, with the server’s words as the reason', () => {
    const v = judgeFeedFailure(null, { outcome: 'gone', error: 'HTTP 410' }, POLICY, NOW);
    expect(v).toEqual({ failures: 1, nextAttemptAt: NOW + 60_000, disableReason: 'HTTP 410' });
  });

  it('failures below the limit back off; the one reaching it switches the feed off', () => {
    const second = judgeFeedFailure({ failures: 1 }, { outcome: 'timeout', error: 'timed out' }, POLICY, NOW);
    expect(second).toEqual({ failures: 2, nextAttemptAt: NOW + 120_000 });
    const third = judgeFeedFailure({ failures: 2 }, { outcome: 'timeout', error: 'timed out' }, POLICY, NOW);
    expect(third.disableReason).toBe('3 failures in a row; last: timed out');
  });

  it('Retry-After wins over the backoff when longer, capped at a day', () => {
    expect(backoffMs(1, 60_000, 3_600_000, 600_000)).toBe(600_000);
    expect(backoffMs(1, 60_000, 3_600_000, 10 * 86_400_000)).toBe(86_400_000);
    expect(backoffMs(20, 60_000, 3_600_000)).toBe(3_600_000);
  });

  it('a feed is due when never fetched or past its backoff, never while switched off', () => {
    expect(isFeedDue(undefined, NOW)).toBe(true);
    expect(isFeedDue({ nextAttemptAt: NOW }, NOW)).toBe(true);
    expect(isFeedDue({ nextAttemptAt: NOW + 1 }, NOW)).toBe(false);
    expect(isFeedDue({ disabledAt: NOW - 1, nextAttemptAt: 0 }, NOW)).toBe(false);
  });
});
