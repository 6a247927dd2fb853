import type { APIEmbed, APIEmbedField } from 'discord-api-types/v10';
import { REQUIRED_PERMISSION } from '../command-definitions';
import type { IncidentConfig, Language } from '../../domain/config';
import { LIMITS, NO_MENTIONS, escapeUntrusted, truncate } from '../text';
import { formatNumber, formatPercent, formatPrice, formatTime } from '../../domain/format';
import type { CommandReply } from '../interaction-reply';
import { REFUND_STAGES, isRefundStage, stageLabel } from '../../domain/refund';
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
  say,
  stringOption,
} from './shared';
// ---- /refund ------------------------------------------------------------------------------------

function termsLines(incident: IncidentConfig, lang: Language): string[] {
  const r = incident.refund;
  return [
    `${say(lang, 'Rate', '返金レート')}: **${formatNumber(r.rate, lang)} ${r.currency} / ${incident.asset}**`,
    `${say(lang, 'Reference', '基準')}: ${say(lang, 'volume-weighted average on', '出来高加重平均')} ${r.referenceVenue} ${formatTime(Date.parse(r.referenceWindow.from), lang)} – ${formatTime(Date.parse(r.referenceWindow.to), lang)}`,
    `${say(lang, 'Holders', '対象者')}: ${say(lang, `about ${formatNumber(r.holders, lang)}`, `約${formatNumber(r.holders, lang)}人`)} · ${say(lang, 'Total', '総額')}: ${formatNumber(r.totalAmount, lang)} ${r.currency}`,
  ];
}

function evidenceLines(links: string[]): string[] {
  // <url> keeps Discord from unfurling each link; escapeUntrusted is not used on URLs (it would break them).
  return links.slice(0, 5).map((l) => `• <${l.replace(/[<>\s]/g, '')}>`);
}

export async function refundShow(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  const incident = incidentFor(cmd, deps.config);
  const [record, history] = await Promise.all([
    deps.refunds.get(incident.id),
    deps.refunds.history(incident.id),
  ]);
  const fields: APIEmbedField[] = [
    { name: say(lang, 'Terms', '返金条件'), value: termsLines(incident, lang).join('\n') },
    {
      name: say(lang, 'Stage', '段階'),
      value: truncate(
        [
          `**${stageLabel(record.stage, lang)}** (\`${record.stage}\`)`,
          ...(record.paymentDate ? [`${say(lang, 'Payment date', '返金日')}: ${record.paymentDate}`] : []),
          ...(record.updatedAt
            ? [`${say(lang, 'Updated', '更新')}: ${formatTime(record.updatedAt, lang)}`]
            : []),
        ].join('\n'),
        LIMITS.fieldValue,
      ),
    },
  ];
  if (record.evidence.length)
    fields.push({
      name: say(lang, 'Evidence', '根拠'),
      value: truncate(evidenceLines(record.evidence).join('\n'), LIMITS.fieldValue),
    });
  const last = history[history.length - 1];
  if (last && !last.auto && last.reason)
    fields.push({
      name: say(lang, 'Last manual change', '最後の手動変更'),
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
      say(lang, 'amount is required, e.g. amount:1000.', '数量を指定してください（例: amount:1000）。'),
    );
  if (amount <= 0 || amount > incident.amountStolen)
    throw new CommandError(
      say(
        lang,
        `amount must be above 0 and at most ${formatNumber(incident.amountStolen, lang)} ${incident.asset} (got ${amount}).`,
        `数量は 0 より大きく ${formatNumber(incident.amountStolen, lang)} ${incident.asset} 以下で指定してください（${amount}）。`,
      ),
    );
  const { rate, currency } = incident.refund;
  const refunded = amount * rate;
  const symbol = `${incident.asset}/${currency}`;
  const latest = await deps.prices.latestConsensus(symbol);
  const lines = [
    `${formatNumber(amount, lang, 12)} ${incident.asset} × ${formatNumber(rate, lang)} ${currency} = **${formatNumber(refunded, lang)} ${currency}** ${say(lang, '(refunded)', '（返金額）')}`,
  ];
  if (latest) {
    const today = amount * latest.price;
    lines.push(
      `${say(lang, 'Worth today', '現在の価値')}: **${formatNumber(today, lang)} ${currency}** (${formatPrice(latest.price, currency, lang)} / ${incident.asset}, ${ageNote(latest.at, deps, lang)})`,
      `${say(lang, 'Versus the refund', '返金額との差')}: ${formatPercent(((today - refunded) / refunded) * 100, lang)}`,
    );
  } else {
    lines.push(
      say(
        lang,
        `No ${symbol} consensus price stored yet, so no value for today.`,
        `${symbol} の合意価格がまだないため、現在の価値は計算できません。`,
      ),
    );
  }
  const embed: APIEmbed = {
    title: say(lang, 'Refund calculator', '返金計算'),
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
      say(
        lang,
        `stage must be one of ${REFUND_STAGES.join(', ')} (got "${stage ?? ''}").`,
        `段階は ${REFUND_STAGES.join('、')} のいずれかです（"${stage ?? ''}"）。`,
      ),
    );
  const reason = stringOption(cmd, 'reason');
  if (!reason)
    throw new CommandError(
      say(lang, 'reason is required: it goes into the audit log.', '理由は必須です（監査記録に残ります）。'),
    );
  const evidence = (stringOption(cmd, 'evidence') ?? '').split(/\s+/).filter(Boolean);
  const bad = evidence.find((e) => !/^https?:\/\/[^\s<>]+$/.test(e));
  if (bad)
    throw new CommandError(
      say(
        lang,
        `evidence must be http(s) links separated by spaces; "${bad}" is not one.`,
        `根拠は空白区切りの http(s) リンクです。"${bad}" は不正です。`,
      ),
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
      say(
        lang,
        `The stage is already ${stage}; nothing changed.`,
        `段階はすでに ${stage} です。変更はありません。`,
      ),
    );
  return {
    data: {
      content: say(
        lang,
        `Refund stage of ${incident.id}: ${change.from} → **${change.to}** (audit entry #${change.seq}).`,
        `${incident.id} の返金段階: ${change.from} → **${change.to}**（監査記録 #${change.seq}）`,
      ),
      allowed_mentions: NO_MENTIONS,
    },
    ephemeral: true,
  };
}
