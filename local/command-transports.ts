import type { Container } from '../lambdas/app/container';
import { ENV } from '../lambdas/app/env';
import { discordSettings } from '../lambdas/app/secrets';
import { createFetchFollowUp } from '../lambdas/discord/followup';
import { handleInteraction } from '../lambdas/discord/interactions';
import { localInteractionSetup } from './interactions-setup';
import { startGatewayTransport } from './gateway';
import { localInteractions, startInteractionsServer } from './interactions-server';
import { newInstanceId, writeBotEndpoint } from './bot-endpoint';

/**
 * Which way slash commands reach the local runner: the Gateway (discord.js keeps a websocket to
 * Discord; works behind NAT, no public URL) or Discord's HTTP POSTs to a public URL. Both run the same
 * dispatcher on the same store (docs/adr: one dispatcher, two transports).
 */
export type CommandTransport = 'gateway' | 'http';

export interface ChosenTransport {
  transport: CommandTransport;
  /** Said in the start line. */
  why: string;
}

export type TransportChoice = ChosenTransport | { problem: string };

/** The choice and where the HTTP endpoint listens: what `npm start` passes on. */
export type LocalCommands = ChosenTransport & { port: number };

/** chooseCommandTransport with the environment's settings: `--transport`, GOXWATCH_TRANSPORT, token, key. */
export async function commandTransportFor(flag: string | undefined): Promise<TransportChoice> {
  const { token, publicKey } = await discordSettings();
  return chooseCommandTransport({ flag, env: process.env[ENV.commandTransport], token, publicKey });
}

/**
 * `--transport` (else GOXWATCH_TRANSPORT) wins; by default the Gateway when a bot token is set and no
 * public key is configured (a public key means Discord was told to POST to a URL of yours).
 */
export function chooseCommandTransport(opts: {
  flag: string | undefined;
  env: string | undefined;
  token: string | undefined;
  publicKey: string | undefined;
}): TransportChoice {
  const requested = opts.flag ?? opts.env;
  const source = opts.flag !== undefined ? '--transport' : 'GOXWATCH_TRANSPORT';
  if (requested !== undefined) {
    if (requested !== 'gateway' && requested !== 'http')
      return { problem: `${source}: "${requested}" is neither gateway nor http` };
    if (requested === 'gateway' && !opts.token)
      return { problem: `${source} gateway needs DISCORD_BOT_TOKEN (env or .env)` };
    return { transport: requested, why: `${source} ${requested}` };
  }
  if (opts.token && !opts.publicKey)
    return { transport: 'gateway', why: 'DISCORD_BOT_TOKEN set and no DISCORD_PUBLIC_KEY' };
  return {
    transport: 'http',
    why: opts.token ? 'DISCORD_PUBLIC_KEY set: Discord POSTs to your public URL' : 'no DISCORD_BOT_TOKEN',
  };
}

export interface RunningTransports {
  stop(): Promise<void>;
}

/**
 * The HTTP endpoint on 127.0.0.1:<port> always (for `npm run cmd`, and for a public URL in front of
 * it), and the Gateway when chosen. Logs one line saying which answers Discord.
 */
export async function startCommandTransports(
  opts: LocalCommands & { dataDir: string; container: Container },
): Promise<RunningTransports> {
  const { container } = opts;
  const { logger } = container;
  const settings = await discordSettings();
  const shared = settings.applicationId ? { applicationId: settings.applicationId } : {};
  const local = localInteractionSetup({
    dataDir: opts.dataDir,
    publicKey: settings.publicKey,
    apiBase: settings.apiBase,
    logger,
    guard: container.guard,
  });
  const http = localInteractions(container, {
    ...shared,
    publicKey: local.publicKey,
    followUp: local.followUp,
  });
  const instance = newInstanceId();
  const listening = await startInteractionsServer({
    port: opts.port,
    host: '127.0.0.1',
    handle: (e) => handleInteraction(e, http.deps),
    onResponseSent: http.drain,
    instance,
  });
  // `npm run cmd` on this data dir finds this bot by the file, and checks it by the instance id.
  const forget = writeBotEndpoint(opts.dataDir, { url: listening.url, pid: process.pid, instance });
  const server = {
    url: listening.url,
    close: async () => {
      forget();
      await listening.close();
    },
  };
  if (opts.transport === 'http' || !settings.token) {
    logger.info(`goxwatch: slash commands: HTTP, interactions endpoint at ${server.url} (${opts.why})`);
    return { stop: () => server.close() };
  }
  // Same store, so an interaction id recorded by either transport is not run again by the other.
  const real = localInteractions(container, {
    ...shared,
    publicKey: undefined,
    followUp: (window) =>
      createFetchFollowUp({ apiBase: settings.apiBase, retries: window, guard: container.guard }),
  });
  const gateway = startGatewayTransport({
    token: settings.token,
    apiBase: settings.apiBase,
    deps: real.deps,
    drain: real.drain,
    logger,
  });
  logger.info(
    `goxwatch: slash commands: Discord Gateway (discord.js, intent Guilds; ${opts.why}), connecting; ` +
      `interactions endpoint at ${server.url} too, for npm run cmd`,
  );
  gateway.ready.then(
    (name) => logger.info(`goxwatch: Gateway connected as ${name}: slash commands answer`),
    () => undefined, // the transport logged why
  );
  return {
    stop: async () => {
      await gateway.stop();
      await server.close();
    },
  };
}
