import { spawn } from 'node:child_process';
import { createContainer } from '../../lambdas/app/container';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildCommandInteraction, DEV_APPLICATION_ID } from '../../local/dev-client';
import { startGatewayTransport, type GatewayAnswerEvent, type GatewayTransport } from '../../local/gateway';
import { createFetchFollowUp } from '../../lambdas/discord/followup';
import { handleInteraction } from '../../lambdas/discord/interactions';
import { localInteractions } from '../../local/interactions-server';
import { Store, type Item } from '../../lambdas/store/store';
import { ManualClock } from '../../lambdas/domain/clock';
import { DEFAULT_CONFIG, type Config } from '../../lambdas/domain/config';
import type { Logger } from '../../lambdas/domain/log';
import { startDiscordServer, type DiscordServer } from '../../testkit/discord-server';
import { PRIVILEGED_INTENTS, startGatewayServer, type GatewayServer } from '../../testkit/gateway-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { seedXemJpyDay } from '../support/interaction-fixtures';
import { generateTestKeys, signedHeaders } from '../support/interactions';
import { decodePng } from '../support/png';

/**
 * The Gateway transport end to end: discord.js against a loopback Gateway (ws, protocol v10) and the
 * loopback REST API, the real dispatcher, dynalite. Every wait is for an event (a Gateway log entry, an
 * answer step), never for a length of time.
 */

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(ROOT, 'bin', 'goxwatch.ts');
const NOW = Date.parse('2018-01-26T06:00:00Z');
const clock = new ManualClock(NOW);
type Local = ReturnType<typeof localInteractions>;
const BOT_TOKEN = 'MTAxMDEwMTAxMDEwMTAxMDEw.gateway-test.loopback-bot-token-never-logged';

/** Captures every line as written: no redaction, so a leak would show. */
class CapturingLogger implements Logger {
  readonly lines: string[] = [];
  info = (l: string) => void this.lines.push(l);
  warn = (l: string) => void this.lines.push(l);
  error = (l: string) => void this.lines.push(l);
}

/** Steps of answering, with a way to wait for one. */
class Answers {
  readonly events: GatewayAnswerEvent[] = [];
  private readonly waiters = new Set<() => void>();
  readonly record = (e: GatewayAnswerEvent) => {
    this.events.push(e);
    for (const w of [...this.waiters]) w();
  };
  until(interactionId: string, stage: GatewayAnswerEvent['stage']): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!this.events.some((e) => e.interactionId === interactionId && e.stage === stage)) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }
}

/**
 * The network edge held shut: a put of an interaction id waits until the test opens the gate, so the
 * answer is deferred on any machine, however fast.
 */
class GatedStore extends Store {
  private open!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  constructor(base: Store) {
    super(base.client, base.tableName, clock);
  }
  release(): void {
    this.open();
  }
  override async put(item: Item, opts: { ifAbsent?: boolean } = {}): Promise<boolean> {
    if (item.pk === 'INTERACTION') await this.gate;
    return super.put(item, opts);
  }
}

let t: TestStore;
let discord: DiscordServer;
let gateway: GatewayServer;
let transport: GatewayTransport;
let logger: CapturingLogger;
let answers: Answers;
let local: Local;
const consoleLines: string[] = [];

/** The dispatcher's deps and the in-process worker that runs what it hands off, as npm start builds them. */
function depsWith(store: Store, budgetMs: number): Local {
  return localInteractions(createContainer({ config: DEFAULT_CONFIG, store, clock, logger }), {
    publicKey: undefined,
    followUp: (window) => createFetchFollowUp({ apiBase: discord.apiBase, retries: window }),
    budgetMs,
  });
}

function startBot(local: Local, token = BOT_TOKEN): GatewayTransport {
  return startGatewayTransport({
    token,
    apiBase: discord.apiBase,
    deps: local.deps,
    drain: local.drain,
    logger,
    onAnswer: answers.record,
    backoff: { failuresBeforePause: 2, firstPauseMs: 20, maxPauseMs: 200 },
  });
}

