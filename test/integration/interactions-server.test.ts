import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createContainer } from '../../lambdas/app/container';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEV_KEY_FILE,
  loadOrCreateDevKey,
  sendDevCommand,
  buildCommandInteraction,
  type DevKey,
} from '../../local/dev-client';
import { localInteractionSetup } from '../../local/interactions-setup';
import { createFetchFollowUp } from '../../lambdas/discord/followup';
import {
  localInteractions,
  startInteractionsServer,
  type InteractionsServer,
} from '../../local/interactions-server';
import { registerCommands } from '../../lambdas/discord/register-commands';
import { ManualClock, MINUTE } from '../../lambdas/domain/clock';
import { COMMAND_DEFINITIONS } from '../../lambdas/discord/command-definitions';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import { MemoryLogger } from '../../lambdas/domain/log';
import { handleInteraction } from '../../lambdas/discord/interactions';
import { startDiscordServer } from '../../testkit/discord-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { startFollowUpRecorder, type FollowUpRecorder } from '../support/followup-recorder';
import { seedXemJpyDay } from '../support/interaction-fixtures';
import { generateTestKeys } from '../support/interactions';
import { decodePng } from '../support/png';

const NOW = Date.parse('2018-01-26T06:00:00Z');
const clock = new ManualClock(NOW);
let dataDir: string;
let t: TestStore;
let recorder: FollowUpRecorder;
let server: InteractionsServer;
let devKey: DevKey;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'goxwatch-dev-'));
  devKey = loadOrCreateDevKey(dataDir);
  t = await startTestStore(clock);
  recorder = await startFollowUpRecorder();
  const { deps, drain } = localInteractions(
    createContainer({ config: DEFAULT_CONFIG, store: t.store, clock, logger: new MemoryLogger() }),
    {
      // DISCORD_PUBLIC_KEY unset locally: the endpoint trusts the dev key.
      publicKey: devKey.publicKeyHex,
      followUp: () => createFetchFollowUp({ apiBase: recorder.apiBase }),
      budgetMs: 20_000,
    },
  );
  await seedXemJpyDay(deps.prices, NOW);
  server = await startInteractionsServer({
    port: 0,
    handle: (event) => handleInteraction(event, deps),
    onResponseSent: drain,
  });
});

afterAll(async () => {
  await server.close();
  await recorder.close();
  await t.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('local interactions server and dev client', () => {
  it('`cmd refund calc amount:1000` signs, posts and prints the reply as Discord would show it', async () => {
    const result = await sendDevCommand(['refund', 'calc', 'amount:1000'], {
      url: server.url,
      privateKey: devKey.privateKey,
      nowMs: clock.now(),
    });
    expect(result.status).toBe(200);
    expect(result.rendered).toContain('88,549 JPY');
    expect(result.rendered).toContain('96,000 JPY');
    expect(result.rendered.split('\n')[0]).toMatch(/^┌─/);
  });

  it('a request signed by a key the endpoint does not trust is refused with 401 over HTTP', async () => {
    const other = generateTestKeys();
    const result = await sendDevCommand(['status'], {
      url: server.url,
      privateKey: other.privateKey,
      nowMs: clock.now(),
    });
    expect(result.status).toBe(401);
    expect(result.rendered).toContain('DISCORD_PUBLIC_KEY');
  });

  it('/price over HTTP: the in-process worker edits the chart in after the response, as a PNG', async () => {
    const before = recorder.edits.length;
    const result = await sendDevCommand(['price'], {
      url: server.url,
      privateKey: devKey.privateKey,
      nowMs: clock.now(),
    });
    expect(result.rendered).toContain('96 JPY');
    // The server drains the in-process hand-off once the response is written; wait for it to land.
    await recorder.editsReach(before + 1);
    const file = recorder.edits[recorder.edits.length - 1]?.files[0];
    expect(decodePng(file?.data ?? Buffer.alloc(0)).width).toBe(800);
  });

  it('answers 404 off the path and 405 for GET', async () => {
    expect((await fetch(server.url.replace('/interactions', '/other'), { method: 'POST' })).status).toBe(404);
    expect((await fetch(server.url)).status).toBe(405);
  });

  it('the dev key is kept in the data folder (owner-only) and reused', () => {
    expect(loadOrCreateDevKey(dataDir).publicKeyHex).toBe(devKey.publicKeyHex);
    expect(statSync(join(dataDir, DEV_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(devKey.publicKeyHex).toMatch(/^[0-9a-f]{64}$/);
  });

  it('locally, an unset DISCORD_PUBLIC_KEY means the dev key is trusted and follow-ups are printed', async () => {
    const logger = new MemoryLogger();
    const dev = localInteractionSetup({
      dataDir,
      publicKey: undefined,
      apiBase: 'http://127.0.0.1:9/api',
      logger,
    });
    expect(dev).toMatchObject({ publicKey: devKey.publicKeyHex, devKey: true });
    await dev.followUp({ receivedAt: NOW, deadline: NOW + MINUTE })('1', 'dev-token', {
      data: { content: 'printed here' },
    });
    expect(logger.lines.join('\n')).toContain('printed here');
    const real = localInteractionSetup({
      dataDir,
      publicKey: 'ab'.repeat(32),
      apiBase: recorder.apiBase,
      logger,
    });
    expect(real).toMatchObject({ publicKey: 'ab'.repeat(32), devKey: false });
  });

  it('bad command lines are refused before sending, naming what exists', () => {
    expect(() => buildCommandInteraction(['prize'])).toThrow(
      'unknown command "prize"; commands: price, refund, news, alerts, status',
    );
    expect(() => buildCommandInteraction(['refund', 'calculate'])).toThrow(
      'subcommands: show, calc, set-stage',
    );
    expect(() => buildCommandInteraction(['refund', 'calc', 'xem:5'])).toThrow(
      'unknown option "xem"; options: amount, incident',
    );
  });
});

describe('register-commands', () => {
  it('bulk-overwrites the global set with the definitions, idempotently', async () => {
    const discord = await startDiscordServer();
    try {
      const opts = { apiBase: discord.apiBase, token: discord.token, applicationId: '775799577604522054' };
      await registerCommands(opts);
      await registerCommands(opts);
      const puts = discord.requests.filter((r) => r.method === 'PUT');
      expect(puts).toHaveLength(2);
      expect(puts.every((r) => r.authorization === `Bot ${discord.token}`)).toBe(true);
      expect(puts[0]?.body).toEqual(puts[1]?.body);
      expect(discord.commands.get('global')?.map((c) => c.name)).toEqual(
        COMMAND_DEFINITIONS.map((c) => c.name),
      );
    } finally {
      await discord.close();
    }
  });

  it('registers to one guild without the global-only contexts field', async () => {
    const discord = await startDiscordServer();
    try {
      await registerCommands({
        apiBase: discord.apiBase,
        token: discord.token,
        applicationId: '775799577604522054',
        guildId: '290926798626357999',
      });
      const list = discord.commands.get('290926798626357999') ?? [];
      expect(list.map((c) => c.name)).toEqual(COMMAND_DEFINITIONS.map((c) => c.name));
      expect(list.every((c) => !('contexts' in c))).toBe(true);
      expect(list.find((c) => c.name === 'alerts')?.default_member_permissions).toBe('16');
    } finally {
      await discord.close();
    }
  });

  it('refuses an application id that is not numeric, before any request', async () => {
    await expect(
      registerCommands({ apiBase: 'http://127.0.0.1:9', token: 't', applicationId: 'my-bot' }),
    ).rejects.toThrow('DISCORD_APPLICATION_ID must be');
  });
});
