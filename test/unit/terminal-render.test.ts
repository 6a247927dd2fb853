import stringWidth from 'string-width';
import { asDisplayed, displayWidth, renderForTerminal } from '../../lambdas/discord/terminal-render';
import { buildAnnouncement } from '../support/announcements';

describe('renderForTerminal', () => {
  it('shows the channel, title, fields and footer in a box', () => {
    const text = renderForTerminal('100000000000000001', buildAnnouncement().render('en'));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^┌─ #100000000000000001 ─+┐$/);
    expect(lines.at(-1)).toMatch(/^└─+┘$/);
    expect(text).toContain('■ XEM price drop -12.0% (1 h)');
    expect(text).toContain('median of zaif, hitbtc');
    expect(text).toContain('│ Price');
    expect(text).toContain('│   79.20 JPY');
    expect(text).toContain('Refund rate');
    expect(text).toContain('88.549 JPY (-10.6%)');
    expect(text).toContain('— goxwatch · zaif XEM/JPY · 2018-01-26T03:00:00.000Z');
  });

  it('every line of the box has the same display width, Japanese included', () => {
    const text = renderForTerminal('100000000000000002', buildAnnouncement().render('ja'), 60);
    expect(text).toContain('XEM 価格下落');
    const widths = new Set(text.split('\n').map(displayWidth));
    expect([...widths]).toEqual([60]);
  });

  it('wraps long text inside the box instead of cutting it', () => {
    const description = 'the quick brown fox jumps over the lazy dog '.repeat(5).trim();
    const text = renderForTerminal('1', buildAnnouncement({ description }).render('en'), 40);
    expect(text.split('\n').every((l) => displayWidth(l) === 40)).toBe(true);
    const inside = text
      .split('\n')
      .map((l) => l.slice(2, -2).trimEnd())
      .join(' ');
    expect(inside.replace(/\s+/g, ' ')).toContain(description);
  });

  it('keeps its box on a multi-line reply with emoji, flags, ZWJ sequences and CJK (widths by string-width)', () => {
    const content = [
      '⚠️ 返金条件はまだ発表されていません',
      '✅ zaif — 1 分前 🇯🇵',
      '👨‍👩‍👧 家族 and text that is long enough to wrap inside a forty column box',
      '',
      'ｶﾀｶﾅ and ＦＵＬＬＷＩＤＴＨ',
    ].join('\n');
    const text = renderForTerminal('1', { content }, 40);
    const lines = text.split('\n');
    expect(lines.map((l) => stringWidth(l))).toEqual(lines.map(() => 40));
    expect(lines.every((l) => /^[┌│└]/.test(l) && /[┐│┘]$/.test(l))).toBe(true);
    // The emoji sequence is one grapheme: never cut in two across lines.
    expect(text).toContain('👨‍👩‍👧');
    expect(text).toContain('│ ⚠️ 返金条件はまだ発表されていません');
  });

  it('plain content and an empty message still render', () => {
    expect(renderForTerminal('1', { content: 'hello' })).toContain('│ hello');
    expect(renderForTerminal('1', {})).toContain('(empty message)');
  });
});

describe('terminal text as Discord shows it', () => {
  it('markdown escapes, bold markers and mention breakers are not shown', () => {
    expect(asDisplayed('NEM \\(XEM\\) **88,549 JPY** @\u200beveryone a\\_b')).toBe(
      'NEM (XEM) 88,549 JPY @everyone a_b',
    );
  });
});
