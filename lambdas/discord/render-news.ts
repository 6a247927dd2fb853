import { say } from '../domain/i18n';
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
      const link = safeLink(item.link);
      const fields: APIEmbedField[] = [
        {
          name: say(language, { en: 'Source', ja: '出典' }),
          value: untrusted(item.feedTitle || feed.id, LIMITS.fieldValue),
          inline: true,
        },
        {
          name: say(language, { en: 'Published', ja: '日時' }),
          value:
            item.publishedAt !== undefined
              ? formatTime(item.publishedAt, language)
              : say(language, { en: 'unknown', ja: '不明' }),
          inline: true,
        },
        {
          name: say(language, { en: 'Incident', ja: '事件' }),
          value: truncate(incident.name[language], LIMITS.fieldValue),
        },
      ];
      if (link) fields.push({ name: say(language, { en: 'Link', ja: 'リンク' }), value: link });
      const excerpt = item.summary ? untrusted(item.summary, EXCERPT_CHARS) : '';
      return embedPayload({
        title: untrusted(
          item.title || say(language, { en: '(untitled)', ja: '（無題）' }),
          LIMITS.embedTitle,
        ),
        ...(link ? { url: link } : {}),
        ...(excerpt ? { description: excerpt } : {}),
        color: COLOR.news,
        fields,
        ...(item.publishedAt !== undefined ? { timestamp: new Date(item.publishedAt).toISOString() } : {}),
        footer: {
          text: say(language, { en: `goxwatch news · ${feed.id}`, ja: `goxwatch ニュース・${feed.id}` }),
        },
      });
    },
  };
}

const QUOTE_CHARS = 400;

/** Where a rate the change carries came from (the config's case is worded at the call). */
function rateNote(source: RefundChange['rateSource'], language: Language): string {
  if (source === 'source') return say(language, { en: ' (stated in the source)', ja: '（記事に記載）' });
  if (source === 'earlier-source')
    return say(language, { en: ' (stated in an earlier source)', ja: '（以前の記事に記載）' });
  if (source === 'maintainer') return say(language, { en: ' (set by a maintainer)', ja: '（管理者が設定）' });
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
      const was = stageLabel(wrong?.to ?? change.from, language);
      const now = stageLabel(change.to, language);
      const fields: APIEmbedField[] = [
        { name: say(language, { en: 'What was wrong', ja: '誤り' }), value: `~~${was}~~` },
        { name: say(language, { en: 'Stage now', ja: '現在の段階' }), value: `**${now}**` },
      ];
      if (wrong?.quote || wrong?.evidence.length) {
        const link = wrong.evidence.map(safeLink).find((l) => l !== undefined);
        const quote = wrong.quote ? `> ${untrusted(wrong.quote, QUOTE_CHARS)}` : '';
        fields.push({
          name: say(language, { en: 'The evidence it was read from', ja: '誤った根拠' }),
          value: truncate([quote, link ?? ''].filter(Boolean).join('\n'), LIMITS.fieldValue),
        });
      }
      fields.push({
        name: say(language, { en: 'Corrected by', ja: '訂正' }),
        value: truncate(correctedBy(change, language), LIMITS.fieldValue),
      });
      return embedPayload({
        title: truncate(
          say(language, {
            en: `Correction: refund status, ${incident.name.en}`,
            ja: `訂正: 返金状況 ${incident.name.ja}`,
          }),
          LIMITS.embedTitle,
        ),
        description: say(language, {
          en: `Our earlier message said "${was}". That was wrong: the stage is now "${now}".`,
          ja: `先の投稿の「${was}」は誤りでした。現在の段階は「${now}」です。`,
        }),
        color: COLOR.disputed,
        fields,
        timestamp: new Date(change.at).toISOString(),
        footer: {
          text: say(language, { en: 'goxwatch refund status correction', ja: 'goxwatch 返金状況の訂正' }),
        },
      });
    },
  };
}

