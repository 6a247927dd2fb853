import { lambdaPriceSources, priceAgeSeconds, priceCycle } from '../app/price-cycle';
import { discordBrakeMetrics, emitMetrics, lambdaBot, type LambdaContext } from '../app/lambda-bot';

/** EventBridge schedule → one price poll, then delivery of any alert it queued. */
export async function handler(_event: unknown, context?: LambdaContext): Promise<{ summary: string }> {
  const bot = await lambdaBot(context);
  const sources = lambdaPriceSources(bot.container);
  const { clock } = bot.container;
  const { price, delivery } = await priceCycle(bot, sources);
  const pending = (await bot.container.outbox.pending()).length;
  emitMetrics(
    'price',
    {
      JobFailures: price.allSourcesFailed ? 1 : 0,
      PriceAgeSeconds: (await priceAgeSeconds(bot.container)) ?? 86_400,
      OutboxPending: pending,
      DiscordAuthFailures: delivery?.badToken ? 1 : 0,
      ...discordBrakeMetrics(bot),
    },
    clock.now(),
  );
  // Failing the invocation sends it to the on-failure destination; one dead exchange does not.
  if (price.allSourcesFailed) throw new Error(`every price source failed: ${price.summary}`);
  return { summary: price.summary };
}
