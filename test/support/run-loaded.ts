/**
 * `npm run test:loaded`: the jest suite with two CPU-burning processes beside it, as on a busy
 * machine (other builds, other agents). No test may depend on machine speed; this proves it.
 * Arguments go to jest (e.g. `npm run test:loaded -- test/integration/cli.test.ts`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const burners: ChildProcess[] = [0, 1].map(() =>
  spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
);
console.log(`test:loaded: two CPU burners running (pids ${burners.map((b) => b.pid).join(', ')})`);

const jest = spawn(
  process.execPath,
  [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), ...process.argv.slice(2)],
  {
    cwd: ROOT,
    stdio: 'inherit',
  },
);
const stopBurners = () => {
  for (const b of burners) b.kill('SIGKILL');
};
process.on('SIGINT', () => {
  stopBurners();
  jest.kill('SIGINT');
});
jest.on('exit', (code, signal) => {
  stopBurners();
  console.log(
    `test:loaded: jest ${signal ? `stopped by ${signal}` : `exited ${code}`} with two CPU burners beside it`,
  );
  process.exit(code ?? 1);
});
