import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { startLoopbackServer } from './loopback';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

/**
 * A loopback Discord Gateway (protocol v10, JSON encoding) as discord-api-docs
 * `developers/events/gateway.mdx` and `developers/topics/opcodes-and-status-codes.mdx` describe it:
 * HELLO with a heartbeat interval, IDENTIFY → READY (session_id, resume_gateway_url), heartbeats and
 * ACKs, dispatches with sequence numbers, RESUME → missed events replayed then RESUMED, INVALID_SESSION,
 * and the documented close codes. Events dispatched while the bot is disconnected are kept for its resume.
 */

/** Gateway opcodes (opcodes-and-status-codes.mdx, "Gateway Opcodes"). */
export const OP = {
  dispatch: 0,
  heartbeat: 1,
  identify: 2,
  resume: 6,
  reconnect: 7,
  invalidSession: 9,
  hello: 10,
  heartbeatAck: 11,
} as const;

/** Close codes the server sends (opcodes-and-status-codes.mdx, "Gateway Close Event Codes"). */
export const CLOSE = {
  unknownOpcode: 4001,
  decodeError: 4002,
  notAuthenticated: 4003,
  authenticationFailed: 4004,
  alreadyAuthenticated: 4005,
  invalidApiVersion: 4012,
  invalidIntents: 4013,
  disallowedIntents: 4014,
} as const;

/** GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT: need enabling in the developer portal (4014 otherwise). */
export const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15);
/** Every intent bit Discord defines (gateway.mdx "List of Intents": 0-16, 20, 21, 24, 25); others are 4013. */
const KNOWN_INTENTS = (1 << 17) - 1 + (1 << 20) + (1 << 21) + (1 << 24) + (1 << 25);

export interface GatewayLogEntry {
  kind: 'connect' | 'identify' | 'ready' | 'resume' | 'resumed' | 'invalid-session' | 'heartbeat' | 'closed';
  /** Connection number, from 1. */
  connection: number;
  /** The path the client connected to (the resume URL has its own). */
  path?: string;
  intents?: number;
  /** Whether the token sent with IDENTIFY or RESUME was the bot's. */
  tokenOk?: boolean;
  seq?: number | null;
  code?: number;
}

export interface GatewayServerOptions {
  /** The bot token IDENTIFY and RESUME must carry. */
  token: string;
  /** HELLO's heartbeat_interval (Discord: 41,250 ms). Tests use a small one. */
  heartbeatIntervalMs?: number;
  applicationId?: string;
  botUser?: { id: string; username: string };
}

export interface GatewayServer {
  /** What GET /gateway/bot answers as `url`, e.g. ws://127.0.0.1:1234 */
  url: string;
  /** READY's resume_gateway_url: the same server on another path, so a test sees which URL a resume used. */
  resumeUrl: string;
  /** Everything that happened, in order. */
  log: GatewayLogEntry[];
  /** Resolves once `predicate(log)` holds (checked on every log entry): wait for events, not time. */
  until(predicate: (log: GatewayLogEntry[]) => boolean): Promise<void>;
  count(kind: GatewayLogEntry['kind']): number;
  /** Dispatch an event to the session (sent now if connected, else kept for the resume); returns its `s`. */
  dispatch(type: string, data: unknown): number;
  /** Send an already dispatched event again under a new sequence number, as a resume from an older `s` does. */
  redeliver(seq: number): number;
  /** Drop the TCP connection without a close frame (a network failure). */
  dropConnection(): void;
  /** Close with a Gateway close code. */
  closeWith(code: number): void;
  /** Op 9: `resumable` false forgets the session, so the bot must identify again. */
  invalidateSession(resumable: boolean): void;
  /** Refuse the next `n` connection attempts (HTTP 503 at the upgrade), e.g. Discord unreachable. */
  refuseConnections(n: number): void;
  close(): Promise<void>;
}

interface Session {
  id: string;
  seq: number;
  /** Every dispatch of the session, by sequence number, for resumes. */
  sent: Map<number, { t: string; d: unknown }>;
  socket?: WebSocket;
}

