#!/usr/bin/env node
/**
 * goxwatch's one command line: `start` (the local runner), `replay`, `register-commands`,
 * `cmd` and `refund set-stage`. Thin: parse arguments, open the store, call the jobs.
 * Exit codes: 0 ok; 1 the run failed (e.g. every price source failed on --once); 2 bad config or usage.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { systemClock } from '../lambdas/domain/clock';
import { ConfigError, type Config } from '../lambdas/domain/config';
import { consoleLogger, errorMessage, registerSecret } from '../lambdas/domain/log';
import { loadConfig } from '../lambdas/app/config-file';
import { blindSpotsNow } from '../lambdas/store/repositories';
import { feedsCommand, refundCommand } from './admin-commands';
import { configCommand } from './config-command';
import { UsageError } from './usage-error';
import { loadOrCreateDevKey, sendDevCommand } from '../local/dev-client';
import { localInteractionSetup } from '../local/interactions-setup';
import { createDiscordClient } from '../lambdas/discord/rest-client';
import { DataDirError } from '../local/embedded-dynamo';
import { dataDir, exitWhenDataDirDeleted, openStore } from '../local/local-store';
import { localInteractions, startInteractionsServer } from '../local/interactions-server';
import { findRunningBot } from '../local/bot-endpoint';
import { commandTransportFor, startCommandTransports, type LocalCommands } from '../local/command-transports';
import { createPriceSources } from '../lambdas/sources/exchanges';
import { registerCommands } from '../lambdas/discord/register-commands';
import { publicKeyProblem } from '../lambdas/discord/interactions-verify';
import type { Bot } from '../lambdas/app/bot';
import { newsCycle } from '../lambdas/app/news-cycle';
import { priceCycle } from '../lambdas/app/price-cycle';
import { chainCycle, createChainReader } from '../lambdas/app/chain-cycle';
import type { PriceSource } from '../lambdas/sources/exchanges';
import { handleInteraction } from '../lambdas/discord/interactions';
import { createContainer, type Container } from '../lambdas/app/container';
import { ENV } from '../lambdas/app/env';
import { discordSettings } from '../lambdas/app/secrets';
import { runReplayCommand } from '../local/replay/cli';

const USAGE = `usage: goxwatch <command> [options]
  start [--once] [--port <n>] [--transport gateway|http]   run the bot locally (npm start); --once: one cycle, then exit
  replay [--speed <n>] [--from <date>] [--to <date>] [--prices <csv> [--symbol XEM/JPY]] [--news <rss>] [--step <min>] [--every-step]
                                     replay January 2018 offline (npm run replay)
  register-commands [--guild <id>]   register the slash commands (needs DISCORD_APPLICATION_ID and the token)
  cmd <command> [sub] [name:value] [--locale ja] [--save chart.png]
                                     try a slash command against the local endpoint (npm run cmd -- refund calc amount:1000);
                                     --locale: the user's Discord locale; --save: write the reply's file (the /price chart)
  refund set-stage <stage> --reason <text> [--incident <id>] [--evidence <url>]...
                                     correct the refund record by hand (audited)
  refund set-terms --rate <n> --currency <code> --reason <text> [--venue <name>] [--window-from <iso> --window-to <iso>]
                   [--holders <n>] [--total <n>] [--incident <id>]
                                     set the refund terms by hand (audited); the rate is the reference price from then on
  feeds enable <feed id>             turn a feed that was disabled after repeated failures back on
  config print                       print the effective config (the file merged over the default) as JSON
  config check [file]                validate a config file (default: --config / GOXWATCH_CONFIG / the default)
                                     and say what it would watch; touches no network and no store
options for every command: --config <file> (or GOXWATCH_CONFIG); see README "Configuration"`;

// The SDK warns that releases after January 2027 need Node 22; we pin the SDK, so say it once in the README instead.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(argv: string[]): Promise<number> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  registerSecret(process.env[ENV.discordBotToken]);
  registerSecret(process.env[ENV.discordPublicKey]);
  const publicKey = process.env[ENV.discordPublicKey];
  const keyProblem = publicKey && publicKeyProblem(publicKey);
  if (keyProblem) throw new UsageError(`${keyProblem}; copy the Public Key from the Developer Portal`);
  const [command = 'start', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        once: { type: 'boolean' },
        config: { type: 'string' },
        port: { type: 'string' },
        transport: { type: 'string' },
        guild: { type: 'string' },
        speed: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        prices: { type: 'string' },
        symbol: { type: 'string' },
        step: { type: 'string' },
        'every-step': { type: 'boolean' },
        news: { type: 'string' },
        reason: { type: 'string' },
        incident: { type: 'string' },
        evidence: { type: 'string', multiple: true },
        rate: { type: 'string' },
        currency: { type: 'string' },
        venue: { type: 'string' },
        'window-from': { type: 'string' },
        'window-to': { type: 'string' },
        holders: { type: 'string' },
        total: { type: 'string' },
        locale: { type: 'string' },
        save: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${errorMessage(err).replace(/^TypeError[^:]*: /, '')}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (command === 'config') return configCommand(positionals, values.config);
  const { config, origin } = loadConfig(values.config ? { file: values.config } : {});
  switch (command) {
    case 'start': {
      const choice = await commandTransportFor(values.transport);
      if ('problem' in choice) throw new UsageError(choice.problem);
      return start(config, origin, values.once ?? false, { ...choice, port: parsePort(values.port) });
    }
    case 'replay':
      return runReplayCommand({
        config,
        ...(values.speed !== undefined ? { speed: values.speed } : {}),
        ...(values.from !== undefined ? { from: values.from } : {}),
        ...(values.to !== undefined ? { to: values.to } : {}),
        ...(values.prices !== undefined ? { prices: values.prices } : {}),
        ...(values.symbol !== undefined ? { symbol: values.symbol } : {}),
        ...(values.step !== undefined ? { step: values.step } : {}),
        ...(values['every-step'] ? { everyStep: true } : {}),
        ...(values.news !== undefined ? { news: values.news } : {}),
      });
    case 'register-commands':
      return registerCommandsCommand(values.guild);
    case 'cmd':
      return cmd(config, positionals, {
        ...(values.locale ? { locale: values.locale } : {}),
        ...(values.save ? { save: values.save } : {}),
      });
    case 'refund':
      return refundCommand(config, positionals, values);
    case 'feeds':
      return feedsCommand(config, positionals);
    default:
      throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  }
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return 8787;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: "${raw}" is not a port number`);
  return port;
}

async function createBot(container: Container): Promise<{ bot: Bot; sources: PriceSource[] }> {
  const settings = await discordSettings();
  let sources;
  try {
    sources = createPriceSources(container.config.sources, container.logger);
  } catch (err) {
    throw new ConfigError([`sources: ${errorMessage(err)}`]);
  }
  const bot: Bot = {
    container,
    // Locally nobody pays for waiting: a 429 may be waited out for up to a minute.
    discord: settings.token
      ? createDiscordClient({
          token: settings.token,
          apiBase: settings.apiBase,
          maxRateLimitWaitMs: 60_000,
          guard: container.guard,
        })
      : undefined,
    print: (text) => console.log(text),
  };
  return { bot, sources };
}

async function start(
  config: Config,
  origin: string,
  once: boolean,
  commands: LocalCommands,
): Promise<number> {
  const opened = await openStore(config);
  try {
    const container = createContainer({
      config,
      store: opened.store,
      clock: systemClock,
      logger: consoleLogger,
    });
    const { bot, sources } = await createBot(container);
    const log = container.logger;
    log.info(`goxwatch: config ${origin}; store ${opened.where}`);
    log.info(
      bot.discord
        ? 'goxwatch: posting to Discord'
        : 'goxwatch: no DISCORD_BOT_TOKEN: messages are printed here as they would look, and kept in the outbox',
    );
    // Say when nothing will be seen: one warning line per reason.
    for (const line of await blindSpotsNow(container, config)) log.warn(`goxwatch: ${line.en}`);
    if (once) {
      const { price } = await priceCycle(bot, sources);
      await newsCycle(bot);
      const reader = createChainReader(config);
      if (reader) await chainCycle(bot, reader);
      if (price.allSourcesFailed)
        log.error('goxwatch: every price source failed (offline? try `npm run replay`)');
      return price.allSourcesFailed ? 1 : 0;
    }
    exitWhenDataDirDeleted(opened, (line) => log.error(line));
    return await runForever(bot, sources, commands);
  } finally {
    await opened.close();
  }
}

/** Longest wait between price polls while every exchange is unreachable. */
const MAX_OFFLINE_BACKOFF_MS = 10 * 60_000;

