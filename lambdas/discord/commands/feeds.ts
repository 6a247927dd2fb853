import { REQUIRED_PERMISSION, SUB } from '../command-definitions';
import { LIMITS, NO_MENTIONS, escapeUntrusted, truncate } from '../text';
import type { CommandReply } from '../interaction-reply';
import { MAX_FEEDS_PER_GUILD } from '../../store/guild-feeds';
import {
  CommandDeps,
  CommandError,
  ParsedCommand,
  incidentFor,
  requirePermission,
  stringOption,
} from './shared';
import { say } from '../../domain/i18n';
import type { Language } from '../../domain/config';

// ---- /feeds -------------------------------------------------------------------------------------

const reply = (text: string): CommandReply => ({
  data: { content: truncate(text, LIMITS.content), allowed_mentions: NO_MENTIONS },
  ephemeral: true,
});

/** A URL as shown: inert in Discord (no unfurl, no markdown). */
const shown = (url: string) => `<${url.replace(/[<>\s]/g, '')}>`;

export async function feedsCommand(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  requirePermission(cmd, REQUIRED_PERMISSION.feeds, { en: 'Manage Channels', ja: 'チャンネルの管理' });
  const guildId = cmd.guildId as string; // requirePermission refused anything outside a server
  if (cmd.sub === SUB.feedsList) return reply(await listFeeds(cmd, deps, guildId));
  if (cmd.sub === SUB.feedsRemove) {
    const id = stringOption(cmd, 'id') ?? '';
    if (!(await deps.guildFeeds.remove(guildId, id))) {
      const ids = (await deps.guildFeeds.list(guildId)).map((f) => f.id);
      throw new CommandError(
        say(lang, {
          en: `This server added no feed "${id}". Its feeds: ${ids.join(', ') || 'none'} (the config's feeds cannot be removed here).`,
          ja: `このサーバーが追加したフィード "${id}" はありません。追加済み: ${ids.join('、') || 'なし'}（設定ファイルのフィードはここでは削除できません）`,
        }),
      );
    }
    return reply(
      say(lang, {
        en: `Removed feed ${id}; the next news run no longer reads it.`,
        ja: `フィード ${id} を削除しました。次回のニュース取得から読みません。`,
      }),
    );
  }
  if (cmd.sub === SUB.feedsAdd) return addFeed(cmd, deps, guildId);
  throw new CommandError(
    say(lang, {
      en: `Unknown subcommand /feeds ${cmd.sub ?? ''}.`,
      ja: `不明なサブコマンドです: /feeds ${cmd.sub ?? ''}`,
    }),
  );
}

