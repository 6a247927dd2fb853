import { readFileSync } from 'node:fs';
import { createContainer } from '../../lambdas/app/container';
import { join } from 'node:path';
import type { APIEmbed } from 'discord-api-types/v10';
import { buildCommandInteraction } from '../../local/dev-client';
import { createFetchFollowUp } from '../../lambdas/discord/followup';
import { DAY, ManualClock } from '../../lambdas/domain/clock';
import { CHART_COLORS } from '../../lambdas/domain/chart';
import { DEFAULT_CONFIG, type Config } from '../../lambdas/domain/config';
import { MemoryLogger } from '../../lambdas/domain/log';
import { handleInteraction, type InteractionDeps } from '../../lambdas/discord/interactions';
import { localInteractions } from '../../local/interactions-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { startFollowUpRecorder, type FollowUpRecorder } from '../support/followup-recorder';
import { quote } from '../support/interaction-fixtures';
import { generateTestKeys, signedHeaders } from '../support/interactions';
import { decodePng } from '../support/png';

/** Recorded CoinMarketCap daily NEM closes (USD), see test/fixtures/prices/PROVENANCE.md. */
function dailyCloses(): { day: string; close: number }[] {
  const csv = readFileSync(
    join(__dirname, '..', 'fixtures', 'prices', 'coinmarketcap_nem_daily_2017-12-20_2018-02-14.slice.csv'),
    'utf8',
  );
  return csv
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.split(','))
    .map(([day, , , , close]) => ({ day: day ?? '', close: Number(close) }));
}

// The end of 2018-01-26 UTC, the day of the hack: its close (0.84) is the newest point.
const NOW = Date.parse('2018-01-27T00:00:00Z');
const clock = new ManualClock(NOW);
const keys = generateTestKeys();
// Only the USDT venues: the recorded series is in USD.
const config: Config = {
  ...DEFAULT_CONFIG,
  sources: DEFAULT_CONFIG.sources.filter((s) => s.symbol === 'XEM/USDT'),
};
let t: TestStore;
let recorder: FollowUpRecorder;
let deps: InteractionDeps;
let drain: () => Promise<void>;

beforeAll(async () => {
  t = await startTestStore(clock);
  recorder = await startFollowUpRecorder();
  ({ deps, drain } = localInteractions(
    createContainer({ config, store: t.store, clock, logger: new MemoryLogger() }),
    {
      publicKey: keys.publicKeyHex,
      followUp: () => createFetchFollowUp({ apiBase: recorder.apiBase }),
      budgetMs: 20_000,
    },
  ));
  for (const { day, close } of dailyCloses()) {
    const at = Date.parse(`${day}T00:00:00Z`) + DAY; // a daily close is the price at the end of its day
    if (at > NOW) continue;
    const used = ['hitbtc', 'htx'].map((exchange) => quote(exchange, 'XEM/USDT', close, at));
    await deps.prices.putConsensus({ symbol: 'XEM/USDT', price: close, used, dropped: [] }, at, 400);
  }
});

afterAll(async () => {
  await recorder.close();
  await t.close();
});

async function send(line: string) {
  const body = JSON.stringify(buildCommandInteraction(line.split(' ')));
  const res = await handleInteraction({ headers: signedHeaders(body, keys.privateKey, NOW), body }, deps);
  // The chart comes from the worker, through the in-process hand-off.
  await drain();
  return JSON.parse(res.body) as { type: number; data?: { embeds?: APIEmbed[]; content?: string } };
}

describe('/price on the recorded January 2018 closes', () => {
  it('the day of the hack: 0.84 USDT, -11.6 % in 24 h, 3.1 % above the refund rate in USD', async () => {
    const reply = await send('price range:30d');
    const value = reply.data?.embeds?.[0]?.fields?.find((f) => f.name === 'XEM/USDT')?.value ?? '';
    expect(value).toContain('**0.84 USDT** (hitbtc, htx)');
    expect(value).toContain('24 h change: -11.6%'); // 0.95 -> 0.84
    expect(value).toContain('vs refund price 0.8146 USDT: +3.1%');
  });

  it('the 30-day chart draws the series and the refund reference line', async () => {
    await send('price range:30d');
    const png = decodePng(recorder.edits[recorder.edits.length - 1]?.files[0]?.data ?? Buffer.alloc(0));
    const found = { line: 0, reference: 0 };
    for (let x = 100; x < 780; x += 10)
      for (let y = 40; y < 324; y++) {
        const [r, g, b] = png.pixel(x, y);
        if (r === CHART_COLORS.line[0] && g === CHART_COLORS.line[1] && b === CHART_COLORS.line[2])
          found.line++;
        if (
          r === CHART_COLORS.reference[0] &&
          g === CHART_COLORS.reference[1] &&
          b === CHART_COLORS.reference[2]
        )
          found.reference++;
      }
    expect(found.line).toBeGreaterThan(50);
    expect(found.reference).toBeGreaterThan(10);
  });

  it('/refund calc says plainly that there is no JPY price to value the refund today', async () => {
    const reply = await send('refund calc amount:1000');
    const text = reply.data?.embeds?.[0]?.description ?? '';
    expect(text).toContain('**88,549 JPY**');
    expect(text).toContain('No XEM/JPY consensus price stored yet');
  });
});
