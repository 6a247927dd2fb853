import { say, type Localized } from '../../domain/i18n';
import type { Repositories } from '../../store/repositories';
import type { Store } from '../../store/store';
import { DAY, type Clock } from '../../domain/clock';
import { COMMAND, REQUIRED_PERMISSION, SUB, type PriceRange } from '../command-definitions';
import type { Config, IncidentConfig, Language } from '../../domain/config';
import { LIMITS, NO_MENTIONS, truncate } from '../text';
import { formatTime } from '../../domain/format';
import type { CommandReply } from '../interaction-reply';
import type { Logger } from '../../domain/log';

/** A slash command as the handler parsed it from the interaction. */
export interface ParsedCommand {
  name: string;
  /** Subcommand name, when the command has subcommands. */
  sub?: string;
  options: Map<string, string | number | boolean>;
  language: Language;
  guildId?: string;
  guildLocale?: string;
  channelId?: string;
  userId: string;
  userName: string;
  /** member.permissions as bits; undefined outside a guild. */
  permissions?: bigint;
}

/** What a command reads and writes: the container's config, clock, logger and repositories. */
export interface CommandDeps extends Repositories {
  config: Config;
  clock: Clock;
  logger: Logger;
  /** Most channels one guild may subscribe with /alerts (default 25). */
  guildSubscriptionCap?: number;
  /**
   * 'render' (default): replies carry their files. 'later': the interactions endpoint, which
   * answers with the text and hands the files (the /price chart) to the deferred-work worker.
   */
  attachments?: 'render' | 'later';
  /**
   * Fetches and checks a feed URL once (/feeds add). The worker has it (app/feed-probe.ts); the
   * endpoint does not (a fetch may outlast its 3 s), so /feeds add is handed to the worker.
   */
  feedProbe?: FeedProbe;
}

/** What one check of a feed URL found. */
export type FeedCheck = { ok: true; title?: string; items: number } | { ok: false; problem: string };
export type FeedProbe = (url: string) => Promise<FeedCheck>;

/**
 * The part of the container (lambdas/app/container.ts) the interactions endpoint and worker take:
 * its repositories are used as built, never built again here.
 */
export type CommandContainer = Pick<CommandDeps, 'config' | 'clock' | 'logger' | keyof Repositories> & {
  store: Store;
};

/** Bad input or a refused action: shown to the caller only, as is. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

export const DEFAULT_GUILD_SUBSCRIPTION_CAP = 25;
export const MAX_PRICE_RULES_PER_CHANNEL = 10;
export const RANGE_MS: Record<PriceRange, number> = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY };
export const COLOR = { info: 0x5865f2, refund: 0x57f287, warn: 0xf0b232 };

/** Answers seen only by the caller: admin commands, /status, errors. The rest is posted in the channel. */
export function isEphemeralCommand(name: string, sub?: string): boolean {
  return (
    name === COMMAND.alerts ||
    name === COMMAND.status ||
    name === COMMAND.feeds ||
    (name === COMMAND.refund && (sub === SUB.refundSetStage || sub === SUB.refundSetTerms))
  );
}

/**
 * Commands that only read: the endpoint runs them beside its seen-interaction write instead of
 * after it, since running one again for a retried interaction changes nothing (its answer is then
 * dropped). The one write on their path, refunds.get rolling a dead writer's change forward, is
 * conditional on the version and so idempotent. A command that writes must not be listed here.
 */
export function isReadOnlyCommand(name: string, sub?: string): boolean {
  switch (name) {
    case COMMAND.price:
    case COMMAND.news:
    case COMMAND.status:
    case COMMAND.chain:
      return true;
    case COMMAND.refund:
      return sub === SUB.refundShow || sub === SUB.refundCalc;
    case COMMAND.alerts:
      return sub === SUB.alertsList;
    case COMMAND.feeds:
      return sub === SUB.feedsList;
    default:
      return false;
  }
}

export function errorReply(message: string): CommandReply {
  return {
    data: { content: truncate(message, LIMITS.content), allowed_mentions: NO_MENTIONS },
    ephemeral: true,
  };
}

// ---- option helpers ---------------------------------------------------------------------------

export function stringOption(cmd: ParsedCommand, name: string): string | undefined {
  const v = cmd.options.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new CommandError(`Option ${name} must be text, got ${String(v)}.`);
  const trimmed = v.trim();
  return trimmed === '' ? undefined : trimmed;
}

export function numberOption(cmd: ParsedCommand, name: string): number | undefined {
  const v = cmd.options.get(name);
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n))
    throw new CommandError(
      say(cmd.language, {
        en: `Option ${name} must be a number, got "${String(v)}".`,
        ja: `${name} は数値で指定してください（"${String(v)}"）。`,
      }),
    );
  return n;
}

export function booleanOption(cmd: ParsedCommand, name: string): boolean | undefined {
  const v = cmd.options.get(name);
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new CommandError(`Option ${name} must be true or false, got "${String(v)}".`);
}

export function incidentFor(cmd: ParsedCommand, config: Config): IncidentConfig {
  const id = stringOption(cmd, 'incident');
  const incident = id ? config.incidents.find((i) => i.id === id.toLowerCase()) : config.incidents[0];
  if (incident) return incident;
  const known = config.incidents.map((i) => i.id).join(', ') || '(none configured)';
  throw new CommandError(
    id
      ? say(cmd.language, {
          en: `Unknown incident "${id}". Known: ${known}.`,
          ja: `事件 "${id}" はありません。登録済み: ${known}`,
        })
      : say(cmd.language, { en: 'No incident is configured.', ja: '事件が設定されていません。' }),
  );
}

export function requirePermission(cmd: ParsedCommand, bit: bigint, what: Localized): void {
  if (!cmd.guildId || cmd.permissions === undefined)
    throw new CommandError(
      say(cmd.language, {
        en: 'This command works in a server only.',
        ja: 'このコマンドはサーバー内でのみ使えます。',
      }),
    );
  const perms = cmd.permissions;
  const admin = REQUIRED_PERMISSION.refundSetStage;
  if ((perms & bit) !== bit && (perms & admin) !== admin)
    throw new CommandError(
      say(cmd.language, {
        en: `You need the ${what.en} permission for this.`,
        ja: `この操作には「${what.ja}」権限が必要です。`,
      }),
    );
}

export function ageNote(at: number, deps: CommandDeps, language: Language): string {
  const stale = deps.clock.now() - at > deps.config.rules.maxQuoteAgeSeconds * 1000;
  const when = formatTime(at, language);
  return stale ? say(language, { en: `${when} (stale)`, ja: `${when}（古いデータ）` }) : when;
}
