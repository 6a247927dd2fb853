import type { APIEmbed, APIEmbedField } from 'discord-api-types/v10';
import type { FeedConfig, IncidentConfig, Language } from '../domain/config';
import { LIMITS, NO_MENTIONS, escapeUntrusted, truncate } from './text';
import { formatNumber, formatPrice, formatTime } from '../domain/format';
import type { Announcement, MessagePayload } from '../domain/messages';
import { httpUrl, type NewsItem } from '../domain/news';
import { stageLabel, type RefundChange, type RefundStage } from '../domain/refund';
import { DEFAULT_CONFIRM_WINDOW_HOURS, type RefundClaim } from '../domain/refund-confirm';

/** Discord embed colours: news blue, refund green (red when disputed), notices grey. */
const COLOR = { news: 0x3b82f6, refund: 0x16a34a, disputed: 0xdc2626, notice: 0x6b7280 } as const;
const EXCERPT_CHARS = 300;
/** What a holder gets is shown for this many units: "1,000 XEM → 88,549 JPY". */
const EXAMPLE_HOLDING = 1000;
const MAX_EVIDENCE_LINKS = 5;

/**
 * An http(s) link from a feed, made safe to show: Discord refuses a message whose embed url is
 * not a valid URL, and characters markdown reacts to are percent-encoded so the link cannot
 * format or mask itself. Undefined for anything else (javascript:, tag:, garbage).
 */