/** Who corrected: a maintainer (with the reason), or the official source (its sentence and link). */
function correctedBy(change: RefundChange, language: Language): string {
  if (!change.auto) return `${untrusted(change.actor ?? '?', 100)}: ${untrusted(change.reason ?? '', 500)}`;
  const link = change.evidence.map(safeLink).find((l) => l !== undefined);
  const quote = change.quote ? `> ${untrusted(change.quote, QUOTE_CHARS)}` : '';
  return [say(language, { en: 'the official source', ja: '公式発表' }), quote, link ?? '']
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
  if (change.basis === 'official') return say(language, { en: 'the official source', ja: '公式の発表' });
  if (change.basis === 'confirmed')
    return say(language, { en: 'two independent sources agree', ja: '独立した 2 つの情報源が一致' });
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
      const reported = stageLabel(claim.stage, language);
      const hours = incident.confirmWindowHours ?? DEFAULT_CONFIRM_WINDOW_HOURS;
      const link = safeLink(claim.link);
      return embedPayload({
        title: truncate(
          say(language, {
            en: `Reported, unconfirmed: refund status, ${incident.name.en}`,
            ja: `未確認の報道: 返金状況 ${incident.name.ja}`,
          }),
          LIMITS.embedTitle,
        ),
        description: say(language, {
          en: `One source reports "${reported}". The stage stays "${stageLabel(current, 'en')}" until the official source, or a second independent source within ${hours} h, says the same.`,
          ja: `1 つの情報源が「${reported}」と伝えています。公式発表か、${hours} 時間以内に別の独立した情報源が同じことを伝えるまで、段階は「${stageLabel(current, 'ja')}」のままです。`,
        }),
        color: COLOR.notice,
        fields: [
          {
            name: say(language, { en: 'What it says', ja: '報道の内容' }),
            value: truncate(
              [`> ${untrusted(claim.quote, QUOTE_CHARS)}`, link ?? ''].filter(Boolean).join('\n'),
              LIMITS.fieldValue,
            ),
          },
          {
            name: say(language, { en: 'Source', ja: '情報源' }),
            value: untrusted(claim.feedId, 100),
            inline: true,
          },
          {
            name: say(language, { en: 'Published', ja: '日時' }),
            value: formatTime(claim.at, language),
            inline: true,
          },
        ],
        footer: { text: say(language, { en: 'goxwatch unconfirmed report', ja: 'goxwatch 未確認の報道' }) },
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
      // The change's own rate (from its evidence), else the configured terms, else none announced yet.
      const terms =
        change.rate !== undefined && change.currency
          ? { rate: change.rate, currency: change.currency, stated: true }
          : incident.refund
            ? { rate: incident.refund.rate, currency: incident.refund.currency, stated: false }
            : undefined;
      const rateSource = terms?.stated
        ? rateNote(change.rateSource, language)
        : say(language, { en: ' (configured; not stated in the source)', ja: '（設定値。記事に記載なし）' });
      const fields: APIEmbedField[] = [
        {
          name: say(language, { en: 'Stage', ja: '段階' }),
          value: `${stageLabel(change.from, language)} → **${stageLabel(change.to, language)}**`,
        },
      ];
      if (terms)
        fields.push(
          {
            name: say(language, { en: 'Rate', ja: 'レート' }),
            value: `${formatPrice(terms.rate, terms.currency, language)} / ${incident.asset}${rateSource}`,
            inline: true,
          },
          {
            name: say(language, { en: 'A holder gets', ja: '保有者の受取額' }),
            value: holderExample(terms.rate, terms.currency, incident.asset, language),
            inline: true,
          },
        );
      else
        fields.push({
          name: say(language, { en: 'Rate', ja: 'レート' }),
          value: say(language, { en: 'not announced yet', ja: '未発表' }),
          inline: true,
        });
      if (change.paymentDate)
        fields.push({
          name: say(language, { en: 'Payment date', ja: '支払日' }),
          value: formatPaymentDate(change.paymentDate),
          inline: true,
        });
      // The sentences the stage was read from, quoted: the reader judges the evidence, not us.
      const cited = citationLines(change);
      const basis = basisLine(change, language);
      if (cited.length)
        fields.push({
          name: say(language, { en: 'Evidence', ja: '根拠' }),
          value: truncate([...(basis ? [`(${basis})`] : []), ...cited].join('\n'), LIMITS.fieldValue),
        });
      if (!change.auto) {
        const who = untrusted(change.actor ?? '?', 100);
        const why = untrusted(change.reason ?? '', 500);
        fields.push({
          name: say(language, { en: 'Set by hand', ja: '手動で変更' }),
          value: truncate(`${who}: ${why}`, LIMITS.fieldValue),
        });
      }
      return embedPayload({
        title: truncate(
          say(language, { en: `Refund status: ${incident.name.en}`, ja: `返金状況: ${incident.name.ja}` }),
          LIMITS.embedTitle,
        ),
        description: say(language, {
          en: `${stageLabel(change.from, 'en')} → ${stageLabel(change.to, 'en')}`,
          ja: `${stageLabel(change.from, 'ja')} → ${stageLabel(change.to, 'ja')}`,
        }),
        color: change.to === 'disputed' ? COLOR.disputed : COLOR.refund,
        fields,
        timestamp: new Date(change.at).toISOString(),
        footer: {
          text: say(language, {
            en: `goxwatch refund status · ${formatTime(change.at, 'en')}`,
            ja: `goxwatch 返金状況・${formatTime(change.at, 'ja')}`,
          }),
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
      return embedPayload({
        title: say(language, { en: `Feed disabled: ${feed.id}`, ja: `フィードを停止しました: ${feed.id}` }),
        description: truncate(
          say(language, {
            en: `This feed is no longer fetched. Reason: ${escapeUntrusted(reason)}\nCheck its URL; a maintainer can re-enable it.`,
            ja: `このフィードの取得を停止しました。理由: ${escapeUntrusted(reason)}\n再開するには設定を確認し、管理者がフィードを有効に戻してください。`,
          }),
          LIMITS.embedDescription,
        ),
        color: COLOR.notice,
        fields: [{ name: 'URL', value: safeLink(feed.url) ?? escapeUntrusted(feed.url) }],
      });
    },
  };
}