/** A slash command as Discord dispatches it (INTERACTION_CREATE), issued to the REST server first. */
function slashCommand(line: string): Record<string, unknown> & { id: string; token: string } {
  const interaction = buildCommandInteraction(line.split(' ')) as Record<string, unknown> & {
    id: string;
    token: string;
  };
  discord.issueInteraction(interaction.id, interaction.token);
  return interaction;
}

const callbacksOf = (id: string) => discord.callbacks.filter((c) => c.interactionId === id);
const editsOf = (token: string) => discord.webhookMessages.filter((m) => m.interactionToken === token);
const textOf = (data: Record<string, unknown> | undefined) => JSON.stringify(data ?? {});

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleLines.push(args.map(String).join(' '));
    });
  t = await startTestStore(clock);
  discord = await startDiscordServer({ token: BOT_TOKEN });
  // Far below Discord's 41,250 ms, yet long enough that a busy machine's late ACK is not taken for a
  // zombie connection (which would add a resume to the failure counts below).
  gateway = await startGatewayServer({ token: BOT_TOKEN, heartbeatIntervalMs: 3_000 });
  discord.useGateway(gateway.url);
  logger = new CapturingLogger();
  answers = new Answers();
  local = depsWith(t.store, 20_000);
  await seedXemJpyDay(local.deps.prices, NOW);
  transport = startBot(local);
  await transport.ready;
});

afterAll(async () => {
  await transport.stop();
  await gateway.close();
  await discord.close();
  await t.close();
  jest.restoreAllMocks();
});

