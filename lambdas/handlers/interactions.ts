import { respondToInteraction, type InteractionEvent } from '../app/interactions-endpoint';
import { countingErrors } from '../app/metrics';

/**
 * Function URL (BUFFERED) → Discord interaction. The response is the whole of the work: anything
 * left (a deferred reply, the /price chart) is handed to the worker function before it returns
 * (docs/adr/0008). This bundle must never import ccxt or rss-parser (test/infra/bundle-smoke.test.ts).
 */
export const handler = countingErrors(
  'interactions',
  (event: InteractionEvent, _context?: { getRemainingTimeInMillis(): number }) => respondToInteraction(event),
);
