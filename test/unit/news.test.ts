import { COINCHECK_NEM_2018 } from '../../lambdas/domain/config';
import {
  canonicalUrl,
  groupStories,
  itemKey,
  matchIncident,
  sameStory,
  type StoryRef,
} from '../../lambdas/domain/news';

const incident = COINCHECK_NEM_2018;

describe('item keys', () => {
  it('a guid keys the item whatever its link, title or date', () => {
    const a = itemKey({ guid: 'abc-1', link: 'https://x.example/1', title: 'One', date: '2018-01-26' });
    const b = itemKey({
      guid: 'abc-1',
      link: 'https://x.example/moved',
      title: 'One (updated)',
      date: '2018-02-01',
    });
    expect(a).toBe(b);
    expect(a.startsWith('g:')).toBe(true);
  });

  it('without a guid the link keys it, so a re-dated item keeps its key', () => {
    const a = itemKey({ link: 'https://x.example/1', title: 'One', date: 'Fri, 26 Jan 2018 12:00:00 GMT' });
    const b = itemKey({ link: 'https://x.example/1', title: 'One', date: 'Sat, 27 Jan 2018 12:00:00 GMT' });
    expect(a).toBe(b);
    expect(a.startsWith('l:')).toBe(true);
  });

  it('without guid or link, title and date are hashed; a blank guid does not count', () => {
    const a = itemKey({ guid: '  ', title: 'One', date: '2018-01-26' });
    expect(a.startsWith('h:')).toBe(true);
    expect(a).toBe(itemKey({ title: 'One', date: '2018-01-26' }));
    expect(a).not.toBe(itemKey({ title: 'Two', date: '2018-01-26' }));
  });

  it('a very long guid still makes a short key', () => {
    expect(itemKey({ guid: 'x'.repeat(5000) }).length).toBeLessThan(40);
  });
});

describe('keyword matching', () => {
  it('full-width ＸＥＭ and half-width ｺｲﾝﾁｪｯｸ match the incident keywords', () => {
    const m = matchIncident('ｺｲﾝﾁｪｯｸ、ＸＥＭの出金を再開', incident);
    expect(m.matched).toBe(true);
    expect(m.keywords).toEqual(expect.arrayContaining(['コインチェック', 'xem']));
  });

  it('case does not matter in English', () => {
    expect(matchIncident('COINCHECK says nem HACK under investigation', incident).matched).toBe(true);
  });

  it('generic event words never match alone or together: a generic hack story is not about this incident', () => {
    const m = matchIncident('Another exchange hacked, millions stolen, refunds promised', incident);
    expect(m.specific).toEqual([]);
    expect(m.matched).toBe(false);
    expect(matchIncident('Bitfinex hack: what we know', incident).matched).toBe(false);
    expect(matchIncident('取引所から暗号資産が流出、返金へ', incident).matched).toBe(false);
  });

  it('"Bitget hackers move $4 million into Zcash\'s private pool" (CoinDesk) does not match Coincheck', () => {
    expect(matchIncident("Bitget hackers move $4 million into Zcash's private pool", incident).matched).toBe(
      false,
    );
  });

  it("another exchange's hack that names Coincheck only as the yardstick is not ours", () => {
    for (const headline of [
      'Zaif hack: second major Japanese exchange breach since Coincheck',
      "Japan's Zaif exchange hacked, $60 million stolen, months after Coincheck theft",
      'DMM Bitcoin loses $305 million in hack, the biggest in Japan since the 2018 Coincheck hack',
      "DMM Bitcoin hack is bigger than Coincheck's NEM theft",
      // The coin alone, beside another exchange, is that exchange's story.
      'Bithumb hack: XRP, NEM stolen',
      'テックビューロ、Zaifで67億円流出　コインチェック事件から8カ月',
    ])
      expect({ headline, matched: matchIncident(headline, incident).matched }).toEqual({
        headline,
        matched: false,
      });
    // Coincheck as the subject still matches, beside another exchange or after one.
    for (const headline of [
      'After Mt. Gox, Coincheck suffers the biggest hack ever',
      'Coincheck hack dwarfs Mt. Gox',
      'Hackers stole NEM from Coincheck; Binance halts NEM deposits',
      'Binance halts NEM deposits after Coincheck hack',
      // "-like" and a reference two words back are not yardsticks for the name after them.
      'Mt. Gox-like hack hits Coincheck',
      "Hack like Mt. Gox's hits Coincheck",
    ])
      expect({ headline, matched: matchIncident(headline, incident).matched }).toEqual({
        headline,
        matched: true,
      });
  });

  it('an incident term alone (no event) is not a match either: a price story about NEM', () => {
    expect(matchIncident('NEM price rallies 12% as markets recover', incident).matched).toBe(false);
  });

  it('short keywords need word boundaries: "nemesis" and "anemic" are not NEM', () => {
    const m = matchIncident('Coincheck nemesis returns; anemic markets', incident);
    expect(m.keywords).toEqual(['coincheck']);
    expect(m.matched).toBe(false);
  });

  it('longer English keywords take suffixes: refunds, hacked', () => {
    const m = matchIncident('Coincheck refunds victims', incident);
    expect(m.keywords).toEqual(expect.arrayContaining(['coincheck', 'refund']));
    expect(m.specific).toEqual(['coincheck']);
    expect(matchIncident('Coincheck hacked', incident).matched).toBe(true);
  });

  it('Japanese keywords match inside running text', () => {
    expect(matchIncident('金融庁がコインチェックに業務改善命令', incident).matched).toBe(true);
  });
});

