import type { Clock } from '../../domain/clock';
import { deliveryOutcome, type DeliveryOutcome } from '../../discord/delivery-outcome';
import { errorMessage, type Logger } from '../../domain/log';
import { renderForTerminal } from '../../discord/terminal-render';
import { DiscordRequestError, type DiscordClient } from '../../discord/rest-client';
import type { JobRuns } from '../../store/job-runs';
import type { Outbox, OutboxEntry } from '../../store/outbox';
import type { Subscriptions } from '../../store/subscriptions';

export interface DeliveryDeps {
  outbox: Outbox;
  subscriptions: Subscriptions;
  /** undefined when no bot token is set: entries are printed instead of sent. */
  discord: DiscordClient | undefined;
  clock: Clock;
  logger: Logger;
  jobRuns: JobRuns;
  /** Where the no-token mode shows each message (the runner passes console.log). */
  print: (text: string) => void;
  /** Entries fetched per batch (default 100). */
  maxItems?: number;
  /**
   * Wall time after which no new batch starts (default 40 s, inside the Lambda's timeout); what
   * is left waits for the next run. Wall time, not the injected clock: it bounds billed time.
   */
  wallBudgetMs?: number;
}

export interface DeliveryResult {
  sent: number;
  printed: number;
  /** Entries this run looked at that are still pending (outage, long rate limit, run stopped). */
  stillPending: number;
  dropped: number;
  /** Channels disabled by this run (403 / 404 Unknown Channel). */
  disabledChannels: number;
  badToken: boolean;
  summary: string;
}

/**
 * Drain pending outbox entries, oldest first. An entry moves pending → sent only by a conditional
 * update, and Discord dedupes a resend by the entry's nonce (enforce_nonce), so a duplicated or
 * retried run, or a crash between send and mark, never posts twice.
 */
export async function runDelivery(deps: DeliveryDeps): Promise<DeliveryResult> {
  const { outbox, subscriptions, discord, logger } = deps;
  const startedAt = deps.clock.now();
  const r = { sent: 0, printed: 0, stillPending: 0, dropped: 0, disabledChannels: 0, badToken: false };
  let failed = false;
  try {
    // Channels disabled earlier (or by this run) get nothing more; their entries are dropped as a record.
    const disabled = new Map<string, string>();
    for (const s of await subscriptions.all())
      if (s.disabledReason) disabled.set(s.channelId, s.disabledReason);
    const batchSize = deps.maxItems ?? 100;
    const wallStart = Date.now();
    // Batches until the outbox is empty, something stays pending (an outage: the next run
    // retries), or the wall budget is spent. 1,000 channels go out at Discord's 50/s in one run.
    for (let more = true; more;) {
      const entries = await outbox.pending(batchSize);
      more = entries.length === batchSize && Date.now() - wallStart < (deps.wallBudgetMs ?? 40_000);
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i] as OutboxEntry;
        const off = disabled.get(entry.channelId);
        if (off !== undefined) {
          await drop(entry, `channel ${entry.channelId} is disabled: ${off}`);
          continue;
        }
        if (!discord) {
          deps.print(renderForTerminal(entry.channelId, entry.payload));
          if (await outbox.markPrinted(entry.id)) r.printed++;
          continue;
        }

        let outcome: DeliveryOutcome;
        let messageId: string | undefined;
        try {
          messageId = (await discord.postMessage(entry.channelId, entry.payload)).id;
          outcome = { kind: 'sent' };
        } catch (err) {
          outcome =
            err instanceof DiscordRequestError
              ? err.outcome
              : deliveryOutcome({ networkError: errorMessage(err) }, { maxWaitMs: 0 });
        }

        switch (outcome.kind) {
          case 'sent':
            // false: another run marked it first; Discord returned that run's message for our nonce.
            if (await outbox.markSent(entry.id, messageId)) r.sent++;
            break;
          case 'retry-now': // the client already waited what it may: treat as an outage
          case 'retry-next-run':
            await outbox.recordAttempt(entry, outcome.reason);
            failed = true;
            r.stillPending++;
            logger.warn(`delivery: ${label(entry)} stays pending: ${outcome.reason}`);
            if (outcome.kind === 'retry-next-run' && outcome.rateLimit?.global) {
              // A global limit holds for every channel: stop instead of knocking on every entry.
              r.stillPending += entries.length - i - 1;
              logger.warn(`delivery: stopped for this run, ${entries.length - i - 1} more entries wait`);
              i = entries.length;
            }
            break;
          case 'bad-token':
            await outbox.recordAttempt(entry, outcome.reason);
            r.badToken = true;
            r.stillPending += entries.length - i;
            logger.error(`delivery: ${outcome.reason}; ${entries.length - i} entries stay pending`);
            i = entries.length;
            break;
          case 'disable-channel': {
            disabled.set(entry.channelId, outcome.reason);
            if (await subscriptions.disable(entry.channelId, outcome.reason)) {
              r.disabledChannels++;
              logger.warn(`delivery: channel ${entry.channelId} disabled: ${outcome.reason}`);
            }
            await drop(entry, `channel ${entry.channelId} disabled: ${outcome.reason}`);
            break;
          }
          case 'drop-entry':
            await drop(entry, outcome.reason);
            logger.warn(`delivery: dropped ${label(entry)}: ${outcome.reason}`);
            break;
        }
      }
      if (r.stillPending > 0 || r.badToken) more = false;
    }
  } catch (err) {
    // Store trouble: record the run as failed and let the runner report it.
    await deps.jobRuns
      .record('delivery', startedAt, false, `delivery failed: ${errorMessage(err)}`)
      .catch(() => undefined);
    throw err;
  }

  const summary =
    `delivery: ${r.sent} sent, ${r.printed} printed, ${r.stillPending} still pending, ${r.dropped} dropped` +
    (r.disabledChannels ? `, ${r.disabledChannels} channel(s) disabled` : '') +
    (r.badToken ? ', BAD TOKEN: sending stopped' : '');
  await deps.jobRuns.record('delivery', startedAt, !failed && !r.badToken, summary);
  return { ...r, summary };

  async function drop(entry: OutboxEntry, reason: string): Promise<void> {
    await outbox.drop(entry.id, reason);
    r.dropped++;
  }
}

function label(entry: OutboxEntry): string {
  return `entry ${entry.id} (${entry.messageKey} → channel ${entry.channelId})`;
}
