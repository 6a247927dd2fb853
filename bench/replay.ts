import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface ReplayBench {
  seconds: number;
  peakRssMb: number;
  steps: number;
  jobErrors: number;
}

/**
 * `npm run replay`'s default range (2018-01-20 → 03-15, 15-minute steps) through the same real
 * jobs, ccxt and dynalite, in a child process of its own so its peak RSS (maxRSS) is the
 * replay's. Seconds are the replay's own wall time (tsx's start-up excluded).
 */
export function benchReplay(): Promise<ReplayBench> {
  const root = join(__dirname, '..');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(root, 'bench', 'replay-child.ts')],
      { cwd: root, maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60_000 },
      (err, stdout, stderr) => {
        const line = /@@REPLAY@@(.*)/.exec(stdout);
        if (!line) {
          reject(new Error(`replay child gave no result: ${err?.message ?? ''} ${stderr.slice(-2000)}`));
          return;
        }
        resolve(JSON.parse(line[1]!) as ReplayBench);
      },
    );
  });
}
