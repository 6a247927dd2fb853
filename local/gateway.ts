import { setTimeout as sleep } from 'node:timers/promises';
import {
  Client,
  DiscordAPIError,
  Events,
  GatewayCloseCodes,
  GatewayDispatchEvents,
  GatewayIntentBits,
  Routes,
  SimpleShardingStrategy,
  type CloseEvent,
} from 'discord.js';
import type { APIInteraction } from 'discord-api-types/v10';
import { answerInteraction, type DispatchDeps } from '../lambdas/discord/interactions';
import { errorMessage, type Logger } from '../lambdas/domain/log';

/**
 * The Gateway transport of the local runner: discord.js keeps the websocket to Discord (heartbeats,
 * resume after a dropped socket, identify again after an invalid session), and every INTERACTION_CREATE
 * goes through the same dispatcher as the HTTP endpoint. The answer is POSTed to the interaction
 * callback, then the handed-off work (chart, deferred reply) edits @original, as over HTTP.
 * Lives in local/: Lambda bundles never load discord.js (no long-lived connection on Lambda).
 */

/** Slash commands need no intent at all; Guilds (not privileged) lets discord.js see its guilds and get ready. */
export const GATEWAY_INTENTS = [GatewayIntentBits.Guilds];

/** Close codes after which reconnecting cannot help (opcodes-and-status-codes.mdx), and what to tell the user. */
const FATAL_CLOSE: Partial<Record<number, string>> = {
  [GatewayCloseCodes.AuthenticationFailed]: 'the bot token was refused (4004): check DISCORD_BOT_TOKEN',
  [GatewayCloseCodes.InvalidShard]: 'invalid shard (4010)',
  [GatewayCloseCodes.ShardingRequired]: 'Discord requires sharding for this bot (4011)',
  [GatewayCloseCodes.InvalidAPIVersion]: 'invalid API version (4012)',
  [GatewayCloseCodes.InvalidIntents]: 'invalid intents (4013)',
  [GatewayCloseCodes.DisallowedIntents]: 'disallowed intents (4014)',
};

export interface ReconnectBackoff {
  /** Failed connections in a row (closed before READY/RESUMED) before the client is rebuilt after a pause. */
  failuresBeforePause: number;
  /** First pause; doubles with each further round of failures. Not below 5 s in real use: one IDENTIFY per 5 s. */
  firstPauseMs: number;
  maxPauseMs: number;
}

export const DEFAULT_BACKOFF: ReconnectBackoff = {
  failuresBeforePause: 3,
  firstPauseMs: 5_000,
  maxPauseMs: 5 * 60_000,
};

/** The pause before rebuilding the client after `round` rounds of failures (1 = the first): doubling, capped. */
export function pauseAfter(round: number, backoff: ReconnectBackoff): number {
  return Math.min(backoff.maxPauseMs, backoff.firstPauseMs * 2 ** Math.max(0, round - 1));
}

export interface GatewayTransportOptions {
  token: string;
  /** DISCORD_API_BASE without a version (discord.js adds /v10); GET /gateway/bot there names the Gateway. */
  apiBase: string;
  /** The same dispatcher deps as the HTTP endpoint (store, repos, hand-off, budget). */
  deps: DispatchDeps;
  /**
   * Runs the work the dispatcher handed off (the /price chart, a deferred reply's edit; ADR 0008):
   * called once the callback is accepted, since an edit of @original before it fails.
   */
  drain: () => Promise<void>;
  logger: Logger;
  backoff?: ReconnectBackoff;
  /** Told each step of answering an interaction (tests wait on it; the runner needs nothing). */
  onAnswer?: (event: GatewayAnswerEvent) => void;
}

export interface GatewayAnswerEvent {
  interactionId: string;
  /** callback: the initial response was accepted; done: after-response work finished too. */
  stage: 'callback' | 'done' | 'duplicate' | 'failed';
  /** The interaction response type sent (4 a message, 5 deferred). */
  responseType?: number;
}

export interface GatewayTransport {
  /** The bot's name once READY; rejects when the Gateway refuses us for good (bad token, intents). */
  ready: Promise<string>;
  stop(): Promise<void>;
}

