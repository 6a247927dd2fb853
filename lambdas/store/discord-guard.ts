import type { Clock } from '../domain/clock';
import type { Logger } from '../domain/log';
import { ttlAfter, type Item, type Store } from './store';
import { PK as KEYS } from './keys';

/**
 * The brakes on sending to Discord, shared by every process through the table (the structural
 * implementation of discord/rest-client's SendGuard):
 *   DISCORD / BAN                  a Cloudflare ban backoff: until (epoch ms), level, since
 *   DISCORD / INVALID#<window>     401/403/429 answers counted per 10-minute window (atomic ADD)
 * Cloudflare bans an IP for 10,000 invalid requests in 10 minutes; we stop at `invalidLimit`
 * (default 1,000, a tenth of it) until the window ends. A bare 429 (Cloudflare's "error code:
 * 1015") stops everything for 5 minutes, doubling on each ban within 6 hours of the last, up to 2 h.
 */
export const INVALID_WINDOW_MS = 10 * 60_000;
export const DEFAULT_INVALID_LIMIT = 1_000;
const BAN_BASE_MS = 5 * 60_000;
const BAN_MAX_MS = 2 * 60 * 60_000;
const BAN_MEMORY_MS = 6 * 60 * 60_000;

const PK = KEYS.discordGuard;
const BAN = 'BAN';

interface BanItem extends Item {
  until: number;
  level: number;
  since: number;
  detail: string;
}

export interface GuardCounts {
  /** 401/403/429 answers this process saw since the last take. */
  invalidResponses: number;
  /** Bare (Cloudflare) 429s this process saw since the last take. */
  cloudflareBans: number;
}

export class DiscordGuard {
  private pausedUntil = 0;
  private reason = '';
  private counts: GuardCounts = { invalidResponses: 0, cloudflareBans: 0 };

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly invalidLimit = DEFAULT_INVALID_LIMIT,
  ) {}

  /** Read the shared state (another process may have paused sending); call at the start of a run. */
  async refresh(): Promise<void> {
    const now = this.clock.now();
    const ban = await this.store.get<BanItem>(PK, BAN);
    if (ban && ban.until > now) this.pause(ban.until, banReason(ban));
    const window = windowStart(now);
    const invalid = await this.store.get<Item & { count?: number }>(PK, invalidSk(window));
    if ((invalid?.count ?? 0) >= this.invalidLimit) this.pause(window + INVALID_WINDOW_MS, this.tooMany());
  }

  pausedReason(): string | undefined {
    return this.clock.now() < this.pausedUntil ? this.reason : undefined;
  }

  /** When sending may start again (epoch ms), or undefined when it may now. */
  pausedUntilMs(): number | undefined {
    return this.clock.now() < this.pausedUntil ? this.pausedUntil : undefined;
  }

  async invalidResponse(_status: number): Promise<void> {
    this.counts.invalidResponses++;
    const now = this.clock.now();
    const window = windowStart(now);
    const count = await this.store.increment(PK, invalidSk(window), 'count', 1, ttlAfter(now, 1));
    // Said once: only the request that reaches the limit logs it.
    if (count === this.invalidLimit) this.logger.error(`discord: ${this.tooMany()}`);
    if (count >= this.invalidLimit) this.pause(window + INVALID_WINDOW_MS, this.tooMany());
  }

  async cloudflareBan(detail: string): Promise<void> {
    this.counts.cloudflareBans++;
    const now = this.clock.now();
    const last = await this.store.get<BanItem>(PK, BAN);
    if (last && last.until > now) {
      // Another process set this ban already (and said so).
      this.pause(last.until, banReason(last));
      return;
    }
    const level = last && now - last.until < BAN_MEMORY_MS ? last.level + 1 : 0;
    const until = now + Math.min(BAN_BASE_MS * 2 ** level, BAN_MAX_MS);
    const ban: BanItem = { pk: PK, sk: BAN, until, level, since: now, detail, expiresAt: ttlAfter(now, 1) };
    await this.store.put(ban);
    this.pause(until, banReason(ban));
    this.logger.error(
      `discord: ${banReason(ban)}; Cloudflare bans an IP that keeps sending, so nothing is sent ` +
        `until then (ban ${level + 1} in a row)`,
    );
  }

  /** Counts since the last call, for the metrics line. */
  takeCounts(): GuardCounts {
    const out = this.counts;
    this.counts = { invalidResponses: 0, cloudflareBans: 0 };
    return out;
  }

  private pause(until: number, reason: string): void {
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    this.reason = reason;
  }

  private tooMany(): string {
    return (
      `${this.invalidLimit} invalid answers (401/403/429) from Discord in 10 minutes: sending paused ` +
      `until the window ends (Cloudflare bans an IP at 10,000)`
    );
  }
}

function banReason(ban: BanItem): string {
  return `a 429 without Discord's JSON body (${ban.detail}): Cloudflare ban, sending paused until ${new Date(ban.until).toISOString()}`;
}

function windowStart(nowMs: number): number {
  return nowMs - (nowMs % INVALID_WINDOW_MS);
}

function invalidSk(window: number): string {
  return `INVALID#${String(window).padStart(15, '0')}`;
}
