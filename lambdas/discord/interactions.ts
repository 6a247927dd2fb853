import { say } from '../domain/i18n';
import type {
  APIApplicationCommandInteractionDataOption,
  APIInteractionResponse,
} from 'discord-api-types/v10';
import {
  ApplicationCommandOptionType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
} from './api-values';
import { ttlAfter, type Store } from '../store/store';
import type { Language } from '../domain/config';
import { NO_MENTIONS } from './text';
import type { CommandReply } from './interaction-reply';
import { toWire, type DeferredWork, type HandOff } from './deferred';
import { verifyInteractionRequest, SIGNATURE_WINDOW_MS } from './interactions-verify';
import { errorMessage } from '../domain/log';
import { PK } from '../store/keys';
import { createRepositories } from '../store/repositories';
import {
  errorReply,
  isEphemeralCommand,
  isReadOnlyCommand,
  runCommand,
  type CommandContainer,
  type CommandDeps,
  type ParsedCommand,
} from './commands';

/** The request as a Lambda Function URL (or HTTP API v2) delivers it; the local server builds the same. */
export interface InteractionEvent {
  headers: Record<string, string | undefined>;
  body: string | undefined;
  isBase64Encoded?: boolean;
}

/**
 * The whole answer. Nothing of the interaction runs after it: what is left (a deferred reply, the
 * /price chart) was handed to the deferred-work worker before it was built (docs/adr/0008).
 */
export interface InteractionHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What the dispatcher needs, whichever transport carried the interaction (HTTP or the Gateway). */
export interface DispatchDeps extends CommandDeps {
  store: Store;
  /** Where the work left after the answer goes (lambdas/discord/deferred.ts). */
  handOff: HandOff;
  /** Used when an interaction carries no application_id (Discord's always do). */
  applicationId?: string;
  /**
   * Time a command may take before it is stopped and handed off with a deferred answer (type 5).
   * Default 2,000 ms: Discord allows 3 s, and the hand-off itself needs a moment.
   */
  budgetMs?: number;
}

export interface InteractionDeps extends DispatchDeps {
  /** Application public key (hex). Unset: every request is refused (401). */
  publicKey: string | undefined;
  /** Signature timestamp window; default SIGNATURE_WINDOW_MS (5 minutes). */
  signatureWindowMs?: number;
}

/**
 * The answer to one interaction, independent of how it arrived: the HTTP endpoint writes `response`
 * as its body, the Gateway transport POSTs it to /interactions/{id}/{token}/callback. What is left
 * after it (the /price chart, a deferred reply's edit) has already been handed off (deps.handOff;
 * ADR 0008): nothing of the interaction is running when this is returned.
 */
export interface InteractionAnswer {
  response: APIInteractionResponse;
  /**
   * The interaction id was recorded before (a retried request, a replayed Gateway dispatch): it was
   * not run again (a read-only command's reads were, and their answer dropped). An HTTP request
   * still needs a body; over the Gateway nothing is sent.
   */
  duplicate?: true;
}

export const DEFAULT_BUDGET_MS = 2_000;
/** How long a stopped command may take to unwind (its aborted requests reject at once). */
const UNWIND_MS = 250;
/** Interaction ids are remembered this long (the token itself lives 15 minutes). */
const SEEN_RETENTION_DAYS = 1;

/** The endpoint's deps: the container's repositories as built, and what only the endpoint has. */
export function createInteractionDeps(
  container: CommandContainer,
  opts: {
    publicKey: string | undefined;
    handOff: HandOff;
    applicationId?: string;
    budgetMs?: number;
    guildSubscriptionCap?: number;
  },
): InteractionDeps {
  // The endpoint answers with text; files (the /price chart) are the worker's.
  return { ...container, ...opts, attachments: 'later' };
}

function json(statusCode: number, body: unknown): InteractionHttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function httpAnswer(answer: InteractionAnswer): InteractionHttpResponse {
  return json(200, answer.response);
}

