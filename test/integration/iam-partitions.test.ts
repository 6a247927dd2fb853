import { DEFAULT_CONFIG } from '../../lambdas/domain/config';
import { createContainer } from '../../lambdas/app/container';
import { ManualClock } from '../../lambdas/domain/clock';
import { MemoryLogger } from '../../lambdas/domain/log';
import { createFetchFollowUp } from '../../lambdas/discord/followup';
import { handleInteraction } from '../../lambdas/discord/interactions';
import { interactionsWritablePartitions } from '../../lib/goxwatch-stack';
import { buildCommandInteraction } from '../../local/dev-client';
import { localInteractions } from '../../local/interactions-server';
import { startTestStore, type TestStore } from '../../testkit/dynamo';
import { startFollowUpRecorder, type FollowUpRecorder } from '../support/followup-recorder';
import { generateTestKeys, signedHeaders } from '../support/interactions';
import { rssFeed } from '../support/feed-builders';
import { startFeedServer, type FeedServer } from '../../testkit/feed-server';
import { storedFeedId } from '../../lambdas/store/guild-feeds';
import { addClientMiddleware } from '../../lambdas/store/store';

/**
 * The IAM grant of the interactions function (dynamodb:LeadingKeys in lib/goxwatch-stack.ts) is
 * checked only in AWS: a command writing a partition the grant does not list passes every other
 * test and fails there with AccessDenied. Here every slash command that writes runs against
 * dynalite, and every partition key it writes must be one the stack grants.
 */

let t: TestStore;
let recorder: FollowUpRecorder;
let feeds: FeedServer;

afterEach(async () => {
  await recorder?.close();
  await feeds?.close();
  await t?.close();
});

it('every partition the slash commands write is one the stack grants the interactions function', async () => {
  const clock = new ManualClock(Date.parse('2018-01-26T06:00:00Z'));
  t = await startTestStore(clock);
  recorder = await startFollowUpRecorder();
  feeds = await startFeedServer();
  feeds.route('/rss', (_req, res) => res.end(rssFeed('A feed', [{ title: 'Coincheck NEM', guid: 'a' }])));
  const feedUrl = feeds.url('/rss');
  const written = new Set<string>();
  addClientMiddleware(t.store.client, (stack) =>
    stack.add(
      (next, context) => async (args) => {
        const input = args.input as { Item?: { pk?: { S?: string } }; Key?: { pk?: { S?: string } } };
        const pk = input.Item?.pk?.S ?? input.Key?.pk?.S;
        if (pk && /^(PutItem|UpdateItem|DeleteItem)Command$/.test(context.commandName ?? '')) written.add(pk);
        return next(args);
      },
      { step: 'initialize', name: 'recordWrittenPartitions' },
    ),
  );
  const keys = generateTestKeys();
  const config = DEFAULT_CONFIG;
  const local = localInteractions(
    createContainer({ config, store: t.store, clock, logger: new MemoryLogger() }),
    {
      publicKey: keys.publicKeyHex,
      followUp: () => createFetchFollowUp({ apiBase: recorder.apiBase }),
      budgetMs: 20_000,
    },
  );
  const channel = { channel_id: '200000000000000001', channel: { id: '200000000000000001', type: 0 } };
  const lines = [
    'alerts subscribe kind:news',
    'alerts subscribe kind:price drop_percent:5 window_minutes:60 below_reference:true',
    'alerts unsubscribe kind:price rule:below-ref',
    'alerts list',
    'alerts unsubscribe kind:all',
    'refund set-stage stage:announced reason:press_release',
    'refund set-terms rate:88.549 currency:JPY reason:press_release',
    `feeds add url:${feedUrl}`,
    'feeds list',
    `feeds remove id:${storedFeedId(feedUrl)}`,
    'refund show',
    'refund calc amount:1000',
    'price',
    'news',
    'status',
  ];
  for (const line of lines) {
    const body = JSON.stringify({ ...buildCommandInteraction(line.split(' ')), ...channel });
    const res = await handleInteraction(
      { headers: signedHeaders(body, keys.privateKey, clock.now()), body },
      local.deps,
    );
    expect(res.statusCode).toBe(200);
    await local.drain();
  }
  const granted = interactionsWritablePartitions(config);
  // The commands did write (subscriptions, the refund record, seen interactions, feeds) ...
  expect([...written]).toEqual(
    expect.arrayContaining(['SUB', 'INTERACTION', `REFUND#${config.incidents[0]?.id}`, 'GUILDFEED']),
  );
  // ... and nothing outside the grant.
  expect([...written].filter((pk) => !granted.includes(pk))).toEqual([]);
});
