/**
 * When a run must stop starting work: the time the platform gives it (Lambda:
 * `context.getRemainingTimeInMillis()`), or locally a budget (the job's interval), minus a margin
 * kept free for what follows. Wall time, not the injected clock: it bounds billed time, and a
 * replay's simulated clock must not end a run early. One type for delivery, price and news.
 */
export interface Deadline {
  /** Epoch ms (wall clock). */
  readonly at: number;
  /** ms left before `at`, never negative. */
  left(): number;
  passed(): boolean;
}

export function deadlineFrom(opts: {
  /** Time left in this invocation; unset: `budgetMs` from now. */
  remainingMs?: (() => number) | undefined;
  budgetMs: number;
  /** Kept free at the end (default 5 s, or a tenth of the time when that is less). */
  marginMs?: number | undefined;
  now?: () => number;
}): Deadline {
  const now = opts.now ?? Date.now;
  const start = now();
  const time = opts.remainingMs ? opts.remainingMs() : opts.budgetMs;
  const at = start + time - (opts.marginMs ?? Math.min(5_000, time / 10));
  return { at, left: () => Math.max(0, at - now()), passed: () => now() >= at };
}
