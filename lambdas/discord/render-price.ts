import { say } from '../domain/i18n';
import type { APIEmbed, APIEmbedField } from 'discord-api-types/v10';
import type { Language } from '../domain/config';
import { LIMITS, NO_MENTIONS, escapeUntrusted, truncate } from './text';
import { formatDuration, formatList, formatPercent, formatPrice, formatTime } from '../domain/format';
import type { Announcement, MessagePayload } from '../domain/messages';
import type { PriceAlert } from '../domain/rules';

/** Red for a drop, dark red for a fall below the refund price. */
const COLOR_DROP = 0xe67e22;
const COLOR_BELOW_REF = 0xc0392b;
/** Green for a rise. */
const COLOR_RISE = 0x27ae60;
/** Blue for a channel's level crossed. */
const COLOR_LEVEL = 0x2980b9;

const TEXT = {
  ja: {
    dropTitle: (asset: string, change: string, window: string): string =>
      `${asset} 価格下落: ${window}で ${change}`,
    sinceLast: (gap: string): string => `前回の価格（${gap}前）から`,
    sinceLastTitle: (asset: string, change: string, gap: string): string =>
      `${asset} 価格下落: 前回の価格（${gap}前）から ${change}`,
    sinceLastDescription: (threshold: string, gap: string): string =>
      `前回の価格（${gap}前）から ${threshold} 以上下落しました。その間の価格はデータにありません。`,
    belowRefTitle: (asset: string): string => `${asset} が返金価格を下回りました`,
    inWindow: (window: string): string => `${window}で`,
    riseTitle: (asset: string, change: string, phrase: string): string =>
      `${asset} 価格上昇: ${phrase} ${change}`,
    riseDescription: (threshold: string, phrase: string): string =>
      `${phrase} ${threshold} 以上上昇しました。`,
    fromLow: (low: string): string => `安値 ${low} から`,
    levelTitle: (asset: string, up: boolean, level: string): string =>
      `${asset} が ${level} を${up ? '上回りました' : '下回りました'}`,
    levelDescription: (up: boolean, level: string): string =>
      `合意価格が、このチャンネルで設定した ${level} を${up ? '上回りました' : '下回りました'}。`,
    level: '設定価格',
    price: '価格',
    change: '変化',
    fromHigh: (high: string): string => `高値 ${high} から`,
    window: '期間',
    venues: '取引所',
    refund: '返金価格',
    refundEquivalent: '返金価格（相当）',
    refundNote: (cur: string): string =>
      cur === 'JPY' ? 'コインチェックの返金レート' : 'JPY 返金レートの換算値',
    per: (asset: string): string => `/${asset}`,
    distance: '返金価格との差',
    time: '時刻',
    source: (venues: string): string => `出典: ${venues} のティッカー（ccxt 経由、取引所間の中央値）`,
    dropDescription: (threshold: string, window: string): string =>
      `${window}の高値から ${threshold} 以上下落しました。`,
    belowRefDescription: (ref: string): string => `合意価格が返金価格 ${ref} を下回りました。`,
  },
  en: {
    dropTitle: (asset: string, change: string, window: string): string =>
      `${asset} price drop: ${change} in ${window}`,
    sinceLast: (gap: string): string => `since the last price ${gap} ago`,
    sinceLastTitle: (asset: string, change: string, gap: string): string =>
      `${asset} price drop: ${change} since the last price ${gap} ago`,
    sinceLastDescription: (threshold: string, gap: string): string =>
      `Fell ${threshold} or more since the last price, ${gap} earlier; the data has no price in between.`,
    belowRefTitle: (asset: string): string => `${asset} fell below the refund price`,
    inWindow: (window: string): string => `in ${window}`,
    riseTitle: (asset: string, change: string, phrase: string): string =>
      `${asset} price rise: ${change} ${phrase}`,
    riseDescription: (threshold: string, phrase: string): string => `Rose ${threshold} or more ${phrase}.`,
    fromLow: (low: string): string => `from the low of ${low}`,
    levelTitle: (asset: string, up: boolean, level: string): string =>
      `${asset} ${up ? 'rose above' : 'fell below'} ${level}`,
    levelDescription: (up: boolean, level: string): string =>
      `The consensus price crossed ${up ? 'above' : 'below'} ${level}, the level set for this channel.`,
    level: 'Level',
    price: 'Price',
    change: 'Change',
    fromHigh: (high: string): string => `from the high of ${high}`,
    window: 'Window',
    venues: 'Venues',
    refund: 'Refund price',
    refundEquivalent: 'Refund price (equivalent)',
    refundNote: (cur: string): string =>
      cur === 'JPY' ? 'Coincheck refund rate' : 'converted from the JPY refund rate',
    per: (asset: string): string => ` per ${asset}`,
    distance: 'Distance to refund price',
    time: 'Time',
    source: (venues: string): string => `Source: ${venues} tickers via ccxt, median across venues`,
    dropDescription: (threshold: string, window: string): string =>
      `Fell ${threshold} or more from the ${window} high.`,
    belowRefDescription: (ref: string): string =>
      `The consensus price fell below the refund price of ${ref}.`,
  },
};

const COLORS: Record<PriceAlert['rule'], number> = {
  drop: COLOR_DROP,
  rise: COLOR_RISE,
  'below-ref': COLOR_BELOW_REF,
  above: COLOR_LEVEL,
  below: COLOR_LEVEL,
};

