import { newsCycle } from '../app/news-cycle';
import { discordBrakeMetrics, emitMetrics, lambdaBot, type LambdaContext } from '../app/lambda-bot';
import { countingErrors } from '../app/metrics';

/** EventBridge schedule → one news cycle over the due feeds, then delivery. */
export const handler = countingErrors('news', async (_event: unknown, context?: LambdaContext) => {
  const bot = await lambdaBot(context);
  const { news, delivery } = await newsCycle(bot);
  const allFailed = news.feedsFetched + news.feedsNotModified === 0 && news.feedsFailed > 0;
  await emitMetrics(bot, 'news', {
    OutboxPending: (await bot.container.outbox.pending()).length,
    DiscordAuthFailures: delivery?.badToken ? 1 : 0,
    ...discordBrakeMetrics(bot),
  });
  if (allFailed) throw new Error(`every due feed failed: ${news.summary}`);
  return { summary: news.summary };
});
