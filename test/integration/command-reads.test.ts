import { createContainer } from '../../lambdas/app/container';
import type { APIEmbed } from 'discord-api-types/v10';
import { buildCommandInteraction } from '../../local/dev-client';
import { ManualClock, MINUTE } from '../../lambdas/domain/clock';
import { COINCHECK_NEM_2018, DEFAULT_CONFIG } from '../../lambdas/domain/config';
import { MemoryLogger } from '../../lambdas/domain/log';
import {
  createInteractionDeps,
  handleInteraction,
  parseCommand,
  type InteractionDeps,
} from '../../lambdas/discord/interactions';
import { isReadOnlyCommand } from '../../lambdas/discord/commands';
import type { DeferredWork } from '../../lambdas/discord/deferred';
import { PK } from '../../lambdas/store/keys';
import { Store, dynamoClient } from '../../lambdas/store/store';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { quote, seedConsensus, seedQuotes } from '../support/interaction-fixtures';
import { generateTestKeys, signedHeaders } from '../support/interactions';

/**
 * What the endpoint reads to answer a command, counted as DynamoDB requests on dynalite: the
 * answers come from as few reads as their evidence needs, and stay what a cold process would say.
 */

const NOW = Date.parse('2018-01-26T06:00:00Z');
const ADMINISTRATOR = 1n << 3n;
const incidentId = COINCHECK_NEM_2018.id;

const clock = new ManualClock(NOW);
const keys = generateTestKeys();
let t: TestStore;
let deps: InteractionDeps;
const handed: DeferredWork[] = [];

beforeAll(async () => {
  t = await startTestStore(clock);
  const container = createContainer({
    config: DEFAULT_CONFIG,
    store: t.store,
    clock,
    logger: new MemoryLogger(),
  });
  deps = createInteractionDeps(container, {
    publicKey: keys.publicKeyHex,
    handOff: async (work) => void handed.push(work),
    budgetMs: 20_000,
  });
  for (const [symbol, from, to, venues] of [
    ['XEM/JPY', 120, 96, ['zaif']],
    ['XEM/USDT', 1.1, 0.88, ['hitbtc']],
  ] as const)
    await seedConsensus(deps.prices, {
      symbol,
      now: NOW,
      from,
      to,
      points: 25,
      stepMinutes: 60,
      venues: [...venues],
    });
  await seedQuotes(deps.prices, [
    quote('zaif', 'XEM/JPY', 96, NOW - MINUTE),
    quote('hitbtc', 'XEM/USDT', 0.88, NOW - MINUTE),
  ]);
});

afterAll(async () => {
  await t.close();
});

/** Send one signed interaction to the endpoint; its reply and the DynamoDB requests it made. */
async function send(
  interaction: Record<string, unknown>,
  d: InteractionDeps = deps,
): Promise<{ embed: APIEmbed | undefined; content: string; requests: number }> {
  const body = JSON.stringify(interaction);
  const before = t.store.requests;
  const res = await handleInteraction(
    { headers: signedHeaders(body, keys.privateKey, clock.now()), body },
    d,
  );
  const requests = t.store.requests - before;
  const reply = JSON.parse(res.body) as { data?: { content?: string; embeds?: APIEmbed[] } };
  return { embed: reply.data?.embeds?.[0], content: reply.data?.content ?? '', requests };
}

const command = (line: string, permissions?: bigint) =>
  buildCommandInteraction(line.split(' '), permissions === undefined ? {} : { permissions });
const field = (embed: APIEmbed | undefined, name: string) =>
  embed?.fields?.find((f) => f.name === name)?.value ?? '';

