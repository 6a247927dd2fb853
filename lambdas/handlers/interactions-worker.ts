import { runDeferredWork } from '../app/interactions-worker';
import { countingErrors } from '../app/metrics';

/**
 * Asynchronous invocations from the interactions endpoint (docs/adr/0008): one DeferredWork per
 * event. Not on a URL; only the endpoint's role may invoke it.
 */
export const handler = countingErrors(
  'worker',
  async (event: unknown, _context?: { getRemainingTimeInMillis(): number }) => ({
    outcome: await runDeferredWork(event),
  }),
);
