import type { APIEmbed } from 'discord-api-types/v10';
import { createContainer } from '../../lambdas/app/container';
import { buildCommandInteraction } from '../../local/dev-client';
import { createFetchFollowUp } from '../../lambdas/discord/followup';
import { ManualClock } from '../../lambdas/domain/clock';
import { DEFAULT_CONFIG, type Config } from '../../lambdas/domain/config';
import { MemoryLogger } from '../../lambdas/domain/log';
import { incidentEvents } from '../../lambdas/discord/commands/price';
import { handleInteraction, type InteractionDeps } from '../../lambdas/discord/interactions';
import { localInteractions } from '../../local/interactions-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { startFollowUpRecorder, type FollowUpRecorder } from '../support/followup-recorder';
import { quote } from '../support/interaction-fixtures';
import { generateTestKeys, signedHeaders } from '../support/interactions';

/**
 * /price right after a fresh install: 70 s of data is not a day, so it says "since <first sample>",
 * and it states the distance to the refund price (the crossing alert stays quiet: rules tests).
 */

const NOW = Date.parse('2026-12-01T03:00:00Z');
const clock = new ManualClock(NOW);
const keys = generateTestKeys();
const config: Config = { ...DEFAULT_CONFIG, sources: [{ exchange: 'zaif', symbol: 'XEM/JPY' }] };
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
  // Two polls 70 s apart, XEM far below 88.549 JPY, as it trades today.
  for (const [at, price] of [
    [NOW - 70_000, 2.31],
    [NOW, 2.3],
  ] as const) {
    const used = [quote('zaif', 'XEM/JPY', price, at)];
    await deps.prices.putConsensus({ symbol: 'XEM/JPY', price, used, dropped: [] }, at, 35);
  }
});

afterAll(async () => {
  await recorder.close();
  await t.close();
});

async function priceText(locale?: string): Promise<string> {
  const body = JSON.stringify(buildCommandInteraction(['price'], locale ? { locale } : {}));
  const res = await handleInteraction({ headers: signedHeaders(body, keys.privateKey, NOW), body }, deps);
  await drain();
  const data = (JSON.parse(res.body) as { data?: { embeds?: APIEmbed[] } }).data;
  return (data?.embeds?.[0]?.fields ?? []).map((f) => `${f.name}\n${f.value}`).join('\n');
}

describe('/price on a 70 s series', () => {
  it('says "since <first sample time>", not "24 h change", and states the distance to the refund price', async () => {
    const en = await priceText();
    expect(en).not.toContain('24 h change');
    expect(en).toContain('Since 2026-12-01 02:58 UTC: -0.4%');
    expect(en).toContain('vs refund price 88.549 JPY: -97.4%');
    const ja = await priceText('ja');
    expect(ja).not.toContain('24時間変化');
    expect(ja).toContain('2026/12/01 11:58 JST から: -0.4%');
  });
});

describe('chart markers', () => {
  it('marks the incident start, detection and refund terms, and the payment once the history has it', () => {
    const incident = DEFAULT_CONFIG.incidents[0];
    if (!incident) throw new Error('no default incident');
    const labels = (events: { at: number; label: string }[]) =>
      events.map((e) => `${e.label} ${new Date(e.at).toISOString()}`);
    expect(labels(incidentEvents(incident, []))).toEqual([
      'START 2018-01-25T15:02:00.000Z',
      'DETECTED 2018-01-26T02:25:00.000Z',
      'TERMS 2018-01-27T14:00:00.000Z',
    ]);
    const paidAt = Date.parse('2018-03-12T09:00:00Z');
    const paid = incidentEvents(incident, [
      {
        incidentId: incident.id,
        seq: 1,
        from: 'terms-fixed',
        to: 'paid',
        at: paidAt,
        auto: true,
        evidence: [],
      },
    ]);
    expect(labels(paid).at(-1)).toBe('PAID 2018-03-12T09:00:00.000Z');
  });
});
