import { say } from '../../domain/i18n';
import type { APIEmbed, APIEmbedField } from 'discord-api-types/v10';
import { REQUIRED_PERMISSION } from '../command-definitions';
import type { IncidentConfig, Language } from '../../domain/config';
import { LIMITS, NO_MENTIONS, escapeUntrusted, truncate } from '../text';
import {
  formatApproxAmount,
  formatNumber,
  formatPercent,
  formatPrice,
  formatTime,
} from '../../domain/format';
import type { CommandReply } from '../interaction-reply';
import {
  REFUND_STAGES,
  isRefundStage,
  stageLabel,
  type RefundRecord,
  type RefundTermsDetail,
} from '../../domain/refund';
import { knownTermsOf, refundRateOf } from '../../domain/reference';
import {
  COLOR,
  CommandDeps,
  CommandError,
  ParsedCommand,
  ageNote,
  errorReply,
  incidentFor,
  numberOption,
  requirePermission,
  stringOption,
} from './shared';
// ---- /refund ------------------------------------------------------------------------------------

/** The terms as configured, the rate a stored change stated overriding it; "none yet" without either. */
function termsLines(incident: IncidentConfig, record: RefundRecord, lang: Language): string[] {
  const terms = refundRateOf(incident, knownTermsOf([record]));
  if (!terms)
    return [
      say(lang, {
        en: 'No refund terms announced yet: no refund rate, so no reference price for alerts.',
        ja: '返金条件はまだ発表されていません（返金レートがないため、基準価格アラートもありません）。',
      }),
    ];
  const r = incident.refund;
  const configured = r && r.rate === terms.rate && r.currency === terms.currency ? r : undefined;
  // The configured terms' details, or those a maintainer stored with the rate (refund set-terms).
  const detail: RefundTermsDetail = configured
    ? {
        ...(configured.referenceVenue ? { venue: configured.referenceVenue } : {}),
        ...(configured.referenceWindow ? { window: configured.referenceWindow } : {}),
        ...(configured.holders !== undefined ? { holders: configured.holders } : {}),
        ...(configured.totalAmount !== undefined ? { total: configured.totalAmount } : {}),
      }
    : (record.terms ?? {});
  const origin = configured
    ? ''
    : record.rateSource === 'maintainer'
      ? say(lang, { en: ' (set by a maintainer)', ja: '（管理者が設定）' })
      : say(lang, { en: ' (from the refund record)', ja: '（返金記録より）' });
  return [
    `${say(lang, { en: 'Rate', ja: '返金レート' })}: **${formatNumber(terms.rate, lang)} ${terms.currency} / ${incident.asset}**${origin}`,
    ...(detail.venue && detail.window
      ? [
          `${say(lang, { en: 'Reference', ja: '基準' })}: ${configured ? `${say(lang, { en: 'volume-weighted average on', ja: '出来高加重平均' })} ` : ''}${escapeUntrusted(detail.venue)} ${formatTime(Date.parse(detail.window.from), lang)} – ${formatTime(Date.parse(detail.window.to), lang)}`,
        ]
      : detail.venue
        ? [`${say(lang, { en: 'Reference venue', ja: '基準取引所' })}: ${escapeUntrusted(detail.venue)}`]
        : []),
    ...(detail.holders !== undefined
      ? [
          `${say(lang, { en: 'Holders', ja: '対象者' })}: ${say(lang, { en: `about ${formatNumber(detail.holders, lang)}`, ja: `約${formatNumber(detail.holders, lang)}人` })}`,
        ]
      : []),
    ...(detail.total !== undefined
      ? [
          `${say(lang, { en: 'Total', ja: '総額' })}: ${formatApproxAmount(detail.total, terms.currency, lang)}`,
        ]
      : []),
  ];
}

function evidenceLines(links: string[]): string[] {
  // <url> keeps Discord from unfurling each link; escapeUntrusted is not used on URLs (it would break them).
  return links.slice(0, 5).map((l) => `• <${l.replace(/[<>\s]/g, '')}>`);
}

export async function refundShow(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  const incident = incidentFor(cmd, deps.config);
  const { record, history } = await deps.refunds.withHistory(incident.id);
  const fields: APIEmbedField[] = [
    {
      name: say(lang, { en: 'Terms', ja: '返金条件' }),
      value: truncate(termsLines(incident, record, lang).join('\n'), LIMITS.fieldValue),
    },
    {
      name: say(lang, { en: 'Stage', ja: '段階' }),
      value: truncate(
        [
          `**${stageLabel(record.stage, lang)}** (\`${record.stage}\`)`,
          ...(record.paymentDate
            ? [`${say(lang, { en: 'Payment date', ja: '返金日' })}: ${record.paymentDate}`]
            : []),
          ...(record.updatedAt
            ? [`${say(lang, { en: 'Updated', ja: '更新' })}: ${formatTime(record.updatedAt, lang)}`]
            : []),
        ].join('\n'),
        LIMITS.fieldValue,
      ),
    },
  ];
  if (record.evidence.length)
    fields.push({
      name: say(lang, { en: 'Evidence', ja: '根拠' }),
      value: truncate(evidenceLines(record.evidence).join('\n'), LIMITS.fieldValue),
    });
  const last = history[history.length - 1];
  if (last && !last.auto && last.reason)
    fields.push({
      name: say(lang, { en: 'Last manual change', ja: '最後の手動変更' }),
      value: truncate(`${last.from} → ${last.to}: ${escapeUntrusted(last.reason)}`, LIMITS.fieldValue),
    });
  const embed: APIEmbed = {
    title: truncate(incident.name[lang], LIMITS.embedTitle),
    color: COLOR.refund,
    fields,
  };
  return { data: { embeds: [embed], allowed_mentions: NO_MENTIONS }, ephemeral: false };
}

