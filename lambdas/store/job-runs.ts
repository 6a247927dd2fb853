import type { Clock } from '../domain/clock';
import type { Item, Store } from './store';
import { PK as KEYS } from './keys';

export type JobName = 'price' | 'news' | 'delivery' | 'chain';

export interface JobRun extends Item {
  job: JobName;
  startedAt: number;
  finishedAt: number;
  ok: boolean;
  /** One-line summary, as printed by the runner. */
  summary: string;
}

const PK = KEYS.jobRuns;

/** Last run of each job, for `/status` and the stale-data alarms. */
export class JobRuns {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async record(job: JobName, startedAt: number, ok: boolean, summary: string): Promise<void> {
    const run: JobRun = { pk: PK, sk: job, job, startedAt, finishedAt: this.clock.now(), ok, summary };
    await this.store.put(run);
  }

  async last(): Promise<JobRun[]> {
    return this.store.query<JobRun>(PK);
  }
}