describe('/price', () => {
  it("a warm /price reads neither the refund history nor the day's first point again, and answers as the cold one", async () => {
    const cold = await send(command('price'));
    // The seen record, the refund stage, and per symbol its latest consensus, quotes and day start.
    expect(cold.requests).toBe(8);
    expect(field(cold.embed, 'XEM/JPY')).toContain('24 h change: -20.0%');
    clock.advance(MINUTE);
    try {
      const warm = await send(command('price'));
      expect(warm.requests).toBe(6);
      // A minute later the 24 h window starts after the first hourly point: the change is from the next.
      expect(field(warm.embed, 'XEM/JPY')).toContain('Since 2018-01-25 07:00 UTC: -19.3%');
      // What a process that has read nothing before says (the same table through its own client).
      const client = dynamoClient(t.dynamo.endpoint);
      try {
        const store = new Store(client, t.store.tableName, clock);
        const container = createContainer({
          config: DEFAULT_CONFIG,
          store,
          clock,
          logger: new MemoryLogger(),
        });
        const other = createInteractionDeps(container, {
          publicKey: keys.publicKeyHex,
          handOff: async () => {},
        });
        expect(warm.embed).toEqual((await send(command('price'), other)).embed);
      } finally {
        client.destroy();
      }
    } finally {
      clock.set(NOW);
    }
  });

  it('a retried /price is answered "already handled" and hands off no second chart', async () => {
    const interaction = command('price');
    handed.length = 0;
    const first = await send(interaction);
    const again = await send(interaction);
    expect(field(first.embed, 'XEM/JPY')).toContain('**96 JPY** (zaif)');
    expect(again.content).toContain('already handled');
    expect(handed.map((w) => w.reason)).toEqual(['attachments']);
  });
});

describe('/refund show', () => {
  it('reads the stage and its history in one request; a new stage shows on the next /refund show', async () => {
    const before = await send(command('refund show'));
    expect(before.requests).toBe(2);
    expect(field(before.embed, 'Stage')).toContain('(`none`)');
    const set = await send(command('refund set-stage stage:announced reason:announcement', ADMINISTRATOR));
    expect(set.content).toContain('none → **announced**');
    const after = await send(command('refund show'));
    expect(after.requests).toBe(2);
    expect(field(after.embed, 'Stage')).toContain('(`announced`)');
    expect(field(after.embed, 'Last manual change')).toContain('none → announced: announcement');
  });

  it('a change whose writer died before updating the stage shows, and the stage is rolled forward', async () => {
    const current = await deps.refunds.get(incidentId);
    const seq = current.version + 1;
    // The change is written (the writer's lock), the state update never happens.
    await t.store.put({
      pk: PK.refund(incidentId),
      sk: `CHANGE#${String(seq).padStart(6, '0')}`,
      incidentId,
      seq,
      from: current.stage,
      to: 'scheduled',
      at: clock.now(),
      auto: false,
      evidence: [],
      actor: 'cli:maintainer',
      reason: 'scheduled by hand',
      posted: false,
    });
    const show = await send(command('refund show'));
    expect(field(show.embed, 'Stage')).toContain('(`scheduled`)');
    expect(field(show.embed, 'Last manual change')).toContain('announced → scheduled: scheduled by hand');
    expect(await deps.refunds.get(incidentId)).toMatchObject({ stage: 'scheduled', version: seq });
  });
});

describe('read-only commands', () => {
  it.each([
    'price',
    'price range:30d',
    'refund show',
    'refund calc amount:1000',
    'news count:5',
    'alerts list',
    'status',
    'chain',
    'feeds list',
  ])('/%s runs beside the seen record and writes nothing else', async (line) => {
    const written: string[] = [];
    /** The table through its own client, every write's partition noted. */
    class WatchedStore extends Store {
      override async put(...args: Parameters<Store['put']>): Promise<boolean> {
        written.push(args[0].pk);
        return super.put(...args);
      }
      override async putAll(...args: Parameters<Store['putAll']>): Promise<void> {
        written.push(...args[0].map((i) => i.pk));
        return super.putAll(...args);
      }
      override async update(...args: Parameters<Store['update']>): Promise<boolean> {
        written.push(args[0]);
        return super.update(...args);
      }
      override async delete(...args: Parameters<Store['delete']>): Promise<void> {
        written.push(args[0]);
        return super.delete(...args);
      }
      override async increment(...args: Parameters<Store['increment']>): Promise<number> {
        written.push(args[0]);
        return super.increment(...args);
      }
    }
    const client = dynamoClient(t.dynamo.endpoint);
    try {
      const store = new WatchedStore(client, t.store.tableName, clock);
      const container = createContainer({ config: DEFAULT_CONFIG, store, clock, logger: new MemoryLogger() });
      const watched = createInteractionDeps(container, {
        publicKey: keys.publicKeyHex,
        handOff: async () => {},
      });
      const interaction = command(line);
      const parsed = parseCommand(interaction);
      expect(typeof parsed !== 'string' && isReadOnlyCommand(parsed.name, parsed.sub)).toBe(true);
      await send(interaction, watched);
      expect(written).toEqual([PK.interactions]);
    } finally {
      client.destroy();
    }
  });
});
