import { ManualClock, MINUTE } from '../../lambdas/domain/clock';
import { JobRuns } from '../../lambdas/store/job-runs';
import { startTestStore, type TestStore } from '../../testkit/dynamo';

/**
 * The JobsFailing metric's judgment (one alarm for every job, ADR 0016): more than half, and at
 * least two, of a job's runs of the last 15 minutes failed. Kept on the job's last-run record.
 */
const clock = new ManualClock(Date.parse('2018-01-26T06:00:00Z'));
let t: TestStore;
let runs: JobRuns;
beforeAll(async () => {
  t = await startTestStore(clock);
  runs = new JobRuns(t.store, clock);
});
afterAll(() => t.close());

/** The next run of the schedule; health is read right after it, as the handler does. */
async function poll(job: 'price' | 'news', ok: boolean, everyMs: number): Promise<void> {
  clock.advance(everyMs);
  await runs.record(job, clock.now(), ok, ok ? 'ok' : 'failed');
}

it('one failed price poll among fifteen is not failing; eight of fifteen are', async () => {
  for (let i = 0; i < 15; i++) await poll('price', i !== 3, MINUTE);
  expect(await runs.health('price')).toEqual({ runs: 15, failed: 1, failing: false });
  for (let i = 0; i < 8; i++) await poll('price', false, MINUTE);
  expect(await runs.health('price')).toEqual({ runs: 15, failed: 8, failing: true });
  // Runs older than 15 minutes fall out: recovered polls clear it.
  for (let i = 0; i < 8; i++) await poll('price', true, MINUTE);
  expect(await runs.health('price')).toMatchObject({ failing: false });
});

it('news every 5 minutes: two of three failed is failing, one alone is not', async () => {
  await poll('news', false, 5 * MINUTE);
  expect(await runs.health('news')).toEqual({ runs: 1, failed: 1, failing: false });
  await poll('news', true, 5 * MINUTE);
  await poll('news', false, 5 * MINUTE);
  expect(await runs.health('news')).toEqual({ runs: 3, failed: 2, failing: true });
  // A job that stopped running altogether has no runs in the window: the stale-price and outbox alarms judge that.
  clock.advance(30 * MINUTE);
  expect(await runs.health('news')).toEqual({ runs: 0, failed: 0, failing: false });
});

it("a job's run is one write on its own last record; another process's record in between is read and kept", async () => {
  const other = new JobRuns(t.store, clock);
  clock.advance(30 * MINUTE);
  await runs.record('chain', clock.now(), true, 'ok'); // first in this process: read, then write
  let before = t.store.requests;
  clock.advance(MINUTE);
  await runs.record('chain', clock.now(), false, 'failed');
  expect(t.store.requests - before).toBe(1);
  // Another process (its own JobRuns) records a failure: the next write here is refused, reads it and keeps it.
  clock.advance(MINUTE);
  await other.record('chain', clock.now(), false, 'failed elsewhere');
  before = t.store.requests;
  clock.advance(MINUTE);
  await runs.record('chain', clock.now(), true, 'ok');
  expect(t.store.requests - before).toBe(3);
  expect(await runs.health('chain')).toEqual({ runs: 4, failed: 2, failing: false });
  const [last] = (await runs.last()).filter((r) => r.job === 'chain');
  expect(last).toMatchObject({
    ok: true,
    summary: 'ok',
    recent: [expect.anything(), expect.anything(), expect.anything(), expect.anything()],
  });
});
