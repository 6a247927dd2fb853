import { MINUTE } from '../../lambdas/domain/clock';
import type { ChainTransfer } from '../../lambdas/domain/chain';
import {
  accountsToFollow,
  detectDrain,
  holdings,
  summariseBurst,
  type WatchedAccount,
} from '../../lambdas/domain/chain-watch';

const XEM = 1_000_000;
const T0 = Date.UTC(2018, 0, 25, 15, 2);

function transfer(over: Partial<ChainTransfer> & Pick<ChainTransfer, 'from' | 'to'>): ChainTransfer {
  return {
    chain: 'nem',
    hash: `h-${over.from}-${over.to}-${over.at ?? T0}`,
    height: 1,
    at: T0,
    microXem: XEM,
    ...over,
  };
}

function account(address: string, role: 'victim' | 'attacker', depth = 0): WatchedAccount {
  return { chain: 'nem', address, incidentId: 'inc', role, depth, since: 0 };
}

describe('follow the money', () => {
  const watched = new Map([
    ['VICTIM', account('VICTIM', 'victim')],
    ['ATTACKER', account('ATTACKER', 'attacker')],
  ]);
  const rules = { maxDepth: 2, minXem: 1 };

  it('a recipient of an attacker account is followed one level deeper, once, from its first transfer', () => {
    const found = accountsToFollow(
      [
        transfer({ from: 'ATTACKER', to: 'NEW1', microXem: 100 * XEM, at: T0 + 2 * MINUTE, hash: 'b' }),
        transfer({ from: 'ATTACKER', to: 'NEW1', microXem: 100 * XEM, at: T0 + MINUTE, hash: 'a' }),
      ],
      watched,
      rules,
    );
    expect(found).toEqual([
      expect.objectContaining({
        address: 'NEW1',
        role: 'attacker',
        depth: 1,
        fundedBy: 'ATTACKER',
        fundingHash: 'a',
        since: T0 + MINUTE,
      }),
    ]);
  });

  it('dust below the minimum, a 0 XEM tag, victim payments and known accounts are not followed', () => {
    expect(
      accountsToFollow(
        [
          transfer({ from: 'ATTACKER', to: 'DUST', microXem: XEM / 2 }),
          transfer({ from: 'ATTACKER', to: 'TAG', microXem: 0 }),
          transfer({ from: 'VICTIM', to: 'CUSTOMER', microXem: 1000 * XEM }),
          transfer({ from: 'ATTACKER', to: 'VICTIM', microXem: 1000 * XEM }),
        ],
        watched,
        rules,
      ),
    ).toEqual([]);
  });

  it('depth is capped: a chain of hops in one poll stops at maxDepth', () => {
    const found = accountsToFollow(
      [
        transfer({ from: 'ATTACKER', to: 'D1', at: T0 }),
        transfer({ from: 'D1', to: 'D2', at: T0 + MINUTE }),
        transfer({ from: 'D2', to: 'D3', at: T0 + 2 * MINUTE }),
      ],
      watched,
      rules,
    );
    expect(found.map((a) => [a.address, a.depth])).toEqual([
      ['D1', 1],
      ['D2', 2],
    ]);
  });
});

describe('drain detection', () => {
  const rule = { sharePercent: 10, minXem: 10_000_000, windowMinutes: 10, cooldownMinutes: 60 };

  it('100,000,000 XEM out of the hot wallet within the window fires, with amount, share and span', () => {
    const alert = detectDrain({
      address: 'VICTIM',
      outflows: [
        { at: T0, microXem: 10 * XEM, hash: 'test' },
        { at: T0 + MINUTE, microXem: 100_000_000 * XEM, hash: 'big' },
      ],
      balanceMicro: 426_300_000 * XEM,
      now: T0 + 2 * MINUTE,
      rule,
    });
    expect(alert).toMatchObject({
      outMicro: 100_000_010 * XEM,
      transfers: 2,
      firstHash: 'test',
      firstAt: T0,
      lastAt: T0 + MINUTE,
    });
    expect(alert?.sharePercent).toBeCloseTo((100_000_010 / 526_300_010) * 100, 6);
  });

  it('a 10 XEM test send alone is no drain; a large share of a small wallet is', () => {
    const base = { address: 'V', now: T0 + MINUTE, rule };
    expect(
      detectDrain({
        ...base,
        outflows: [{ at: T0, microXem: 10 * XEM, hash: 'x' }],
        balanceMicro: 500_000_000 * XEM,
      }),
    ).toBeUndefined();
    expect(
      detectDrain({
        ...base,
        outflows: [{ at: T0, microXem: 500 * XEM, hash: 'x' }],
        balanceMicro: 1000 * XEM,
      }),
    ).toMatchObject({
      outMicro: 500 * XEM,
    });
  });

  it('outflows older than the window do not count, and the cooldown keeps a second alert quiet', () => {
    const outflows = [{ at: T0, microXem: 50_000_000 * XEM, hash: 'old' }];
    expect(
      detectDrain({ address: 'V', outflows, balanceMicro: 0, now: T0 + 11 * MINUTE, rule }),
    ).toBeUndefined();
    expect(
      detectDrain({
        address: 'V',
        outflows,
        balanceMicro: 0,
        now: T0 + MINUTE,
        rule,
        lastAlertAt: T0 - 30 * MINUTE,
      }),
    ).toBeUndefined();
    expect(
      detectDrain({
        address: 'V',
        outflows,
        balanceMicro: 0,
        now: T0 + MINUTE,
        rule,
        lastAlertAt: T0 - 61 * MINUTE,
      }),
    ).toBeDefined();
  });
});

describe('holdings and bursts', () => {
  it('"3 of 4 attacker accounts hold 61 % of the stolen XEM" comes from balances and the stolen total', () => {
    const accounts: WatchedAccount[] = [
      { ...account('V', 'victim'), balanceMicro: 999 * XEM },
      { ...account('A', 'attacker'), balanceMicro: 300 * XEM },
      { ...account('B', 'attacker', 1), balanceMicro: 200 * XEM },
      { ...account('C', 'attacker', 1), balanceMicro: 110 * XEM },
      { ...account('D', 'attacker', 1), balanceMicro: 0 },
    ];
    expect(holdings(accounts, 1000)).toEqual({
      attackerAccounts: 4,
      holding: 3,
      heldMicro: 610 * XEM,
      heldPercent: 61,
    });
  });

  it('a burst is summed per sender and recipient', () => {
    const s = summariseBurst([
      transfer({ from: 'A', to: 'X', microXem: 100 * XEM, at: T0 + MINUTE }),
      transfer({ from: 'A', to: 'Y', microXem: 0, at: T0 }),
      transfer({ from: 'A', to: 'X', microXem: 100 * XEM, at: T0 + 2 * MINUTE }),
    ]);
    expect(s).toEqual({
      transfers: 3,
      totalMicro: 200 * XEM,
      senders: ['A'],
      recipients: ['Y', 'X'],
      firstAt: T0,
      lastAt: T0 + 2 * MINUTE,
    });
  });
});
