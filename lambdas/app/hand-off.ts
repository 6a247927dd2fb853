import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { DeferredWork, HandOff } from '../discord/deferred';
import { ENV } from './env';

/** Loaded at the first hand-off, not with the bundle: a command answered at once never needs it. */
let lambda:
  { client: LambdaClient; InvokeCommand: typeof import('@aws-sdk/client-lambda').InvokeCommand } | undefined;

/**
 * The AWS transport of the hand-off (docs/adr/0008): an asynchronous Invoke (InvocationType
 * Event) of the deferred-work worker. Lambda queues the event and answers 202 at once; from then
 * on the worker's run, Lambda's two retries and the on-failure destination are AWS's to keep,
 * whatever happens to this invocation. `LAMBDA_ENDPOINT` points the client at a loopback Lambda
 * API in the bundle smoke test; unset in AWS.
 */
export function lambdaInvokeHandOff(functionName: string): HandOff {
  const endpoint = process.env[ENV.lambdaEndpoint];
  return async (work: DeferredWork) => {
    if (!lambda) {
      // require, not import(): node's ESM resolution skips NODE_PATH, where Lambda keeps the SDK.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sdk = require('@aws-sdk/client-lambda') as typeof import('@aws-sdk/client-lambda');
      lambda = {
        client: new sdk.LambdaClient(endpoint ? { endpoint } : {}),
        InvokeCommand: sdk.InvokeCommand,
      };
    }
    const { client, InvokeCommand } = lambda;
    const out = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(work)),
      }),
    );
    if (out.StatusCode !== 202)
      throw new Error(`Lambda Invoke (Event) of the worker: HTTP ${out.StatusCode}`);
  };
}
