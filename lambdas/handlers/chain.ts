import { chainCycle, lambdaChainReader } from '../app/chain-cycle';
import { emitMetrics, lambdaBot } from '../app/lambda-bot';

/** EventBridge schedule (every minute) → one poll of the watched NEM accounts, then delivery. */
export async function handler(): Promise<{ summary: string }> {
  const bot = await lambdaBot();
  const reader = lambdaChainReader(bot.container);
  if (!reader) return { summary: 'chain: no watched accounts configured' };
  const { chain, delivery } = await chainCycle(bot, reader);
  emitMetrics(
    'chain',
    {
      JobFailures: chain.unavailable ? 1 : 0,
      OutboxPending: (await bot.container.outbox.pending()).length,
      DiscordAuthFailures: delivery?.badToken ? 1 : 0,
    },
    bot.container.clock.now(),
  );
  // Every node down: fail the invocation so the on-failure destination and alarm see it.
  if (chain.unavailable) throw new Error(chain.summary);
  return { summary: chain.summary };
}
