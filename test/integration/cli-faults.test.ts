import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDynamo } from '../../local/embedded-dynamo';

/**
 * Every fault says its cause: the command line against a broken data dir, a bad dev key or a bad
 * public key prints one line naming the file and exits 2, never a stack trace.
 */

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(ROOT, 'bin', 'goxwatch.ts');

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'goxwatch-faults-'));
});
afterEach(() => {
  if (!existsSync(dir)) return;
  if (process.getuid?.() === 0) execFileSync('chattr', ['-R', '-i', dir]);
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      [CLI, ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GOXWATCH_DATA_DIR: dir, ...env },
        timeout: 150_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Any command that opens the store. */
const openStore = () => run(['refund', 'set-stage', 'announced', '--reason', 'fault test']);

function expectOneClearLine(r: RunResult, text: string): void {
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(text);
  expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
}

describe('every fault says its cause', () => {
  it('a second process on the same data dir is named, exit 2 (not "Database is closed")', async () => {
    const holder = await startEmbeddedDynamo(join(dir, 'dynamo'));
    try {
      const r = await openStore();
      expectOneClearLine(r, `another goxwatch is using the data dir ${join(dir, 'dynamo')}`);
    } finally {
      await holder.close();
    }
  });

  it('a read-only data dir is named, exit 2', async () => {
    mkdirSync(join(dir, 'dynamo'));
    // As root, permissions do not stop writes: the immutable flag does.
    if (process.getuid?.() === 0) execFileSync('chattr', ['+i', join(dir, 'dynamo')]);
    else chmodSync(join(dir, 'dynamo'), 0o555);
    const r = await openStore();
    expectOneClearLine(r, `the data dir ${join(dir, 'dynamo')} is read-only`);
  });

  it('a corrupt data dir is named and the way out said, exit 2', async () => {
    const first = await openStore();
    expect(first.code).toBe(0);
    writeFileSync(join(dir, 'dynamo', 'CURRENT'), 'MANIFEST-999999\n');
    const r = await openStore();
    expectOneClearLine(r, `the store in ${join(dir, 'dynamo')} cannot be opened`);
    expect(r.stderr).toContain('move the folder aside');
  });

  it('a garbage dev key names its file, exit 2 (not a DECODER error alone)', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'dev-interactions-key.pem'), 'not a key at all\n');
    const r = await run(['cmd', 'price']);
    expectOneClearLine(
      r,
      `the dev key ${join(dir, 'dev-interactions-key.pem')} is not an Ed25519 private key`,
    );
  });

  it('a small-order public key (all zeros) is refused at start, exit 2', async () => {
    const r = await run(['start', '--once'], { DISCORD_PUBLIC_KEY: '00'.repeat(32) });
    expectOneClearLine(r, 'DISCORD_PUBLIC_KEY is a small-order Ed25519 point');
  });

  it('a data dir deleted while running stops the bot with one line, exit 2', async () => {
    const child = spawn(TSX, [CLI, 'start', '--port', '0'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GOXWATCH_DATA_DIR: dir },
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait until it runs (its interactions endpoint is up), then delete the data dir under it.
    const running = new Promise<void>((resolve) =>
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('interactions endpoint at')) resolve();
      }),
    );
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await Promise.race([running, exited]);
    expect(stdout).toContain('interactions endpoint at');
    rmSync(dir, { recursive: true, force: true });
    const code = await exited;
    expect(code).toBe(2);
    expect(stdout + stderr).toContain(`the data dir ${join(dir, 'dynamo')} was deleted while running`);
  });
});
