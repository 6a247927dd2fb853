import { lambdaPriceSources, priceAgeSeconds, priceCycle } from '../app/price-cycle';
import { discordBrakeMetrics, emitMetrics, lambdaBot, type LambdaContext } from '../app/lambda-bot';
import { countingErrors } from '../app/metrics';

/** EventBridge schedule → one price poll, then delivery of any alert it queued. */
export const handler = countingErrors('price', async (_event: unknown, context?: LambdaContext) => {
  const bot = await lambdaBot(context);
  const sources = lambdaPriceSources(bot.container);
  const { price, delivery } = await priceCycle(bot, sources);
  await emitMetrics(bot, 'price', {
    PriceAgeSeconds: (await priceAgeSeconds(bot.container)) ?? 86_400,
    OutboxPending: (await bot.container.outbox.pending()).length,
    DiscordAuthFailures: delivery?.badToken ? 1 : 0,
    ...discordBrakeMetrics(bot),
  });
  // Failing the invocation sends it to the on-failure destination; one dead exchange does not.
  if (price.allSourcesFailed) throw new Error(`every price source failed: ${price.summary}`);
  return { summary: price.summary };
});
