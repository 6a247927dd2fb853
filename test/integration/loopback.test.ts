import { request } from 'node:http';
import { startLoopbackServer, type LoopbackServer } from '../../testkit/loopback';

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('testkit/loopback.ts, the one loopback HTTP server', () => {
  it('listens on 127.0.0.1 at a free port and records each request with its body', async () => {
    server = await startLoopbackServer((_req, res, body) => void res.end(`got ${body.length} bytes`));
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const answer = await fetch(`${server.baseUrl}/hook?x=1`, { method: 'POST', body: 'hello' });
    expect(await answer.text()).toBe('got 5 bytes');
    expect(server.requests.map((r) => [r.method, r.url, r.body.toString()])).toEqual([
      ['POST', '/hook?x=1', 'hello'],
    ]);
  });

  it('started with record: false it answers each request, its body read, and keeps none of them', async () => {
    server = await startLoopbackServer((_req, res, body) => void res.end(`got ${body.length} bytes`), {
      record: false,
    });
    const answer = await fetch(`${server.baseUrl}/poll`, { method: 'POST', body: 'hello' });
    expect(await answer.text()).toBe('got 5 bytes');
    expect(server.requests).toEqual([]);
  });

  it('a handler that throws answers 500 saying so, instead of leaving the client waiting', async () => {
    server = await startLoopbackServer(() => {
      throw new Error('no route for this');
    });
    const answer = await fetch(`${server.baseUrl}/x`);
    expect(answer.status).toBe(500);
    expect(await answer.text()).toContain('no route for this');
  });

  it('closes while a client still holds a kept-alive connection and a request never answered', async () => {
    let arrived: () => void = () => undefined;
    const received = new Promise<void>((resolve) => (arrived = resolve));
    server = await startLoopbackServer(() => arrived()); // never answers
    const s = server;
    const hanging = new Promise<string>((resolve) => {
      const req = request(`${s.baseUrl}/hang`, { agent: false, headers: { connection: 'keep-alive' } });
      req.on('error', (err) => resolve(err.message));
      req.end();
    });
    await received;
    await s.close();
    expect(await hanging).toBe('socket hang up');
    server = undefined;
  });

  it('stopListening refuses connections; listenAgain serves on the same port', async () => {
    server = await startLoopbackServer((_req, res) => void res.end('up'));
    await server.stopListening();
    await expect(fetch(`${server.baseUrl}/`)).rejects.toThrow();
    await server.listenAgain();
    expect(await (await fetch(`${server.baseUrl}/`)).text()).toBe('up');
  });
});
