import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** The command line as a user runs it: `tsx bin/goxwatch.ts …` in a fresh process, a clean env. */

export const ROOT = join(__dirname, '..', '..');
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
export const CLI = join(ROOT, 'bin', 'goxwatch.ts');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Only PATH and HOME from this process, plus `env`; killed after 150 s (a safety limit). */
export function runCli(args: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      [CLI, ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        timeout: 150_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