async function addFeed(cmd: ParsedCommand, deps: CommandDeps, guildId: string): Promise<CommandReply> {
  const lang = cmd.language;
  const url = (stringOption(cmd, 'url') ?? '').trim();
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:'))
    throw new CommandError(
      say(lang, {
        en: `url must be an http(s) address of an RSS or Atom feed (got "${url}").`,
        ja: `url は RSS/Atom フィードの http(s) アドレスです（"${url}"）。`,
      }),
    );
  const incident = stringOption(cmd, 'incident') ? incidentFor(cmd, deps.config) : undefined;
  const configured = deps.config.feeds.find((f) => f.url === url);
  if (configured)
    throw new CommandError(
      say(lang, {
        en: `${shown(url)} is already the configured feed ${configured.id}.`,
        ja: `${shown(url)} は設定済みのフィード ${configured.id} です。`,
      }),
    );
  const mine = await deps.guildFeeds.list(guildId);
  if (mine.some((f) => f.url === url))
    throw new CommandError(
      say(lang, {
        en: `This server already added ${shown(url)}.`,
        ja: `${shown(url)} はこのサーバーで追加済みです。`,
      }),
    );
  if (mine.length >= MAX_FEEDS_PER_GUILD)
    throw new CommandError(
      say(lang, {
        en: `This server already has ${MAX_FEEDS_PER_GUILD} feeds, the limit. Remove one first (/feeds remove).`,
        ja: `このサーバーのフィードは上限（${MAX_FEEDS_PER_GUILD} 件）です。先に /feeds remove で削除してください。`,
      }),
    );
  // The check fetches: up to the fetch deadline, beyond the endpoint's 3 s, so the worker does it.
  if (!deps.feedProbe) return { data: {}, ephemeral: true, deferToWorker: true };
  const check = await deps.feedProbe(url);
  if (!check.ok)
    throw new CommandError(
      say(lang, {
        en: `Not added: ${shown(url)} is not a readable RSS or Atom feed (${check.problem}).`,
        ja: `追加しませんでした: ${shown(url)} は読める RSS/Atom フィードではありません（${check.problem}）。`,
      }),
    );
  const { outcome, feed } = await deps.guildFeeds.add({
    guildId,
    url,
    ...(incident ? { incidentId: incident.id } : {}),
    ...(check.title ? { title: check.title } : {}),
    addedBy: `discord:${cmd.userId} (${cmd.userName})`,
  });
  if (outcome === 'limit')
    throw new CommandError(
      say(lang, {
        en: `This server already has ${MAX_FEEDS_PER_GUILD} feeds, the limit.`,
        ja: `フィードは上限（${MAX_FEEDS_PER_GUILD} 件）です。`,
      }),
    );
  if (outcome === 'exists')
    throw new CommandError(
      say(lang, {
        en: `This server already added ${shown(url)}.`,
        ja: `${shown(url)} はこのサーバーで追加済みです。`,
      }),
    );
  const title = check.title ? ` "${escapeUntrusted(check.title)}"` : '';
  const about = incident ? incident.id : say(lang, { en: 'every incident', ja: 'すべての事件' });
  const added = say(lang, {
    en: `Added feed ${feed.id}${title} (${check.items} items now), matched against ${about}. The next news run reads it; its current items are the baseline.`,
    ja: `フィード ${feed.id}${title} を追加しました（現在 ${check.items} 件、対象: ${about}）。次回のニュース取得から読みます。今ある記事は基準とします。`,
  });
  return reply(`${added} ${await whereNewsGoes(deps, guildId, lang)}`);
}

/**
 * Where a server's own feed posts: its channels that take news (enqueue's `guilds` target). Said
 * in the answer, since with none the feed is read and nothing is ever posted.
 */
async function whereNewsGoes(deps: CommandDeps, guildId: string, lang: Language): Promise<string> {
  const channels = (await deps.subscriptions.channelsFor('news')).filter((c) => c.guildId === guildId);
  if (channels.length) {
    const list = channels.map((c) => `<#${c.channelId}>`).join(' ');
    return say(lang, { en: `New items are posted in ${list}.`, ja: `新しい記事は ${list} に投稿します。` });
  }
  return say(lang, {
    en: 'No channel of this server takes news yet, so nothing will be posted: run /alerts subscribe kind:news in one (a channel from the config file needs its guildId).',
    ja: 'このサーバーにはニュースを受け取るチャンネルがまだないため、何も投稿されません。チャンネルで /alerts subscribe kind:news を実行してください（設定ファイルのチャンネルには guildId が必要です）。',
  });
}

async function listFeeds(cmd: ParsedCommand, deps: CommandDeps, guildId: string): Promise<string> {
  const lang = cmd.language;
  const { config } = deps;
  const readers = (id: string) => config.incidents.filter((i) => i.feeds.includes(id)).map((i) => i.id);
  const fromConfig = config.feeds.map(
    (f) =>
      `• ${f.id} ${shown(f.url)} (${readers(f.id).join(', ') || say(lang, { en: 'no incident reads it', ja: '読む事件なし' })})`,
  );
  const stored = (await deps.guildFeeds.list(guildId)).map(
    (f) =>
      `• ${f.id} ${shown(f.url)}${f.title ? ` "${escapeUntrusted(f.title)}"` : ''} (${f.incidentId ?? say(lang, { en: 'every incident', ja: 'すべての事件' })})`,
  );
  return [
    `${say(lang, { en: 'From the config', ja: '設定ファイル' })}:`,
    ...(fromConfig.length ? fromConfig : [say(lang, { en: '(none)', ja: '（なし）' })]),
    `${say(lang, { en: `Added in this server (${stored.length}/${MAX_FEEDS_PER_GUILD})`, ja: `このサーバーで追加（${stored.length}/${MAX_FEEDS_PER_GUILD}）` })}:`,
    ...(stored.length ? stored : [say(lang, { en: '(none)', ja: '（なし）' })]),
  ].join('\n');
}