describe('slash commands over the Gateway (discord.js)', () => {
  it('connects where GET /gateway/bot says, identifying with the Guilds intent only and the bot token', () => {
    const gatewayBot = discord.requests.filter((r) => r.path === '/api/v10/gateway/bot');
    expect(gatewayBot[0]?.authorization).toBe(`Bot ${BOT_TOKEN}`);
    const identify = gateway.log.find((e) => e.kind === 'identify');
    expect(identify).toMatchObject({ intents: 1, tokenOk: true });
    expect((identify?.intents ?? 0) & PRIVILEGED_INTENTS).toBe(0);
    expect(gateway.count('ready')).toBe(1);
  });

  it('`/refund calc amount:1000` answers 88,549 JPY through the interaction callback, as the HTTP endpoint does', async () => {
    const interaction = slashCommand('refund calc amount:1000');
    gateway.dispatch('INTERACTION_CREATE', interaction);
    await answers.until(interaction.id, 'done');
    const [callback, ...more] = callbacksOf(interaction.id);
    expect(more).toEqual([]);
    expect(callback?.interactionToken).toBe(interaction.token);
    expect(callback?.body.type).toBe(4);
    expect(textOf(callback?.body.data)).toContain('88,549 JPY');
    expect(callback?.body.data?.allowed_mentions).toEqual({ parse: [] });
    // The same command through the signed HTTP endpoint gets the same message.
    const keys = generateTestKeys();
    const body = JSON.stringify(buildCommandInteraction(['refund', 'calc', 'amount:1000']));
    const http = await handleInteraction(
      { headers: signedHeaders(body, keys.privateKey, clock.now()), body },
      { ...local.deps, publicKey: keys.publicKeyHex },
    );
    expect(JSON.parse(http.body)).toEqual(callback?.body);
  });

  it('`/price` answers with the price, then edits @original with the chart PNG after the callback', async () => {
    const interaction = slashCommand('price');
    gateway.dispatch('INTERACTION_CREATE', interaction);
    await answers.until(interaction.id, 'done');
    expect(textOf(callbacksOf(interaction.id)[0]?.body.data)).toContain('96 JPY');
    const [edit, ...more] = editsOf(interaction.token);
    expect(more).toEqual([]);
    expect(edit?.applicationId).toBe(DEV_APPLICATION_ID);
    const png = edit?.files?.[0];
    expect(png?.contentType).toBe('image/png');
    expect(decodePng(png?.data ?? Buffer.alloc(0)).width).toBe(800);
  });

  it('a dropped socket is resumed on resume_gateway_url, and the command sent meanwhile is answered once', async () => {
    const identifies = gateway.count('identify');
    gateway.dropConnection();
    // Dispatched while the bot is away: Discord keeps it for the resume.
    const interaction = slashCommand('refund calc amount:2000');
    gateway.dispatch('INTERACTION_CREATE', interaction);
    await gateway.until((log) => log.some((e) => e.kind === 'resumed'));
    await answers.until(interaction.id, 'done');
    expect(gateway.log.filter((e) => e.kind === 'connect').pop()?.path).toBe('/resume');
    expect(gateway.count('identify')).toBe(identifies);
    expect(callbacksOf(interaction.id)).toHaveLength(1);
    expect(textOf(callbacksOf(interaction.id)[0]?.body.data)).toContain('177,098 JPY');
  });

  it('a replayed dispatch (same interaction, new sequence number) is answered once', async () => {
    const interaction = slashCommand('refund calc amount:10');
    const seq = gateway.dispatch('INTERACTION_CREATE', interaction);
    await answers.until(interaction.id, 'done');
    gateway.redeliver(seq);
    await answers.until(interaction.id, 'duplicate');
    expect(callbacksOf(interaction.id)).toHaveLength(1);
    expect(discord.requests.filter((r) => r.path.includes(`/interactions/${interaction.id}/`))).toHaveLength(
      1,
    );
  });

  it('an invalid session makes the bot identify again; the next command is answered', async () => {
    const identifies = gateway.count('identify');
    gateway.invalidateSession(false);
    await gateway.until((log) => log.filter((e) => e.kind === 'ready').length > identifies);
    expect(gateway.count('identify')).toBe(identifies + 1);
    const interaction = slashCommand('refund calc amount:1000');
    gateway.dispatch('INTERACTION_CREATE', interaction);
    await answers.until(interaction.id, 'done');
    expect(callbacksOf(interaction.id)).toHaveLength(1);
  });

  it('repeated connection failures back off (doubling pauses), then the session resumes and answers', async () => {
    const resumes = gateway.count('resumed');
    const pausesBefore = logger.lines.filter((l) => l.includes('next attempt in')).length;
    // Discord unreachable for four attempts (503 at the upgrade): with 2 failures per round, two pauses.
    gateway.refuseConnections(4);
    gateway.dropConnection();
    await gateway.until((log) => log.filter((e) => e.kind === 'resumed').length > resumes);
    const pauses = logger.lines.filter((l) => l.includes('next attempt in')).slice(pausesBefore);
    expect(pauses.map((l) => /next attempt in (\d+) ms/.exec(l)?.[1])).toEqual(['20', '40']);
    const interaction = slashCommand('status');
    gateway.dispatch('INTERACTION_CREATE', interaction);
    await answers.until(interaction.id, 'done');
    expect(callbacksOf(interaction.id)[0]?.body.data?.flags).toBe(64);
  });

  it('a bot that cannot reach the Gateway at start tries again after a pause, with a fresh client', async () => {
    gateway.refuseConnections(1);
    const late = startBot(local);
    try {
      await expect(late.ready).resolves.toBe('goxwatch');
      expect(logger.lines.some((l) => /cannot connect \(.*503.*\); next attempt in 20 ms/.test(l))).toBe(
        true,
      );
    } finally {
      await late.stop();
    }
  });
});

describe('deferral over the Gateway', () => {
  it('a slow store defers (callback type 5), then the reply arrives as an edit of @original', async () => {
    const gated = new GatedStore(t.store);
    await transport.stop();
    transport = startBot(depsWith(gated, 50));
    await transport.ready;
    const interaction = slashCommand('refund calc amount:1000');
    gateway.dispatch('INTERACTION_CREATE', interaction);
    await answers.until(interaction.id, 'callback');
    expect(callbacksOf(interaction.id).map((c) => c.body)).toEqual([{ type: 5 }]);
    expect(editsOf(interaction.token)).toEqual([]);
    gated.release();
    await answers.until(interaction.id, 'done');
    const [edit, ...more] = editsOf(interaction.token);
    expect(more).toEqual([]);
    expect(textOf(edit?.payload)).toContain('88,549 JPY');
  });
});

