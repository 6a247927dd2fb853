import type { Writable } from 'node:stream';
import { respondToInteraction as respond, type InteractionEvent } from '../app/interactions-endpoint';

/**
 * Function URL (response streaming) → Discord interaction. Streaming lets us end Discord's
 * HTTP response first and then run `afterResponse` (the /price chart edit, a deferred reply's
 * completion) in the same invocation; see docs/adr/0006-interactions-endpoint.md.
 * This bundle must never import ccxt or rss-parser (test/unit/interactions-bundle.test.ts).
 */

interface ResponseStreamMeta {
  statusCode: number;
  headers: Record<string, string>;
}
/** The Node.js Lambda runtime's globals for response streaming (not in @types/aws-lambda). */
interface AwsLambdaGlobal {
  streamifyResponse(fn: (event: InteractionEvent, stream: Writable) => Promise<void>): unknown;
  HttpResponseStream: { from(stream: Writable, meta: ResponseStreamMeta): Writable };
}

const awslambda = (globalThis as { awslambda?: AwsLambdaGlobal }).awslambda;

export const handler = awslambda
  ? awslambda.streamifyResponse(async (event, stream) => {
      const res = await respond(event);
      const out = awslambda.HttpResponseStream.from(stream, {
        statusCode: res.statusCode,
        headers: res.headers,
      });
      await new Promise<void>((resolve) => out.end(res.body, resolve));
      await res.afterResponse?.();
    })
  : // Outside Lambda (the bundle smoke test, plain Node): a buffered handler; follow-up work runs
    // once the caller has the response, on the next turn of the event loop.
    async (event: InteractionEvent) => {
      const res = await respond(event);
      const { afterResponse, ...response } = res;
      if (afterResponse) setImmediate(() => void afterResponse());
      return response;
    };
