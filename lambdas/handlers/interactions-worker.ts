import { runDeferredWork } from '../app/interactions-worker';

/**
 * Asynchronous invocations from the interactions endpoint (docs/adr/0008): one DeferredWork per
 * event. Not on a URL; only the endpoint's role may invoke it.
 */
export const handler = async (event: unknown): Promise<{ outcome: string }> => ({
  outcome: await runDeferredWork(event),
});