export async function refundCalc(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  const incident = incidentFor(cmd, deps.config);
  const amount = numberOption(cmd, 'amount');
  if (amount === undefined)
    throw new CommandError(
      say(lang, {
        en: 'amount is required, e.g. amount:1000.',
        ja: '数量を指定してください（例: amount:1000）。',
      }),
    );
  const cap = incident.amountStolen ?? Number.POSITIVE_INFINITY;
  if (amount <= 0 || amount > cap)
    throw new CommandError(
      incident.amountStolen === undefined
        ? say(lang, {
            en: `amount must be above 0 (got ${amount}).`,
            ja: `数量は 0 より大きく指定してください（${amount}）。`,
          })
        : say(lang, {
            en: `amount must be above 0 and at most ${formatNumber(incident.amountStolen, lang)} ${incident.asset} (got ${amount}).`,
            ja: `数量は 0 より大きく ${formatNumber(incident.amountStolen, lang)} ${incident.asset} 以下で指定してください（${amount}）。`,
          }),
    );
  const terms = refundRateOf(incident, knownTermsOf([await deps.refunds.get(incident.id)]));
  if (!terms)
    throw new CommandError(
      say(lang, {
        en: `No refund terms announced yet for ${incident.name.en}: nothing to calculate.`,
        ja: `${incident.name.ja} の返金条件はまだ発表されていないため、計算できません。`,
      }),
    );
  const { rate, currency } = terms;
  const refunded = amount * rate;
  const symbol = `${incident.asset}/${currency}`;
  const latest = await deps.prices.latestConsensus(symbol);
  const lines = [
    `${formatNumber(amount, lang, 12)} ${incident.asset} × ${formatNumber(rate, lang)} ${currency} = **${formatNumber(refunded, lang)} ${currency}** ${say(lang, { en: '(refunded)', ja: '（返金額）' })}`,
  ];
  if (latest) {
    const today = amount * latest.price;
    lines.push(
      `${say(lang, { en: 'Worth today', ja: '現在の価値' })}: **${formatNumber(today, lang)} ${currency}** (${formatPrice(latest.price, currency, lang)} / ${incident.asset}, ${ageNote(latest.at, deps, lang)})`,
      `${say(lang, { en: 'Versus the refund', ja: '返金額との差' })}: ${formatPercent(((today - refunded) / refunded) * 100, lang)}`,
    );
  } else {
    lines.push(
      say(lang, {
        en: `No ${symbol} consensus price stored yet, so no value for today.`,
        ja: `${symbol} の合意価格がまだないため、現在の価値は計算できません。`,
      }),
    );
  }
  const embed: APIEmbed = {
    title: say(lang, { en: 'Refund calculator', ja: '返金計算' }),
    color: COLOR.refund,
    description: lines.join('\n'),
  };
  return { data: { embeds: [embed], allowed_mentions: NO_MENTIONS }, ephemeral: false };
}

export async function refundSetStage(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  requirePermission(cmd, REQUIRED_PERMISSION.refundSetStage, { en: 'Administrator', ja: '管理者' });
  const incident = incidentFor(cmd, deps.config);
  const stage = stringOption(cmd, 'stage');
  if (!isRefundStage(stage))
    throw new CommandError(
      say(lang, {
        en: `stage must be one of ${REFUND_STAGES.join(', ')} (got "${stage ?? ''}").`,
        ja: `段階は ${REFUND_STAGES.join('、')} のいずれかです（"${stage ?? ''}"）。`,
      }),
    );
  const reason = stringOption(cmd, 'reason');
  if (!reason)
    throw new CommandError(
      say(lang, {
        en: 'reason is required: it goes into the audit log.',
        ja: '理由は必須です（監査記録に残ります）。',
      }),
    );
  const evidence = (stringOption(cmd, 'evidence') ?? '').split(/\s+/).filter(Boolean);
  const bad = evidence.find((e) => !/^https?:\/\/[^\s<>]+$/.test(e));
  if (bad)
    throw new CommandError(
      say(lang, {
        en: `evidence must be http(s) links separated by spaces; "${bad}" is not one.`,
        ja: `根拠は空白区切りの http(s) リンクです。"${bad}" は不正です。`,
      }),
    );
  const change = await deps.refunds.setStage(incident.id, stage, {
    actor: `discord:${cmd.userId} (${cmd.userName})`,
    reason: truncate(reason, 500),
    ...(evidence.length ? { evidence } : {}),
  });
  deps.logger.info(
    `refund set-stage ${incident.id} -> ${stage} by discord:${cmd.userId}: ${change ? `change #${change.seq}` : 'no change'}`,
  );
  if (!change)
    return errorReply(
      say(lang, {
        en: `The stage is already ${stage}; nothing changed.`,
        ja: `段階はすでに ${stage} です。変更はありません。`,
      }),
    );
  return {
    data: {
      content: say(lang, {
        en: `Refund stage of ${incident.id}: ${change.from} → **${change.to}** (audit entry #${change.seq}).`,
        ja: `${incident.id} の返金段階: ${change.from} → **${change.to}**（監査記録 #${change.seq}）`,
      }),
      allowed_mentions: NO_MENTIONS,
    },
    ephemeral: true,
  };
}
