import { randomUUID } from 'node:crypto';
import { deliveryOutcome, type DeliveryOutcome } from '../../discord/delivery-outcome';
import { deadlineFrom } from '../../domain/deadline';
import { errorMessage } from '../../domain/log';
import { renderForTerminal } from '../../discord/terminal-render';
import { DiscordRequestError, type DiscordClient } from '../../discord/rest-client';
import type { OutboxEntry } from '../../store/outbox';
import type { Container } from '../container';

export interface DeliveryOptions {
  /** undefined when no bot token is set: entries are printed instead of sent. */
  discord: DiscordClient | undefined;
  /** Where the no-token mode shows each message (the runner passes console.log). */
  print: (text: string) => void;
  /** Entries fetched per batch (default 100). */
  maxItems?: number;
  /**
   * Wall time this run may take when no `remainingMs` is given (default 40 s, inside the Lambda's
   * timeout). Wall time, not the injected clock: it bounds billed time.
   */
  wallBudgetMs?: number;
  /** Time left before the platform stops us (Lambda: context.getRemainingTimeInMillis). */
  remainingMs?: () => number;
  /**
   * Kept free at the end: no new send starts and no 429 wait lasts into it (default 5 s, or a
   * tenth of the budget when that is less), so marking what was sent always fits.
   */
  marginMs?: number;
  /** The shared brakes (Cloudflare ban backoff, invalid-request count); read at the start. */
  guard?: { refresh(): Promise<void>; pausedReason(): string | undefined };
  /** This run's name on its claims (default a random id). */
  owner?: string;
  /** How long a claim holds (default 2 min): longer than one send with its waits. */
  leaseMs?: number;
  /** Observes each outbox step (the crash tests kill the process at one; the soak counts). */
  onStep?: (step: 'claimed' | 'sent' | 'marked', entry: OutboxEntry) => void | Promise<void>;
}

export interface DeliveryResult {
  sent: number;
  printed: number;
  /** Entries this run looked at that are still pending (outage, long rate limit, run stopped). */
  stillPending: number;
  dropped: number;
  /** Entries skipped because another run holds their claim. */
  claimedElsewhere: number;
  /** Channels disabled by this run (403 / 404 Unknown Channel). */
  disabledChannels: number;
  badToken: boolean;
  /** Why sending is paused (Cloudflare ban backoff, too many invalid requests), when it is. */
  paused?: string;
  summary: string;
}

export const DEFAULT_LEASE_MS = 2 * 60_000;

/**
 * Drain pending outbox entries, oldest first. Each entry is claimed (conditional write with a
 * lease) before it is sent and marked sent after, so concurrent runs never send the same entry;
 * a claim left by a crashed run expires and the entry goes out then, with the same nonce. Only a
 * crash between Discord's answer and the mark can resend, and the nonce covers that for minutes.
 */
