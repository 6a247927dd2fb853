import { COINCHECK_NEM_2018 } from '../../lambdas/domain/config';
import {
  canonicalUrl,
  classifyRefund,
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

  it('one keyword is not enough: a generic hack story is not about this incident', () => {
    const m = matchIncident('Another exchange hacked, millions stolen', incident);
    expect(m.keywords).toEqual(['hack', 'stolen']);
    expect(matchIncident('Bitfinex hack: what we know', incident).matched).toBe(false);
  });

  it('short keywords need word boundaries: "nemesis" and "anemic" are not NEM', () => {
    const m = matchIncident('Coincheck nemesis returns; anemic markets', incident);
    expect(m.keywords).toEqual(['coincheck']);
    expect(m.matched).toBe(false);
  });

  it('longer English keywords take suffixes: refunds, hacked', () => {
    expect(matchIncident('Coincheck refunds victims', incident).keywords).toEqual(
      expect.arrayContaining(['coincheck', 'refund']),
    );
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

describe('refund signals', () => {
  const stage = (text: string, year = 2018) => classifyRefund(text, incident, year)?.stage;

  it('an item that does not talk about a refund gives no signal', () => {
    expect(classifyRefund('Coincheck hacked: 523 million XEM stolen', incident)).toBeUndefined();
  });

  it('talk of a refund without evidence gives no signal', () => {
    expect(
      classifyRefund('Will Coincheck users get a refund? Experts weigh in on the question', incident),
    ).toBeUndefined();
  });

  it('an announcement without a rate: announced', () => {
    expect(stage('コインチェック、NEM保有者に日本円で返金する方針を発表')).toBe('announced');
    expect(stage('Coincheck pledges to compensate NEM holders')).toBe('announced');
  });

  it('a rate per XEM fixes the terms, in yen or JPY, full-width or not', () => {
    const ja = classifyRefund('NEM返金レートは1XEM＝88.549円', incident);
    expect(ja).toMatchObject({ stage: 'terms-fixed', rate: 88.549, currency: 'JPY' });
    expect(classifyRefund('Coincheck to refund NEM holders at 88.549 JPY per XEM', incident)).toMatchObject({
      stage: 'terms-fixed',
      rate: 88.549,
    });
    expect(classifyRefund('1XEMあたり８８.５４９円で補償', incident)?.rate).toBe(88.549);
  });

  it('a total amount is not a rate', () => {
    const s = classifyRefund('総額約460億円を返金する方針を発表', incident);
    expect(s?.stage).toBe('announced');
    expect(s?.rate).toBeUndefined();
  });

  it('a payment date schedules the refund, in Japanese and English', () => {
    expect(classifyRefund('NEMの返金を3月12日に実施予定と発表', incident, 2018)).toMatchObject({
      stage: 'scheduled',
      paymentDate: '2018-03-12',
    });
    expect(classifyRefund('Coincheck will start refunds on March 12, 2018', incident)).toMatchObject({
      stage: 'scheduled',
      paymentDate: '2018-03-12',
    });
  });

  it("the hack's date in a refund announcement is not a payment date", () => {
    const s = classifyRefund('1月26日に流出したNEMについて、日本円で返金する方針を発表', incident, 2018);
    expect(s?.stage).toBe('announced');
    expect(s?.paymentDate).toBeUndefined();
  });

  it('payments under way: paying; a completed payment: paid', () => {
    expect(stage('本日より、1XEMあたり88.549円で返金を開始しました')).toBe('paying');
    expect(stage('コインチェック、NEM保有者への返金が完了')).toBe('paid');
    expect(stage('Coincheck has completed refunds to NEM holders')).toBe('paid');
  });

  it('a completion still planned is not a payment', () => {
    expect(stage('返金は3月12日に完了する予定')).toBe('scheduled');
  });

  it('partial payments and disputes are recognised', () => {
    expect(stage('一部の顧客への返金が完了')).toBe('partial');
    expect(stage('Holders file a lawsuit over the Coincheck refund rate')).toBe('disputed');
    expect(stage('返金レートに不満、利用者が集団訴訟')).toBe('disputed');
  });
});