/** A gap as people say it: minutes to the 5 under 2 h, hours under 2 days, days beyond. */
function roughMinutes(minutes: number): number {
  if (minutes < 120) return Math.max(1, Math.round(minutes / 5) * 5);
  if (minutes < 2880) return Math.round(minutes / 60) * 60;
  return Math.round(minutes / 1440) * 1440;
}

/** The Discord message for a price alert, in a channel's language. */
export function renderPriceAlert(alert: PriceAlert, language: Language): MessagePayload {
  const t = say(language, TEXT);
  const cur = alert.quoteCurrency;
  const price = formatPrice(alert.price, cur, language);
  // Venue and asset names come from config, but keep them inert anyway: a config is user input too.
  const venues = formatList(alert.venues.map(escapeUntrusted), language);
  const asset = escapeUntrusted(alert.asset);
  const fields: APIEmbedField[] = [{ name: t.price, value: price, inline: true }];
  let title: string;
  let description: string;
  if (alert.rule === 'drop' && alert.windowMinutes !== undefined) {
    const change = formatPercent(alert.changePercent, language);
    const threshold = formatPercent(alert.thresholdPercent ?? 0, language, false);
    // Sparse samples (daily candles, a polling gap): name the gap the data has, not the rule's window.
    const gap =
      alert.sinceLastSampleMinutes !== undefined
        ? formatDuration(roughMinutes(alert.sinceLastSampleMinutes), language)
        : undefined;
    const window = gap ? t.sinceLast(gap) : formatDuration(alert.windowMinutes, language);
    title = gap ? t.sinceLastTitle(asset, change, gap) : t.dropTitle(asset, change, window);
    description = gap ? t.sinceLastDescription(threshold, gap) : t.dropDescription(threshold, window);
    const highText =
      alert.high !== undefined ? ` (${t.fromHigh(formatPrice(alert.high, cur, language))})` : '';
    fields.push({ name: t.change, value: `${change}${highText}`, inline: true });
    fields.push({ name: t.window, value: window, inline: true });
  } else if (alert.rule === 'rise' && alert.windowMinutes !== undefined) {
    const change = formatPercent(alert.changePercent, language);
    const threshold = formatPercent(alert.thresholdPercent ?? 0, language, false);
    const gap =
      alert.sinceLastSampleMinutes !== undefined
        ? formatDuration(roughMinutes(alert.sinceLastSampleMinutes), language)
        : undefined;
    const window = gap ? t.sinceLast(gap) : formatDuration(alert.windowMinutes, language);
    const phrase = gap ? t.sinceLast(gap) : t.inWindow(window);
    title = t.riseTitle(asset, change, phrase);
    description = t.riseDescription(threshold, phrase);
    const lowText = alert.low !== undefined ? ` (${t.fromLow(formatPrice(alert.low, cur, language))})` : '';
    fields.push({ name: t.change, value: `${change}${lowText}`, inline: true });
    fields.push({ name: t.window, value: window, inline: true });
  } else if ((alert.rule === 'above' || alert.rule === 'below') && alert.level !== undefined) {
    const up = alert.rule === 'above';
    const level = formatPrice(alert.level, cur, language);
    title = t.levelTitle(asset, up, level);
    description = t.levelDescription(up, level);
    fields.push({ name: t.level, value: level, inline: true });
  } else {
    title = t.belowRefTitle(asset);
    description = t.belowRefDescription(
      alert.referencePrice !== undefined ? formatPrice(alert.referencePrice, cur, language) : '?',
    );
  }
  fields.push({ name: t.venues, value: venues || '-', inline: true });
  if (alert.referencePrice !== undefined) {
    fields.push({
      name: cur === 'JPY' ? t.refund : t.refundEquivalent,
      value: `${formatPrice(alert.referencePrice, cur, language)}${t.per(asset)} (${t.refundNote(cur)})`,
      inline: false,
    });
    if (alert.referenceDistancePercent !== undefined) {
      fields.push({
        name: t.distance,
        value: formatPercent(alert.referenceDistancePercent, language),
        inline: true,
      });
    }
  }
  fields.push({ name: t.time, value: formatTime(alert.at, language), inline: true });

  const embed: APIEmbed = {
    title: truncate(title, LIMITS.embedTitle),
    description: truncate(description, LIMITS.embedDescription),
    color: COLORS[alert.rule],
    fields: fields.slice(0, LIMITS.embedFields).map((f) => ({
      ...f,
      name: truncate(f.name, LIMITS.fieldName),
      value: truncate(f.value, LIMITS.fieldValue),
    })),
    footer: { text: truncate(t.source(venues || '-'), LIMITS.footerText) },
    timestamp: new Date(alert.at).toISOString(),
  };
  return { embeds: [embed], allowed_mentions: NO_MENTIONS };
}

export function priceAlertAnnouncement(alert: PriceAlert): Announcement {
  return {
    key: alert.key,
    kind: 'price',
    ruleId: alert.ruleId,
    render: (language) => renderPriceAlert(alert, language),
  };
}

/** Characters Discord counts towards the 6,000 per-message embed total. */
export function embedTextLength(embed: APIEmbed): number {
  const len = (s: string | undefined) => Array.from(s ?? '').length;
  return (
    len(embed.title) +
    len(embed.description) +
    len(embed.footer?.text) +
    len(embed.author?.name) +
    (embed.fields ?? []).reduce((n, f) => n + len(f.name) + len(f.value), 0)
  );
}
