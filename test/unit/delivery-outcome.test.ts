import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deliveryOutcome, formErrors, type DiscordReply } from '../../lambdas/discord/delivery-outcome';
import { parseHttpFixture } from '../../testkit/discord-server';

const budget = { maxWaitMs: 5_000 };

/** A recorded 429 from Discord's docs, as a reply (status, headers, body). */
function recorded429(name: string): DiscordReply {
  const f = parseHttpFixture(readFileSync(join(__dirname, '..', 'fixtures', 'discord', name), 'utf8'));
  return { status: f.status ?? 0, headers: Object.fromEntries(f.headers), body: f.body };
}

describe('deliveryOutcome', () => {
  it('2xx is sent', () => {
    expect(deliveryOutcome({ status: 200, body: { id: '1' } }, budget)).toEqual({ kind: 'sent' });
  });

  it('a short 429 is retried now after its retry_after', () => {
    const out = deliveryOutcome(
      { status: 429, body: { message: 'You are being rate limited.', retry_after: 0.25, global: false } },
      budget,
    );
    expect(out).toMatchObject({ kind: 'retry-now', waitMs: 250, global: false });
  });

  it('a short global 429 is retried now and says it is global', () => {
    const out = deliveryOutcome(
      { status: 429, headers: { 'X-RateLimit-Global': 'true' }, body: { retry_after: 1.5, global: true } },
      budget,
    );
    expect(out).toMatchObject({ kind: 'retry-now', waitMs: 1500, global: true });
  });

  it('the recorded user 429 (64.57 s) is longer than the budget: retry next run', () => {
    const out = deliveryOutcome(recorded429('rate-limit-429-user.example.txt'), budget);
    expect(out).toMatchObject({ kind: 'retry-next-run', rateLimit: { waitMs: 64_570, global: false } });
    if (out.kind === 'retry-next-run') expect(out.reason).toContain('rate limited (user)');
  });

  it('the recorded global 429 is global and too long: retry next run', () => {
    const out = deliveryOutcome(recorded429('rate-limit-429-global.example.txt'), budget);
    expect(out).toMatchObject({ kind: 'retry-next-run', rateLimit: { waitMs: 64_570, global: true } });
  });

  it('the recorded shared-resource 429 fits a large enough budget', () => {
    const out = deliveryOutcome(recorded429('rate-limit-429-shared-resource.example.txt'), {
      maxWaitMs: 2_000_000,
    });
    expect(out).toMatchObject({ kind: 'retry-now', waitMs: 1_336_570, global: false });
    if (out.kind === 'retry-now') expect(out.reason).toContain('shared');
  });

  it('Cloudflare 1015: a 429 with an HTML body and no headers stops all sending', () => {
    const out = deliveryOutcome({ status: 429, body: '<html>error code: 1015</html>' }, budget);
    expect(out).toMatchObject({ kind: 'stop-sending', cause: 'cloudflare' });
  });

  it("a 429 without Discord's JSON body stops all sending even with a Retry-After header", () => {
    const out = deliveryOutcome({ status: 429, headers: { 'retry-after': '2' } }, budget);
    expect(out).toMatchObject({ kind: 'stop-sending', cause: 'cloudflare' });
  });

  it('5xx is retried next run', () => {
    expect(deliveryOutcome({ status: 502, body: { message: 'Bad Gateway' } }, budget)).toMatchObject({
      kind: 'retry-next-run',
    });
  });

  it('a network error is retried next run and says what failed', () => {
    const out = deliveryOutcome({ networkError: 'connect ECONNREFUSED 127.0.0.1:9' }, budget);
    expect(out).toEqual({
      kind: 'retry-next-run',
      reason: 'network error: connect ECONNREFUSED 127.0.0.1:9',
    });
  });

  it('401 is a bad token and points at DISCORD_BOT_TOKEN', () => {
    const out = deliveryOutcome({ status: 401, body: { message: '401: Unauthorized', code: 0 } }, budget);
    expect(out).toEqual({
      kind: 'bad-token',
      reason:
        'Discord refused the bot token (401 Unauthorized (code 0)): check DISCORD_BOT_TOKEN; sending stopped',
    });
  });

  it('403 Missing Access disables the channel', () => {
    const out = deliveryOutcome({ status: 403, body: { message: 'Missing Access', code: 50001 } }, budget);
    expect(out).toEqual({
      kind: 'disable-channel',
      reason: 'the bot may not post there (403 Missing Access (code 50001))',
    });
  });

  it('403 Missing Permissions disables the channel', () => {
    const out = deliveryOutcome(
      { status: 403, body: { message: 'Missing Permissions', code: 50013 } },
      budget,
    );
    expect(out.kind).toBe('disable-channel');
  });

  it('a 403 without a Discord error code (a proxy) does not disable the channel', () => {
    expect(deliveryOutcome({ status: 403, body: '<html>Forbidden</html>' }, budget).kind).toBe(
      'retry-next-run',
    );
  });

  it('404 Unknown Channel disables the channel', () => {
    const out = deliveryOutcome({ status: 404, body: { message: 'Unknown Channel', code: 10003 } }, budget);
    expect(out.kind).toBe('disable-channel');
    if (out.kind === 'disable-channel') expect(out.reason).toContain('Unknown Channel');
  });

  it('a bare 404 (wrong API base) retries instead of disabling every channel', () => {
    const out = deliveryOutcome({ status: 404, body: { message: '404: Not Found', code: 0 } }, budget);
    expect(out.kind).not.toBe('disable-channel');
    const bare = deliveryOutcome({ status: 404 }, budget);
    expect(bare.kind).toBe('retry-next-run');
    if (bare.kind === 'retry-next-run') expect(bare.reason).toContain('DISCORD_API_BASE');
  });

  it('400 invalid form body drops the entry and says which field and why', () => {
    const out = deliveryOutcome(
      {
        status: 400,
        body: {
          message: 'Invalid Form Body',
          code: 50035,
          errors: {
            embeds: {
              '0': {
                title: {
                  _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 256 or fewer in length.' }],
                },
              },
            },
          },
        },
      },
      budget,
    );
    expect(out).toEqual({
      kind: 'drop-entry',
      reason:
        'Discord refused the payload (400 Invalid Form Body (code 50035)): ' +
        'embeds[0].title: Must be 256 or fewer in length. (BASE_TYPE_MAX_LENGTH)',
    });
  });

  it('400 empty message drops the entry', () => {
    const out = deliveryOutcome(
      { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } },
      budget,
    );
    expect(out.kind).toBe('drop-entry');
  });
});

describe('formErrors', () => {
  it('flattens nested and top-level errors with their paths', () => {
    expect(
      formErrors({
        _errors: [{ code: 'X', message: 'top' }],
        embeds: {
          _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED', message: 'Embed size exceeds maximum size of 6000' }],
          '1': { fields: { '3': { value: { _errors: [{ code: 'Y', message: 'too long' }] } } } },
        },
      }),
    ).toEqual([
      '(body): top (X)',
      'embeds: Embed size exceeds maximum size of 6000 (MAX_EMBED_SIZE_EXCEEDED)',
      'embeds[1].fields[3].value: too long (Y)',
    ]);
  });
});
