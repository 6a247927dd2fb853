import { createHash } from 'node:crypto';
import type { Clock } from '../domain/clock';
import type { MessageKind } from '../domain/config';
import type { MessagePayload } from '../domain/messages';
import { ttlAfter, type Item, type Store } from './store';

/** 'printed': shown on the terminal because no bot token was set (kept as the record, not sent). */
export type OutboxStatus = 'pending' | 'sent' | 'dropped' | 'printed';

export interface OutboxEntry extends Item {
  id: string;
  messageKey: string;
  channelId: string;
  kind: MessageKind;
  payload: MessagePayload;
  status: OutboxStatus;
  attempts: number;
  createdAt: number;
  sentAt?: number;
  discordMessageId?: string;
  lastError?: string;
}

const PK = 'OUTBOX';
const PENDING = 'OUTBOX#PENDING';
/** Sent and dropped entries are kept this long as the record of what was posted. */
const RETENTION_DAYS = 30;

/**
 * Deterministic outbox id for (message, channel); also sent to Discord as the message nonce,
 * whose limit is 25 characters.
 */
export function outboxId(messageKey: string, channelId: string): string {
  return createHash('sha256').update(`${messageKey}\n${channelId}`).digest('base64url').slice(0, 25);
}

/**
 * The delivery outbox: one item per (message, channel), recorded before sending. Pending items
 * carry the sparse gsi1 keys so the delivery run lists them cheaply; marking one sent removes them.
 */
export class Outbox {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Record a message for a channel. Returns false when it was recorded before (a re-run). */
  async enqueue(
    messageKey: string,
    channelId: string,
    kind: MessageKind,
    payload: MessagePayload,
  ): Promise<boolean> {
    const now = this.clock.now();
    const id = outboxId(messageKey, channelId);
    const entry: OutboxEntry = {
      pk: PK,
      sk: id,
      id,
      messageKey,
      channelId,
      kind,
      payload: { ...payload, nonce: id, enforce_nonce: true },
      status: 'pending',
      attempts: 0,
      createdAt: now,
      gsi1pk: PENDING,
      gsi1sk: `${String(now).padStart(15, '0')}#${id}`,
      expiresAt: ttlAfter(now, RETENTION_DAYS),
    };
    return this.store.put(entry, { ifAbsent: true });
  }

  /** Pending entries, oldest first. */
  async pending(limit?: number): Promise<OutboxEntry[]> {
    return this.store.query<OutboxEntry>(PENDING, { index: 'gsi1', ...(limit ? { limit } : {}) });
  }

  async get(id: string): Promise<OutboxEntry | undefined> {
    return this.store.get<OutboxEntry>(PK, id);
  }

  /** Mark sent; only a pending entry moves, so two racing deliveries record one send. */
  async markSent(id: string, discordMessageId: string | undefined): Promise<boolean> {
    return this.store.update(
      PK,
      id,
      { status: 'sent', sentAt: this.clock.now(), discordMessageId },
      { remove: ['gsi1pk', 'gsi1sk', 'lastError'], expected: { status: 'pending' } },
    );
  }

  /** No token: the entry was printed on the terminal instead; only a pending entry moves. */
  async markPrinted(id: string): Promise<boolean> {
    return this.store.update(
      PK,
      id,
      { status: 'printed', sentAt: this.clock.now() },
      { remove: ['gsi1pk', 'gsi1sk'], expected: { status: 'pending' } },
    );
  }

  /** A failed attempt that may succeed later: stays pending. */
  async recordAttempt(entry: OutboxEntry, error: string): Promise<void> {
    await this.store.update(
      PK,
      entry.id,
      { attempts: entry.attempts + 1, lastError: error.slice(0, 500) },
      { expected: { status: 'pending' } },
    );
  }

  /** Give up on an entry (channel gone, payload refused): kept as a record, no longer pending. */
  async drop(id: string, reason: string): Promise<void> {
    await this.store.update(
      PK,
      id,
      { status: 'dropped', lastError: reason.slice(0, 500) },
      { remove: ['gsi1pk', 'gsi1sk'], expected: { status: 'pending' } },
    );
  }
}
