import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InteractionEvent, InteractionHttpResponse } from '../lambdas/discord/interactions';

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
 * After the response is written, `afterResponse` runs (the /price chart, deferred replies).
 */
export async function startInteractionsServer(opts: {
  port: number;
  host?: string;
  path?: string;
  handle: (event: InteractionEvent) => Promise<InteractionHttpResponse>;
  onError?: (err: unknown) => void;
}): Promise<InteractionsServer> {
  const host = opts.host ?? '127.0.0.1';
  const path = opts.path ?? '/interactions';
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
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
      if (response.afterResponse) await response.afterResponse();
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
