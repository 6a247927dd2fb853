import { ManualClock } from '../../lambdas/domain/clock';
import { MemoryLogger } from '../../lambdas/domain/log';
import { QuoteError, createPriceSources, resetPriceSourceCache } from '../../lambdas/sources/exchanges';
import { LoopbackExchanges } from '../../testkit/exchange-server';

/**
 * Exchange 429s are rate limits whatever the body: real ccxt against the loopback exchange, which
 * answers 429 with Retry-After: 1 and a JSON or a plain-text body.
 */

const clock = new ManualClock(Date.parse('2018-01-26T03:00:00Z'));
let exchanges: LoopbackExchanges;

beforeEach(async () => {
  resetPriceSourceCache();
  exchanges = await LoopbackExchanges.start(clock, ['binance']);
});
afterEach(async () => {
  await exchanges.close();
  resetPriceSourceCache();
});

async function fetchOnce(sleeps: number[], deadlineMs = 20_000): Promise<QuoteError> {
  const [source] = createPriceSources(
    [{ exchange: 'binance', symbol: 'XEM/BTC', urls: exchanges.urls('binance') }],
    new MemoryLogger(),
    { retries: 2, backoffMs: 10, deadlineMs, rateLimit: false, sleep: async (ms) => void sleeps.push(ms) },
  );
  const err = await source!.fetchQuote(clock.now()).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(QuoteError);
  return err as QuoteError;
}

describe('exchange 429s', () => {
  it.each(['rate-limit-json', 'rate-limit-text'] as const)(
    'a 429 with a %s body is transient and each retry waits its Retry-After',
    async (mode) => {
      await exchanges.setMode('binance', mode);
      const sleeps: number[] = [];
      const err = await fetchOnce(sleeps);
      expect(err.reason).toBe('transient');
      expect(err.message).toContain('rate limited (HTTP 429, Retry-After 1 s)');
      expect(sleeps).toEqual([1000, 1000]); // not the 10 ms backoff
      expect(exchanges.requestCount('binance')).toBe(3);
    },
  );

  it('a Retry-After longer than the poll has left is honoured by the next poll: no request before it', async () => {
    await exchanges.setMode('binance', 'rate-limit-text');
    exchanges.retryAfterSeconds = 120; // long enough that no busy machine reaches its end mid-test
    const err = await fetchOnce([], 5_000); // 120 s does not fit in the poll's 5 s: give up now
    expect(err.reason).toBe('transient');
    expect(exchanges.requestCount('binance')).toBe(1);
    const again = await fetchOnce([]);
    expect(again.message).toContain('Retry-After has');
    expect(exchanges.requestCount('binance')).toBe(1);
  });
});
