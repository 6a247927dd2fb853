import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as a loopback server received it (the body read in full before the handler runs). */
export interface LoopbackRequest {
  method: string;
  /** Path and query, as sent ("/api/v10/channels/1/messages?wait=true"). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Answers one request; `body` is the request body, already read. */
export type LoopbackHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
) => void | Promise<void>;

export interface LoopbackServer {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  port: number;
  /** Every request, in the order they arrived (none when started with `record: false`). */
  requests: LoopbackRequest[];
  /** The node server, for what is not a request (the Gateway's websocket upgrades). */
  server: Server;
  /** Stop listening (a client now gets connection refused); open connections are dropped. */
  stopListening(): Promise<void>;
  /** Listen again on the same port. */
  listenAgain(): Promise<void>;
  /** Stops listening and drops kept-alive connections, so close never waits on a client. */
  close(): Promise<void>;
}

/**
 * The one loopback HTTP server of tests, bench and the replay: 127.0.0.1 at a free port, every
 * request recorded, closed without waiting on clients. Nothing here is reachable off the machine.
 * `record: false` keeps no request: the replay's servers answer ~10 requests a simulated hour for
 * months, and their headers and bodies were ~1 MB of live heap a simulated day.
 */
export async function startLoopbackServer(
  handle: LoopbackHandler,
  opts: { record?: boolean } = {},
): Promise<LoopbackServer> {
  const record = opts.record ?? true;
  const requests: LoopbackRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (record) requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      Promise.resolve()
        .then(() => handle(req, res, body))
        .catch((err: unknown) => {
          // A broken handler is the test kit's bug: say so in the answer rather than hang the client.
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`loopback handler failed: ${err instanceof Error ? err.message : String(err)}`);
        });
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    requests,
    server,
    stopListening,
    listenAgain: () => (server.listening ? Promise.resolve() : listen(port)),
    close: stopListening,
  };
}
