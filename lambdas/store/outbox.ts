import { createHash } from 'node:crypto';
import type { Clock } from '../domain/clock';
import type { MessageKind } from '../domain/config';
import type { MessagePayload } from '../domain/messages';
import { ttlAfter, type Item, type Store } from './store';
import { PK as KEYS } from './keys';

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
  /** The delivery run holding the entry (claim before send) and until when (epoch ms). */
  claimOwner?: string;
  claimUntil?: number;
}

/** Attributes a claim adds; every move out of pending removes them with the gsi1 keys. */
const CLAIM = ['claimOwner', 'claimUntil'];

const PK = KEYS.outbox;
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
 *
 * Exactly once without Discord's help: a run claims an entry (conditional write of owner + lease
 * expiry) before sending it, and only a pending entry with no live lease can be claimed, so two
 * runs never send the same entry. A run that dies holding a claim leaves it to expire; the next run
 * then sends it with the same nonce. The one window left is a crash after Discord accepted the
 * message and before markSent: the resend is deduped by Discord's nonce check (a few minutes) only.
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

  /**
   * Claim a pending entry for `owner` for `leaseMs`: true when no other run holds a live lease.
   * The lease must outlast one send (request timeout + the longest 429 wait), or a slow send could
   * be taken over and repeated.
   */
  async claim(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const now = this.clock.now();
    return this.store.update(
      PK,
      id,
      { claimOwner: owner, claimUntil: now + leaseMs },
      { expected: { status: 'pending' }, absentOrBelow: { claimUntil: now } },
    );
  }

  /** Mark sent; only a pending entry moves, so two racing deliveries record one send. */
  async markSent(id: string, discordMessageId: string | undefined): Promise<boolean> {
    return this.store.update(
      PK,
      id,
      { status: 'sent', sentAt: this.clock.now(), discordMessageId },
      { remove: ['gsi1pk', 'gsi1sk', 'lastError', ...CLAIM], expected: { status: 'pending' } },
    );
  }

  /** No token: the entry was printed on the terminal instead; only a pending entry moves. */
  async markPrinted(id: string): Promise<boolean> {
    return this.store.update(
      PK,
      id,
      { status: 'printed', sentAt: this.clock.now() },
      { remove: ['gsi1pk', 'gsi1sk', ...CLAIM], expected: { status: 'pending' } },
    );
  }

  /** A failed attempt that may succeed later: stays pending, and the claim is let go for the next run. */
  async recordAttempt(entry: OutboxEntry, error: string): Promise<void> {
    await this.store.update(
      PK,
      entry.id,
      { attempts: entry.attempts + 1, lastError: error.slice(0, 500) },
      { remove: CLAIM, expected: { status: 'pending' } },
    );
  }

  /** Let go of a claim without an attempt (the run stopped before sending it). */
  async release(id: string, owner: string): Promise<void> {
    await this.store.update(
      PK,
      id,
      {},
      { remove: CLAIM, expected: { status: 'pending', claimOwner: owner } },
    );
  }

  /** Give up on an entry (channel gone, payload refused): kept as a record, no longer pending. */
  async drop(id: string, reason: string): Promise<void> {
    await this.store.update(
      PK,
      id,
      { status: 'dropped', lastError: reason.slice(0, 500) },
      { remove: ['gsi1pk', 'gsi1sk', ...CLAIM], expected: { status: 'pending' } },
    );
  }
}