describe('story grouping', () => {
  it('the same article under tracking parameters, www and http is one canonical URL', () => {
    expect(canonicalUrl('https://www.wire.example.com/a/b/?utm_source=rss&id=3#top')).toBe(
      canonicalUrl('http://wire.example.com/a/b?id=3&utm_medium=feed'),
    );
    expect(canonicalUrl('tag:example.com,2018:1')).toBeUndefined();
    expect(canonicalUrl('not a url')).toBeUndefined();
  });

  it('near-duplicate titles from two sources are one story; different stories are not', () => {
    const a = { title: 'Coincheck to refund NEM holders at 88.549 JPY per XEM' };
    const b = { title: 'Coincheck To Refund NEM Holders At 88.549 JPY Per XEM - Ledger Daily' };
    const c = { title: 'Coincheck halts NEM trading after unauthorized transfers' };
    expect(sameStory(a, b)).toBe(true);
    expect(sameStory(a, c)).toBe(false);
  });

  it('Japanese headlines of different events two characters apart are different stories', () => {
    expect(
      sameStory(
        { title: 'コインチェック、NEM保有者への返金を開始' },
        { title: 'コインチェック、NEM保有者への返金が完了' },
      ),
    ).toBe(false);
  });

  it('Japanese titles differing only in width and punctuation are one story', () => {
    expect(
      sameStory({ title: 'コインチェック、ＮＥＭの売買を停止' }, { title: 'コインチェック NEMの売買を停止' }),
    ).toBe(true);
  });

  it('short titles must match exactly', () => {
    expect(sameStory({ title: 'Update 1' }, { title: 'Update 2' })).toBe(false);
  });

  it('groups keep input order and the first item leads', () => {
    const items: (StoryRef & { id: number })[] = [
      {
        id: 1,
        title: 'Hackers steal $530M in NEM from Coincheck',
        link: 'http://wire.example.com/hack?utm_source=x',
      },
      { id: 2, title: 'FSA orders Coincheck to improve its business' },
      { id: 3, title: 'Coincheck hacked: 523 million XEM stolen', link: 'https://wire.example.com/hack' },
    ];
    expect(groupStories(items).map((g) => g.map((i) => i.id))).toEqual([[1, 3], [2]]);
  });
});
