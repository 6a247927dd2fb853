import { setFlagsFromString } from 'node:v8';
import type { Config } from '../../lambdas/domain/config';
import { errorMessage } from '../../lambdas/domain/log';
import { REPLAY_DEFAULTS, runReplay } from './replay';
import { DEFAULT_DISCORD_API_BASE, ENV } from '../../lambdas/app/env';

/**
 * `goxwatch replay` (npm run replay): options as strings from the command line, exit code back.
 * DISCORD_BOT_TOKEN + REPLAY_DISCORD_CHANNEL (and DISCORD_API_BASE) post to a real channel
 * instead of printing.
 */
export interface ReplayCommandOptions {
  /** The loaded config: its rules, language and incident are replayed (sources, feeds and channels are replaced). */
  config?: Config;
  speed?: string;
  from?: string;
  to?: string;
  prices?: string;
  /** Unified symbol of --prices (default XEM/JPY). */
  symbol?: string;
  news?: string;
  dataDir?: string;
  step?: string;
  /** Run every job at every step (no quiet runs skipped). */
  everyStep?: boolean;
}

/**
 * The replay process's heap growth: 2× its live set between full collections, not V8's up to 4×.
 * The replay is one long run that makes mostly short-lived garbage over a live set of ~50-90 MB
 * (code, ccxt, dynalite's data); with the defaults V8 let the old generation reach ~4× that before
 * collecting, and the peak RSS was that garbage. Not a cap: the heap still grows with what is
 * live (a longer range, a bigger store). V8 reads the flag at each collection, so setting it once
 * at start is enough; the bench's replay child calls this too, to measure what the command does.
 */
export function replayHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=100');
}

export async function runReplayCommand(opts: ReplayCommandOptions): Promise<number> {
  replayHeapGrowth();
  const speed = opts.speed === undefined ? 0 : Number(opts.speed);
  const step = opts.step === undefined ? undefined : Number(opts.step);
  if (!Number.isFinite(speed) || speed < 0) {
    console.error(
      `replay: --speed "${opts.speed}" must be 0 (as fast as possible) or simulated seconds per second`,
    );
    return 2;
  }
  if (step !== undefined && !(step >= 1)) {
    console.error(`replay: --step "${opts.step}" must be a number of simulated minutes ≥ 1`);
    return 2;
  }
  const token = process.env[ENV.discordBotToken];
  const channelId = process.env[ENV.replayDiscordChannel];
  if (token && !channelId)
    console.error(
      'replay: DISCORD_BOT_TOKEN is set but REPLAY_DISCORD_CHANNEL is not; printing instead of posting',
    );
  try {
    const summary = await runReplay({
      speed,
      from: opts.from ?? REPLAY_DEFAULTS.from,
      to: opts.to ?? REPLAY_DEFAULTS.to,
      ...(opts.prices ? { pricesCsv: opts.prices } : {}),
      ...(opts.symbol ? { pricesSymbol: opts.symbol } : {}),
      ...(opts.news ? { newsRss: opts.news } : {}),
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      ...(step !== undefined ? { stepMinutes: step } : {}),
      ...(opts.everyStep ? { everyStep: true } : {}),
      ...(opts.config ? { baseConfig: opts.config } : {}),
      ...(token && channelId
        ? {
            discord: {
              token,
              channelId,
              apiBase: process.env[ENV.discordApiBase] || DEFAULT_DISCORD_API_BASE,
            },
          }
        : {}),
      print: (line) => console.log(line),
    });
    return summary.pending > 0 ? 1 : 0;
  } catch (err) {
    console.error(errorMessage(err));
    return 1;
  }
}