describe('refusals and secrets', () => {
  it('a token the Gateway refuses (4004) stops with a clear error instead of reconnecting', async () => {
    const strict = await startGatewayServer({ token: 'a-different-token-the-gateway-expects' });
    const rest = await startDiscordServer({ token: BOT_TOKEN });
    rest.useGateway(strict.url);
    const refused = startGatewayTransport({
      token: BOT_TOKEN,
      apiBase: rest.apiBase,
      deps: local.deps,
      drain: local.drain,
      logger,
    });
    try {
      await expect(refused.ready).rejects.toThrow('the bot token was refused (4004)');
      expect(strict.count('identify')).toBe(1);
      expect(logger.lines.join('\n')).toContain('check DISCORD_BOT_TOKEN');
    } finally {
      await refused.stop();
      await strict.close();
      await rest.close();
    }
  });

  it('heartbeats carry the last sequence number the bot received', async () => {
    await gateway.until((log) => log.some((e) => e.kind === 'heartbeat' && typeof e.seq === 'number'));
    const beat = gateway.log.find((e) => e.kind === 'heartbeat' && typeof e.seq === 'number');
    expect(beat?.seq).toBeGreaterThan(0);
  });

  it('the bot token is never logged, by us or by discord.js on the console', () => {
    expect(logger.lines.length).toBeGreaterThan(0);
    for (const line of [...logger.lines, ...consoleLines]) expect(line).not.toContain(BOT_TOKEN);
    // It did travel where it belongs: IDENTIFY and RESUME carried it (tokenOk), REST had it as Bot auth.
    expect(gateway.log.filter((e) => e.kind === 'resume').every((e) => e.tokenOk)).toBe(true);
  });
});

describe('npm start with a bot token and no public key', () => {
  it('answers over the Gateway, says so in the start line, and stops cleanly on SIGINT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'goxwatch-gateway-cli-'));
    const configFile = join(dir, 'config.json');
    // No feeds and no price sources to reach: this run is about slash commands.
    const config: Config = {
      ...DEFAULT_CONFIG,
      feeds: [],
      incidents: [{ ...DEFAULT_CONFIG.incidents[0]!, feeds: [] }],
    };
    writeFileSync(configFile, JSON.stringify(config));
    const child = spawn(TSX, [CLI, 'start', '--port', '0', '--config', configFile], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        GOXWATCH_DATA_DIR: join(dir, 'data'),
        DISCORD_BOT_TOKEN: BOT_TOKEN,
        DISCORD_API_BASE: discord.apiBase,
      },
    });
    let output = '';
    const lines = new Set<() => void>();
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const l of [...lines]) l();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const printed = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => output.includes(text) && (lines.delete(check), resolve());
        lines.add(check);
        check();
      });
    try {
      await printed('Gateway connected as goxwatch');
      expect(output).toMatch(
        /slash commands: Discord Gateway \(discord\.js.*DISCORD_BOT_TOKEN set and no DISCORD_PUBLIC_KEY/,
      );
      expect(output).toMatch(/interactions endpoint at http:\/\/127\.0\.0\.1:\d+\/interactions too/);
      const interaction = slashCommand('refund calc amount:1000');
      gateway.dispatch('INTERACTION_CREATE', interaction);
      while (callbacksOf(interaction.id).length === 0) await sleep(10);
      expect(textOf(callbacksOf(interaction.id)[0]?.body.data)).toContain('88,549 JPY');
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
    expect(output).toContain('goxwatch: stopped');
    expect(output).not.toContain(BOT_TOKEN);
  });
});
