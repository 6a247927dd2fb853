import type { APIEmbed } from 'discord-api-types/v10';
import { COINCHECK_NEM_2018, type FeedConfig } from '../../lambdas/domain/config';
import { LIMITS } from '../../lambdas/discord/text';
import type { MessagePayload } from '../../lambdas/domain/messages';
import type { NewsItem } from '../../lambdas/domain/news';
import type { RefundChange } from '../../lambdas/domain/refund';
import {
  feedDisabledAnnouncement,
  newsAnnouncement,
  refundCorrectionAnnouncement,
  refundStageAnnouncement,
  safeLink,
} from '../../lambdas/discord/render-news';

const incident = COINCHECK_NEM_2018;
const feed: FeedConfig = { id: 'wire', url: 'https://wire.example.com/rss', language: 'en' };

function newsItem(overrides: Partial<NewsItem> = {}): NewsItem {
  return {
    key: 'g:abc',
    feedId: 'wire',
    title: 'Coincheck to refund NEM holders at 88.549 JPY per XEM',
    link: 'https://wire.example.com/2018/01/27/coincheck-refund',
    publishedAt: Date.parse('2018-01-27T16:30:00Z'),
    summary: 'The exchange will compensate about 260,000 holders.',
    feedTitle: 'Crypto Wire',
    ...overrides,
  };
}

function change(overrides: Partial<RefundChange> = {}): RefundChange {
  return {
    incidentId: incident.id,
    seq: 2,
    from: 'announced',
    to: 'terms-fixed',
    at: Date.parse('2018-01-27T16:35:00Z'),
    auto: true,
    rate: 88.549,
    currency: 'JPY',
    evidence: ['https://wire.example.com/2018/01/27/coincheck-refund'],
    ...overrides,
  };
}

/** The change as written when no rate was stated (the field absent, not undefined). */
function withoutRate({ rate: _rate, ...rest }: RefundChange): RefundChange {
  return rest;
}

function embedOf(p: MessagePayload): APIEmbed {
  const e = p.embeds?.[0];
  if (!e) throw new Error('no embed');
  return e;
}

/** All text Discord counts toward the 6,000-character embed total. */
function embedChars(e: APIEmbed): number {
  const parts = [
    e.title,
    e.description,
    e.footer?.text,
    e.author?.name,
    ...(e.fields ?? []).flatMap((f) => [f.name, f.value]),
  ];
  return parts.reduce((n, s) => n + Array.from(s ?? '').length, 0);
}

function withinLimits(p: MessagePayload): void {
  const e = embedOf(p);
  expect(Array.from(e.title ?? '').length).toBeLessThanOrEqual(LIMITS.embedTitle);
  expect(Array.from(e.description ?? '').length).toBeLessThanOrEqual(LIMITS.embedDescription);
  for (const f of e.fields ?? []) {
    expect(Array.from(f.name).length).toBeLessThanOrEqual(LIMITS.fieldName);
    expect(Array.from(f.value).length).toBeLessThanOrEqual(LIMITS.fieldValue);
    expect(f.value.length).toBeGreaterThan(0);
  }
  expect(embedChars(e)).toBeLessThanOrEqual(LIMITS.embedTotal);
  expect(p.allowed_mentions).toEqual({ parse: [] });
}

