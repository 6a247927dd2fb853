import { say } from '../domain/i18n';
import type { Language } from '../domain/config';
import { errorMessage, type Logger } from '../domain/log';
import {
  errorReply,
  runCommand,
  type CommandContainer,
  type CommandDeps,
  type ParsedCommand,
} from './commands';
import { followUpFor, TokenExpiringError, type CommandReply, type FollowUp } from './interaction-reply';

/**
 * The hand-off between the interactions endpoint and the deferred-work worker (docs/adr/0008).
 * The endpoint answers Discord (a message, or "thinking…" = type 5) and hands over what is left;
 * the worker runs the command and edits the original response. Transport-neutral: an async
 * Lambda Invoke in AWS (lambdas/app/hand-off.ts), a queue in this process locally and in tests
 * (createInProcessHandOff), the same DeferredWork either way. Plain JSON, no secrets but the
 * interaction token, which authorizes only edits of this one interaction for 15 minutes.
 */
export interface DeferredWork {
  version: 1;
  interactionId: string;
  applicationId: string;
  token: string;
  /** Epoch ms the endpoint received the interaction: the token expires 15 minutes later. */
  receivedAt: number;
  /**
   * What is left to do. `deferred`: the command missed the endpoint's budget, Discord shows
   * "thinking…"; run it and put the answer in its place. `attachments`: the text answer is out;
   * run it again with its files (the /price chart) and edit the answer to carry them.
   */
  reason: 'deferred' | 'attachments';
  command: WireCommand;
}

/** Hands the work to something that will run it after this invocation; resolves once it is accepted. */
export type HandOff = (work: DeferredWork) => Promise<void>;

/** ParsedCommand as JSON: options as entries, permissions as a decimal string. */
export interface WireCommand {
  name: string;
  sub?: string;
  options: [string, string | number | boolean][];
  language: Language;
  guildId?: string;
  guildLocale?: string;
  channelId?: string;
  userId: string;
  userName: string;
  permissions?: string;
}

/** Discord's interaction tokens are valid for 15 minutes. */
export const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60_000;
/** No attempt starts this close to the token's end: the request itself needs time. */
const TOKEN_MARGIN_MS = 30_000;

export function toWire(cmd: ParsedCommand): WireCommand {
  const { options, permissions, ...rest } = cmd;
  return {
    ...rest,
    options: [...options.entries()],
    ...(permissions !== undefined ? { permissions: permissions.toString() } : {}),
  };
}

export function fromWire(wire: WireCommand): ParsedCommand {
  const { options, permissions, ...rest } = wire;
  return {
    ...rest,
    options: new Map(options),
    ...(permissions !== undefined && /^\d+$/.test(permissions) ? { permissions: BigInt(permissions) } : {}),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The work from an invocation event, or why it is not one (a malformed event is never retried). */
export function parseDeferredWork(event: unknown): DeferredWork | string {
  if (!isRecord(event) || event.version !== 1) return 'not a goxwatch deferred-work event (version 1)';
  for (const key of ['interactionId', 'applicationId', 'token'] as const)
    if (typeof event[key] !== 'string' || !event[key]) return `deferred work has no ${key}`;
  if (typeof event.receivedAt !== 'number') return 'deferred work has no receivedAt';
  if (event.reason !== 'deferred' && event.reason !== 'attachments') return 'deferred work has no reason';
  const cmd = event.command;
  if (
    !isRecord(cmd) ||
    typeof cmd.name !== 'string' ||
    typeof cmd.userId !== 'string' ||
    !Array.isArray(cmd.options)
  )
    return 'deferred work has no command';
  return event as unknown as DeferredWork;
}

/** When the interaction arrived and by when an edit must have started. */
export interface TokenWindow {
  receivedAt: number;
  deadline: number;
}

export interface WorkerDeps extends CommandDeps {
  /**
   * The edit of @original for one interaction's token window: createFetchFollowUp with retries
   * in AWS, a printer or a recorder locally.
   */
  followUp: (window: TokenWindow) => FollowUp;
  logger: Logger;
}

/** The worker's deps: the container's repositories as built, files rendered. */
export function createWorkerDeps(
  container: CommandContainer,
  opts: {
    followUp: WorkerDeps['followUp'];
    guildSubscriptionCap?: number;
    feedProbe?: NonNullable<WorkerDeps['feedProbe']>;
  },
): WorkerDeps {
  return { ...container, ...opts, attachments: 'render' };
}

/** `expired`: nothing could be edited before the interaction token ended (logged with the interaction id). */
export type WorkOutcome = 'edited' | 'expired';

/**
 * Run the handed-off command and edit the original response with its answer, inside the token's
 * 15 minutes. A command that throws is answered with an error message, so "thinking…" never
 * stays; an edit that still fails after the follow-up's retries rejects, and the transport's own
 * retries and dead-letter destination take over (ADR 0008).
 */
export async function completeDeferredWork(work: DeferredWork, deps: WorkerDeps): Promise<WorkOutcome> {
  const cmd = fromWire(work.command);
  const label = cmd.sub ? `/${cmd.name} ${cmd.sub}` : `/${cmd.name}`;
  const deadline = work.receivedAt + INTERACTION_TOKEN_LIFETIME_MS - TOKEN_MARGIN_MS;
  if (deps.clock.now() >= deadline) {
    deps.logger.error(
      `interactions worker: ${label} ${work.interactionId}: the interaction token has expired; nothing can be edited`,
    );
    return 'expired';
  }
  let reply: CommandReply;
  try {
    reply = await runCommand(cmd, deps);
  } catch (err) {
    deps.logger.error(`interactions worker: ${label} ${work.interactionId} failed: ${errorMessage(err)}`);
    reply = errorReply(
      say(cmd.language, {
        en: 'Something went wrong on our side; the error was logged. Please try again later.',
        ja: 'エラーが発生しました（記録済み）。しばらくしてからお試しください。',
      }),
    );
  }
  try {
    await deps.followUp({ receivedAt: work.receivedAt, deadline })(
      work.applicationId,
      work.token,
      followUpFor(reply),
    );
  } catch (err) {
    if (!(err instanceof TokenExpiringError)) throw err;
    // Retrying the event cannot help either: the token is gone by then. Said and counted by the caller.
    deps.logger.error(
      `interactions worker: ${label} ${work.interactionId}: the edit failed and the interaction token expired: ${errorMessage(err)}`,
    );
    return 'expired';
  }
  deps.logger.info(`interactions worker: ${label} ${work.interactionId} (${work.reason}) edited`);
  return 'edited';
}

/**
 * The in-process transport (local runner, tests): work waits in a queue until `drain()`, which
 * the local server calls once its HTTP response is written (an edit before Discord has the
 * response fails) and tests await. Failures go to `onError`, as a dead letter would.
 */
export function createInProcessHandOff(
  run: (work: DeferredWork) => Promise<unknown>,
  onError: (work: DeferredWork, err: unknown) => void,
): { handOff: HandOff; drain(): Promise<void>; handed: DeferredWork[] } {
  const queue: DeferredWork[] = [];
  const handed: DeferredWork[] = [];
  return {
    handed,
    handOff: async (work) => {
      // Through JSON, as the Lambda transport does: what cannot cross it fails here too.
      const copy = JSON.parse(JSON.stringify(work)) as DeferredWork;
      queue.push(copy);
      handed.push(copy);
    },
    drain: async () => {
      for (let work = queue.shift(); work; work = queue.shift()) {
        try {
          await run(work);
        } catch (err) {
          onError(work, err);
        }
      }
    },
  };
}
