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
}

/** How a job did over the last FAILURE_WINDOW_MS. */
export interface JobHealth {
  runs: number;
  failed: number;
  /** More than half of the runs failed, and at least two: one failed poll is normal, a job that keeps failing is not. */
  failing: boolean;
}

const PK = KEYS.jobRuns;

/** Last run of each job, for `/status` and the alarms; it carries the job's runs of the last 15 minutes. */
export class JobRuns {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async record(job: JobName, startedAt: number, ok: boolean, summary: string): Promise<void> {
    const previous = await this.store.get<JobRun>(PK, job);
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
    };
    await this.store.put(run);
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
