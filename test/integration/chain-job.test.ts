import { MINUTE, ManualClock } from '../../lambdas/domain/clock';
import { DEFAULT_CONFIG, parseConfig, type Config, type NemChainConfig } from '../../lambdas/domain/config';
import { MemoryLogger } from '../../lambdas/domain/log';
import { createContainer, type Container } from '../../lambdas/app/container';
import { runChainJob } from '../../lambdas/app/jobs/chain-job';
import { NemNis1Reader } from '../../lambdas/sources/chains/nem-nis1';
import { ChainRepo } from '../../lambdas/store/chain-repo';
import type { OutboxEntry } from '../../lambdas/store/outbox';
import {
  madeUpAccount,
  madeUpHash,
  startNemNode,
  type NemChain,
  type NemNode,
  type SimTransfer,
} from '../../testkit/nem-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { queriesOf, recordRequests } from '../support/store-requests';

/**
 * The on-chain watch end to end: the real NIS1 reader (fetch) against loopback NIS1 nodes that
 * serve the recorded response shapes, the real job, dynalite, the real outbox. Nothing mocked.
 */

const XEM = 1_000_000;
const CHANNEL = '300000000000000001';
const T0 = Date.UTC(2018, 0, 25, 15, 0); // 2018-01-26 00:00 JST
const victim = madeUpAccount('victim');
const attacker = madeUpAccount('attacker');
const cosigner = madeUpAccount('cosigner');

function configFor(nodes: string[], over: Partial<NemChainConfig> = {}): Config {
  const incident = DEFAULT_CONFIG.incidents[0]!;
  return parseConfig({
    ...DEFAULT_CONFIG,
    channels: [{ id: CHANNEL, kinds: ['chain'], language: 'en' }],
    incidents: [
      {
        ...incident,
        watch: [
          { chain: 'nem', address: victim.address, label: 'hot wallet', role: 'victim' },
          { chain: 'nem', address: attacker.address, label: 'attacker #1', role: 'attacker' },
        ],
      },
    ],
    chains: { nem: { ...DEFAULT_CONFIG.chains!.nem!, nodes, ...over } },
  });
}

function send(
  from: typeof victim,
  to: string,
  xem: number,
  at: number,
  extra: Partial<SimTransfer> = {},
): SimTransfer {
  return {
    hash: madeUpHash(`${from.address}-${to}-${at}-${xem}`),
    at,
    from,
    to,
    microXem: xem * XEM,
    ...extra,
  };
}

