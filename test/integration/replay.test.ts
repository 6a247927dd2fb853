import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../local/embedded-dynamo';
import { runReplay, jst, type ReplaySummary } from '../../local/replay/replay';
import { startDiscordServer } from '../../testkit/discord-server';

/**
 * The offline replay end to end: recorded prices on the loopback Poloniex (real ccxt), our
 * timeline on the loopback feed (real fetch + rss-parser), the real price, news and delivery
 * jobs on dynalite, printing what the bot would post.
 *
 * The whole default range (2018-01-20 → 03-15, 5,185 steps) takes about 45 s on this 2-core
 * machine (one price poll a step, ~4 DynamoDB requests), so the test replays the two stretches of it
 * where the incident happens, on one store: the hack and the refund terms (01-25 → 01-29), then,
 * after a restart six weeks later, the refunds (03-11 → 03-12). The second run continues from
 * the first one's state, as `npm start` does after downtime.
 */

const boxes = (lines: string[]): string[] => lines.filter((l) => l.startsWith('┌'));

/** Printed messages under the time headers of one JST day. */
function messagesOn(lines: string[], day: string): string[] {
  const out: string[] = [];
  let today = false;
  for (const l of lines) {
    if (l.startsWith('\n── ')) today = l.slice(4).startsWith(day);
    else if (today && l.startsWith('┌')) out.push(l);
  }
  return out;
}

