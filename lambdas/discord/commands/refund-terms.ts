import { say } from '../../domain/i18n';
import { REQUIRED_PERMISSION } from '../command-definitions';
import { NO_MENTIONS, truncate } from '../text';
import { formatNumber } from '../../domain/format';
import type { CommandReply } from '../interaction-reply';
import { manualTermsProblems, type ManualTerms } from '../../domain/refund';
import {
  CommandDeps,
  CommandError,
  ParsedCommand,
  errorReply,
  incidentFor,
  numberOption,
  requirePermission,
  stringOption,
} from './shared';

// ---- /refund set-terms --------------------------------------------------------------------------

/**
 * A maintainer sets an incident's refund terms (same permission as set-stage, audited): the rate
 * becomes the incident's reference price from this change on, and posts say it came from them.
 */
export async function refundSetTerms(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  requirePermission(cmd, REQUIRED_PERMISSION.refundSetStage, { en: 'Administrator', ja: '管理者' });
  const incident = incidentFor(cmd, deps.config);
  const rate = numberOption(cmd, 'rate');
  const currency = stringOption(cmd, 'currency')?.trim().toUpperCase();
  const reason = stringOption(cmd, 'reason');
  if (rate === undefined || !currency || !reason)
    throw new CommandError(
      say(lang, {
        en: 'rate, currency and reason are required (the reason goes into the audit log).',
        ja: 'rate・currency・reason は必須です（理由は監査記録に残ります）。',
      }),
    );
  const from = stringOption(cmd, 'window_from');
  const to = stringOption(cmd, 'window_to');
  if ((from === undefined) !== (to === undefined))
    throw new CommandError(
      say(lang, {
        en: 'Give both window_from and window_to, or neither.',
        ja: 'window_from と window_to は両方指定してください。',
      }),
    );
  const venue = stringOption(cmd, 'venue');
  const holders = numberOption(cmd, 'holders');
  const total = numberOption(cmd, 'total');
  const terms: ManualTerms = {
    rate,
    currency,
    ...(venue !== undefined ? { venue } : {}),
    ...(from !== undefined && to !== undefined ? { window: { from, to } } : {}),
    ...(holders !== undefined ? { holders } : {}),
    ...(total !== undefined ? { total } : {}),
  };
  const problems = manualTermsProblems(terms);
  if (problems.length) throw new CommandError(`${problems.join('; ')}.`);
  const actor = `discord:${cmd.userId} (${cmd.userName})`;
  const change = await deps.refunds.setTerms(incident.id, terms, { actor, reason: truncate(reason, 500) });
  deps.logger.info(
    `refund set-terms ${incident.id} ${rate} ${currency} by discord:${cmd.userId}: ${change ? `change #${change.seq}` : 'no change'}`,
  );
  if (!change)
    return errorReply(
      say(lang, {
        en: 'The record already has these terms; nothing changed.',
        ja: '返金記録はすでにこの条件です。変更はありません。',
      }),
    );
  const rateText = `${formatNumber(rate, lang)} ${currency} / ${incident.asset}`;
  return {
    data: {
      content: say(lang, {
        en: `Refund terms of ${incident.id}: **${rateText}**, set by you (audit entry #${change.seq}); stage ${change.from} → ${change.to}. It is the reference price for ${incident.asset}/${currency} from now on; the next news run posts it.`,
        ja: `${incident.id} の返金条件: **${rateText}**（あなたが設定、監査記録 #${change.seq}）。段階 ${change.from} → ${change.to}。今後 ${incident.asset}/${currency} の基準価格になります。次回のニュース実行で投稿します。`,
      }),
      allowed_mentions: NO_MENTIONS,
    },
    ephemeral: true,
  };
}