/**
 * The local runner: price and news jobs on their intervals, one job at a time (so two
 * deliveries never race), the interactions endpoint on 127.0.0.1, a clean stop on Ctrl-C.
 */
async function runForever(bot: Bot, sources: PriceSource[], commands: LocalCommands): Promise<number> {
  const { config, logger } = bot.container;
  const transports = await startCommandTransports({
    ...commands,
    dataDir: dataDir(),
    container: bot.container,
  });
  logger.info(`goxwatch: running; Ctrl-C stops (${heapUsed()})`);

  let stopping = false;
  let queue: Promise<unknown> = Promise.resolve();
  const timers = new Set<NodeJS.Timeout>();
  const schedule = (fn: () => Promise<number>, delayMs: number) => {
    if (stopping) return;
    const t = setTimeout(() => {
      timers.delete(t);
      queue = queue.then(fn).then(
        (next) => schedule(fn, next),
        (err: unknown) => {
          logger.error(`goxwatch: ${errorMessage(err)}`);
          schedule(fn, delayMs);
        },
      );
    }, delayMs);
    timers.add(t);
  };

  const priceEvery = config.intervals.priceSeconds * 1000;
  let priceDelay = priceEvery;
  const pricePoll = async (): Promise<number> => {
    const { price } = await priceCycle(bot, sources);
    const offline = price.sources.length > 0 && price.sources.every((s) => s.reason === 'offline');
    if (!offline) {
      priceDelay = priceEvery;
      return priceDelay;
    }
    priceDelay = Math.min(priceDelay * 2, MAX_OFFLINE_BACKOFF_MS);
    logger.warn(
      `goxwatch: offline, no route to the exchanges; next try in ${Math.round(priceDelay / 1000)} s. ` +
        'To see what the bot does without a network: npm run replay',
    );
    return priceDelay;
  };
  const newsPoll = async (): Promise<number> => {
    await newsCycle(bot);
    return config.intervals.newsSeconds * 1000;
  };
  schedule(pricePoll, 0);
  schedule(newsPoll, 0);
  // The on-chain watch: every chains.nem.pollSeconds, when the config watches any account.
  const reader = createChainReader(config);
  const nem = config.chains?.nem;
  if (reader && nem)
    schedule(async () => {
      await chainCycle(bot, reader);
      return nem.pollSeconds * 1000;
    }, 0);

  await new Promise<void>((resolveStop) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info(`goxwatch: ${signal}: stopping after the current job`);
      for (const t of timers) clearTimeout(t);
      resolveStop();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await queue.catch(() => undefined);
  await transports.stop();
  logger.info(`goxwatch: stopped (${heapUsed()})`);
  return 0;
}

/** "heap used 42.1 MB": said at start and stop, so a long run shows whether memory stays flat. */
function heapUsed(): string {
  return `heap used ${(process.memoryUsage().heapUsed / 1e6).toFixed(1)} MB`;
}

async function registerCommandsCommand(guildId: string | undefined): Promise<number> {
  const settings = await discordSettings();
  const missing = [
    settings.token ? '' : 'DISCORD_BOT_TOKEN',
    settings.applicationId ? '' : 'DISCORD_APPLICATION_ID',
  ].filter(Boolean);
  if (missing.length || !settings.token || !settings.applicationId)
    throw new UsageError(`register-commands needs ${missing.join(' and ')} (env or .env)`);
  const registered = await registerCommands({
    apiBase: settings.apiBase,
    token: settings.token,
    applicationId: settings.applicationId,
    ...(guildId ? { guildId } : {}),
  });
  console.log(
    `registered ${registered.length} commands ${guildId ? `in guild ${guildId}` : 'globally (may take up to an hour to show)'}: ${registered.map((c) => c.name).join(', ')}`,
  );
  return 0;
}

/**
 * `npm run cmd -- refund calc amount:1000`: sign a command with the local dev key and post it to
 * the bot running on this data dir (found and checked by local/bot-endpoint.ts, never whatever
 * listens on a port); when there is none, serve one in-process on the same data.
 */
async function cmd(
  config: Config,
  argv: string[],
  opts: { locale?: string; save?: string },
): Promise<number> {
  if (argv.length === 0)
    throw new UsageError('cmd needs a command, e.g. npm run cmd -- refund calc amount:1000');
  const devKey = loadOrCreateDevKey(dataDir());
  const send = (url: string) =>
    sendDevCommand(argv, {
      url,
      privateKey: devKey.privateKey,
      ...(opts.locale ? { locale: opts.locale } : {}),
    });
  const running = await findRunningBot(dataDir());
  if ('endpoint' in running) {
    const result = await send(running.endpoint.url);
    console.log(result.rendered);
    // The chart follows as an edit, from the running bot's process: it prints (or posts) it there.
    if (opts.save)
      console.log(
        `--save: the bot running on this data dir (pid ${running.endpoint.pid}) shows the follow-up in its terminal, not this one`,
      );
    return result.status === 200 ? 0 : 1;
  }
  console.error(`goxwatch: ${running.none}; answering in this process`);
  if (process.env[ENV.discordPublicKey])
    throw new Error(
      'no bot is running locally, and with DISCORD_PUBLIC_KEY set the dev key would be refused',
    );
  const opened = await openStore(config);
  try {
    const container = createContainer({
      config,
      store: opened.store,
      clock: systemClock,
      logger: consoleLogger,
    });
    const { deps, drain } = localInteractions(container, {
      publicKey: devKey.publicKeyHex,
      followUp: localInteractionSetup({
        dataDir: dataDir(),
        publicKey: undefined,
        apiBase: '',
        // The follow-up (the /price chart) is this command's output; the dev-key notice is not.
        logger: {
          info: (l) => void (l.startsWith('interactions:') || console.log(l)),
          warn: () => undefined,
          error: (l) => console.error(l),
        },
        ...(opts.save ? { saveFileTo: opts.save } : {}),
      }).followUp,
    });
    let followUps: Promise<void> = Promise.resolve();
    const server = await startInteractionsServer({
      port: 0,
      handle: (e) => handleInteraction(e, deps),
      onResponseSent: () => {
        followUps = drain();
        return followUps;
      },
    });
    try {
      const result = await send(server.url);
      console.log(result.rendered);
      // The deferred part (the /price chart edit) runs after the answer: wait for it before closing.
      await followUps;
      return result.status === 200 ? 0 : 1;
    } finally {
      await server.close();
    }
  } finally {
    await opened.close();
  }
}

// dynalite throws a failed store write from a callback: one line naming the data dir, not a stack trace.
process.on('uncaughtException', (err) => {
  const store = /Database is closed/.test(err.message);
  console.error(
    store
      ? `goxwatch: the embedded store in ${dataDir()} failed (${err.message}): was the data dir deleted, made read-only or filled?`
      : `goxwatch: ${errorMessage(err)}`,
  );
  process.exit(store ? 2 : 1);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof DataDirError) {
      console.error(`goxwatch: ${err.message}`);
      process.exit(2);
    }
    console.error(`goxwatch: ${errorMessage(err)}`);
    process.exit(1);
  },
);
