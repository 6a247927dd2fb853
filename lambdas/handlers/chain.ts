import { chainCycle, lambdaChainReader } from '../app/chain-cycle';
import { emitMetrics, lambdaBot, type LambdaContext } from '../app/lambda-bot';
import { countingErrors } from '../app/metrics';

/** EventBridge schedule (every minute) → one poll of the watched NEM accounts, then delivery. */
export const handler = countingErrors('chain', async (_event: unknown, context?: LambdaContext) => {
  const bot = await lambdaBot(context);
  const reader = lambdaChainReader(bot.container);
  if (!reader) return { summary: 'chain: no watched accounts configured' };
  const { chain, delivery } = await chainCycle(bot, reader);
  await emitMetrics(bot, 'chain', {
    OutboxPending: (await bot.container.outbox.pending()).length,
    DiscordAuthFailures: delivery?.badToken ? 1 : 0,
  });
  // Every node down: fail the invocation so the on-failure destination and alarm see it.
  if (chain.unavailable) throw new Error(chain.summary);
  return { summary: chain.summary };
});
