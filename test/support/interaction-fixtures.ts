import type { NewsRepo } from '../../lambdas/store/news-repo';
import type { PriceRepo } from '../../lambdas/store/price-repo';
import { MINUTE } from '../../lambdas/domain/clock';
import { sourceIdOf, type Quote } from '../../lambdas/domain/consensus';

/**
 * Stored state for slash-command tests, written through the real repos (the same writes the
 * price and news jobs make). Prices are built, not recorded: there is no recorded XEM/JPY
 * series (see ../fixtures PROVENANCE, "wanted but not found").
 */

/** A consensus series ending at `now`: one point per `stepMinutes`, linear from `from` to `to`. */
export async function seedConsensus(
  prices: PriceRepo,
  opts: {
    symbol: string;
    now: number;
    from: number;
    to: number;
    points: number;
    stepMinutes: number;
    venues: string[];
  },
): Promise<void> {
  for (let i = 0; i < opts.points; i++) {
    const at = opts.now - (opts.points - 1 - i) * opts.stepMinutes * MINUTE;
    const price = opts.from + ((opts.to - opts.from) * i) / Math.max(1, opts.points - 1);
    const used = opts.venues.map((exchange) => quote(exchange, opts.symbol, price, at));
    await prices.putConsensus({ symbol: opts.symbol, price, used, dropped: [] }, at, 35);
  }
}

export function quote(exchange: string, symbol: string, price: number, at: number): Quote {
  return { sourceId: sourceIdOf(exchange, symbol), exchange, symbol, price, timestamp: at, fetchedAt: at };
}

/** A day of XEM/JPY at zaif, 110 JPY sliding to 96 (hourly), and zaif's latest quote at 96 a minute ago. */
export async function seedXemJpyDay(prices: PriceRepo, now: number): Promise<void> {
  await seedConsensus(prices, {
    symbol: 'XEM/JPY',
    now,
    from: 110,
    to: 96,
    points: 25,
    stepMinutes: 60,
    venues: ['zaif'],
  });
  await seedQuotes(prices, [quote('zaif', 'XEM/JPY', 96, now - MINUTE)]);
}

/** The latest quote of each venue, and a healthy source record for it. */
export async function seedQuotes(prices: PriceRepo, quotes: Quote[]): Promise<void> {
  for (const q of quotes) {
    await prices.putSample(q, 35);
    await prices.recordSourceOk(q, undefined);
  }
}

/** Matched news items of an incident, newest last in the list. */
export async function seedNews(
  news: NewsRepo,
  incidentId: string,
  items: { feedId: string; title: string; link: string; publishedAt: number }[],
): Promise<void> {
  for (const [i, item] of items.entries()) {
    await news.saveItem({
      key: `${item.feedId}-${i}`,
      feedId: item.feedId,
      title: item.title,
      link: item.link,
      publishedAt: item.publishedAt,
      incidentId,
      seenAt: item.publishedAt,
      keywords: ['NEM'],
      posted: true,
    });
  }
}
