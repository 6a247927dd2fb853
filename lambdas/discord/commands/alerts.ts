import { say } from '../../domain/i18n';
import { REQUIRED_PERMISSION, SUB } from '../command-definitions';
import type { Config, Language, MessageKind } from '../../domain/config';
import { LIMITS, NO_MENTIONS, truncate } from '../text';
import type { CommandReply } from '../interaction-reply';
import type { Subscription } from '../../domain/subscription';
import { mentionRoleProblem } from '../../domain/mentions';
import {
  chooseSeries,
  channelPriceRules,
  ownRules,
  removeRule,
  stopMention,
  subscribe,
  unsubscribe,
  usesDefaultRules,
} from '../../domain/channel-rules';
import {
  BELOW_REF,
  MAX_CUSTOM_RULES,
  MAX_LEVEL_PRICE,
  isLevelRuleId,
  levelRuleId,
  levelRuleProblems,
  dropRuleId,
  DROP_RULE_BOUNDS,
  riseRuleId,
  ruleIdsFor,
  rulesInUse,
} from '../../domain/rule-ids';
import {
  CommandDeps,
  CommandError,
  DEFAULT_GUILD_SUBSCRIPTION_CAP,
  MAX_PRICE_RULES_PER_CHANNEL,
  ParsedCommand,
  booleanOption,
  numberOption,
  requirePermission,
  stringOption,
} from './shared';
// ---- /alerts ------------------------------------------------------------------------------------

const { percentAbove, percentBelow, minWindowMinutes, maxWindowMinutes } = DROP_RULE_BOUNDS;

function describeSubscription(sub: Subscription | undefined, config: Config, lang: Language): string {
  if (!sub || !sub.kinds.length)
    return say(lang, {
      en: 'This channel receives no alerts.',
      ja: 'このチャンネルは通知を受け取っていません。',
    });
  const rules = sub.kinds.includes('price')
    ? `\n${say(lang, { en: 'Price rules', ja: '価格ルール' })}: ${channelPriceRules(sub, ruleIdsFor(config.rules)).join(', ')}${usesDefaultRules(sub) ? say(lang, { en: ' (defaults)', ja: '（既定）' }) : ''}`
    : '';
  const language = sub.language ?? config.language;
  // Shown as <@&id>: the reply's allowed_mentions is empty, so it names the role without pinging it.
  const mention = sub.mentionRole
    ? `\n${say(lang, { en: 'Mentions', ja: 'メンション' })}: <@&${sub.mentionRole.roleId}> (${sub.mentionRole.kinds.join(', ')})`
    : '';
  return `${say(lang, { en: 'This channel receives', ja: 'このチャンネルの通知' })}: ${sub.kinds.join(', ')}${rules}${mention}\n${say(lang, { en: 'Language', ja: '言語' })}: ${language}`;
}

/** The level rule ids of above/below, in the one series they are priced in. */
function levelRules(
  cmd: ParsedCommand,
  config: Config,
  above: number | undefined,
  below: number | undefined,
  seriesRaw: string | undefined,
): string[] {
  const lang = cmd.language;
  const asked = [
    ['above', above],
    ['below', below],
  ] as const;
  if (above === undefined && below === undefined) {
    if (seriesRaw !== undefined)
      throw new CommandError(
        say(lang, { en: 'series needs above or below.', ja: 'series には above か below が必要です。' }),
      );
    return [];
  }
  const choice = chooseSeries(
    config.sources.map((s) => s.symbol),
    seriesRaw,
  );
  if ('unknown' in choice)
    throw new CommandError(
      say(lang, {
        en: `series: no configured series is "${seriesRaw ?? ''}". Series: ${choice.series.join(', ') || 'none'}.`,
        ja: `series: "${seriesRaw ?? ''}" という設定済みのシリーズはありません。シリーズ: ${choice.series.join('、') || 'なし'}`,
      }),
    );
  if ('ambiguous' in choice)
    throw new CommandError(
      say(lang, {
        en: `Which series is the price in? Several are watched: ${choice.series.join(', ')}. Add series, e.g. series:${choice.series[0] ?? ''}.`,
        ja: `どのシリーズの価格ですか？ 複数あります: ${choice.series.join('、')}。series を指定してください（例: series:${choice.series[0] ?? ''}）。`,
      }),
    );
  const ids: string[] = [];
  for (const [direction, price] of asked) {
    if (price === undefined) continue;
    const rule = { direction, price, symbol: choice.symbol };
    if (levelRuleProblems(rule).length)
      throw new CommandError(
        say(lang, {
          en: `${direction} must be a price above 0 and at most ${MAX_LEVEL_PRICE} (got ${price}).`,
          ja: `${direction} は 0 より大きく ${MAX_LEVEL_PRICE} 以下の価格です（${price}）。`,
        }),
      );
    ids.push(levelRuleId(rule));
  }
  return ids;
}