describe('news post', () => {
  it('shows title, source, time, link, excerpt and the incident, in English', () => {
    const p = newsAnnouncement(newsItem(), incident, feed).render('en');
    const e = embedOf(p);
    expect(e.title).toContain('Coincheck to refund NEM holders');
    expect(e.url).toBe('https://wire.example.com/2018/01/27/coincheck-refund');
    expect(e.description).toContain('260,000 holders');
    const fields = Object.fromEntries((e.fields ?? []).map((f) => [f.name, f.value]));
    expect(fields.Source).toBe('Crypto Wire');
    expect(fields.Published).toBe('2018-01-27 16:30 UTC');
    expect(fields.Incident).toBe(incident.name.en);
    withinLimits(p);
  });

  it('renders in Japanese with JST time and the Japanese incident name', () => {
    const e = embedOf(newsAnnouncement(newsItem(), incident, feed).render('ja'));
    const fields = Object.fromEntries((e.fields ?? []).map((f) => [f.name, f.value]));
    expect(fields['日時']).toBe('2018/01/28 01:30 JST');
    expect(fields['事件']).toBe(incident.name.ja);
  });

  it('@everyone, masked links and markdown in a headline are neutralised', () => {
    const p = newsAnnouncement(
      newsItem({
        title: '@everyone **FREE XEM** [claim refund](https://evil.example/phish)',
        summary: '<@123456789012345678> click [here](https://evil.example/)',
      }),
      incident,
      feed,
    ).render('en');
    const e = embedOf(p);
    expect(e.title).not.toContain('@everyone');
    expect(e.title).toContain('@\u200beveryone');
    expect(e.title).not.toMatch(/(?<!\\)\[claim refund(?<!\\)\]\(/);
    expect(e.title).toContain('\\*\\*FREE XEM\\*\\*');
    expect(e.description).not.toContain('<@123');
    expect(e.description).toContain('\\[here\\]\\(');
    expect(p.allowed_mentions).toEqual({ parse: [] });
  });

  it('a huge title and excerpt are cut to the limits', () => {
    const p = newsAnnouncement(
      newsItem({ title: 'ネム'.repeat(2000), summary: 'x'.repeat(10_000) }),
      incident,
      feed,
    ).render('ja');
    withinLimits(p);
    expect(embedOf(p).title?.endsWith('…')).toBe(true);
  });

  it('a link that is not http(s) is left out, not sent for Discord to refuse', () => {
    const e = embedOf(
      newsAnnouncement(newsItem({ link: 'javascript:alert(1)' }), incident, feed).render('en'),
    );
    expect(e.url).toBeUndefined();
    expect(JSON.stringify(e)).not.toContain('javascript:');
  });

  it('the key is deterministic per incident, feed and item', () => {
    expect(newsAnnouncement(newsItem(), incident, feed).key).toBe(
      newsAnnouncement(newsItem(), incident, feed).key,
    );
    expect(newsAnnouncement(newsItem(), incident, feed).kind).toBe('news');
  });
});

describe('refund post', () => {
  it('shows old → new stage, the rate, what 1,000 XEM gets, and the evidence', () => {
    const p = refundStageAnnouncement(change(), incident).render('en');
    const e = embedOf(p);
    const text = JSON.stringify(e);
    expect(e.description).toBe('refund announced → terms fixed');
    expect(text).toContain('88.549 JPY / XEM');
    expect(text).toContain('1,000 XEM → 88,549 JPY');
    expect(text).toContain('https://wire.example.com/2018/01/27/coincheck-refund');
    withinLimits(p);
  });

  it('renders in Japanese', () => {
    const e = embedOf(
      refundStageAnnouncement(change({ to: 'scheduled', paymentDate: '2018-03-12' }), incident).render('ja'),
    );
    expect(e.description).toBe('返金を発表 → 返金日が決定');
    expect(JSON.stringify(e)).toContain('2018-03-12');
  });

  it('a change made by hand says who and why, escaped', () => {
    const e = embedOf(
      refundStageAnnouncement(
        change({ auto: false, actor: 'ops@everyone', reason: 'confirmed by **phone**', evidence: [] }),
        incident,
      ).render('en'),
    );
    const hand = e.fields?.find((f) => f.name === 'Set by hand');
    expect(hand?.value).toContain('ops@\u200beveryone');
    expect(hand?.value).toContain('\\*\\*phone\\*\\*');
  });

  it('evidence links cannot carry markdown: brackets and parentheses are percent-encoded', () => {
    expect(safeLink('https://x.example/a_(b)*c')).toBe('https://x.example/a%5F%28b%29%2Ac');
    expect(safeLink('ftp://x.example/')).toBeUndefined();
  });

  it('without a stated rate the configured rate is shown and said to be configured', () => {
    const text = JSON.stringify(
      embedOf(
        refundStageAnnouncement(withoutRate(change({ to: 'announced', from: 'none' })), incident).render(
          'en',
        ),
      ),
    );
    expect(text).toContain('configured');
    expect(text).toContain('88,549 JPY');
  });

  it('a rate read from the source sentence says so, and the sentence is quoted', () => {
    const quote = 'コインチェックは、1XEMあたり88.549円で日本円による補償を行う方針を示した。';
    const e = embedOf(
      refundStageAnnouncement(change({ rateSource: 'source', quote }), incident).render('en'),
    );
    const rate = e.fields?.find((f) => f.name === 'Rate')?.value ?? '';
    expect(rate).toBe('88.549 JPY / XEM (stated in the source)');
    expect(e.fields?.find((f) => f.name === 'Evidence')?.value).toContain(`> ${quote}`);
    const ja = embedOf(
      refundStageAnnouncement(change({ rateSource: 'source', quote }), incident).render('ja'),
    );
    expect(ja.fields?.find((f) => f.name === 'レート')?.value).toContain('（記事に記載）');
  });

  it('a rate carried from an earlier item or set by a maintainer is not "stated in the source"', () => {
    const note = (rateSource: RefundChange['rateSource']) =>
      embedOf(
        refundStageAnnouncement(change(rateSource ? { rateSource } : {}), incident).render('en'),
      ).fields?.find((f) => f.name === 'Rate')?.value;
    expect(note('earlier-source')).toBe('88.549 JPY / XEM (stated in an earlier source)');
    expect(note('maintainer')).toBe('88.549 JPY / XEM (set by a maintainer)');
  });

  it('a correction quotes what was wrong, says the stage now, who corrected it and why', () => {
    const wrong = change({
      seq: 2,
      from: 'announced',
      to: 'scheduled',
      paymentDate: '2018-01-28',
      quote: '同社は2018年1月28日に返金を発表していた。',
      evidence: ['https://news.example.jp/2018/01/29/coincheck-question'],
    });
    const fix = change({
      seq: 3,
      from: 'scheduled',
      to: 'terms-fixed',
      auto: false,
      corrects: 2,
      actor: 'maintainer#1234',
      reason: 'no payment date announced; 2018-01-28 was the announcement date',
      evidence: [],
    });
    const a = refundCorrectionAnnouncement(fix, wrong, incident);
    expect(a.key).toBe(`refund-correction:${incident.id}:3`);
    expect(a.kind).toBe('refund');
    const e = embedOf(a.render('en'));
    expect(e.title).toBe(`Correction: refund status, ${incident.name.en}`);
    expect(e.description).toBe(
      'Our earlier message said "payment scheduled". That was wrong: the stage is now "terms fixed".',
    );
    const text = JSON.stringify(e);
    expect(text).toContain('同社は2018年1月28日に返金を発表していた。');
    expect(text).toContain('https://news.example.jp/2018/01/29/coincheck-question');
    // Untrusted text is escaped (markdown): the actor reads maintainer\#1234 in the raw field.
    expect(e.fields?.find((f) => f.name === 'Corrected by')?.value).toContain('maintainer\\#1234');
    withinLimits(a.render('ja'));
  });

  it('the key is one per change', () => {
    expect(refundStageAnnouncement(change(), incident).key).not.toBe(
      refundStageAnnouncement(change({ seq: 3 }), incident).key,
    );
  });
});

describe('feed disabled notice', () => {
  it('names the feed and the reason, goes to refund channels, escapes the reason', () => {
    const a = feedDisabledAnnouncement(feed, 'GET https://wire.example.com/rss: 410 Gone @here', 1000);
    expect(a.kind).toBe('refund');
    const p = a.render('en');
    const e = embedOf(p);
    expect(e.title).toBe('Feed disabled: wire');
    expect(e.description).toContain('410 Gone');
    expect(e.description).not.toContain('@here');
    withinLimits(p);
    expect(embedOf(a.render('ja')).title).toContain('フィードを停止しました');
  });
});
