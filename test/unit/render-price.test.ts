import type { APIEmbed } from 'discord-api-types/v10';
import { LIMITS } from '../../lambdas/discord/text';
import { formatDuration, formatNumber, formatPercent, formatTime } from '../../lambdas/domain/format';
import {
  embedTextLength,
  priceAlertAnnouncement,
  renderPriceAlert,
} from '../../lambdas/discord/render-price';
import type { PriceAlert } from '../../lambdas/domain/rules';

const AT = Date.parse('2018-01-26T03:09:00Z'); // 12:09 JST, when Coincheck halted NEM trading

function dropAlert(overrides: Partial<PriceAlert> = {}): PriceAlert {
  return {
    key: 'price:XEM/JPY:drop-5-60:2018-01-26T03:09:00.000Z',
    ruleId: 'drop-5-60',
    rule: 'drop',
    symbol: 'XEM/JPY',
    asset: 'XEM',
    quoteCurrency: 'JPY',
    price: 96.8,
    at: AT,
    venues: ['zaif', 'binance', 'upbit'],
    high: 110,
    highAt: AT - 30 * 60_000,
    changePercent: -12,
    windowMinutes: 60,
    thresholdPercent: 5,
    referencePrice: 88.549,
    referenceDistancePercent: ((96.8 - 88.549) / 88.549) * 100,
    episodeStart: AT,
    ...overrides,
  };
}

function embedOf(alert: PriceAlert, language: 'ja' | 'en'): APIEmbed {
  const payload = renderPriceAlert(alert, language);
  expect(payload.allowed_mentions).toEqual({ parse: [] });
  expect(payload.embeds).toHaveLength(1);
  return payload.embeds?.[0] as APIEmbed;
}

function allText(embed: APIEmbed): string {
  return [
    embed.title,
    embed.description,
    embed.footer?.text,
    ...(embed.fields ?? []).flatMap((f) => [f.name, f.value]),
  ].join('\n');
}

describe('price alert rendering', () => {
  it('renders the drop in Japanese with asset, venues, price, change, window, refund price, distance and JST time', () => {
    const text = allText(embedOf(dropAlert(), 'ja'));
    expect(text).toContain('XEM 価格下落: 1時間で -12.0%');
    expect(text).toContain('96.8 JPY');
    expect(text).toContain('高値 110 JPY から');
    expect(text).toContain('zaif、binance、upbit');
    expect(text).toContain('88.549 JPY/XEM (コインチェックの返金レート)');
    expect(text).toContain('返金価格との差');
    expect(text).toContain('+9.3%');
    expect(text).toContain('2018/01/26 12:09 JST');
    expect(text).toContain('出典');
  });

  it('renders the drop in English with UTC time and the source', () => {
    const embed = embedOf(dropAlert(), 'en');
    const text = allText(embed);
    expect(embed.title).toBe('XEM price drop: -12.0% in 1 h');
    expect(text).toContain('88.549 JPY per XEM (Coincheck refund rate)');
    expect(text).not.toMatch(/88.549.*88.549/);
    expect(text).toContain('Distance to refund price');
    expect(text).toContain('2018-01-26 03:09 UTC');
    expect(embed.footer?.text).toBe('Source: zaif, binance, upbit tickers via ccxt, median across venues');
    expect(embed.timestamp).toBe('2018-01-26T03:09:00.000Z');
  });

  it('daily samples: the alert says "since the last price 24 h ago", never "in 1 h"', () => {
    const alert = dropAlert({
      ruleId: 'drop-10-1440',
      windowMinutes: 24 * 60,
      thresholdPercent: 10,
      changePercent: -20,
      sinceLastSampleMinutes: 1439,
    });
    const en = embedOf(alert, 'en');
    expect(en.title).toBe('XEM price drop: -20.0% since the last price 24 h ago');
    expect(allText(en)).not.toMatch(/in 1 h|in 24 h/);
    const ja = embedOf(alert, 'ja');
    expect(ja.title).toBe('XEM 価格下落: 前回の価格（24時間前）から -20.0%');
  });

  it('renders a fall below the refund price, and a non-JPY series shows the reference as an equivalent', () => {
    const alert = dropAlert({
      rule: 'below-ref',
      ruleId: 'below-ref',
      symbol: 'XEM/USDT',
      quoteCurrency: 'USDT',
      price: 0.8,
      referencePrice: 0.8146,
      referenceDistancePercent: -1.8,
      changePercent: -1.8,
    });
    const en = allText(embedOf(alert, 'en'));
    expect(en).toContain('XEM fell below the refund price');
    expect(en).toContain('Refund price (equivalent)');
    expect(en).toContain('0.8146 USDT per XEM (converted from the JPY refund rate)');
    const ja = allText(embedOf(alert, 'ja'));
    expect(ja).toContain('XEM が返金価格を下回りました');
    expect(ja).toContain('返金価格（相当）');
  });

  it('stays within Discord limits even with absurdly long venue names, and keeps them inert', () => {
    const alert = dropAlert({
      venues: Array.from({ length: 30 }, (_, i) => `@everyone-${'x'.repeat(200)}-${i}`),
    });
    for (const language of ['ja', 'en'] as const) {
      const embed = embedOf(alert, language);
      expect(embedTextLength(embed)).toBeLessThanOrEqual(LIMITS.embedTotal);
      expect(Array.from(embed.title ?? '').length).toBeLessThanOrEqual(LIMITS.embedTitle);
      expect((embed.fields ?? []).length).toBeLessThanOrEqual(LIMITS.embedFields);
      for (const f of embed.fields ?? [])
        expect(Array.from(f.value).length).toBeLessThanOrEqual(LIMITS.fieldValue);
      expect(allText(embed)).not.toContain('@everyone');
    }
  });

  it('the announcement carries the alert key, kind and rule id, and renders per language', () => {
    const a = priceAlertAnnouncement(dropAlert());
    expect(a.key).toBe('price:XEM/JPY:drop-5-60:2018-01-26T03:09:00.000Z');
    expect(a.kind).toBe('price');
    expect(a.ruleId).toBe('drop-5-60');
    expect(a.render('ja').embeds?.[0]?.title).not.toBe(a.render('en').embeds?.[0]?.title);
  });
});

describe('formatting helpers', () => {
  it('keeps significant digits for tiny and large prices', () => {
    expect(formatNumber(0.000074512, 'en')).toBe('0.000074512');
    expect(formatNumber(88.549, 'ja')).toBe('88.549');
    expect(formatNumber(1234567.891, 'en')).toBe('1,234,568');
  });

  it('formats percents, windows and times per language', () => {
    expect(formatPercent(-12, 'en')).toBe('-12.0%');
    expect(formatPercent(3.45, 'ja')).toBe('+3.5%');
    expect(formatPercent(5, 'en', false)).toBe('5.0%');
    expect(formatDuration(60, 'ja')).toBe('1時間');
    expect(formatDuration(1440, 'en')).toBe('24 h');
    expect(formatDuration(30, 'en')).toBe('30 min');
    expect(formatTime(AT, 'ja')).toBe('2018/01/26 12:09 JST');
    expect(formatTime(AT, 'en')).toBe('2018-01-26 03:09 UTC');
  });
});
