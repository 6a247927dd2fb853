import { DEFAULT_BACKOFF, pauseAfter } from '../../local/gateway';

describe('Gateway reconnect pauses', () => {
  it('start at 5 s (one IDENTIFY per 5 s), double each round of failures, and stop at 5 minutes', () => {
    const pauses = [1, 2, 3, 4, 5, 6, 7, 8].map((round) => pauseAfter(round, DEFAULT_BACKOFF));
    expect(pauses).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });
});