export async function runDelivery(container: Container, opts: DeliveryOptions): Promise<DeliveryResult> {
  const { outbox, subscriptions, logger, jobRuns } = container;
  const { discord } = opts;
  const startedAt = container.clock.now();
  const r = {
    sent: 0,
    printed: 0,
    stillPending: 0,
    dropped: 0,
    claimedElsewhere: 0,
    disabledChannels: 0,
    badToken: false,
  };
  const owner = opts.owner ?? randomUUID();
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const { at: deadline } = deadlineFrom({
    remainingMs: opts.remainingMs,
    budgetMs: opts.wallBudgetMs ?? 40_000,
    marginMs: opts.marginMs,
  });
  let failed = false;
  let paused: string | undefined;
  // Channels disabled earlier (or by this run) get nothing more; their entries are dropped as a record.
  const disabled = new Map<string, string>();
  try {
    await opts.guard?.refresh();
    paused = discord ? opts.guard?.pausedReason() : undefined;
    if (!paused)
      for (const s of await subscriptions.all())
        if (s.disabledReason) disabled.set(s.channelId, s.disabledReason);
    const batchSize = opts.maxItems ?? 100;
    // Batches until the outbox is empty, something stays pending (an outage: the next run
    // retries), every entry left is another run's, or the deadline nears.
    for (let more = !paused; more;) {
      const entries = await outbox.pending(batchSize);
      let claimed = 0;
      let stop = false;
      for (let i = 0; i < entries.length && !stop; i++) {
        const entry = entries[i] as OutboxEntry;
        if (Date.now() >= deadline) {
          r.stillPending += entries.length - i;
          logger.warn(`delivery: deadline near, ${entries.length - i} entries wait for the next run`);
          stop = true;
          break;
        }
        if (entry.claimUntil !== undefined && entry.claimUntil > container.clock.now()) {
          r.claimedElsewhere++;
          continue;
        }
        if (!(await outbox.claim(entry.id, owner, leaseMs))) {
          r.claimedElsewhere++;
          continue;
        }
        claimed++;
        await opts.onStep?.('claimed', entry);
        const off = disabled.get(entry.channelId);
        if (off !== undefined) {
          await drop(entry, `channel ${entry.channelId} is disabled: ${off}`);
          continue;
        }
        if (!discord) {
          opts.print(renderForTerminal(entry.channelId, entry.payload));
          if (await outbox.markPrinted(entry.id)) r.printed++;
          continue;
        }
        stop = await send(entry, entries.length - i - 1);
      }
      more = !stop && claimed > 0 && entries.length === batchSize && r.stillPending === 0;
    }
  } catch (err) {
    // Store trouble: record the run as failed and let the runner report it.
    await jobRuns
      .record('delivery', startedAt, false, `delivery failed: ${errorMessage(err)}`)
      .catch(() => undefined);
    throw err;
  }

  const summary =
    `delivery: ${r.sent} sent, ${r.printed} printed, ${r.stillPending} still pending, ${r.dropped} dropped` +
    (r.claimedElsewhere ? `, ${r.claimedElsewhere} held by another run` : '') +
    (r.disabledChannels ? `, ${r.disabledChannels} channel(s) disabled` : '') +
    (r.badToken ? ', BAD TOKEN: sending stopped' : '') +
    (paused ? `, PAUSED: ${paused}` : '');
  await jobRuns.record('delivery', startedAt, !failed && !r.badToken && !paused, summary);
  return { ...r, ...(paused ? { paused } : {}), summary };

  /** Send one claimed entry; true when the run must stop sending (`left` entries of the batch wait). */
  async function send(entry: OutboxEntry, left: number): Promise<boolean> {
    let outcome: DeliveryOutcome;
    let messageId: string | undefined;
    try {
      messageId = (await (discord as DiscordClient).postMessage(entry.channelId, entry.payload, { deadline }))
        .id;
      outcome = { kind: 'sent' };
    } catch (err) {
      outcome =
        err instanceof DiscordRequestError
          ? err.outcome
          : deliveryOutcome({ networkError: errorMessage(err) }, { maxWaitMs: 0 });
    }
    switch (outcome.kind) {
      case 'sent':
        await opts.onStep?.('sent', entry);
        // false: another run marked it first (its lease ran out under a slow send).
        if (await outbox.markSent(entry.id, messageId)) r.sent++;
        await opts.onStep?.('marked', entry);
        return false;
      case 'retry-now': // the client already waited what it may: treat as an outage
      case 'retry-next-run':
        await outbox.recordAttempt(entry, outcome.reason);
        failed = true;
        r.stillPending++;
        logger.warn(`delivery: ${label(entry)} stays pending: ${outcome.reason}`);
        if (outcome.kind === 'retry-next-run' && outcome.rateLimit?.global) {
          // A global limit holds for every channel: stop instead of knocking on every entry.
          r.stillPending += left;
          logger.warn(`delivery: stopped for this run, ${left} more entries wait`);
          return true;
        }
        return false;
      case 'stop-sending':
        // Not the entry's fault: let it go without counting an attempt. The guard said why, once.
        await outbox.release(entry.id, owner);
        paused = outcome.reason;
        r.stillPending += 1 + left;
        return true;
      case 'bad-token':
        await outbox.recordAttempt(entry, outcome.reason);
        r.badToken = true;
        r.stillPending += 1 + left;
        logger.error(`delivery: ${outcome.reason}; ${1 + left} entries stay pending`);
        return true;
      case 'disable-channel': {
        disabled.set(entry.channelId, outcome.reason);
        if (await subscriptions.disable(entry.channelId, outcome.reason)) {
          r.disabledChannels++;
          logger.warn(`delivery: channel ${entry.channelId} disabled: ${outcome.reason}`);
        }
        await drop(entry, `channel ${entry.channelId} disabled: ${outcome.reason}`);
        return false;
      }
      case 'drop-entry':
        await drop(entry, outcome.reason);
        logger.warn(`delivery: dropped ${label(entry)}: ${outcome.reason}`);
        return false;
    }
  }

  async function drop(entry: OutboxEntry, reason: string): Promise<void> {
    await outbox.drop(entry.id, reason);
    r.dropped++;
  }
}

function label(entry: OutboxEntry): string {
  return `entry ${entry.id} (${entry.messageKey} → channel ${entry.channelId})`;
}
