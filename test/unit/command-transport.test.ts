import { chooseCommandTransport } from '../../local/command-transports';

const TOKEN = 'bot-token-value';
const KEY = 'ab'.repeat(32);

describe('which transport answers slash commands locally', () => {
  it('a bot token and no public key: the Gateway (no public URL needed)', () => {
    expect(
      chooseCommandTransport({ flag: undefined, env: undefined, token: TOKEN, publicKey: undefined }),
    ).toEqual({ transport: 'gateway', why: 'DISCORD_BOT_TOKEN set and no DISCORD_PUBLIC_KEY' });
  });

  it('a public key configured: HTTP, Discord POSTs to the public URL', () => {
    expect(
      chooseCommandTransport({ flag: undefined, env: undefined, token: TOKEN, publicKey: KEY }),
    ).toMatchObject({
      transport: 'http',
    });
  });

  it('no token: HTTP with the dev key, as npm run cmd uses it', () => {
    expect(
      chooseCommandTransport({ flag: undefined, env: undefined, token: undefined, publicKey: undefined }),
    ).toEqual({ transport: 'http', why: 'no DISCORD_BOT_TOKEN' });
  });

  it('--transport wins over GOXWATCH_TRANSPORT, which wins over the default', () => {
    expect(
      chooseCommandTransport({ flag: 'http', env: 'gateway', token: TOKEN, publicKey: undefined }),
    ).toEqual({
      transport: 'http',
      why: '--transport http',
    });
    expect(chooseCommandTransport({ flag: undefined, env: 'gateway', token: TOKEN, publicKey: KEY })).toEqual(
      {
        transport: 'gateway',
        why: 'GOXWATCH_TRANSPORT gateway',
      },
    );
  });

  it('refuses an unknown transport and a Gateway without a token, naming what is wrong', () => {
    expect(
      chooseCommandTransport({ flag: 'websocket', env: undefined, token: TOKEN, publicKey: undefined }),
    ).toEqual({
      problem: '--transport: "websocket" is neither gateway nor http',
    });
    expect(
      chooseCommandTransport({ flag: undefined, env: 'gateway', token: undefined, publicKey: undefined }),
    ).toEqual({ problem: 'GOXWATCH_TRANSPORT gateway needs DISCORD_BOT_TOKEN (env or .env)' });
  });
});