export function safeLink(link: string | undefined): string | undefined {
  const url = httpUrl(link);
  if (!url) return undefined;
  const href = url.href.replace(
    /[()[\]*_~`|<>\\]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
  return href.length <= 2048 ? href : undefined;
}

/** Untrusted text for an embed: one line, escaped, cut to the limit after escaping. */
function untrusted(text: string, max: number): string {
  return truncate(escapeUntrusted(text.trim()), max);
}

function embedPayload(embed: APIEmbed): MessagePayload {
  return { embeds: [embed], allowed_mentions: NO_MENTIONS };
}

/** A news post: the item's title, source, time, link, a short excerpt and the incident. */
export function newsAnnouncement(item: NewsItem, incident: IncidentConfig, feed: FeedConfig): Announcement {
  return {
    key: `news:${incident.id}:${feed.id}:${item.key}`,
    kind: 'news',
    render(language: Language): MessagePayload {
      const ja = language === 'ja';
      const link = safeLink(item.link);
      const fields: APIEmbedField[] = [
        {
          name: ja ? '出典' : 'Source',
          value: untrusted(item.feedTitle || feed.id, LIMITS.fieldValue),
          inline: true,
        },
        {
          name: ja ? '日時' : 'Published',
          value:
            item.publishedAt !== undefined ? formatTime(item.publishedAt, language) : ja ? '不明' : 'unknown',
          inline: true,
        },
        { name: ja ? '事件' : 'Incident', value: truncate(incident.name[language], LIMITS.fieldValue) },
      ];
      if (link) fields.push({ name: ja ? 'リンク' : 'Link', value: link });
      const excerpt = item.summary ? untrusted(item.summary, EXCERPT_CHARS) : '';
      return embedPayload({
        title: untrusted(item.title || (ja ? '（無題）' : '(untitled)'), LIMITS.embedTitle),
        ...(link ? { url: link } : {}),
        ...(excerpt ? { description: excerpt } : {}),
        color: COLOR.news,
        fields,
        ...(item.publishedAt !== undefined ? { timestamp: new Date(item.publishedAt).toISOString() } : {}),
        footer: { text: ja ? `goxwatch ニュース・${feed.id}` : `goxwatch news · ${feed.id}` },
      });
    },
  };
}

const QUOTE_CHARS = 400;

/** Where a rate the change carries came from (the config's case is worded at the call). */
function rateNote(source: RefundChange['rateSource'], language: Language): string {
  const ja = language === 'ja';
  if (source === 'source') return ja ? '（記事に記載）' : ' (stated in the source)';
  if (source === 'earlier-source') return ja ? '（以前の記事に記載）' : ' (stated in an earlier source)';
  if (source === 'maintainer') return ja ? '（管理者が設定）' : ' (set by a maintainer)';
  return '';
}

/**
 * A correction: the stage an earlier message gave was wrong. Quotes what was wrong (the stage and
 * the sentence it was read from), says what the stage is now, who corrected it and why. Sent
 * instead of a plain stage post, once (keyed by the correcting change).
 */
export function refundCorrectionAnnouncement(
  change: RefundChange,
  wrong: RefundChange | undefined,
  incident: IncidentConfig,
): Announcement {
  return {
    key: `refund-correction:${incident.id}:${change.seq}`,
    kind: 'refund',
    render(language: Language): MessagePayload {
      const ja = language === 'ja';
      const was = stageLabel(wrong?.to ?? change.from, language);
      const now = stageLabel(change.to, language);
      const fields: APIEmbedField[] = [
        { name: ja ? '誤り' : 'What was wrong', value: `~~${was}~~` },
        { name: ja ? '現在の段階' : 'Stage now', value: `**${now}**` },
      ];
      if (wrong?.quote || wrong?.evidence.length) {
        const link = wrong.evidence.map(safeLink).find((l) => l !== undefined);
        const quote = wrong.quote ? `> ${untrusted(wrong.quote, QUOTE_CHARS)}` : '';
        fields.push({
          name: ja ? '誤った根拠' : 'The evidence it was read from',
          value: truncate([quote, link ?? ''].filter(Boolean).join('\n'), LIMITS.fieldValue),
        });
      }
      fields.push({
        name: ja ? '訂正' : 'Corrected by',
        value: truncate(correctedBy(change, language), LIMITS.fieldValue),
      });
      return embedPayload({
        title: truncate(
          ja ? `訂正: 返金状況 ${incident.name.ja}` : `Correction: refund status, ${incident.name.en}`,
          LIMITS.embedTitle,
        ),
        description: ja
          ? `先の投稿の「${was}」は誤りでした。現在の段階は「${now}」です。`
          : `Our earlier message said "${was}". That was wrong: the stage is now "${now}".`,
        color: COLOR.disputed,
        fields,
        timestamp: new Date(change.at).toISOString(),
        footer: { text: ja ? 'goxwatch 返金状況の訂正' : 'goxwatch refund status correction' },
      });
    },
  };
}

/** Who corrected: a maintainer (with the reason), or the official source (its sentence and link). */
function correctedBy(change: RefundChange, language: Language): string {
  if (!change.auto) return `${untrusted(change.actor ?? '?', 100)}: ${untrusted(change.reason ?? '', 500)}`;
  const link = change.evidence.map(safeLink).find((l) => l !== undefined);
  const quote = change.quote ? `> ${untrusted(change.quote, QUOTE_CHARS)}` : '';
  return [language === 'ja' ? '公式発表' : 'the official source', quote, link ?? '']
    .filter(Boolean)
    .join('\n');
}

/** Each source a change rests on: its sentence quoted, then its link. */
function citationLines(change: RefundChange): string[] {
  const cited = change.citations?.length
    ? change.citations
    : [{ quote: change.quote ?? '', ...(change.evidence[0] ? { link: change.evidence[0] } : {}) }];
  const lines = cited.flatMap((c) => [
    ...(c.quote ? [`> ${untrusted(c.quote, QUOTE_CHARS)}`] : []),
    ...(safeLink(c.link) ? [safeLink(c.link) as string] : []),
  ]);
  const more = change.evidence
    .map(safeLink)
    .filter((l): l is string => l !== undefined && !lines.includes(l))
    .slice(0, MAX_EVIDENCE_LINKS);
  return [...lines, ...more];
}

/** Why the bot believes it: the incident's own source, or two independent ones. */
function basisLine(change: RefundChange, language: Language): string | undefined {
  const ja = language === 'ja';
  if (change.basis === 'official') return ja ? '公式の発表' : 'the official source';
  if (change.basis === 'confirmed')
    return ja ? '独立した 2 つの情報源が一致' : 'two independent sources agree';
  return undefined;
}

/**
 * One unofficial source says the refund reached a stage: posted once as "reported, unconfirmed"
 * with its sentence and link. The stage does not move until the incident's own source or a second,
 * independent source (another feed and site) says the same within the window.
 */
export function refundUnconfirmedAnnouncement(
  claim: Pick<RefundClaim, 'id' | 'stage' | 'quote' | 'link' | 'feedId' | 'at'>,
  current: RefundStage,
  incident: IncidentConfig,
): Announcement {
  return {
    key: `refund-unconfirmed:${incident.id}:${claim.id}`,
    kind: 'refund',
    render(language: Language): MessagePayload {
      const ja = language === 'ja';
      const reported = stageLabel(claim.stage, language);
      const hours = incident.confirmWindowHours ?? DEFAULT_CONFIRM_WINDOW_HOURS;
      const link = safeLink(claim.link);
      return embedPayload({
        title: truncate(
          ja
            ? `未確認の報道: 返金状況 ${incident.name.ja}`
            : `Reported, unconfirmed: refund status, ${incident.name.en}`,
          LIMITS.embedTitle,
        ),
        description: ja
          ? `1 つの情報源が「${reported}」と伝えています。公式発表か、${hours} 時間以内に別の独立した情報源が同じことを伝えるまで、段階は「${stageLabel(current, 'ja')}」のままです。`
          : `One source reports "${reported}". The stage stays "${stageLabel(current, 'en')}" until the official source, or a second independent source within ${hours} h, says the same.`,
        color: COLOR.notice,
        fields: [
          {
            name: ja ? '報道の内容' : 'What it says',
            value: truncate(
              [`> ${untrusted(claim.quote, QUOTE_CHARS)}`, link ?? ''].filter(Boolean).join('\n'),
              LIMITS.fieldValue,
            ),
          },
          { name: ja ? '情報源' : 'Source', value: untrusted(claim.feedId, 100), inline: true },
          { name: ja ? '日時' : 'Published', value: formatTime(claim.at, language), inline: true },
        ],
        footer: { text: ja ? 'goxwatch 未確認の報道' : 'goxwatch unconfirmed report' },
      });
    },
  };
}

/** The classifier writes YYYY-MM-DD (or --MM-DD without a year); anything else is escaped. */
function formatPaymentDate(date: string): string {
  return /^(?:\d{4}|-)-\d{2}-\d{2}$/.test(date) ? date : untrusted(date, 64);
}

/** "1,000 XEM → 88,549 JPY" at the change's rate (or the incident's configured rate). */
function holderExample(rate: number, currency: string, asset: string, language: Language): string {
  const gets = Math.round(EXAMPLE_HOLDING * rate * 1000) / 1000;
  return `${formatNumber(EXAMPLE_HOLDING, language)} ${asset} → ${formatNumber(gets, language, 12)} ${currency}`;
}

/** A refund-status post: old → new stage, the rate and what a holder gets, the evidence. */
export function refundStageAnnouncement(change: RefundChange, incident: IncidentConfig): Announcement {
  return {
    key: `refund:${incident.id}:${change.seq}:${change.to}`,
    kind: 'refund',
    render(language: Language): MessagePayload {
      const ja = language === 'ja';
      // The change's own rate (from its evidence), else the configured terms, else none announced yet.
      const terms =
        change.rate !== undefined && change.currency
          ? { rate: change.rate, currency: change.currency, stated: true }
          : incident.refund
            ? { rate: incident.refund.rate, currency: incident.refund.currency, stated: false }
            : undefined;
      const rateSource = terms?.stated
        ? rateNote(change.rateSource, language)
        : ja
          ? '（設定値。記事に記載なし）'
          : ' (configured; not stated in the source)';
      const fields: APIEmbedField[] = [
        {
          name: ja ? '段階' : 'Stage',
          value: `${stageLabel(change.from, language)} → **${stageLabel(change.to, language)}**`,
        },
      ];
      if (terms)
        fields.push(
          {
            name: ja ? 'レート' : 'Rate',
            value: `${formatPrice(terms.rate, terms.currency, language)} / ${incident.asset}${rateSource}`,
            inline: true,
          },
          {
            name: ja ? '保有者の受取額' : 'A holder gets',
            value: holderExample(terms.rate, terms.currency, incident.asset, language),
            inline: true,
          },
        );
      else
        fields.push({
          name: ja ? 'レート' : 'Rate',
          value: ja ? '未発表' : 'not announced yet',
          inline: true,
        });
      if (change.paymentDate)
        fields.push({
          name: ja ? '支払日' : 'Payment date',
          value: formatPaymentDate(change.paymentDate),
          inline: true,
        });
      // The sentences the stage was read from, quoted: the reader judges the evidence, not us.
      const cited = citationLines(change);
      const basis = basisLine(change, language);
      if (cited.length)
        fields.push({
          name: ja ? '根拠' : 'Evidence',
          value: truncate([...(basis ? [`(${basis})`] : []), ...cited].join('\n'), LIMITS.fieldValue),
        });
      if (!change.auto) {
        const who = untrusted(change.actor ?? '?', 100);
        const why = untrusted(change.reason ?? '', 500);
        fields.push({
          name: ja ? '手動で変更' : 'Set by hand',
          value: truncate(`${who}: ${why}`, LIMITS.fieldValue),
        });
      }
      return embedPayload({
        title: truncate(
          ja ? `返金状況: ${incident.name.ja}` : `Refund status: ${incident.name.en}`,
          LIMITS.embedTitle,
        ),
        description: ja
          ? `${stageLabel(change.from, 'ja')} → ${stageLabel(change.to, 'ja')}`
          : `${stageLabel(change.from, 'en')} → ${stageLabel(change.to, 'en')}`,
        color: change.to === 'disputed' ? COLOR.disputed : COLOR.refund,
        fields,
        timestamp: new Date(change.at).toISOString(),
        footer: {
          text: ja
            ? `goxwatch 返金状況・${formatTime(change.at, 'ja')}`
            : `goxwatch refund status · ${formatTime(change.at, 'en')}`,
        },
      });
    },
  };
}

/**
 * One notice when a feed is switched off (410 Gone, or too many failures in a row). `at` (the
 * disable time) keeps the key unique, so a feed re-enabled and disabled again is told again.
 */
export function feedDisabledAnnouncement(feed: FeedConfig, reason: string, at?: number): Announcement {
  return {
    key: `feed-disabled:${feed.id}:${at ?? 0}`,
    kind: 'refund',
    render(language: Language): MessagePayload {
      const ja = language === 'ja';
      return embedPayload({
        title: ja ? `フィードを停止しました: ${feed.id}` : `Feed disabled: ${feed.id}`,
        description: truncate(
          ja
            ? `このフィードの取得を停止しました。理由: ${escapeUntrusted(reason)}\n再開するには設定を確認し、管理者がフィードを有効に戻してください。`
            : `This feed is no longer fetched. Reason: ${escapeUntrusted(reason)}\nCheck its URL; a maintainer can re-enable it.`,
          LIMITS.embedDescription,
        ),
        color: COLOR.notice,
        fields: [{ name: 'URL', value: safeLink(feed.url) ?? escapeUntrusted(feed.url) }],
      });
    },
  };
}
