import { createDiscordClient, DiscordRequestError } from '../../lambdas/discord/rest-client';
import { startDiscordServer, type DiscordServer } from '../../testkit/discord-server';

const APP = '200000000000000001';
const GUILD = '300000000000000001';
const CHANNEL = '100000000000000001';
const INTERACTION_TOKEN = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw';

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
  it('an interaction reply is edited through the webhook route without the bot token', async () => {
    const { server, client } = await setup();
    await client.editOriginalResponse(APP, INTERACTION_TOKEN, { content: 'XEM 79.20 JPY' });
    await client.postFollowup(APP, INTERACTION_TOKEN, { content: 'more' });
    expect(server.webhookMessages.map((m) => [m.kind, m.applicationId, m.interactionToken])).toEqual([
      ['edit-original', APP, INTERACTION_TOKEN],
      ['followup', APP, INTERACTION_TOKEN],
    ]);
    expect(
      server.webhookMessages.every((m) => JSON.stringify(m.payload.allowed_mentions) === '{"parse":[]}'),
    ).toBe(true);
    expect(server.requests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('a refused follow-up names the route, never the interaction token', async () => {
    const { client } = await setup();
    const err = await client
      .editOriginalResponse(APP, INTERACTION_TOKEN, { content: 'x'.repeat(2001) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscordRequestError);
    const e = err as DiscordRequestError;
    expect(e.status).toBe(400);
    expect(e.code).toBe(50035);
    expect(e.message).toContain('PATCH /webhooks/:application/:token/messages/@original');
    expect(e.message).toContain('content: Must be 2000 or fewer in length.');
    expect(e.message).not.toContain(INTERACTION_TOKEN);
  });

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
