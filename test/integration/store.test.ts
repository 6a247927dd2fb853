import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, DAY } from '../../lambdas/domain/clock';
import { request } from 'node:http';
import { Store, addClientMiddleware, dynamoClient, ttlAfter } from '../../lambdas/store/store';
import { startLoopbackServer } from '../../testkit/loopback';
import { startTestStore } from '../../testkit/dynamo';
import { dynaliteDependency } from '../../local/embedded-dynamo';

interface LevelIterator {
  next(): Promise<unknown>;
}

/** Every LevelDB iterator dynalite opens while `run` runs (each attaches itself to its db). */
async function iteratorsOpenedBy(run: () => Promise<void>): Promise<LevelIterator[]> {
  const { AbstractLevel } = dynaliteDependency<{
    AbstractLevel: { prototype: { attachResource(resource: object): void } };
  }>('memory-level', 'abstract-level');
  const proto = AbstractLevel.prototype;
  const attach = proto.attachResource;
  const opened: LevelIterator[] = [];
  proto.attachResource = function (this: unknown, resource: object) {
    if (typeof (resource as Partial<LevelIterator>).next === 'function')
      opened.push(resource as LevelIterator);
    attach.call(this, resource);
  };
  try {
    await run();
  } finally {
    proto.attachResource = attach;
  }
  return opened;
}

