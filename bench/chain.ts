import { performance } from 'node:perf_hooks';
import { MINUTE, ManualClock } from '../lambdas/domain/clock';
import { DEFAULT_CONFIG, DEFAULT_NEM_CHAIN, parseConfig } from '../lambdas/domain/config';
import { MemoryLogger } from '../lambdas/domain/log';
import { createContainer } from '../lambdas/app/container';
import { runChainJob } from '../lambdas/app/jobs/chain-job';
import { NemNis1Reader } from '../lambdas/sources/chains/nem-nis1';
import { madeUpAccount, madeUpHash, startNemNode, type SimTransfer } from '../testkit/nem-server';
import { startTestStore } from '../testkit/dynamo';
import { meterCapacity } from './capacity';

/**
 * The on-chain watch's poll (issue 12): NIS1 requests, DynamoDB requests and units, and wall time
 * of one steady-state poll of N watched accounts, each with a transfer already read (so every
 * read stops at a known hash), against a loopback NIS1 node and dynalite. Then one poll in which
 * one attacker account sends to another watched account (one movement posted).
 */

export interface ChainPollUsage {
  accounts: number;
  nisRequests: number;
  dynamoRequests: number;
  rru: number;
  wru: number;
  ms: number;
}

const START = Date.UTC(2018, 0, 25, 15, 0);

export async function benchChainPoll(
  accounts: number,
): Promise<{ idle: ChainPollUsage; movement: ChainPollUsage }> {
  const clock = new ManualClock(START);
  const t = await startTestStore(clock, undefined, 'goxwatch-bench-chain');
  const watched = Array.from({ length: accounts }, (_, i) => madeUpAccount(`bench ${i}`));
  const transfers: SimTransfer[] = watched.map((a, i) => ({
    hash: madeUpHash(`bench opening ${i}`),
    at: START - MINUTE,
    from: madeUpAccount('bench funder'),
    to: a.address,
    microXem: 1_000_000,
  }));
  const node = await startNemNode({ chain: { transfers }, clock });
  try {
    const capacity = meterCapacity(t.store.client);
    const incident = DEFAULT_CONFIG.incidents[0]!;
    const config = parseConfig({
      ...DEFAULT_CONFIG,
      channels: [{ id: '400000000000000001', kinds: ['chain'] }],
      incidents: [
        {
          ...incident,
          watch: watched.map((a, i) => ({
            chain: 'nem',
            address: a.address,
            role: i === 0 ? 'victim' : 'attacker',
          })),
        },
      ],
      chains: { nem: { ...DEFAULT_NEM_CHAIN, nodes: [node.baseUrl] } },
    });
    const container = createContainer({ config, store: t.store, clock, logger: new MemoryLogger() });
    const reader = new NemNis1Reader({ config: config.chains!.nem! });
    await runChainJob(container, { reader }); // seeds the watch list, reads the opening transfers
    const measure = async (): Promise<ChainPollUsage> => {
      clock.advance(MINUTE);
      const before = { nis: reader.requests, req: t.store.requests, rru: capacity.rru, wru: capacity.wru };
      const started = performance.now();
      const r = await runChainJob(container, { reader });
      if (r.errors.length) throw new Error(`chain bench (${accounts} accounts): ${r.summary}`);
      return {
        accounts,
        nisRequests: reader.requests - before.nis,
        dynamoRequests: t.store.requests - before.req,
        rru: capacity.rru - before.rru,
        wru: capacity.wru - before.wru,
        ms: performance.now() - started,
      };
    };
    const idle = await measure();
    const from = watched[1] ?? watched[0]!;
    const to = watched[0]!;
    transfers.push({
      hash: madeUpHash('bench movement'),
      at: clock.now(),
      from,
      to: to.address,
      microXem: 5_000_000,
    });
    const movement = await measure();
    return { idle, movement };
  } finally {
    await node.close();
    await t.close();
  }
}
