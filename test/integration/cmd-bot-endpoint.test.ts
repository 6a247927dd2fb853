import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, type Config } from '../../lambdas/domain/config';
import {
  BOT_ENDPOINT_FILE,
  findRunningBot,
  newInstanceId,
  writeBotEndpoint,
  type BotEndpoint,
} from '../../local/bot-endpoint';
import { startInteractionsServer, type InteractionsServer } from '../../local/interactions-server';
import { CLI, ROOT, runCli as run } from '../support/run-cli';
import { startLoopbackServer } from '../../testkit/loopback';

/**
 * `npm run cmd` talks only to a bot it can identify: the one running on its own data dir, checked
 * by pid and instance id. A foreign server on the port, a bot of another data dir and a file left
 * by a killed bot are never sent a command; the command then runs in-process.
 */

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'goxwatch-cmd-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A program that is not goxwatch, listening on a port: records what it is sent. */
async function foreignServer(): Promise<{ url: string; requests(): string[]; close(): Promise<void> }> {
  const server = await startLoopbackServer(
    (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":1}'),
  );
  return {
    url: `${server.baseUrl}/interactions`,
    requests: () => server.requests.map((r) => `${r.method} ${r.url}`),
    close: server.close,
  };
}

/** A goxwatch endpoint of its own instance, as `npm start` runs it. */
async function botServer(instance: string): Promise<InteractionsServer> {
  return startInteractionsServer({
    port: 0,
    handle: async () => ({ statusCode: 200, headers: {}, body: '{"type":1}' }),
    instance,
  });
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid as number;
  await new Promise((resolve) => child.on('exit', resolve));
  return pid;
}

function writeFile(endpoint: BotEndpoint, into = dir): void {
  writeFileSync(join(into, BOT_ENDPOINT_FILE), JSON.stringify(endpoint));
}

describe('which bot npm run cmd may talk to', () => {
  it('the bot of this data dir, alive and answering with its instance id, is used; its file goes at stop', async () => {
    const instance = newInstanceId();
    const server = await botServer(instance);
    const forget = writeBotEndpoint(dir, { url: server.url, pid: process.pid, instance });
    try {
      expect(await findRunningBot(dir)).toEqual({
        endpoint: { url: server.url, pid: process.pid, instance },
      });
    } finally {
      forget();
      await server.close();
    }
    expect(existsSync(join(dir, BOT_ENDPOINT_FILE))).toBe(false);
    expect(await findRunningBot(dir)).toEqual({ none: 'no bot running on this data dir' });
  });

  it('a foreign HTTP server named by the file (live pid) is not used: it does not know the instance id', async () => {
    const foreign = await foreignServer();
    try {
      writeFile({ url: foreign.url, pid: process.pid, instance: newInstanceId() });
      const found = await findRunningBot(dir);
      expect(found).toEqual({ none: expect.stringContaining('does not answer as the bot of this data dir') });
      expect(foreign.requests().filter((r) => r.startsWith('POST'))).toEqual([]);
    } finally {
      await foreign.close();
    }
  });

  it('a bot of another data dir is not used, even at the url this data dir last knew', async () => {
    const other = mkdtempSync(join(tmpdir(), 'goxwatch-cmd-other-'));
    const instance = newInstanceId();
    const server = await botServer(instance);
    const forget = writeBotEndpoint(other, { url: server.url, pid: process.pid, instance });
    try {
      expect(await findRunningBot(dir)).toEqual({ none: 'no bot running on this data dir' });
      // This dir's own (older) bot had that url; the bot there now is another instance.
      writeFile({ url: server.url, pid: process.pid, instance: newInstanceId() });
      expect(await findRunningBot(dir)).toEqual({ none: expect.stringContaining('another instance') });
      expect('endpoint' in (await findRunningBot(other))).toBe(true);
    } finally {
      forget();
      await server.close();
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('a file left by a killed bot (its pid gone) is ignored without a request', async () => {
    const foreign = await foreignServer();
    try {
      const pid = await deadPid();
      writeFile({ url: foreign.url, pid, instance: newInstanceId() });
      expect(await findRunningBot(dir)).toEqual({
        none: `stale ${BOT_ENDPOINT_FILE} (pid ${pid} is not running)`,
      });
      expect(foreign.requests()).toEqual([]);
    } finally {
      await foreign.close();
    }
  });

  it('a half-written or garbage file is no bot', async () => {
    writeFileSync(join(dir, BOT_ENDPOINT_FILE), '{"url":"http://127.0.0.1:1/inter');
    expect(await findRunningBot(dir)).toEqual({ none: 'no bot running on this data dir' });
  });
});

describe('npm run cmd as a user runs it', () => {
  let configFile: string;
  beforeEach(() => {
    // Nothing to reach: one source on a closed loopback port, no feeds.
    const config: Config = {
      ...DEFAULT_CONFIG,
      sources: [{ exchange: 'zaif', symbol: 'XEM/JPY', urls: { api: { rest: 'http://127.0.0.1:9' } } }],
      feeds: [],
      incidents: [{ ...DEFAULT_CONFIG.incidents[0]!, feeds: [] }],
    };
    configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
  });

  it('with a foreign server named in the data dir, answers in-process and posts nothing to it', async () => {
    const foreign = await foreignServer();
    try {
      writeFile({ url: foreign.url, pid: process.pid, instance: newInstanceId() });
      const r = await run(['cmd', 'refund', 'calc', 'amount:1000', '--config', configFile], {
        GOXWATCH_DATA_DIR: dir,
      });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/88,549 JPY/);
      expect(r.stderr).toContain('answering in this process');
      expect(foreign.requests()).toEqual(['GET /goxwatch/instance']);
    } finally {
      await foreign.close();
    }
  });

  it('talks to the running bot of its data dir; after kill -9 of that bot, runs in-process', async () => {
    const env = { GOXWATCH_DATA_DIR: dir };
    // node itself runs the bot (tsx as a loader, not a parent), so kill -9 hits the bot's own pid.
    const args = ['--import', 'tsx', CLI, 'start', '--port', '0', '--config', configFile];
    let bot: ChildProcess | undefined = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const check = (chunk: Buffer) => {
          output += chunk.toString();
          if (existsSync(join(dir, BOT_ENDPOINT_FILE)) && output.includes('interactions endpoint at'))
            resolve();
        };
        bot?.stdout?.on('data', check);
        bot?.stderr?.on('data', check);
        bot?.on('exit', (code) => reject(new Error(`bot exited ${code}: ${output}`)));
      });
      const endpoint = JSON.parse(readFileSync(join(dir, BOT_ENDPOINT_FILE), 'utf8')) as BotEndpoint;
      expect(endpoint.pid).toBe(bot.pid);

      // The bot holds the store: an in-process answer would fail on its lock, so exit 0 means the bot answered.
      const viaBot = await run(['cmd', 'refund', 'calc', 'amount:1000', '--config', configFile], env);
      expect(viaBot.stderr).not.toContain('answering in this process');
      expect(viaBot.code).toBe(0);
      expect(viaBot.stdout).toMatch(/88,549 JPY/);

      bot.removeAllListeners('exit');
      const killed = new Promise((resolve) => bot?.once('exit', resolve));
      bot.kill('SIGKILL');
      await killed;
      bot = undefined;
      const afterKill = await run(['cmd', 'refund', 'calc', 'amount:1000', '--config', configFile], env);
      expect(afterKill.stderr).toContain(`stale ${BOT_ENDPOINT_FILE} (pid ${endpoint.pid} is not running)`);
      expect(afterKill.code).toBe(0);
      expect(afterKill.stdout).toMatch(/88,549 JPY/);
    } finally {
      bot?.kill('SIGKILL');
    }
  });
});