/** How a LevelDB iterator answers a read: closed ones refuse with LEVEL_ITERATOR_NOT_OPEN. */
async function readState(it: LevelIterator): Promise<string> {
  try {
    await it.next();
    return 'open';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('store on dynalite', () => {
  const clock = new ManualClock(Date.parse('2018-01-26T00:00:00Z'));

  it('conditional put succeeds once, then reports the conflict', async () => {
    const t = await startTestStore(clock);
    try {
      expect(await t.store.put({ pk: 'A', sk: '1', v: 1 }, { ifAbsent: true })).toBe(true);
      expect(await t.store.put({ pk: 'A', sk: '1', v: 2 }, { ifAbsent: true })).toBe(false);
      expect((await t.store.get('A', '1'))?.v).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('middleware added after a command was sent runs for its next request (the cached chain is dropped)', async () => {
    const t = await startTestStore(clock);
    try {
      await t.store.get('A', '1');
      await t.store.get('A', '1');
      const before = t.store.requests;
      const seen: string[] = [];
      addClientMiddleware(t.store.client, (stack) =>
        stack.add(
          (next, context) => async (args) => {
            seen.push(context.commandName ?? '?');
            return next(args);
          },
          { step: 'initialize', name: 'testSeen' },
        ),
      );
      await t.store.get('A', '1');
      expect(seen).toEqual(['GetItemCommand']);
      expect(t.store.requests - before).toBe(1);
    } finally {
      await t.close();
    }
  });

  it("a scoped store's abort cancels its request on the socket and sends none after, though the client caches its chains", async () => {
    const t = await startTestStore(clock);
    // The network edge made slow: each request reaches dynalite 200 ms after it arrives.
    let arrived = 0;
    let cancelled = 0;
    const slow = await startLoopbackServer(
      (req, res, body) => {
        arrived++;
        res.on('close', () => {
          if (!res.writableFinished) cancelled++;
        });
        setTimeout(() => {
          if (res.destroyed) return;
          const upstream = request(t.dynamo.endpoint, { method: 'POST', headers: req.headers }, (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          });
          upstream.end(body);
        }, 200);
      },
      { record: false },
    );
    const client = dynamoClient(slow.baseUrl);
    try {
      const store = new Store(client, 'goxwatch-test', clock);
      await store.get('A', '1'); // an unscoped read first: the GetItem chain is cached without a signal
      const budget = new AbortController();
      const scoped = store.withAbortSignal(budget.signal);
      const reads = (async () => {
        for (let i = 0; i < 5; i++) await scoped.get('A', String(i));
      })();
      const settled = reads.then(
        () => 'finished',
        (err: unknown) => (err as Error).name,
      );
      while (arrived < 2) await new Promise((r) => setTimeout(r, 5));
      budget.abort();
      expect(await settled).toBe('AbortError');
      await new Promise((r) => setTimeout(r, 400));
      expect(arrived).toBe(2); // the unscoped read, then the one in flight at the abort: none after
      expect(cancelled).toBe(1); // that one was cancelled on its socket, not left to finish
      expect(await scoped.get('A', '1').catch((err: Error) => err.name)).toBe('AbortError');
      expect(arrived).toBe(2);
      expect(await store.get('A', '1')).toBeUndefined(); // the unscoped store is not affected
    } finally {
      client.destroy();
      await slow.close();
      await t.close();
    }
  });

  it('putAll writes more items than one batch request takes (25), each readable after', async () => {
    const t = await startTestStore(clock);
    try {
      const items = Array.from({ length: 60 }, (_, i) => ({ pk: 'B', sk: String(i).padStart(2, '0'), v: i }));
      const before = t.store.requests;
      await t.store.putAll(items);
      expect(t.store.requests - before).toBe(3);
      expect((await t.store.query('B')).map((i) => i.v)).toEqual(items.map((i) => i.v));
    } finally {
      await t.close();
    }
  });

  it('expired items are invisible to get and query and can be overwritten', async () => {
    const t = await startTestStore(clock);
    try {
      await t.store.put({ pk: 'S', sk: 'old', expiresAt: ttlAfter(clock.now(), 1) });
      await t.store.put({ pk: 'S', sk: 'new', expiresAt: ttlAfter(clock.now(), 3) });
      clock.advance(2 * DAY);
      expect(await t.store.get('S', 'old')).toBeUndefined();
      expect((await t.store.query('S')).map((i) => i.sk)).toEqual(['new']);
      expect(await t.store.put({ pk: 'S', sk: 'old' }, { ifAbsent: true })).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('update with an expected value refuses when the value changed', async () => {
    const t = await startTestStore(clock);
    try {
      await t.store.put({ pk: 'O', sk: '1', status: 'pending' });
      expect(await t.store.update('O', '1', { status: 'sent' }, { expected: { status: 'pending' } })).toBe(
        true,
      );
      expect(await t.store.update('O', '1', { status: 'sent' }, { expected: { status: 'pending' } })).toBe(
        false,
      );
    } finally {
      await t.close();
    }
  });

  it('sparse gsi1 lists only items that carry its keys', async () => {
    const t = await startTestStore(clock);
    try {
      await t.store.put({ pk: 'X', sk: '1', gsi1pk: 'PENDING', gsi1sk: '001' });
      await t.store.put({ pk: 'X', sk: '2' });
      const pending = await t.store.query('PENDING', { index: 'gsi1' });
      expect(pending.map((i) => i.sk)).toEqual(['1']);
    } finally {
      await t.close();
    }
  });

  it('queries read to the end, stopped at their limit or on gsi1 leave no LevelDB iterator open', async () => {
    // An open iterator holds its snapshot of the store: left open, a long replay kept every one.
    const t = await startTestStore(clock);
    try {
      await t.store.putAll(
        Array.from({ length: 30 }, (_, i) => ({
          pk: 'Q',
          sk: String(i).padStart(2, '0'),
          gsi1pk: 'G',
          gsi1sk: String(i).padStart(2, '0'),
        })),
      );
      const iterators = await iteratorsOpenedBy(async () => {
        expect(await t.store.query('Q')).toHaveLength(30);
        expect(await t.store.query('Q', { limit: 5 })).toHaveLength(5);
        expect(await t.store.query('Q', { descending: true, limit: 1 })).toHaveLength(1);
        expect(await t.store.query('G', { index: 'gsi1', limit: 3 })).toHaveLength(3);
      });
      expect(iterators.length).toBeGreaterThanOrEqual(4);
      const states = await Promise.all(iterators.map(readState));
      expect(states).toEqual(iterators.map(() => 'LEVEL_ITERATOR_NOT_OPEN'));
    } finally {
      await t.close();
    }
  });

  it('data on disk survives a restart of the embedded store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'goxwatch-store-'));
    try {
      const first = await startTestStore(clock, dir);
      await first.store.put({ pk: 'P', sk: '1', v: 'kept' });
      await first.close();
      const second = await startTestStore(clock, dir);
      expect((await second.store.get('P', '1'))?.v).toBe('kept');
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