export async function alertsCommand(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  requirePermission(cmd, REQUIRED_PERMISSION.alerts, { en: 'Manage Channels', ja: 'チャンネルの管理' });
  const channelId = cmd.channelId;
  const guildId = cmd.guildId;
  if (!channelId || !guildId)
    throw new CommandError(
      say(lang, { en: 'No channel in this interaction.', ja: 'チャンネルが特定できません。' }),
    );
  const existing = await deps.subscriptions.get(channelId);
  const defaults = ruleIdsFor(deps.config.rules);
  const reply = (text: string): CommandReply => ({
    data: { content: truncate(text, LIMITS.content), allowed_mentions: NO_MENTIONS },
    ephemeral: true,
  });

  if (cmd.sub === SUB.alertsList) return reply(describeSubscription(existing, deps.config, lang));

  const kindRaw = stringOption(cmd, 'kind');
  const kinds: readonly string[] = ['price', 'news', 'refund', 'chain'];
  if (cmd.sub === SUB.alertsSubscribe) {
    if (!kindRaw || !kinds.includes(kindRaw))
      throw new CommandError(
        say(lang, {
          en: `kind must be one of price, news, refund, chain (got "${kindRaw ?? ''}").`,
          ja: `種類は price、news、refund、chain のいずれかです（"${kindRaw ?? ''}"）。`,
        }),
      );
    const kind = kindRaw as MessageKind;
    const percent = numberOption(cmd, 'drop_percent');
    const risePercent = numberOption(cmd, 'rise_percent');
    const windowMinutes = numberOption(cmd, 'window_minutes');
    const belowRef = booleanOption(cmd, 'below_reference');
    const above = numberOption(cmd, 'above');
    const below = numberOption(cmd, 'below');
    const seriesRaw = stringOption(cmd, 'series');
    const languageRaw = stringOption(cmd, 'language');
    const roleId = stringOption(cmd, 'mention_role');
    const roleProblem = roleId !== undefined ? mentionRoleProblem(roleId, guildId) : undefined;
    if (roleProblem)
      throw new CommandError(
        say(lang, {
          en: `mention_role: ${roleProblem}.`,
          ja: `mention_role: ${roleProblem}（このロールは指定できません）。`,
        }),
      );
    if (languageRaw && languageRaw !== 'en' && languageRaw !== 'ja')
      throw new CommandError(`language must be en or ja (got "${languageRaw}").`);
    if (
      kind !== 'price' &&
      [percent, risePercent, windowMinutes, belowRef, above, below, seriesRaw].some((v) => v !== undefined)
    )
      throw new CommandError(
        say(lang, {
          en: 'drop_percent, rise_percent, window_minutes, below_reference, above, below and series apply to kind price only.',
          ja: 'drop_percent・rise_percent・window_minutes・below_reference・above・below・series は種類 price でのみ使えます。',
        }),
      );
    for (const [name, value] of [
      ['drop_percent', percent],
      ['rise_percent', risePercent],
    ] as const) {
      if (value !== undefined && !(value > percentAbove && value < percentBelow))
        throw new CommandError(
          say(lang, {
            en: `${name} must be above ${percentAbove} and below ${percentBelow} (got ${value}).`,
            ja: `${name} は ${percentAbove} より大きく ${percentBelow} 未満で指定してください（${value}）。`,
          }),
        );
    }
    if (windowMinutes !== undefined && percent === undefined && risePercent === undefined)
      throw new CommandError(
        say(lang, {
          en: 'window_minutes needs drop_percent or rise_percent.',
          ja: 'window_minutes には drop_percent か rise_percent が必要です。',
        }),
      );
    if (
      windowMinutes !== undefined &&
      !(
        Number.isInteger(windowMinutes) &&
        windowMinutes >= minWindowMinutes &&
        windowMinutes <= maxWindowMinutes
      )
    )
      throw new CommandError(
        say(lang, {
          en: `window_minutes must be a whole number from ${minWindowMinutes} to ${maxWindowMinutes} (got ${windowMinutes}).`,
          ja: `期間（分）は ${minWindowMinutes}〜${maxWindowMinutes} の整数です（${windowMinutes}）。`,
        }),
      );

    const cap = deps.guildSubscriptionCap ?? DEFAULT_GUILD_SUBSCRIPTION_CAP;
    const alreadyCounted = existing?.guildId === guildId && existing.kinds.length > 0;
    if (!alreadyCounted && (await deps.subscriptions.countInGuild(guildId)) >= cap)
      throw new CommandError(
        say(lang, {
          en: `This server already has ${cap} subscribed channels, the limit. Unsubscribe one first.`,
          ja: `このサーバーの登録チャンネル数が上限（${cap}）に達しています。先にどれかを解除してください。`,
        }),
      );

    const newRules: string[] = [];
    if (percent !== undefined) newRules.push(dropRuleId({ percent, windowMinutes: windowMinutes ?? 60 }));
    if (risePercent !== undefined)
      newRules.push(riseRuleId({ percent: risePercent, windowMinutes: windowMinutes ?? 60 }));
    if (belowRef) newRules.push(BELOW_REF);
    newRules.push(...levelRules(cmd, deps.config, above, below, seriesRaw));
    const language =
      (languageRaw as Language | undefined) ??
      existing?.language ??
      (cmd.guildLocale ? (cmd.guildLocale.startsWith('ja') ? 'ja' : 'en') : undefined);
    const next = subscribe(
      existing,
      {
        channelId,
        guildId,
        kind,
        addRules: newRules,
        ...(language ? { language } : {}),
        ...(roleId ? { roleId } : {}),
      },
      defaults,
    );
    if (channelPriceRules(next, defaults).length > MAX_PRICE_RULES_PER_CHANNEL)
      throw new CommandError(
        say(lang, {
          en: `A channel may have at most ${MAX_PRICE_RULES_PER_CHANNEL} price rules.`,
          ja: `価格ルールは 1 チャンネル ${MAX_PRICE_RULES_PER_CHANNEL} 件までです。`,
        }),
      );
    await deps.subscriptions.put(next);
    const own = ownRules(newRules, defaults);
    let note = '';
    if (own.length) {
      // The price job evaluates at most MAX_CUSTOM_RULES channel rules; ask it the same way it decides.
      const capped = new Set(rulesInUse(deps.config.rules, await deps.subscriptions.all()).capped);
      const waiting = own.filter((r) => capped.has(r));
      const checked = own.filter((r) => !capped.has(r));
      if (checked.length)
        note += `\n${say(lang, { en: `${checked.join(', ')}: checked for this channel from the next price poll.`, ja: `${checked.join('、')}: 次回の価格チェックからこのチャンネル向けに評価します。` })}`;
      if (own.some(isLevelRuleId))
        note += `\n${say(lang, { en: 'A level alert fires when the price crosses the level; a price already beyond it waits until it comes back and crosses again.', ja: '価格アラートは価格が設定価格をまたいだときに通知します。すでに超えている場合は、一度戻ってから再びまたいだときに通知します。' })}`;
      if (waiting.length)
        note += `\n${say(lang, { en: `Note: the bot checks at most ${MAX_CUSTOM_RULES} channel rules in all and has that many already; ${waiting.join(', ')} is stored and checked once fewer are in use.`, ja: `注意: チャンネル独自のルールは全体で ${MAX_CUSTOM_RULES} 件までで、すでに上限です。${waiting.join('、')} は保存され、空きができると評価されます。` })}`;
    }
    return reply(
      `${say(lang, { en: 'Subscribed.', ja: '登録しました。' })}\n${describeSubscription(next, deps.config, lang)}${note}`,
    );
  }

  if (cmd.sub === SUB.alertsUnsubscribe) {
    if (!kindRaw || ![...kinds, 'all'].includes(kindRaw))
      throw new CommandError(
        say(lang, {
          en: `kind must be one of price, news, refund, chain, all (got "${kindRaw ?? ''}").`,
          ja: `種類は price、news、refund、chain、all のいずれかです（"${kindRaw ?? ''}"）。`,
        }),
      );
    if (!existing || !existing.kinds.length)
      throw new CommandError(describeSubscription(undefined, deps.config, lang));
    const rule = stringOption(cmd, 'rule');
    const mentionOnly = booleanOption(cmd, 'mention_only') === true;
    let next: Subscription;
    if (mentionOnly) {
      if (rule)
        throw new CommandError(
          say(lang, {
            en: 'Use rule or mention_only, not both.',
            ja: 'rule と mention_only は同時に使えません。',
          }),
        );
      next = stopMention(existing, kindRaw as MessageKind | 'all', guildId);
    } else if (rule) {
      if (kindRaw !== 'price')
        throw new CommandError(
          say(lang, { en: 'rule applies to kind price only.', ja: 'rule は種類 price でのみ使えます。' }),
        );
      const result = removeRule(existing, rule, defaults, guildId);
      if (!result.removed)
        throw new CommandError(
          say(lang, {
            en: `This channel has no price rule "${rule}". It has: ${result.has.join(', ')}.`,
            ja: `このチャンネルに価格ルール "${rule}" はありません。現在: ${result.has.join(', ')}`,
          }),
        );
      next = result.subscription;
    } else {
      next = unsubscribe(existing, kindRaw as MessageKind | 'all', guildId);
    }
    await deps.subscriptions.put(next);
    return reply(
      `${say(lang, { en: 'Updated.', ja: '更新しました。' })}\n${describeSubscription(next, deps.config, lang)}`,
    );
  }
  throw new CommandError(
    say(lang, {
      en: `Unknown subcommand /alerts ${cmd.sub ?? ''}.`,
      ja: `不明なサブコマンドです: /alerts ${cmd.sub ?? ''}`,
    }),
  );
}
