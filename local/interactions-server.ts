import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  completeDeferredWork,
  createInProcessHandOff,
  createWorkerDeps,
  type DeferredWork,
  type WorkerDeps,
} from '../lambdas/discord/deferred';
import {
  createInteractionDeps,
  type InteractionDeps,
  type InteractionEvent,
  type InteractionHttpResponse,
} from '../lambdas/discord/interactions';
import type { Container } from '../lambdas/app/container';
import { createFeedProbe } from '../lambdas/app/feed-probe';
import { errorMessage } from '../lambdas/domain/log';
import { INSTANCE_PATH } from './bot-endpoint';

/** Largest body accepted: Discord interactions are a few KB; this only stops a runaway client. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface InteractionsServer {
  /** e.g. http://127.0.0.1:8787/interactions */
  url: string;
  close(): Promise<void>;
}

/**
 * The local interactions endpoint (`npm start`): POST /interactions, the raw body passed through
 * untouched (base64, as a Function URL would, so the signed bytes are exactly what arrived).
 * After the response is written, `onResponseSent` runs: the in-process worker's drain (below).
 */
export async function startInteractionsServer(opts: {
  port: number;
  host?: string;
  path?: string;
  handle: (event: InteractionEvent) => Promise<InteractionHttpResponse>;
  onResponseSent?: () => Promise<void>;
  onError?: (err: unknown) => void;
  /** Answered to GET /goxwatch/instance, so `npm run cmd` knows this is its bot (local/bot-endpoint.ts). */
  instance?: string;
}): Promise<InteractionsServer> {
  const host = opts.host ?? '127.0.0.1';
  const path = opts.path ?? '/interactions';
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (opts.instance && url.pathname === INSTANCE_PATH && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(opts.instance);
        return;
      }
      if (url.pathname !== path) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('POST only');
        return;
      }
      const body = await readBody(req);
      if (body === undefined) {
        res.writeHead(413, { 'content-type': 'text/plain' }).end('body too large');
        return;
      }
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : v;
      const response = await opts.handle({ headers, body: body.toString('base64'), isBase64Encoded: true });
      await new Promise<void>((resolve) =>
        res.writeHead(response.statusCode, response.headers).end(response.body, resolve),
      );
      await opts.onResponseSent?.();
    })().catch((err: unknown) => {
      opts.onError?.(err);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * The interactions endpoint and its deferred-work worker in this one process: the endpoint's
 * deps with the in-process hand-off, and the worker reading the same store. The same DeferredWork
 * crosses the same interface as in AWS (ADR 0008); only the transport differs. `drain()` runs the
 * handed-off work: the server calls it after each response, tests await it.
 */
export function localInteractions(
  container: Container,
  opts: {
    publicKey: string | undefined;
    followUp: WorkerDeps['followUp'];
    applicationId?: string;
    budgetMs?: number;
    /** The worker's feed check (default: the real fetch and parser). */
    feedProbe?: WorkerDeps['feedProbe'];
  },
): { deps: InteractionDeps; drain(): Promise<void>; handed: DeferredWork[] } {
  const { followUp, feedProbe, ...endpoint } = opts;
  const worker = createWorkerDeps(container, { followUp, feedProbe: feedProbe ?? createFeedProbe() });
  const { handOff, drain, handed } = createInProcessHandOff(
    (work) => completeDeferredWork(work, worker),
    (work, err) =>
      container.logger.error(
        `interactions worker: ${work.interactionId} failed for good (a dead letter in AWS): ${errorMessage(err)}`,
      ),
  );
  return { deps: createInteractionDeps(container, { ...endpoint, handOff }), drain, handed };
}