describe('on-chain watch (NIS1 loopback, dynalite)', () => {
  let clock: ManualClock;
  let db: TestStore;
  let chain: NemChain;
  let nodes: NemNode[];
  let runtime: Container;
  let reader: NemNis1Reader;

  async function setup(
    opts: { nodes?: number; config?: Partial<NemChainConfig>; opening?: Record<string, number> } = {},
  ) {
    clock = new ManualClock(T0);
    db = await startTestStore(clock);
    chain = { transfers: [], openingBalances: opts.opening ?? { [victim.address]: 1_000_000_000 * XEM } };
    nodes = [];
    for (let i = 0; i < (opts.nodes ?? 1); i++)
      nodes.push(await startNemNode({ chain, clock, idBase: 1000 + i * 7777 }));
    const config = configFor(
      nodes.map((n) => n.baseUrl),
      opts.config,
    );
    runtime = createContainer({ config, store: db.store, clock, logger: new MemoryLogger() });
    reader = new NemNis1Reader({ config: config.chains!.nem! });
  }

  const poll = () => runChainJob(runtime, { reader });
  const posts = async (): Promise<OutboxEntry[]> => runtime.outbox.pending();
  const keys = async () => (await posts()).map((e) => e.messageKey).sort();

  afterEach(async () => {
    for (const n of nodes) await n.close();
    await db.close();
  });

  it('the first poll seeds the watch list and reads it back; a poll after reads it once', async () => {
    await setup();
    const sent = recordRequests(db.store);
    await poll();
    expect(queriesOf(sent, 'CHAIN#WATCH')).toBe(2);
    sent.length = 0;
    clock.advance(MINUTE);
    expect((await poll()).accounts).toBe(2);
    expect(queriesOf(sent, 'CHAIN#WATCH')).toBe(1);
  });

  it('a multisig-wrapped transfer posts the inner transfer once: its hash, the multisig account as sender, the XEM', async () => {
    await setup();
    await poll(); // seeds the watch list at T0
    const t = send(attacker, victim.address, 20_000, T0 + MINUTE, { multisigCosigner: cosigner });
    chain.transfers.push(t);
    clock.set(T0 + 2 * MINUTE);
    const r = await poll();
    expect(r.errors).toEqual([]);
    expect(await keys()).toEqual([`chain:tx:${t.hash}`]);
    const embed = (await posts())[0]!.payload.embeds![0]!;
    // Labels are escaped like any text from config: "\\#" shows as "#" in Discord.
    expect(embed.title).toBe('Stolen XEM moved: attacker \\#1 → hot wallet (20,000 XEM)');
    expect(JSON.stringify(embed.fields)).toContain('via multisig');
    await poll();
    expect(await keys()).toHaveLength(1);
  });

  it('a version-2 transfer with mosaics: amount is the multiplier (2 × 1,500 XEM of nem:xem = 3,000 XEM)', async () => {
    await setup();
    await poll();
    const t = send(attacker, victim.address, 3_000, T0 + MINUTE, { mosaicMultiplier: 2 });
    chain.transfers.push(t);
    clock.set(T0 + 2 * MINUTE);
    await poll();
    const stored = await new ChainRepo(db.store, clock).recentTransfers(5);
    expect(stored).toEqual([
      expect.objectContaining({ hash: t.hash, microXem: 3_000 * XEM, from: attacker.address }),
    ]);
  });

  it('30 transfers in one poll: paged past 25 by id, all recorded, one burst summary, nothing on the next poll', async () => {
    await setup({ config: { pageSize: 25, follow: { maxDepth: 0, minXem: 1 } } });
    await poll();
    for (let i = 0; i < 30; i++)
      chain.transfers.push(
        send(attacker, madeUpAccount(`mule ${i}`).address, 100 + i, T0 + MINUTE + i * 1000),
      );
    clock.set(T0 + 2 * MINUTE);
    const r = await poll();
    expect(r.newTransfers).toBe(30);
    expect(r.posted).toBe(30);
    expect(nodes[0]!.hits.get('/account/transfers/outgoing')).toBe(2 + 3); // seed: 2 accounts; then victim 1 + attacker 2 pages
    const all = await posts();
    expect(all).toHaveLength(1);
    expect(all[0]!.messageKey).toMatch(/^chain:burst:/);
    expect(all[0]!.payload.embeds![0]!.title).toBe('30 movements of stolen XEM (3,435 XEM in all)');
    const second = await poll();
    expect(second.newTransfers).toBe(0);
    expect(await posts()).toHaveLength(1);
  });

  it('two nodes number the same transfer differently: read from one, then the other, it posts once', async () => {
    await setup({ nodes: 2 });
    await poll();
    const t = send(attacker, victim.address, 5, T0 + MINUTE);
    chain.transfers.push(t);
    clock.set(T0 + 2 * MINUTE);
    await poll();
    nodes[0]!.setMode('error');
    clock.set(T0 + 3 * MINUTE);
    const r = await poll();
    expect(r.nodes.map((n) => n.ok)).toEqual([false, true]);
    expect(r.newTransfers).toBe(0);
    expect(await keys()).toEqual([`chain:tx:${t.hash}`]);
    // The second node numbers its items differently, yet the hash matches.
    const ids = await Promise.all(
      nodes.map(async (n) => {
        const body = (await (
          await fetch(`${n.baseUrl}/account/transfers/outgoing?address=${attacker.address}`)
        ).json()) as {
          data?: { meta: { id: number } }[];
        };
        return body.data?.[0]?.meta.id;
      }),
    );
    expect(ids[1]).toBeDefined();
    expect(ids[0]).toBeUndefined(); // node 0 answers 503
  });

  it('a node lagging beyond maxLagBlocks is skipped and the other answers', async () => {
    await setup({ nodes: 2 });
    nodes[0]!.setMode('lag');
    const r = await poll();
    expect(r.nodes[0]).toMatchObject({ ok: false, problem: expect.stringMatching(/lagging/) });
    expect(r.nodes[1]!.ok).toBe(true);
    expect(nodes[0]!.hits.get('/account/transfers/outgoing')).toBeUndefined();
    expect(nodes[1]!.hits.get('/account/transfers/outgoing')).toBe(2);
  });

  it('every node down: nothing read, the run says so, and the next poll catches up', async () => {
    await setup();
    await poll();
    chain.transfers.push(send(attacker, victim.address, 7, T0 + MINUTE));
    nodes[0]!.setMode('error');
    clock.set(T0 + 2 * MINUTE);
    const down = await poll();
    expect(down.unavailable).toBe(true);
    expect(down.summary).toMatch(/no usable NEM node|skipped/);
    nodes[0]!.setMode('up');
    const up = await poll();
    expect(up.newTransfers).toBe(1);
  });

  it('XEM to a new account is followed (attacker, depth 1), announced once, and its own outflow is posted', async () => {
    await setup();
    await poll();
    const hideout = madeUpAccount('hideout');
    const funding = send(attacker, hideout.address, 1_000_000, T0 + MINUTE);
    chain.transfers.push(funding);
    clock.set(T0 + 2 * MINUTE);
    const r = await poll();
    expect(r.followed).toEqual([hideout.address]);
    const watched = await new ChainRepo(db.store, clock).watched();
    expect(watched.find((a) => a.address === hideout.address)).toMatchObject({
      role: 'attacker',
      depth: 1,
      announced: true,
    });
    expect(await keys()).toEqual([`chain:tx:${funding.hash}`, `chain:watch:${hideout.address}`].sort());
    const onward = send(hideout, madeUpAccount('exchange deposit').address, 400_000, T0 + 3 * MINUTE);
    chain.transfers.push(onward);
    clock.set(T0 + 4 * MINUTE);
    const next = await poll();
    expect(next.followed).toHaveLength(1); // the deposit address, one level deeper
    const all = await keys();
    expect(all.filter((k) => k === `chain:watch:${hideout.address}`)).toHaveLength(1);
    expect(all).toContain(`chain:tx:${onward.hash}`);
  });

  it("a victim's ordinary withdrawals are not posted; they count only towards the drain check", async () => {
    await setup();
    await poll();
    chain.transfers.push(send(victim, madeUpAccount('customer').address, 5_000, T0 + MINUTE));
    clock.set(T0 + 2 * MINUTE);
    const r = await poll();
    expect(r.newTransfers).toBe(1);
    expect(r.posted).toBe(0);
    expect(await posts()).toEqual([]);
    expect(await new ChainRepo(db.store, clock).unposted()).toEqual([]);
  });

  it('the hot wallet drained: one loud alert within the window, then quiet during the cooldown', async () => {
    await setup({ opening: { [victim.address]: 526_300_010 * XEM } });
    await poll();
    chain.transfers.push(send(victim, attacker.address, 10, T0 + 2 * MINUTE));
    chain.transfers.push(send(victim, attacker.address, 100_000_000, T0 + 3 * MINUTE));
    clock.set(T0 + 4 * MINUTE);
    const r = await poll();
    expect(r.drains).toEqual([
      expect.objectContaining({ address: victim.address, outMicro: 100_000_010 * XEM, transfers: 2 }),
    ]);
    // The alert alone first: the transfers it counts are posted by the next poll.
    expect((await posts()).map((e) => e.messageKey.split(':')[1])).toEqual(['drain']);
    const drain = (await posts()).find((e) => e.messageKey.startsWith('chain:drain:'))!;
    expect(drain.payload.content).toBe(
      '🚨 Possible theft in progress: 100,000,010 XEM left hot wallet in 1 min',
    );
    chain.transfers.push(send(victim, attacker.address, 100_000_000, T0 + 5 * MINUTE));
    clock.set(T0 + 6 * MINUTE);
    const again = await poll();
    expect(again.drains).toEqual([]);
    expect(again.posted).toBe(3);
    expect((await keys()).filter((k) => k.startsWith('chain:drain:'))).toHaveLength(1);
  });
});
