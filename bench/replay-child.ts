// Run as a child of bench/replay.ts (`node --import tsx bench/replay-child.ts`), so its peak RSS is
// the replay's own: the default range through the real jobs, ccxt and dynalite, nothing printed.
import { REPLAY_DEFAULTS, runReplay } from '../local/replay/replay';
import { replayHeapGrowth } from '../local/replay/cli';

replayHeapGrowth();

const started = performance.now();
void runReplay({
  speed: 0,
  from: REPLAY_DEFAULTS.from,
  to: REPLAY_DEFAULTS.to,
  print: () => undefined,
  progress: 'off',
}).then(
  (summary) => {
    process.stdout.write(
      `@@REPLAY@@${JSON.stringify({
        seconds: (performance.now() - started) / 1000,
        peakRssMb: process.resourceUsage().maxRSS / 1024,
        steps: summary.steps,
        jobErrors: summary.jobErrors,
      })}\n`,
    );
  },
  (err: unknown) => {
    process.stderr.write(
      `replay failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
