/**
 * One delivery run in its own process, for the crash tests: it connects to the parent's dynalite
 * (on disk) and loopback Discord, and kills itself with SIGKILL (kill -9: no finally, no flush)
 * when it reaches outbox step KILL_STEP for the KILL_AT-th time.
 *
 * env: STORE_ENDPOINT, TABLE, DISCORD_API_BASE, DISCORD_BOT_TOKEN, CHANNELS (comma list),
 *      LEASE_MS, KILL_STEP (claimed | sent | marked, optional), KILL_AT (default 1)
 */
import { writeSync } from 'node:fs';
import { systemClock } from '../../lambdas/domain/clock';
import { consoleLogger } from '../../lambdas/domain/log';
import { createDiscordClient } from '../../lambdas/discord/rest-client';
import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import { Store, dynamoClient } from '../../lambdas/store/store';
import { createContainer } from '../../lambdas/app/container';
import { runDelivery } from '../../lambdas/app/jobs/delivery';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`delivery-child: ${name} is not set`);
  return v;
}

async function main(): Promise<void> {
  const store = new Store(dynamoClient(env('STORE_ENDPOINT')), env('TABLE'), systemClock);
  const channels = env('CHANNELS')
    .split(',')
    .map((id) => ({ id, kinds: ['price' as const], language: 'en' as const }));
  const killStep = process.env.KILL_STEP;
  let seen = 0;
  const container = createContainer({
    config: { ...DEFAULT_CONFIG, channels },
    store,
    clock: systemClock,
    logger: consoleLogger,
  });
  const result = await runDelivery(container, {
    discord: createDiscordClient({
      token: env('DISCORD_BOT_TOKEN'),
      apiBase: env('DISCORD_API_BASE'),
      maxRateLimitWaitMs: 5_000,
    }),
    print: () => undefined,
    leaseMs: Number(env('LEASE_MS')),
    onStep: (step, entry) => {
      if (step !== killStep || ++seen < Number(process.env.KILL_AT ?? '1')) return;
      writeSync(1, `killed at ${step} ${entry.id}\n`); // synchronous: SIGKILL flushes nothing
      process.kill(process.pid, 'SIGKILL');
    },
  });
  process.stdout.write(`${result.summary}\n`);
  store.client.destroy();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
