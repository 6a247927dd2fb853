import type { Clock } from '../domain/clock';
import type { Item, Store } from './store';
import { PK as KEYS } from './keys';

export type JobName = 'price' | 'news' | 'delivery' | 'chain';

/** The window over which a job is judged to keep failing (the JobsFailing metric and alarm). */
export const FAILURE_WINDOW_MS = 15 * 60_000;

export interface JobRun extends Item {
  job: JobName;
  startedAt: number;
  finishedAt: number;
  ok: boolean;
  /** One-line summary, as printed by the runner. */
  summary: string;
  /** [startedAt, 1 ok / 0 failed] of this job's runs in the FAILURE_WINDOW_MS up to this one. */
  recent?: [number, 0 | 1][];
  /** Counts the record's writes: the condition of the next one (absent on records from before it). */
  rev?: number;
}

/** How a job did over the last FAILURE_WINDOW_MS. */
export interface JobHealth {
  runs: number;
  failed: number;
  /** More than half of the runs failed, and at least two: one failed poll is normal, a job that keeps failing is not. */
  failing: boolean;
}

const PK = KEYS.jobRuns;
/** Conditional writes tried before the last, unconditional one. */
const MAX_ATTEMPTS = 3;

/** Last run of each job, for `/status` and the alarms; it carries the job's runs of the last 15 minutes. */
export class JobRuns {
  /**
   * The record this object last wrote per job. The next run builds on it without reading it
   * again, as long as the stored record is still it: the write is conditional on its `rev`, and
   * another process's record in between (a refused write) is read and built on instead.
   */
  private readonly written = new Map<JobName, JobRun>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async record(job: JobName, startedAt: number, ok: boolean, summary: string): Promise<void> {
    let previous = this.written.get(job);
    for (let attempt = 1; ; attempt++) {
      if (!previous || attempt > 1) previous = await this.store.get<JobRun>(PK, job);
      const recent: [number, 0 | 1][] = [
        ...(previous?.recent ?? []).filter(([at]) => at > startedAt - FAILURE_WINDOW_MS),
        [startedAt, ok ? 1 : 0],
      ];
      const run: JobRun = {
        pk: PK,
        sk: job,
        job,
        startedAt,
        finishedAt: this.clock.now(),
        ok,
        summary,
        recent,
        rev: (previous?.rev ?? 0) + 1,
      };
      const { pk: _pk, sk: _sk, ...fields } = run;
      // Past a few refusals (writers racing) the last one read is built on without a condition.
      const expected = attempt < MAX_ATTEMPTS ? { expected: { rev: previous?.rev ?? null } } : {};
      if (await this.store.update(PK, job, fields, expected)) {
        this.written.set(job, run);
        return;
      }
    }
  }

  async last(): Promise<JobRun[]> {
    return this.store.query<JobRun>(PK);
  }

  /** The job's runs of the last 15 minutes (by this clock), from its last record. */
  async health(job: JobName): Promise<JobHealth> {
    const since = this.clock.now() - FAILURE_WINDOW_MS;
    const recent = ((await this.store.get<JobRun>(PK, job))?.recent ?? []).filter(([at]) => at > since);
    const failed = recent.filter(([, ok]) => ok === 0).length;
    return { runs: recent.length, failed, failing: failed >= 2 && failed * 2 > recent.length };
  }
}
