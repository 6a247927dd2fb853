import { say } from '../../domain/i18n';
import type { APIEmbed } from 'discord-api-types/v10';
import { LIMITS, NO_MENTIONS, escapeUntrusted, truncate } from '../text';
import { formatTime } from '../../domain/format';
import type { CommandReply } from '../interaction-reply';
import { COLOR, CommandDeps, CommandError, ParsedCommand, incidentFor, numberOption } from './shared';
import { itemVisibleIn } from '../../store/guild-feeds';

/** Extra items read so that other servers' feed items, filtered out, rarely leave /news short. */
const NEWS_READ_MARGIN = 20;

// ---- /news --------------------------------------------------------------------------------------

export async function newsCommand(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  const incident = incidentFor(cmd, deps.config);
  const count = numberOption(cmd, 'count') ?? 5;
  if (!Number.isInteger(count) || count < 1 || count > 10)
    throw new CommandError(
      say(lang, {
        en: `count must be a whole number from 1 to 10 (got ${count}).`,
        ja: `件数は 1〜10 の整数です（${count}）。`,
      }),
    );
  // Other servers' own feeds (/feeds add) are theirs: read a margin, keep what this server may see.
  const [stored, guildFeeds] = await Promise.all([
    deps.news.latestItems(incident.id, count + NEWS_READ_MARGIN),
    cmd.guildId ? deps.guildFeeds.list(cmd.guildId) : Promise.resolve([]),
  ]);
  const guildFeedIds = guildFeeds.map((f) => f.id);
  const items = stored
    .filter((i) => itemVisibleIn(i.feedId, guildFeedIds, deps.config.feeds))
    .slice(0, count);
  if (!items.length)
    return {
      data: {
        content: say(lang, {
          en: `No news matched ${incident.id} yet.`,
          ja: `${incident.id} に該当するニュースはまだありません。`,
        }),
        allowed_mentions: NO_MENTIONS,
      },
      ephemeral: false,
    };
  const lines = items.map((item) => {
    const title = truncate(escapeUntrusted(item.title), 200);
    const when = item.publishedAt !== undefined ? ` — ${formatTime(item.publishedAt, lang)}` : '';
    const link = item.link ? `\n  <${item.link.replace(/[<>\s]/g, '')}>` : '';
    return `• **${title}** (${escapeUntrusted(item.feedId)})${when}${link}`;
  });
  const embed: APIEmbed = {
    title: truncate(
      say(lang, { en: `Latest news: ${incident.name.en}`, ja: `最新ニュース: ${incident.name.ja}` }),
      LIMITS.embedTitle,
    ),
    color: COLOR.info,
    description: truncate(lines.join('\n'), LIMITS.embedDescription),
  };
  return { data: { embeds: [embed], allowed_mentions: NO_MENTIONS }, ephemeral: false };
}