export async function startGatewayServer(opts: GatewayServerOptions): Promise<GatewayServer> {
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 41_250;
  const applicationId = opts.applicationId ?? '775799577604522054';
  const botUser = opts.botUser ?? { id: '1000000000000000001', username: 'goxwatch' };
  const log: GatewayLogEntry[] = [];
  const waiters = new Set<() => void>();
  const sessions = new Map<string, Session>();
  let current: Session | undefined;
  let connections = 0;
  let refuse = 0;

  const record = (entry: GatewayLogEntry) => {
    log.push(entry);
    for (const w of [...waiters]) w();
  };

  // Plain requests get 426: this server speaks only websocket.
  const loopback = await startLoopbackServer(
    (_req, res) => void res.writeHead(426, { 'content-type': 'text/plain' }).end(),
  );
  const wss = new WebSocketServer({ noServer: true });
  loopback.server.on('upgrade', (req: IncomingMessage, socket, head) => {
    if (refuse > 0) {
      refuse--;
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req));
  });

  function send(ws: WebSocket, payload: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(payload));
  }

  function sendDispatch(session: Session, s: number): void {
    const event = session.sent.get(s);
    if (event && session.socket) send(session.socket, { op: OP.dispatch, t: event.t, s, d: event.d });
  }

  function newDispatch(session: Session, t: string, d: unknown): number {
    const s = ++session.seq;
    session.sent.set(s, { t, d });
    sendDispatch(session, s);
    return s;
  }

  function onConnection(ws: WebSocket, req: IncomingMessage): void {
    const connection = ++connections;
    const url = new URL(req.url ?? '/', 'http://localhost');
    record({ kind: 'connect', connection, path: url.pathname });
    ws.on('close', (code) => {
      if (current?.socket === ws) delete current.socket;
      record({ kind: 'closed', connection, code });
    });
    // Query string params (gateway.mdx "Connecting"): v=10 and encoding=json are what this server speaks.
    if (url.searchParams.get('v') !== '10') return ws.close(CLOSE.invalidApiVersion, 'Invalid API version');
    if ((url.searchParams.get('encoding') ?? 'json') !== 'json')
      return ws.close(CLOSE.decodeError, 'Only json encoding on the loopback');
    let session: Session | undefined;
    send(ws, { op: OP.hello, d: { heartbeat_interval: heartbeatIntervalMs } });

    ws.on('message', (raw: RawData) => {
      let payload: { op?: unknown; d?: unknown };
      try {
        payload = JSON.parse(raw.toString()) as { op?: unknown; d?: unknown };
      } catch {
        return ws.close(CLOSE.decodeError, 'Decode error');
      }
      const d = (typeof payload.d === 'object' && payload.d !== null ? payload.d : {}) as Record<
        string,
        unknown
      >;
      switch (payload.op) {
        case OP.heartbeat:
          record({ kind: 'heartbeat', connection, seq: typeof payload.d === 'number' ? payload.d : null });
          return send(ws, { op: OP.heartbeatAck });
        case OP.identify: {
          const intents = typeof d.intents === 'number' ? d.intents : -1;
          const tokenOk = d.token === opts.token;
          record({ kind: 'identify', connection, intents, tokenOk });
          if (session) return ws.close(CLOSE.alreadyAuthenticated, 'Already authenticated');
          if (!tokenOk) return ws.close(CLOSE.authenticationFailed, 'Authentication failed');
          if (intents < 0 || (intents & ~KNOWN_INTENTS) !== 0)
            return ws.close(CLOSE.invalidIntents, 'Invalid intent(s)');
          if (intents & PRIVILEGED_INTENTS) return ws.close(CLOSE.disallowedIntents, 'Disallowed intent(s)');
          session = { id: randomBytes(16).toString('hex'), seq: 0, sent: new Map(), socket: ws };
          sessions.set(session.id, session);
          current = session;
          newDispatch(session, 'READY', {
            v: 10,
            user: { ...botUser, discriminator: '0', global_name: null, avatar: null, bot: true },
            guilds: [],
            session_id: session.id,
            resume_gateway_url: resumeUrl,
            application: { id: applicationId, flags: 0 },
          });
          record({ kind: 'ready', connection });
          return;
        }
        case OP.resume: {
          const tokenOk = d.token === opts.token;
          const seq = typeof d.seq === 'number' ? d.seq : null;
          record({ kind: 'resume', connection, tokenOk, seq });
          if (session) return ws.close(CLOSE.alreadyAuthenticated, 'Already authenticated');
          if (!tokenOk) return ws.close(CLOSE.authenticationFailed, 'Authentication failed');
          const known = typeof d.session_id === 'string' ? sessions.get(d.session_id) : undefined;
          if (!known || seq === null || seq > known.seq) {
            record({ kind: 'invalid-session', connection });
            return send(ws, { op: OP.invalidSession, d: false });
          }
          session = known;
          known.socket?.terminate();
          known.socket = ws;
          current = known;
          // Missed events in order, then RESUMED (gateway.mdx "Resuming").
          const missed = [...known.sent.keys()].filter((s) => s > seq).sort((a, b) => a - b);
          for (const s of missed) sendDispatch(known, s);
          newDispatch(known, 'RESUMED', null);
          record({ kind: 'resumed', connection, seq });
          return;
        }
        default:
          if (typeof payload.op !== 'number' || payload.op === OP.dispatch || payload.op > 40)
            return ws.close(CLOSE.unknownOpcode, 'Unknown opcode');
          if (!session) return ws.close(CLOSE.notAuthenticated, 'Not authenticated');
      }
    });
  }

  const { port } = loopback;
  const url = `ws://127.0.0.1:${port}`;
  const resumeUrl = `ws://127.0.0.1:${port}/resume`;

  const requireSession = (): Session => {
    if (!current) throw new Error('loopback gateway: no session (nobody identified yet)');
    return current;
  };

  return {
    url,
    resumeUrl,
    log,
    until: (predicate) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!predicate(log)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    count: (kind) => log.filter((e) => e.kind === kind).length,
    dispatch: (type, data) => newDispatch(requireSession(), type, data),
    redeliver: (seq) => {
      const session = requireSession();
      const event = session.sent.get(seq);
      if (!event) throw new Error(`loopback gateway: no dispatch ${seq} in this session`);
      return newDispatch(session, event.t, event.d);
    },
    dropConnection: () => requireSession().socket?.terminate(),
    closeWith: (code) => requireSession().socket?.close(code),
    invalidateSession: (resumable) => {
      const session = requireSession();
      if (!resumable) sessions.delete(session.id);
      if (session.socket) send(session.socket, { op: OP.invalidSession, d: resumable });
      record({ kind: 'invalid-session', connection: connections });
    },
    refuseConnections: (n) => {
      refuse = n;
    },
    close: () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      return loopback.close();
    },
  };
}
