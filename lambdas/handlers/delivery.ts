import { deliver } from '../app/bot';
import { discordBrakeMetrics, emitMetrics, lambdaBot, type LambdaContext } from '../app/lambda-bot';
import { countingErrors } from '../app/metrics';

/** EventBridge schedule → send what earlier runs left pending (a Discord outage, a long 429). */
export const handler = countingErrors('delivery', async (_event: unknown, context?: LambdaContext) => {
  const bot = await lambdaBot(context);
  const result = await deliver(bot);
  await emitMetrics(bot, 'delivery', {
    OutboxPending: (await bot.container.outbox.pending()).length,
    DiscordAuthFailures: result.badToken ? 1 : 0,
    ...discordBrakeMetrics(bot),
  });
  return { summary: result.summary };
});
