import { deliver } from '../app/bot';
import { discordBrakeMetrics, emitMetrics, lambdaBot, type LambdaContext } from '../app/lambda-bot';

/** EventBridge schedule → send what earlier runs left pending (a Discord outage, a long 429). */
export async function handler(_event: unknown, context?: LambdaContext): Promise<{ summary: string }> {
  const bot = await lambdaBot(context);
  const result = await deliver(bot);
  emitMetrics(
    'delivery',
    {
      JobFailures: result.badToken ? 1 : 0,
      OutboxPending: (await bot.container.outbox.pending()).length,
      DiscordAuthFailures: result.badToken ? 1 : 0,
      ...discordBrakeMetrics(bot),
    },
    bot.container.clock.now(),
  );
  return { summary: result.summary };
}
