/**
 * When a feed is fetched, backed off and switched off: the one place of the feed-disable rule.
 * The news job asks it, the news repository only writes what it answers.
 */

/** How failures of a feed are treated (the news job's options). */
export interface FeedFailurePolicy {
  /** Normal polling interval: the first step of the backoff. */
  intervalMs: number;
  /** Longest backoff step. */
  maxBackoffMs: number;
  /** Failures in a row before the feed is switched off. */
  maxFailures: number;
}

export interface FeedFailure {
  /** The fetch outcome kind (timeout, http-error, gone, parse-error ...). */
  outcome: string;
  error: string;
  /** From a 429/503 Retry-After: the next attempt waits at least this long. */
  retryAfterMs?: number;
}

export interface FeedFailureVerdict {
  /** Failures in a row, this one included. */
  failures: number;
  nextAttemptAt: number;
  /** Set when this failure switches the feed off: why, as the notice and the state say it. */
  disableReason?: string;
}

/** What the rule needs of a feed's stored state. */
export interface FeedSchedule {
  failures?: number;
  nextAttemptAt?: number;
  disabledAt?: number;
}

/** A feed is due when never fetched, or not switched off and past its backoff. */
export function isFeedDue(state: FeedSchedule | undefined, now: number): boolean {
  return !state || (state.disabledAt === undefined && (state.nextAttemptAt ?? 0) <= now);
}

/** Exponential backoff: interval, 2×, 4× ... capped; Retry-After (capped at a day) wins when longer. */
export function backoffMs(
  failures: number,
  intervalMs: number,
  maxBackoffMs: number,
  retryAfterMs?: number,
): number {
  const exp = Math.min(maxBackoffMs, intervalMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  const retry = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, 24 * 3_600_000);
  return Math.max(exp, retry);
}

/**
 * A failed fetch or parse: count it, back off, and switch the feed off after `maxFailures` in a
 * row, or at once when the server says the feed is gone (410).
 */
export function judgeFeedFailure(
  prev: FeedSchedule | null | undefined,
  failure: FeedFailure,
  policy: FeedFailurePolicy,
  now: number,
): FeedFailureVerdict {
  const failures = (prev?.failures ?? 0) + 1;
  const nextAttemptAt =
    now + backoffMs(failures, policy.intervalMs, policy.maxBackoffMs, failure.retryAfterMs);
  if (failure.outcome === 'gone') return { failures, nextAttemptAt, disableReason: failure.error };
  if (failures >= policy.maxFailures)
    return {
      failures,
      nextAttemptAt,
      disableReason: `${failures} failures in a row; last: ${failure.error}`.slice(0, 500),
    };
  return { failures, nextAttemptAt };
}
