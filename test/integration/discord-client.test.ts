import { createDiscordClient, DiscordRequestError } from '../../lambdas/discord/rest-client';
import { startDiscordServer, type DiscordServer } from '../../testkit/discord-server';

const APP = '200000000000000001';
const GUILD = '300000000000000001';
const CHANNEL = '100000000000000001';

let server: DiscordServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(token?: string) {
  server = await startDiscordServer();
  const client = createDiscordClient({
    token: token ?? server.token,
    apiBase: server.apiBase,
    maxRateLimitWaitMs: 2_000,
  });
  return { server, client };
}

describe('Discord client (@discordjs/rest) against the loopback API', () => {
  it('registering commands replaces the global set and a guild set', async () => {
    const { server, client } = await setup();
    const commands = [
      { name: 'price', description: 'XEM price now' },
      { name: 'refund', description: 'Refund status' },
    ];
    const global = await client.putGlobalCommands(APP, commands);
    expect(global.map((c) => c.name)).toEqual(['price', 'refund']);
    expect(global.every((c) => c.application_id === APP && typeof c.id === 'string')).toBe(true);
    await client.putGuildCommands(APP, GUILD, commands.slice(0, 1));
    expect(server.commands.get('global')).toHaveLength(2);
    expect(server.commands.get(GUILD)?.map((c) => c.name)).toEqual(['price']);
  });

  it('an explicit allowed_mentions is kept, a missing one becomes parse []', async () => {
    const { server, client } = await setup();
    await client.postMessage(CHANNEL, { content: 'a' });
    await client.postMessage(CHANNEL, {
      content: 'b',
      allowed_mentions: { parse: [], roles: ['400000000000000001'] },
    });
    expect(server.messages.map((m) => m.payload.allowed_mentions)).toEqual([
      { parse: [] },
      { parse: [], roles: ['400000000000000001'] },
    ]);
  });

  it('the loopback API dedupes a nonce only with enforce_nonce, like Discord', async () => {
    const { server, client } = await setup();
    const first = await client.postMessage(CHANNEL, { content: 'a', nonce: 'n-1', enforce_nonce: true });
    const again = await client.postMessage(CHANNEL, { content: 'a', nonce: 'n-1', enforce_nonce: true });
    expect(again.id).toBe(first.id);
    await client.postMessage(CHANNEL, { content: 'b', nonce: 'n-2' });
    await client.postMessage(CHANNEL, { content: 'b', nonce: 'n-2' });
    expect(server.messages.map((m) => m.payload.content)).toEqual(['a', 'b', 'b']);
  });

  it('after a 401 later calls fail at once without asking Discord again', async () => {
    const { server, client } = await setup('MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.not-the-token');
    const first = await client.postMessage(CHANNEL, { content: 'a' }).catch((e: unknown) => e);
    const second = await client.postMessage(CHANNEL, { content: 'b' }).catch((e: unknown) => e);
    expect((first as DiscordRequestError).outcome.kind).toBe('bad-token');
    expect((second as DiscordRequestError).outcome.kind).toBe('bad-token');
    expect(server.requests).toHaveLength(1);
  });

  it('an unreachable API is a network error to retry next run', async () => {
    const { server: s } = await setup();
    const apiBase = s.apiBase;
    await s.close();
    server = undefined;
    const client = createDiscordClient({
      token: 'MTk4NjIyNDgzNDcxOTI1MjQ4.x.y',
      apiBase,
      maxRateLimitWaitMs: 0,
    });
    const err = (await client
      .postMessage(CHANNEL, { content: 'a' })
      .catch((e: unknown) => e)) as DiscordRequestError;
    expect(err).toBeInstanceOf(DiscordRequestError);
    expect(err.outcome.kind).toBe('retry-next-run');
    expect(err.message).toMatch(/network error/);
  });
});
