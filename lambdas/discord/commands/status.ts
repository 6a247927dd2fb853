import { say } from '../../domain/i18n';
import type { APIEmbed } from 'discord-api-types/v10';
import type { FeedHealth } from '../../store/news-repo';
import type { SourceHealth } from '../../store/price-items';
import { HOUR, MINUTE } from '../../domain/clock';
import type { Language } from '../../domain/config';
import { LIMITS, NO_MENTIONS, escapeUntrusted, truncate } from '../text';
import type { CommandReply } from '../interaction-reply';
import { blindSpotsNow } from '../../store/repositories';
import { COLOR, CommandDeps, ParsedCommand } from './shared';
// ---- /status ------------------------------------------------------------------------------------

export async function statusCommand(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  const [runs, sources, feeds, pending, unseen] = await Promise.all([
    deps.jobRuns.last(),
    deps.prices.sourceHealth(),
    deps.news.feedHealth(),
    deps.outbox.pending(101),
    blindSpotsNow(deps, deps.config),
  ]);
  const now = deps.clock.now();
  const ago = (ms: number) => {
    const minutes = Math.max(0, Math.round((now - ms) / MINUTE));
    if (minutes < 120) return say(lang, { en: `${minutes} min ago`, ja: `${minutes}分前` });
    return say(lang, {
      en: `${Math.round((now - ms) / HOUR)} h ago`,
      ja: `${Math.round((now - ms) / HOUR)}時間前`,
    });
  };
  const jobLines = runs.length
    ? runs.map(
        (r) =>
          `${r.ok ? '✅' : '❌'} ${r.job}: ${ago(r.finishedAt)} — ${escapeUntrusted(truncate(r.summary, 120))}`,
      )
    : [say(lang, { en: 'No job has run yet.', ja: 'ジョブはまだ実行されていません。' })];
  const sourceLines = sources.length
    ? sources.map((s) => sourceLine(s, lang, ago))
    : [say(lang, { en: 'No source polled yet.', ja: '価格ソースはまだ取得されていません。' })];
  const feedLines = feeds.length
    ? feeds.map((f) => feedLine(f, lang, ago))
    : [say(lang, { en: 'No feed fetched yet.', ja: 'フィードはまだ取得されていません。' })];
  const pendingText = pending.length > 100 ? '100+' : String(pending.length);
  const oldest = pending[0];
  const embed: APIEmbed = {
    title: say(lang, { en: 'goxwatch status', ja: 'goxwatch の状態' }),
    color: COLOR.info,
    fields: [
      {
        name: say(lang, { en: 'Jobs', ja: 'ジョブ' }),
        value: truncate(jobLines.join('\n'), LIMITS.fieldValue),
      },
      {
        name: say(lang, { en: 'Price sources', ja: '価格ソース' }),
        value: truncate(sourceLines.join('\n'), LIMITS.fieldValue),
      },
      {
        name: say(lang, { en: 'Feeds', ja: 'フィード' }),
        value: truncate(feedLines.join('\n'), LIMITS.fieldValue),
      },
      {
        name: say(lang, { en: 'Outbox', ja: '送信待ち' }),
        value: `${say(lang, { en: 'Pending', ja: '未送信' })}: ${pendingText}${oldest ? ` (${say(lang, { en: 'oldest', ja: '最古' })} ${ago(oldest.createdAt)})` : ''}`,
      },
      ...(unseen.length
        ? [
            {
              name: say(lang, { en: 'Nobody will see', ja: '誰にも届かないもの' }),
              value: truncate(unseen.map((l) => `⚠️ ${l[lang]}`).join('\n'), LIMITS.fieldValue),
            },
          ]
        : []),
    ],
  };
  return { data: { embeds: [embed], allowed_mentions: NO_MENTIONS }, ephemeral: true };
}

/** One price source's health: last good quote, or failures in a row and why. */
function sourceLine(h: SourceHealth, lang: Language, ago: (ms: number) => string): string {
  const id = escapeUntrusted(h.sourceId);
  const last =
    h.lastOkAt !== undefined
      ? `${say(lang, { en: 'last ok', ja: '最終成功' })} ${ago(h.lastOkAt)}`
      : say(lang, { en: 'never ok', ja: '成功なし' });
  if (h.marketMissing)
    return `⛔ ${id} — ${say(lang, { en: 'market not listed', ja: '市場が見つかりません' })} — ${last}`;
  if (h.consecutiveFailures > 0)
    return `⚠️ ${id} — ${say(lang, { en: `${h.consecutiveFailures} failures`, ja: `${h.consecutiveFailures}回失敗` })} — ${last}${h.lastError ? ` — ${escapeUntrusted(truncate(h.lastError, 80))}` : ''}`;
  return `✅ ${id} — ${last}`;
}

/** One feed's health: ok with its last success, or failures and the last error, or disabled. */
function feedLine(h: FeedHealth, lang: Language, ago: (ms: number) => string): string {
  const id = escapeUntrusted(h.feedId);
  if (h.disabled)
    return `⛔ ${id} — ${say(lang, { en: 'disabled', ja: '停止中' })}${h.disabledReason ? `: ${escapeUntrusted(truncate(h.disabledReason, 80))}` : ''}`;
  const last =
    h.lastSuccessAt !== undefined
      ? `${say(lang, { en: 'last ok', ja: '最終成功' })} ${ago(h.lastSuccessAt)}`
      : say(lang, { en: 'never ok', ja: '成功なし' });
  if (h.failures > 0)
    return `⚠️ ${id} — ${say(lang, { en: `${h.failures} failures`, ja: `${h.failures}回失敗` })} — ${last}${h.lastError ? ` — ${escapeUntrusted(truncate(h.lastError, 80))}` : ''}`;
  return `✅ ${id} — ${last}`;
}