function messageResponse(reply: CommandReply): APIInteractionResponse {
  const { files: _files, ...rest } = reply;
  return {
    type: InteractionResponseType.ChannelMessageWithSource,
    data: {
      ...rest.data,
      allowed_mentions: NO_MENTIONS,
      ...(reply.ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
    },
  };
}

function languageOf(locale: unknown): Language {
  return typeof locale === 'string' && locale.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Command name, subcommand and flat options from an APPLICATION_COMMAND interaction body. */
export function parseCommand(interaction: Record<string, unknown>): ParsedCommand | string {
  const data = interaction.data;
  if (!isRecord(data) || typeof data.name !== 'string') return 'interaction has no command data';
  const member = isRecord(interaction.member) ? interaction.member : undefined;
  const user = isRecord(member?.user)
    ? member.user
    : isRecord(interaction.user)
      ? interaction.user
      : undefined;
  const userId = str(user?.id);
  if (!userId) return 'interaction has no user';
  const options = new Map<string, string | number | boolean>();
  let sub: string | undefined;
  let list = Array.isArray(data.options)
    ? (data.options as APIApplicationCommandInteractionDataOption[])
    : [];
  // Subcommand groups and subcommands nest their options one level each.
  for (let depth = 0; depth < 2; depth++) {
    const nested = list.find(
      (o) =>
        o.type === ApplicationCommandOptionType.Subcommand ||
        o.type === ApplicationCommandOptionType.SubcommandGroup,
    );
    if (!nested) break;
    sub = sub ? `${sub} ${nested.name}` : nested.name;
    list =
      'options' in nested && Array.isArray(nested.options)
        ? (nested.options as APIApplicationCommandInteractionDataOption[])
        : [];
  }
  for (const o of list) {
    if (
      'value' in o &&
      (typeof o.value === 'string' || typeof o.value === 'number' || typeof o.value === 'boolean')
    )
      options.set(o.name, o.value);
  }
  let permissions: bigint | undefined;
  const rawPerms = str(member?.permissions);
  if (rawPerms && /^\d+$/.test(rawPerms)) permissions = BigInt(rawPerms);
  const guildId = str(interaction.guild_id);
  const guildLocale = str(interaction.guild_locale);
  const channelId =
    str(interaction.channel_id) ?? str(isRecord(interaction.channel) ? interaction.channel.id : undefined);
  return {
    name: data.name,
    ...(sub ? { sub } : {}),
    options,
    language: languageOf(interaction.locale),
    ...(guildId ? { guildId } : {}),
    ...(guildLocale ? { guildLocale } : {}),
    ...(channelId ? { channelId } : {}),
    userId,
    userName: str(user?.global_name) ?? str(user?.username) ?? userId,
    ...(permissions !== undefined ? { permissions } : {}),
  };
}

/**
 * The HTTP transport: verify (401 on anything wrong), then answerInteraction. Never answers 5xx:
 * any failure becomes an ephemeral error and a log line. A command that is not done within the
 * budget is stopped, handed off (deps.handOff) and answered with a deferred response (type 5);
 * a reply with files to follow (/price) is answered with its text and handed off for the files.
 * When this returns, nothing of the interaction is still running.
 */
export async function handleInteraction(
  event: InteractionEvent,
  deps: InteractionDeps,
): Promise<InteractionHttpResponse> {
  try {
    if (!deps.publicKey) {
      deps.logger.error(
        'interactions: no public key configured (DISCORD_PUBLIC_KEY; in AWS: cdk deploy -c discordPublicKey=...); refusing the request',
      );
      return json(401, { error: 'invalid request signature' });
    }
    const verified = verifyInteractionRequest(
      event,
      deps.publicKey,
      deps.clock.now(),
      deps.signatureWindowMs ?? SIGNATURE_WINDOW_MS,
    );
    if (!verified.ok) {
      deps.logger.warn(`interactions: 401 ${verified.reason}`);
      return json(401, { error: 'invalid request signature' });
    }
    let interaction: unknown;
    try {
      interaction = JSON.parse(verified.body);
    } catch {
      return json(400, { error: 'body is not JSON' });
    }
    if (!isRecord(interaction) || typeof interaction.type !== 'number')
      return json(400, { error: 'not an interaction' });
    return httpAnswer(await answerInteraction(interaction, deps));
  } catch (err) {
    deps.logger.error(`interactions: unexpected ${errorMessage(err)}`);
    return json(
      200,
      messageResponse(
        errorReply('Something went wrong on our side; the error was logged. Please try again later.'),
      ),
    );
  }
}

/**
 * The one dispatcher behind both transports: PING → PONG, autocomplete → no choices, a slash
 * command → runCommand under the deferral rule; anything else an ephemeral "not handled". Never
 * rejects: a failure becomes an ephemeral error and a log line.
 */
export async function answerInteraction(
  interaction: Record<string, unknown>,
  deps: DispatchDeps,
): Promise<InteractionAnswer> {
  const lang = languageOf(interaction.locale);
  try {
    if (interaction.type === InteractionType.Ping)
      return { response: { type: InteractionResponseType.Pong } };
    if (interaction.type === InteractionType.ApplicationCommandAutocomplete)
      return {
        response: {
          type: InteractionResponseType.ApplicationCommandAutocompleteResult,
          data: { choices: [] },
        },
      };
    if (interaction.type !== InteractionType.ApplicationCommand)
      return {
        response: messageResponse(
          errorReply(
            say(lang, {
              en: 'This bot does not handle that kind of interaction.',
              ja: 'この操作には対応していません。',
            }),
          ),
        ),
      };
    return await dispatch(interaction, deps);
  } catch (err) {
    deps.logger.error(`interactions: unexpected ${errorMessage(err)}`);
    return {
      response: messageResponse(
        errorReply('Something went wrong on our side; the error was logged. Please try again later.'),
      ),
    };
  }
}

async function dispatch(
  interaction: Record<string, unknown>,
  deps: DispatchDeps,
): Promise<InteractionAnswer> {
  const id = str(interaction.id);
  const token = str(interaction.token);
  const applicationId = str(interaction.application_id) ?? deps.applicationId;
  const parsed = parseCommand(interaction);
  const lang = languageOf(interaction.locale);
  if (!id || !token || typeof parsed === 'string') {
    deps.logger.warn(
      `interactions: malformed command interaction: ${typeof parsed === 'string' ? parsed : 'no id or token'}`,
    );
    return {
      response: messageResponse(
        errorReply(say(lang, { en: 'Could not read this command.', ja: 'コマンドを読み取れませんでした。' })),
      ),
    };
  }
  const label = parsed.sub ? `/${parsed.name} ${parsed.sub}` : `/${parsed.name}`;
  const failed = () =>
    errorReply(
      say(lang, {
        en: 'Something went wrong on our side; the error was logged. Please try again later.',
        ja: 'エラーが発生しました（記録済み）。しばらくしてからお試しください。',
      }),
    );

  // The command's requests stop when the budget runs out: a command must not run on after the
  // answer (Lambda freezes or ends the invocation once the handler returns; ADR 0008).
  const budget = new AbortController();
  const store = deps.store.withAbortSignal(budget.signal);
  const scoped: DispatchDeps = { ...deps, store, ...createRepositories(store, deps.clock, deps.config) };
  // Everything counts against the budget, including the duplicate check.
  let recorded = false;
  const work: Promise<{ reply: CommandReply; duplicate?: true }> = (async () => {
    const now = deps.clock.now();
    const seen = store
      .put(
        {
          pk: PK.interactions,
          sk: id,
          command: label,
          at: now,
          expiresAt: ttlAfter(now, SEEN_RETENTION_DAYS),
        },
        { ifAbsent: true },
      )
      .then((first) => {
        recorded = true;
        return first;
      });
    // A command that only reads runs beside the seen-record write (one round trip instead of two);
    // one that writes waits for it, so a retried interaction writes once. Both are settled before
    // the answer: nothing of the interaction runs after it.
    const early = isReadOnlyCommand(parsed.name, parsed.sub) ? runCommand(parsed, scoped) : undefined;
    const [first, ran] = await Promise.allSettled([seen, early]);
    if (first.status === 'rejected') throw first.reason;
    if (!first.value) {
      deps.logger.info(
        `interactions: ${label} ${id} seen before; ${early ? 'its answer dropped' : 'not run again'}`,
      );
      const reply = errorReply(
        say(lang, { en: 'This command was already handled.', ja: 'このコマンドはすでに処理されました。' }),
      );
      return { reply, duplicate: true as const };
    }
    if (ran.status === 'rejected') throw ran.reason;
    return { reply: ran.value ?? (await runCommand(parsed, scoped)) };
  })().catch((err: unknown) => {
    if (!budget.signal.aborted) deps.logger.error(`interactions: ${label} failed: ${errorMessage(err)}`);
    return { reply: failed() };
  });

  const budgetMs = deps.budgetMs ?? DEFAULT_BUDGET_MS;
  const done = await settleWithin(work, budgetMs);

  const handOff = async (reason: DeferredWork['reason']): Promise<boolean> => {
    if (!applicationId) {
      deps.logger.error(`interactions: ${label}: no application id, cannot hand off the rest`);
      return false;
    }
    try {
      await deps.handOff({
        version: 1,
        interactionId: id,
        applicationId,
        token,
        receivedAt: deps.clock.now(),
        reason,
        command: toWire(parsed),
      });
      return true;
    } catch (err) {
      deps.logger.error(`interactions: ${label}: hand-off failed: ${errorMessage(err)}`);
      return false;
    }
  };

  const deferred = (): InteractionAnswer => ({
    response: {
      type: InteractionResponseType.DeferredChannelMessageWithSource,
      ...(isEphemeralCommand(parsed.name, parsed.sub) ? { data: { flags: MessageFlags.Ephemeral } } : {}),
    },
  });
  if (done?.reply.deferToWorker && !done.duplicate) {
    if (!(await handOff('deferred'))) return { response: messageResponse(failed()) };
    return deferred();
  }
  if (done) {
    const { reply, duplicate } = done;
    if (reply.attachmentsToFollow && !duplicate) await handOff('attachments');
    return { response: messageResponse(reply), ...(duplicate ? { duplicate } : {}) };
  }
  budget.abort();
  // The stopped command unwinds (its aborted requests reject); a seen-record write that was in
  // flight may or may not have landed, so the worker runs the command without that check.
  const late = await settleWithin(work, UNWIND_MS);
  // A duplicate found late must not overwrite the first run's answer with "already handled".
  if (late?.duplicate) return { response: messageResponse(late.reply), duplicate: late.duplicate };
  deps.logger.warn(
    `interactions: ${label} not done within ${budgetMs} ms; handed off${recorded ? '' : ' (seen record unconfirmed)'}`,
  );
  if (!(await handOff('deferred'))) return { response: messageResponse(failed()) };
  return deferred();
}

/** The promise's value if it settles within `ms`, else undefined; the timer never outlives it. */
async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