describe('offline replay of the 2018 Coincheck NEM hack', () => {
  let dynamo: EmbeddedDynamo;
  let hack: ReplaySummary;
  let refunds: ReplaySummary;
  const printedHack: string[] = [];
  const printedRefunds: string[] = [];

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo();
    hack = await runReplay({
      speed: 0,
      from: '2018-01-25T12:00:00Z',
      to: '2018-01-29T07:00:00Z',
      storeEndpoint: dynamo.endpoint,
      progress: 'lines',
      print: (l) => printedHack.push(l),
    });
    refunds = await runReplay({
      speed: 0,
      from: '2018-03-11T12:00:00Z',
      to: '2018-03-12T16:00:00Z',
      storeEndpoint: dynamo.endpoint,
      progress: 'lines',
      print: (l) => printedRefunds.push(l),
    });
  }, 600_000); // two replays with minute-by-minute chain polls: minutes on a busy machine

  afterAll(async () => {
    await dynamo?.close();
  });

  it('the on-chain watch raises the drain alert at 00:04 JST, 11 h 21 min before Coincheck noticed at 11:25', () => {
    expect(hack.chain?.drains[0]).toEqual({
      at: Date.parse('2018-01-26T00:04:00+09:00'),
      address: 'NC3BI3DNMR2PGEOOMP2NKXQGSAKMS7GYRKVA5CSZ',
      xem: 100_000_010,
    });
    const header = printedHack.indexOf('\n── 2018-01-26 00:04 JST (2018-01-25 15:04 UTC) ──');
    expect(header).toBeGreaterThan(-1);
    expect(printedHack.slice(header, header + 3).join('\n')).toContain(
      '🚨 不正流出の可能性: Coincheck hot wallet から 2分で 100,000,010',
    );
    // It is the first message of the replay.
    expect(printedHack.findIndex((l) => l.startsWith('┌'))).toBe(header + 1);
    expect(hack.lines.join('\n')).toContain(
      "the first drain alert came 11 h 21 min before Coincheck's own detection (2018-01-26 11:25 JST, incident.detectedAt)",
    );
  });

  it('follows the stolen XEM from the attacker to the dispersal accounts, each announced once', () => {
    expect(hack.chain?.followed).toBe(9); // 8 from 02:57, a ninth at 23:42 (Jan 26)
    const announced = printedHack.filter((l) => l.includes('新たに監視'));
    expect(announced).toHaveLength(9);
    expect(hack.chain?.watchedAtEnd).toBe(11);
  });

  it('alerts the XEM/BTC drop on 2018-01-26 once, after the market saw it', () => {
    const onThe26th = hack.priceAlerts
      .filter((a) => a.symbol === 'XEM/BTC' && jst(a.at).startsWith('2018-01-26'))
      .sort((a, b) => a.ruleId.localeCompare(b.ruleId));
    // The 08:00 UTC hourly candle (VWAP 7.54e-5) closes at 09:00 UTC; a single venue must say it
    // twice, so both drop rules fire with the 09:15 UTC poll ...
    expect(onThe26th.map((a) => [a.ruleId, jst(a.at), Number(a.changePercent.toFixed(1))])).toEqual([
      ['drop-10-1440', '2018-01-26 18:15 JST', -12.7],
      ['drop-5-60', '2018-01-26 18:15 JST', -6.5],
    ]);
    // ... and go out as one message: the channel sees the fall once.
    const dropMessages = messagesOn(printedHack, '2018-01-26').filter((m) => m.includes('価格下落'));
    expect(dropMessages).toHaveLength(1);
    expect(dropMessages[0]).toContain('-12.7%');
    const keys = [...hack.priceAlerts, ...refunds.priceAlerts].map((a) => a.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('moves the refund stage once per change, as the record has it: terms fixed, then paying, then paid', () => {
    // The release of 2018-01-27 23:00 JST fixed the rate. No payment date was announced ahead (the
    // 8 March press conference said "next week"), so there is no "scheduled". The release and the
    // 12 March notice are Coincheck's own pages (official: at once); no official word says the
    // payout was complete, so "paid" waits, posted as unconfirmed, for a second source: a
    // holder's report on another site and feed at 00:29 JST on the 13th.
    expect(hack.refundChanges.map((c) => [jst(c.at), c.from, c.to])).toEqual([
      ['2018-01-27 23:00 JST', 'none', 'terms-fixed'],
    ]);
    expect(hack.unconfirmed).toBe(0);
    expect(refunds.refundChanges.map((c) => [jst(c.at), c.from, c.to])).toEqual([
      ['2018-03-12 09:00 JST', 'terms-fixed', 'paying'],
      ['2018-03-13 00:30 JST', 'paying', 'paid'],
    ]);
    expect(refunds.unconfirmed).toBe(1);
    const unconfirmed = messagesOn(printedRefunds, '2018-03-12').filter((m) => m.includes('未確認'));
    expect(unconfirmed).toHaveLength(1);
    expect(unconfirmed[0]).toContain('coincheck-2018/10-refund-paid');
    const paid = messagesOn(printedRefunds, '2018-03-13').find((m) => m.includes('返金完了'));
    expect(paid).toContain('coincheck-2018/10-refund-paid');
    expect(paid).toContain('k-taimiler.com/entry/2018-01-27-105516');
  });

  it('posts every timeline item once as news, as it happens', () => {
    expect(hack.newsPosts).toBe(7);
    expect(refunds.newsPosts).toBe(3);
    const OFFICIAL: Record<string, string> = {
      'corporate.coincheck.com/2018/01/28/30.html': '06-refund-terms',
      'corporate.coincheck.com/2018/03/12/47.html': '09-refund-paying',
    };
    const links = [...boxes(printedHack), ...boxes(printedRefunds)]
      .map(
        (b) =>
          /goxwatch-replay\.invalid\/coincheck-2018\/([\w-]+)/.exec(b)?.[1] ??
          Object.entries(OFFICIAL).find(([url]) => b.includes(url))?.[1] ??
          (b.includes('k-taimiler.com') ? '11-holder-refunded' : undefined),
      )
      .filter((l) => l !== undefined);
    expect(links).toEqual([
      '01-outflow',
      '02-nem-halt',
      '03-withdrawal-halt',
      '04-trading-halt',
      '05-press-conference',
      '06-refund-terms', // the stage change (its evidence)
      '06-refund-terms', // the news item
      '07-fsa-order',
      '09-refund-paying',
      '09-refund-paying',
      '10-refund-paid', // reported, unconfirmed
      '10-refund-paid', // the news item
      '10-refund-paid', // the stage change, citing both sources
      '11-holder-refunded', // the news item
    ]);
    // The hack's first outflow (00:02 JST) is seen by the next 15-minute news poll.
    const outflow = printedHack.findIndex((l) => l.includes('coincheck-2018/01-outflow'));
    const header = printedHack
      .slice(0, outflow)
      .reverse()
      .find((l) => l.startsWith('\n── '));
    expect(header).toContain('2018-01-26 00:15 JST');
  });

  it('prints each message once, in order, and nothing is left pending', () => {
    for (const [summary, printed] of [
      [hack, printedHack],
      [refunds, printedRefunds],
    ] as const) {
      const messages = printed.filter((l) => l.startsWith('┌'));
      expect(messages).toHaveLength(summary.delivered);
      expect(summary.delivered).toBe(
        summary.priceMessages +
          summary.newsPosts +
          summary.refundChanges.length +
          summary.unconfirmed +
          (summary.chain?.messages ?? 0),
      );
      expect(summary.pending).toBe(0);
      expect(summary.jobErrors).toBe(0);
      // Whole messages (header line to bottom rule) are never repeated.
      const bodies: string[] = [];
      let current: string[] | undefined;
      for (const l of printed) {
        if (l.startsWith('┌')) current = [l];
        else if (current) current.push(l);
        if (current && l.includes('└')) {
          bodies.push(current.join('\n'));
          current = undefined;
        }
      }
      expect(new Set(bodies).size).toBe(bodies.length);
      const times = printed.filter((l) => l.startsWith('\n── ')).map((l) => l.slice(4, 24));
      expect([...times].sort()).toEqual(times);
    }
  });

  it('ends with a summary: counts, and the price at the hack against the refund rate', () => {
    expect(hack.priceAtHack.map((p) => [p.symbol, p.price, p.reference])).toEqual([
      ['XEM/BTC', expect.closeTo(8.412e-5, 8), undefined],
      ['XEM/USD', 0.95, 0.8146],
    ]);
    expect(hack.priceAtHack[1]?.referenceVsPricePercent).toBeCloseTo(-14.25, 2);
    expect(hack.refund).toMatchObject({
      asset: 'XEM',
      rate: 88.549,
      currency: 'JPY',
      referenceVenue: 'zaif',
    });
    const summary = printedHack.slice(printedHack.findIndex((l) => l.startsWith('Replay summary')));
    expect(summary).toEqual(hack.lines);
    expect(summary.join('\n')).toContain(
      `price alerts: ${hack.priceMessages} message(s), ${hack.priceAlerts.length} rule firing(s)`,
    );
    expect(summary.join('\n')).toContain('news posts: 7');
    expect(summary.join('\n')).toContain('refund stage changes: 1');
    expect(summary.join('\n')).toContain(
      "price at the hack: XEM/USD 0.9500 (candle of 2018-01-25 00:00 UTC) vs refund 0.8146 USD (the incident's reference): 14.3 % below",
    );
  });

  it('shows a progress line once per simulated day when not on a terminal', () => {
    expect(printedHack.filter((l) => l.startsWith('replay 2018-'))).toHaveLength(4);
  });
});

describe('offline replay posting to Discord', () => {
  it('with a token and a channel, posts the 2018-01-26 drop to the channel through the real REST client', async () => {
    const discord = await startDiscordServer();
    const printed: string[] = [];
    try {
      const summary = await runReplay({
        speed: 0,
        from: '2018-01-26T06:00:00Z',
        to: '2018-01-26T10:00:00Z',
        progress: 'off',
        discord: { token: discord.token, apiBase: discord.apiBase, channelId: '987654321098765432' },
        print: (l) => printed.push(l),
      });
      const posted = discord.messagesIn('987654321098765432');
      // The NEM halt (12:09 JST) is in the feed's first fetch, stored silently as a new feed's
      // items are; then the withdrawal halt (16:33 JST), the trading halt (17:23 JST) and the drop
      // (18:15 JST) are posted.
      expect(posted).toHaveLength(3);
      expect(summary.delivered).toBe(3);
      expect(JSON.stringify(posted[0]?.payload)).toContain('03-withdrawal-halt');
      expect(JSON.stringify(posted[1]?.payload)).toContain('04-trading-halt');
      expect(JSON.stringify(posted[2]?.payload)).toContain('価格下落');
      expect(posted.every((m) => m.nonce !== undefined)).toBe(true);
      expect(printed.some((l) => l.startsWith('┌'))).toBe(false);
      expect(printed.filter((l) => l.includes('message(s) posted to Discord'))).toHaveLength(3);
      expect(printed.join('\n')).not.toContain(discord.token);
    } finally {
      await discord.close();
    }
  });
});

describe('quiet runs', () => {
  it('skipping news runs and chain polls with nothing new prints what running every job every step prints', async () => {
    // Five days with news items, a dispersal on the chain (new accounts followed) and quiet hours.
    const replay = async (everyStep: boolean) => {
      const printed: string[] = [];
      const summary = await runReplay({
        speed: 0,
        from: '2018-01-26T00:00:00Z',
        to: '2018-01-31T00:00:00Z',
        progress: 'lines',
        everyStep,
        print: (l) => printed.push(l),
      });
      return {
        summary,
        messages: printed.slice(
          0,
          printed.findIndex((l) => l.startsWith('Replay summary')),
        ),
      };
    };
    const quiet = await replay(false);
    const every = await replay(true);
    expect(quiet.summary.quietSkipped.news).toBeGreaterThan(300);
    expect(quiet.summary.quietSkipped.chain).toBeGreaterThan(50);
    expect(every.summary.quietSkipped).toEqual({ news: 0, chain: 0 });
    expect(boxes(quiet.messages).length).toBeGreaterThan(10);
    expect(quiet.messages).toEqual(every.messages);
    expect(quiet.summary.chain?.followed).toBe(every.summary.chain?.followed);
    expect(quiet.summary.delivered).toBe(every.summary.delivered);
  }, 600_000);
});
