import { HOUR } from '../../lambdas/domain/clock';
import { COINCHECK_NEM_2018 } from '../../lambdas/domain/config';
import { decideEvidence, isOfficialSource, type RefundClaim } from '../../lambdas/domain/refund-confirm';

const incident = COINCHECK_NEM_2018;
const T = Date.parse('2018-03-12T00:00:00Z');

const claim = (over: Partial<RefundClaim>): RefundClaim => ({
  incidentId: incident.id,
  id: 'paying#wire-a#1',
  stage: 'paying',
  feedId: 'wire-a',
  domain: 'news-a.example.com',
  quote: 'Coincheck began refunding NEM holders.',
  at: T,
  seenAt: T,
  posted: true,
  ...over,
});

const decide = (claims: RefundClaim[], source: { feedId: string; link?: string }, doubts = false) =>
  decideEvidence({
    incident,
    current: { stage: 'terms-fixed', updatedAt: T - 24 * HOUR },
    stage: 'paying',
    doubts,
    source,
    claim: {
      id: `paying#${source.feedId}#2`,
      at: T + HOUR,
      feedId: source.feedId,
      domain: 'news-b.example.org',
    },
    claims,
  });

describe('official sources', () => {
  it('the configured domain counts with its subdomains, and a look-alike host does not', () => {
    const feed = { feedId: 'coindesk' };
    expect(
      isOfficialSource(incident, { ...feed, link: 'https://corporate.coincheck.com/2018/03/12/47.html' }),
    ).toBe(true);
    expect(isOfficialSource(incident, { ...feed, link: 'https://coincheck.com/ja/info' })).toBe(true);
    expect(isOfficialSource(incident, { ...feed, link: 'https://coincheck.com.evil.example/x' })).toBe(false);
    expect(isOfficialSource(incident, { ...feed, link: 'https://notcoincheck.com/x' })).toBe(false);
    expect(isOfficialSource(incident, feed)).toBe(false);
  });

  it('an official recap of an earlier stage moves nothing back; an official contradiction does', () => {
    const official = (doubts: boolean) =>
      decideEvidence({
        incident,
        current: { stage: 'paying' },
        stage: 'terms-fixed',
        doubts,
        source: { feedId: 'x', link: 'https://corporate.coincheck.com/n' },
        claim: { id: 'c', at: T, feedId: 'x', domain: 'corporate.coincheck.com' },
        claims: [],
      });
    expect(official(false)).toEqual({ kind: 'ignore' });
    expect(official(true)).toEqual({ kind: 'official', backward: true });
  });
});

describe('unofficial claims', () => {
  const other = { feedId: 'wire-b', link: 'https://news-b.example.org/x' };

  it('a claim read before the stage last changed, or one without a link, confirms nothing', () => {
    expect(decide([claim({ seenAt: T - 48 * HOUR })], other).kind).toBe('unconfirmed');
    const { domain: _d, ...noLink } = claim({});
    expect(decide([noLink], other)).toEqual({ kind: 'unconfirmed', post: false });
  });

  it('a claim for another stage confirms nothing', () => {
    expect(decide([claim({ stage: 'paid' })], other)).toEqual({ kind: 'unconfirmed', post: true });
  });

  it('a live independent claim confirms', () => {
    expect(decide([claim({})], other).kind).toBe('confirmed');
  });
});