export function startGatewayTransport(opts: GatewayTransportOptions): GatewayTransport {
  const { deps, logger } = opts;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  let client: Client | undefined;
  let stopped = false;
  let failures = 0;
  let rounds = 0;
  let settle: { resolve: (name: string) => void; reject: (err: Error) => void } | undefined;
  const ready = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Callers may only await `stop`; a refusal is also logged, so an unobserved rejection is not an error.
  ready.catch(() => undefined);

  const pausing = new AbortController();
  const tell = (event: GatewayAnswerEvent) => opts.onAnswer?.(event);

  const answer = async (c: Client, raw: APIInteraction) => {
    const label = `interaction ${raw.id}`;
    const result = await answerInteraction(raw as unknown as Record<string, unknown>, deps);
    if (result.duplicate) {
      // A replayed dispatch (resume from an older sequence): it was answered the first time.
      logger.info(`gateway: ${label} arrived again; already answered, nothing sent`);
      tell({ interactionId: raw.id, stage: 'duplicate' });
      return;
    }
    try {
      // The interaction token authenticates the callback; no bot token on this route.
      await c.rest.post(Routes.interactionCallback(raw.id, raw.token), {
        body: result.response,
        auth: false,
      });
    } catch (err) {
      // The URL of a REST error carries the interaction token: name the route only.
      const why =
        err instanceof DiscordAPIError ? `HTTP ${err.status} ${err.code} ${err.message}` : errorMessage(err);
      logger.error(`gateway: POST /interactions/:id/:token/callback for ${label} failed: ${why}`);
      tell({ interactionId: raw.id, stage: 'failed' });
      return;
    }
    tell({ interactionId: raw.id, stage: 'callback', responseType: result.response.type });
    await opts.drain();
    tell({ interactionId: raw.id, stage: 'done', responseType: result.response.type });
  };

  /** A pause the next connection attempt must wait first (set after repeated failures). */
  let pauseDueMs = 0;
  let abandonCurrent = () => undefined as void;

  const connect = () => {
    let abandoned = false;
    const c = new Client({
      intents: GATEWAY_INTENTS,
      rest: { api: opts.apiBase },
      ws: {
        // discord.js retries a lost connection every 500 ms for ever; the session lookup it makes before
        // each attempt is where a pause can go. A shard of a client given up on never connects again
        // (discord.js may still be about to retry it when the client is destroyed).
        buildStrategy: (manager) => {
          const lookup = manager.options.retrieveSessionInfo;
          manager.options.retrieveSessionInfo = async (shardId) => {
            if (pauseDueMs > 0 && !abandoned) {
              const waitMs = pauseDueMs;
              pauseDueMs = 0;
              await sleep(waitMs, undefined, { signal: pausing.signal }).catch(() => undefined);
            }
            if (abandoned) return new Promise<never>(() => undefined);
            return lookup(shardId);
          };
          return new SimpleShardingStrategy(manager);
        },
      },
    });
    client = c;
    const abandon = () => {
      abandoned = true;
      if (client === c) client = undefined;
      void c.destroy();
    };
    abandonCurrent = abandon;
    const current = () => c === client && !stopped;
    c.ws.on(GatewayDispatchEvents.InteractionCreate, (raw: APIInteraction) => {
      if (!current()) return;
      answer(c, raw).catch((err: unknown) => logger.error(`gateway: answering failed: ${errorMessage(err)}`));
    });
    const connected = () => {
      failures = 0;
      rounds = 0;
      pauseDueMs = 0;
    };
    c.once(Events.ClientReady, (ready) => {
      connected();
      settle?.resolve(ready.user.username);
    });
    c.on(Events.ShardResume, (_id, replayed) => {
      if (!current()) return;
      connected();
      logger.info(`gateway: session resumed (${replayed} missed events replayed)`);
    });
    c.on(Events.ShardReady, () => {
      if (!current()) return;
      if (failures > 0) logger.info('gateway: connected again with a new session');
      connected();
    });
    c.on(Events.ShardReconnecting, () => {
      if (!current()) return;
      failures++;
      if (failures === 1) logger.warn('gateway: connection lost; reconnecting');
      if (failures < backoff.failuresBeforePause) return;
      rounds++;
      pauseDueMs = pauseAfter(rounds, backoff);
      logger.warn(`gateway: ${failures} failed connections in a row; next attempt in ${pauseDueMs} ms`);
      failures = 0;
    });
    c.on(Events.ShardDisconnect, (event: CloseEvent) => {
      if (!current()) return;
      const why = FATAL_CLOSE[event.code] ?? `closed with ${event.code}`;
      logger.error(
        `gateway: Discord refused the connection for good: ${why}; slash commands are not answered`,
      );
      settle?.reject(new Error(`Gateway: ${why}`));
      abandon();
    });
    c.on(Events.ShardError, (err) => {
      if (current()) logger.warn(`gateway: ${errorMessage(err)}`);
    });
    c.login(opts.token).catch((err: unknown) => {
      if (!current()) return;
      abandon();
      if (err instanceof Error && 'code' in err && err.code === 'TokenInvalid') {
        const why = 'the bot token was refused (GET /gateway/bot: 401): check DISCORD_BOT_TOKEN';
        logger.error(`gateway: ${why}; slash commands are not answered`);
        settle?.reject(new Error(`Gateway: ${why}`));
        return;
      }
      // The first connection failed (Discord unreachable, /gateway/bot failing): a fresh client after a pause.
      rounds++;
      const waitMs = pauseAfter(rounds, backoff);
      logger.warn(`gateway: cannot connect (${errorMessage(err)}); next attempt in ${waitMs} ms`);
      sleep(waitMs, undefined, { signal: pausing.signal }).then(
        () => !stopped && connect(),
        () => undefined,
      );
    });
  };

  connect();
  return {
    ready,
    stop: async () => {
      stopped = true;
      pausing.abort();
      settle?.reject(new Error('Gateway stopped'));
      const last = client;
      abandonCurrent();
      await last?.destroy();
    },
  };
}
