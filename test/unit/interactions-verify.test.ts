import { MINUTE } from '../../lambdas/domain/clock';
import {
  SIGNATURE_WINDOW_MS,
  publicKeyProblem,
  verifyInteractionRequest,
} from '../../lambdas/discord/interactions-verify';
import { generateTestKeys, readDiscordFixture, realVectors, signedHeaders } from '../support/interactions';

const now = Date.parse('2018-01-26T03:00:00Z');
const keys = generateTestKeys();
const pingBody = readDiscordFixture('discord-interactions-js/ping.request-body.json');

describe('interaction signature verification', () => {
  it('the real published vector verifies under its public key, the reverted one does not', () => {
    const { public_key, cases } = realVectors();
    expect(cases.length).toBe(2);
    for (const c of cases) {
      // Verify at the vector's own time, so only the signature decides.
      const at = Number(c.headers['X-Signature-Timestamp']);
      const outcome = verifyInteractionRequest({ headers: c.headers, body: c.body }, public_key, at);
      expect(outcome.ok).toBe(c.expected_valid);
    }
  });

  it('a body signed with a generated key verifies, and returns the body text', () => {
    const outcome = verifyInteractionRequest(
      { headers: signedHeaders(pingBody, keys.privateKey, now), body: pingBody },
      keys.publicKeyHex,
      now,
    );
    expect(outcome).toEqual({ ok: true, body: pingBody });
  });

  it('a base64-encoded body (Lambda Function URL) verifies over the decoded bytes, with any header case', () => {
    const body = '{"type":1,"note":"ネム"}';
    const headers = Object.fromEntries(
      Object.entries(signedHeaders(body, keys.privateKey, now)).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const outcome = verifyInteractionRequest(
      { headers, body: Buffer.from(body).toString('base64'), isBase64Encoded: true },
      keys.publicKeyHex,
      now,
    );
    expect(outcome).toEqual({ ok: true, body });
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyInteractionRequest({ headers: upper, body }, keys.publicKeyHex, now).ok).toBe(true);
  });

  describe('refuses', () => {
    const good = () => signedHeaders(pingBody, keys.privateKey, now);
    const cases: [string, () => Parameters<typeof verifyInteractionRequest>, string][] = [
      [
        'a missing signature header',
        () => {
          const { 'X-Signature-Ed25519': _s, ...h } = good();
          return [{ headers: h, body: pingBody }, keys.publicKeyHex, now];
        },
        'missing X-Signature-Ed25519',
      ],
      [
        'a missing timestamp header',
        () => {
          const { 'X-Signature-Timestamp': _t, ...h } = good();
          return [{ headers: h, body: pingBody }, keys.publicKeyHex, now];
        },
        'missing X-Signature-Timestamp',
      ],
      [
        'a missing body',
        () => [{ headers: good(), body: undefined }, keys.publicKeyHex, now],
        'missing body',
      ],
      [
        'a signature that is not hex',
        () => [
          { headers: { ...good(), 'X-Signature-Ed25519': 'zz'.repeat(64) }, body: pingBody },
          keys.publicKeyHex,
          now,
        ],
        'not 64 bytes of hex',
      ],
      [
        'a truncated signature',
        () => [
          {
            headers: {
              ...good(),
              'X-Signature-Ed25519': (good()['X-Signature-Ed25519'] ?? '').slice(0, 100),
            },
            body: pingBody,
          },
          keys.publicKeyHex,
          now,
        ],
        'not 64 bytes of hex',
      ],
      [
        'a public key that is not hex',
        () => [{ headers: good(), body: pingBody }, 'not-a-key', now],
        'public key',
      ],
      [
        'the wrong public key',
        () => [{ headers: good(), body: pingBody }, generateTestKeys().publicKeyHex, now],
        'does not verify',
      ],
      [
        'a modified body',
        () => [{ headers: good(), body: pingBody.replace('"type":1', '"type":2') }, keys.publicKeyHex, now],
        'does not verify',
      ],
      [
        'a modified timestamp',
        () => [
          {
            headers: { ...good(), 'X-Signature-Timestamp': String(Math.floor(now / 1000) + 1) },
            body: pingBody,
          },
          keys.publicKeyHex,
          now,
        ],
        'does not verify',
      ],
      [
        'a timestamp older than the window',
        () => [{ headers: good(), body: pingBody }, keys.publicKeyHex, now + SIGNATURE_WINDOW_MS + MINUTE],
        'outside the accepted window',
      ],
      [
        'a timestamp too far in the future',
        () => [{ headers: good(), body: pingBody }, keys.publicKeyHex, now - SIGNATURE_WINDOW_MS - MINUTE],
        'outside the accepted window',
      ],
      [
        'a timestamp that is not a number',
        () => [
          { headers: signedHeaders(pingBody, keys.privateKey, now, 'yesterday'), body: pingBody },
          keys.publicKeyHex,
          now,
        ],
        'not an integer',
      ],
    ];
    it.each(cases)('%s', (_name, args, reason) => {
      const outcome = verifyInteractionRequest(...args());
      expect(outcome.ok).toBe(false);
      expect(outcome.ok ? '' : outcome.reason).toContain(reason);
    });
  });
});

describe('configured public keys that must not be trusted', () => {
  const smallOrder = [
    ['all zeros (order 4)', '00'.repeat(32)],
    ['the identity (order 1)', '01' + '00'.repeat(31)],
    ['y = -1 (order 2)', 'ec' + 'ff'.repeat(30) + '7f'],
    ['an order-8 point', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'],
    ['the other order-8 point', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'],
  ];

  it.each(smallOrder)('a small-order key (%s) is refused', (_label, hex) => {
    expect(publicKeyProblem(hex)).toContain('small-order');
  });

  it('a non-canonical key (y ≥ 2^255 − 19) is refused', () => {
    expect(publicKeyProblem('ee' + 'ff'.repeat(30) + '7f')).toContain('non-canonical');
    expect(publicKeyProblem('ff'.repeat(32))).toContain('non-canonical');
  });

  it('a real key passes, and the published vector key passes', () => {
    expect(publicKeyProblem(keys.publicKeyHex)).toBeUndefined();
    expect(publicKeyProblem(realVectors().public_key)).toBeUndefined();
  });

  it('the all-zeros key accepts no forged signature: the request is refused and says why', () => {
    const headers = {
      'X-Signature-Ed25519': '01' + '00'.repeat(63),
      'X-Signature-Timestamp': String(now / 1000),
    };
    const outcome = verifyInteractionRequest({ headers, body: pingBody }, '00'.repeat(32), now);
    expect(outcome).toEqual({ ok: false, reason: expect.stringContaining('small-order') });
  });
});
