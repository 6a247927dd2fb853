import { startLoopbackServer } from '../../testkit/loopback';

/** One Invoke as the loopback Lambda API received it. */
export interface RecordedInvoke {
  functionName: string;
  /** X-Amz-Invocation-Type: Event (async), RequestResponse (the SDK's default) or DryRun. */
  invocationType: string;
  payload: unknown;
}

export interface LambdaInvokeRecorder {
  /** Give to the LambdaClient as its endpoint (LAMBDA_ENDPOINT). */
  endpoint: string;
  invokes: RecordedInvoke[];
  close(): Promise<void>;
}

/**
 * A loopback Lambda API for the one call the endpoint makes: POST
 * /2015-03-31/functions/{name}/invocations. An async invoke (Event) is answered as Lambda does,
 * 202 with an empty body, once the event is queued; here "queued" means recorded.
 */
export async function startLambdaInvokeRecorder(): Promise<LambdaInvokeRecorder> {
  const invokes: RecordedInvoke[] = [];
  const server = await startLoopbackServer((req, res, body) => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (req.method !== 'POST' || !match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"Message":"not found"}');
      return;
    }
    const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    invokes.push({
      functionName: decodeURIComponent(match[1] ?? ''),
      invocationType,
      payload: JSON.parse(body.toString('utf8')) as unknown,
    });
    res.writeHead(invocationType === 'Event' ? 202 : 200, { 'x-amzn-requestid': String(invokes.length) });
    res.end();
  });
  return { endpoint: server.baseUrl, invokes, close: server.close };
}

/**
 * A DynamoDB endpoint in front of another (dynalite) that holds back the requests `slow` picks
 * (by X-Amz-Target, e.g. Query) for `delayMs`: the network edge made slow, nothing of ours mocked.
 */
export async function startSlowDynamoProxy(
  target: string,
  opts: { delayMs: number; slow: (amzTarget: string) => boolean },
): Promise<{ endpoint: string; held: number; close(): Promise<void> }> {
  const state = { held: 0 };
  const server = await startLoopbackServer((req, res, body) => {
    const amzTarget = String(req.headers['x-amz-target'] ?? '');
    const forward = () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)),
      ) as Record<string, string>;
      fetch(target, { method: req.method ?? 'POST', headers, body })
        .then(async (up) => {
          const answer = Buffer.from(await up.arrayBuffer());
          res.writeHead(up.status, {
            'content-type': up.headers.get('content-type') ?? 'application/json',
          });
          res.end(answer);
        })
        .catch(() => res.destroy());
    };
    if (opts.slow(amzTarget)) {
      state.held++;
      const timer = setTimeout(forward, opts.delayMs);
      // A client that gave up (aborted) closes the socket: stop holding its request.
      res.on('close', () => clearTimeout(timer));
    } else forward();
  });
  return {
    endpoint: server.baseUrl,
    get held() {
      return state.held;
    },
    close: server.close,
  };
}
