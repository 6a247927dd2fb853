import {
  completeDeferredWork,
  createWorkerDeps,
  parseDeferredWork,
  type WorkOutcome,
} from '../discord/deferred';
import { createFetchFollowUp } from '../discord/followup';
import { lambdaContainer } from './container';
import { createFeedProbe } from './feed-probe';
import { DEFAULT_DISCORD_API_BASE, ENV } from './env';
import { writeMetrics } from './metrics';

/**
 * One hand-off event inside the worker Lambda: run the command and edit the original response.
 * Rejects only when the edit still fails after the follow-up's retries: Lambda then retries the
 * event (twice) and finally sends it to the worker's dead-letter queue, which is alarmed.
 * No secret is read: webhook edits authenticate with the interaction token.
 */
export async function runDeferredWork(event: unknown): Promise<WorkOutcome | 'malformed'> {
  const container = await lambdaContainer();
  const work = parseDeferredWork(event);
  if (typeof work === 'string') {
    // Retrying a malformed event cannot help; say what was wrong and drop it.
    container.logger.error(`interactions worker: ${work}; event dropped`);
    return 'malformed';
  }
  const apiBase = process.env[ENV.discordApiBase] || DEFAULT_DISCORD_API_BASE;
  const deps = createWorkerDeps(container, {
    followUp: (window) => createFetchFollowUp({ apiBase, retries: window }),
    feedProbe: createFeedProbe(),
  });
  const outcome = await completeDeferredWork(work, deps);
  // A member saw "thinking…" end in Discord's "did not respond": counted, with the interaction id.
  if (outcome === 'expired')
    writeMetrics(
      'worker',
      { DeferredRepliesExpired: 1 },
      container.clock.now(),
      `interaction ${work.interactionId} (/${work.command.name}): no edit before the token expired`,
    );
  return outcome;
}
