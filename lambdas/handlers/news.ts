import { newsCycle } from '../app/news-cycle';
import { discordBrakeMetrics, emitMetrics, lambdaBot, type LambdaContext } from '../app/lambda-bot';

/** EventBridge schedule → one news cycle over the due feeds, then delivery. */
export async function handler(_event: unknown, context?: LambdaContext): Promise<{ summary: string }> {
  const bot = await lambdaBot(context);
  const { news, delivery } = await newsCycle(bot);
  const allFailed = news.feedsFetched + news.feedsNotModified === 0 && news.feedsFailed > 0;
  emitMetrics(
    'news',
    {
      JobFailures: allFailed ? 1 : 0,
      OutboxPending: (await bot.container.outbox.pending()).length,
      DiscordAuthFailures: delivery?.badToken ? 1 : 0,
      ...discordBrakeMetrics(bot),
    },
    bot.container.clock.now(),
  );
  if (allFailed) throw new Error(`every due feed failed: ${news.summary}`);
  return { summary: news.summary };
}
