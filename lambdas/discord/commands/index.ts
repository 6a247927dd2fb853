import type { APIEmbed, APIEmbedField } from 'discord-api-types/v10';
import type { JobRuns } from '../../store/job-runs';
import type { FeedHealth, NewsRepo } from '../../store/news-repo';
import type { Outbox } from '../../store/outbox';
import type { PriceRepo, SourceHealth } from '../../store/price-repo';
import type { RefundRepo } from '../../store/refund-repo';
import type { Subscriptions } from '../../store/subscriptions';
import { renderPriceChart } from '../../domain/chart';
import { DAY, HOUR, MINUTE, type Clock } from '../../domain/clock';
import { COMMAND, PRICE_RANGES, REQUIRED_PERMISSION, SUB, type PriceRange } from '../command-definitions';
import type { Config, IncidentConfig, Language, MessageKind } from '../../domain/config';
import { splitSymbol, type ConsensusPoint } from '../../domain/consensus';
import { LIMITS, NO_MENTIONS, escapeUntrusted, truncate } from '../text';
import { formatList, formatNumber, formatPercent, formatPrice, formatTime } from '../../domain/format';
import type { CommandReply, ReplyFile } from '../interaction-reply';
import type { Logger } from '../../domain/log';
import type { Subscription } from '../../domain/messages';
import { REFUND_STAGES, isRefundStage, stageLabel } from '../../domain/refund';
import { BELOW_REF, MAX_CUSTOM_RULES, dropRuleId, ruleIdsFor, rulesInUse } from '../../domain/rules';

/** A slash command as the handler parsed it from the interaction. */
export interface ParsedCommand {
  name: string;
  /** Subcommand name, when the command has subcommands. */
  sub?: string;
  options: Map<string, string | number | boolean>;
  language: Language;
  guildId?: string;
  guildLocale?: string;
  channelId?: string;
  userId: string;
  userName: string;
  /** member.permissions as bits; undefined outside a guild. */
  permissions?: bigint;
}

export interface CommandDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  prices: PriceRepo;
  news: NewsRepo;
  refunds: RefundRepo;
  subscriptions: Subscriptions;
  outbox: Outbox;
  jobRuns: JobRuns;
  /** Most channels one guild may subscribe with /alerts (default 25). */
  guildSubscriptionCap?: number;
}

/** Bad input or a refused action: shown to the caller only, as is. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

export const DEFAULT_GUILD_SUBSCRIPTION_CAP = 25;
export const MAX_PRICE_RULES_PER_CHANNEL = 10;
const MAX_WINDOW_MINUTES = 30 * 24 * 60;
const RANGE_MS: Record<PriceRange, number> = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY };
const COLOR = { info: 0x5865f2, refund: 0x57f287, warn: 0xf0b232 };

/** Answers seen only by the caller: admin commands, /status, errors. The rest is posted in the channel. */
export function isEphemeralCommand(name: string, sub?: string): boolean {
  return (
    name === COMMAND.alerts ||
    name === COMMAND.status ||
    (name === COMMAND.refund && sub === SUB.refundSetStage)
  );
}

const say = (language: Language, en: string, ja: string) => (language === 'ja' ? ja : en);

export function errorReply(message: string): CommandReply {
  return {
    data: { content: truncate(message, LIMITS.content), allowed_mentions: NO_MENTIONS },
    ephemeral: true,
  };
}

/** Run one parsed command against stored state. CommandError becomes an ephemeral error reply. */
export async function runCommand(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  try {
    switch (cmd.name) {
      case COMMAND.price:
        return await priceCommand(cmd, deps);
      case COMMAND.refund:
        if (cmd.sub === SUB.refundShow) return await refundShow(cmd, deps);
        if (cmd.sub === SUB.refundCalc) return await refundCalc(cmd, deps);
        if (cmd.sub === SUB.refundSetStage) return await refundSetStage(cmd, deps);
        break;
      case COMMAND.news:
        return await newsCommand(cmd, deps);
      case COMMAND.alerts:
        return await alertsCommand(cmd, deps);
      case COMMAND.status:
        return await statusCommand(cmd, deps);
    }
    const full = cmd.sub ? `/${cmd.name} ${cmd.sub}` : `/${cmd.name}`;
    return errorReply(say(cmd.language, `Unknown command ${full}.`, `不明なコマンドです: ${full}`));
  } catch (err) {
    if (err instanceof CommandError) return errorReply(err.message);
    throw err;
  }
}

// ---- option helpers ---------------------------------------------------------------------------

function stringOption(cmd: ParsedCommand, name: string): string | undefined {
  const v = cmd.options.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new CommandError(`Option ${name} must be text, got ${String(v)}.`);
  const trimmed = v.trim();
  return trimmed === '' ? undefined : trimmed;
}

function numberOption(cmd: ParsedCommand, name: string): number | undefined {
  const v = cmd.options.get(name);
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n))
    throw new CommandError(
      say(
        cmd.language,
        `Option ${name} must be a number, got "${String(v)}".`,
        `${name} は数値で指定してください（"${String(v)}"）。`,
      ),
    );
  return n;
}

function booleanOption(cmd: ParsedCommand, name: string): boolean | undefined {
  const v = cmd.options.get(name);
  if (v === undefined) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new CommandError(`Option ${name} must be true or false, got "${String(v)}".`);
}

function incidentFor(cmd: ParsedCommand, config: Config): IncidentConfig {
  const id = stringOption(cmd, 'incident');
  const incident = id ? config.incidents.find((i) => i.id === id.toLowerCase()) : config.incidents[0];
  if (incident) return incident;
  const known = config.incidents.map((i) => i.id).join(', ') || '(none configured)';
  throw new CommandError(
    id
      ? say(
          cmd.language,
          `Unknown incident "${id}". Known: ${known}.`,
          `事件 "${id}" はありません。登録済み: ${known}`,
        )
      : say(cmd.language, 'No incident is configured.', '事件が設定されていません。'),
  );
}

function requirePermission(cmd: ParsedCommand, bit: bigint, what: { en: string; ja: string }): void {
  if (!cmd.guildId || cmd.permissions === undefined)
    throw new CommandError(
      say(cmd.language, 'This command works in a server only.', 'このコマンドはサーバー内でのみ使えます。'),
    );
  const perms = cmd.permissions;
  const admin = REQUIRED_PERMISSION.refundSetStage;
  if ((perms & bit) !== bit && (perms & admin) !== admin)
    throw new CommandError(
      say(
        cmd.language,
        `You need the ${what.en} permission for this.`,
        `この操作には「${what.ja}」権限が必要です。`,
      ),
    );
}

function ageNote(at: number, deps: CommandDeps, language: Language): string {
  const stale = deps.clock.now() - at > deps.config.rules.maxQuoteAgeSeconds * 1000;
  const when = formatTime(at, language);
  return stale ? say(language, `${when} (stale)`, `${when}（古いデータ）`) : when;
}

// ---- /price -------------------------------------------------------------------------------------

async function priceCommand(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const { config, clock } = deps;
  const lang = cmd.language;
  const incident = config.incidents[0];
  const asset = (
    stringOption(cmd, 'asset') ??
    incident?.asset ??
    splitSymbol(config.sources[0]?.symbol ?? 'XEM/JPY').base
  ).toUpperCase();
  const sources = config.sources.filter((s) => splitSymbol(s.symbol).base === asset);
  if (!sources.length) {
    const assets = [...new Set(config.sources.map((s) => splitSymbol(s.symbol).base))].join(', ');
    throw new CommandError(
      say(
        lang,
        `No price source for ${asset}. Watched: ${assets}.`,
        `${asset} の価格ソースはありません。対象: ${assets}`,
      ),
    );
  }
  const venue = stringOption(cmd, 'venue')?.toLowerCase();
  if (venue && !sources.some((s) => s.exchange === venue)) {
    const venues = sources.map((s) => s.exchange).join(', ');
    throw new CommandError(
      say(
        lang,
        `${asset} is not watched on "${venue}". Venues: ${venues}.`,
        `${asset} は "${venue}" では監視していません。取引所: ${venues}`,
      ),
    );
  }
  const rangeRaw = stringOption(cmd, 'range') ?? '24h';
  if (!(PRICE_RANGES as readonly string[]).includes(rangeRaw))
    throw new CommandError(
      say(
        lang,
        `range must be one of ${PRICE_RANGES.join(', ')} (got "${rangeRaw}").`,
        `期間は ${PRICE_RANGES.join('、')} のいずれかです（"${rangeRaw}"）。`,
      ),
    );
  const range = rangeRaw as PriceRange;

  const symbols = [...new Set(sources.filter((s) => !venue || s.exchange === venue).map((s) => s.symbol))];
  const refCurrency = incident?.asset === asset ? incident.refund.currency : undefined;
  const primary = symbols.find((s) => splitSymbol(s).quote === refCurrency) ?? symbols[0] ?? '';
  const now = clock.now();

  const fields: APIEmbedField[] = [];
  const daySeries = new Map<string, ConsensusPoint[]>();
  let latestAt: number | undefined;
  for (const symbol of symbols) {
    const { quote } = splitSymbol(symbol);
    const [latest, quotes, day] = await Promise.all([
      deps.prices.latestConsensus(symbol),
      deps.prices.latestQuotes(symbol),
      deps.prices.consensusSeries(symbol, now - DAY, now),
    ]);
    daySeries.set(symbol, day);
    const lines: string[] = [];
    if (latest) {
      latestAt = Math.max(latestAt ?? 0, latest.at);
      lines.push(
        `${say(lang, 'Consensus', '合意価格')}: **${formatPrice(latest.price, quote, lang)}** (${formatList(latest.venues, lang)})`,
      );
      const first = day[0];
      if (first && first.at < latest.at) {
        lines.push(
          `${say(lang, '24 h change', '24時間変化')}: ${formatPercent(((latest.price - first.price) / first.price) * 100, lang)}`,
        );
      }
      const ref = config.rules.referencePrices[quote];
      if (ref !== undefined) {
        lines.push(
          `${say(lang, 'vs refund price', '返金価格比')} ${formatPrice(ref, quote, lang)}: ${formatPercent(((latest.price - ref) / ref) * 100, lang)}`,
        );
      }
      lines.push(`${say(lang, 'Updated', '更新')}: ${ageNote(latest.at, deps, lang)}`);
    } else {
      lines.push(say(lang, 'No consensus price stored yet.', '合意価格はまだありません。'));
    }
    for (const q of quotes
      .filter((q) => !venue || q.exchange === venue)
      .sort((a, b) => a.exchange.localeCompare(b.exchange))) {
      lines.push(
        `• ${q.exchange}: ${formatPrice(q.price, quote, lang)} — ${ageNote(q.timestamp, deps, lang)}`,
      );
    }
    if (venue && !quotes.some((q) => q.exchange === venue))
      lines.push(say(lang, `• ${venue}: no quote stored yet`, `• ${venue}: 価格はまだありません`));
    fields.push({ name: symbol, value: truncate(lines.join('\n'), LIMITS.fieldValue) });
  }

  const from = now - RANGE_MS[range];
  // The 24 h chart is the series already read for the 24 h change.
  const series: ConsensusPoint[] = !primary
    ? []
    : range === '24h'
      ? (daySeries.get(primary) ?? [])
      : await deps.prices.consensusSeries(primary, from, now);
  const { quote: primaryQuote } = splitSymbol(primary || `${asset}/?`);
  const ref = config.rules.referencePrices[primaryQuote];
  const chart: ReplyFile = {
    name: 'chart.png',
    contentType: 'image/png',
    data: renderPriceChart({
      title: `${primary} ${range} ${lang === 'ja' ? '(JST)' : '(UTC)'}`,
      points: series.map((p) => ({ at: p.at, price: p.price })),
      fromMs: from,
      toMs: now,
      ...(ref !== undefined ? { reference: { price: ref, label: `REFUND ${formatNumber(ref, lang)}` } } : {}),
      utcOffsetMinutes: lang === 'ja' ? 540 : 0,
    }),
  };
  const embed: APIEmbed = {
    title: say(lang, `${asset} price`, `${asset} の価格`),
    color: COLOR.info,
    fields,
    footer: {
      text: say(
        lang,
        `Chart: ${primary} consensus, ${range}${venue ? ' (all venues)' : ''}`,
        `チャート: ${primary} 合意価格・${range}${venue ? '（全取引所）' : ''}`,
      ),
    },
    ...(latestAt ? { timestamp: new Date(latestAt).toISOString() } : {}),
  };
  return { data: { embeds: [embed], allowed_mentions: NO_MENTIONS }, ephemeral: false, files: [chart] };
}

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

async function refundShow(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
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

async function refundCalc(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
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

async function refundSetStage(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
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

// ---- /news --------------------------------------------------------------------------------------

async function newsCommand(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  const incident = incidentFor(cmd, deps.config);
  const count = numberOption(cmd, 'count') ?? 5;
  if (!Number.isInteger(count) || count < 1 || count > 10)
    throw new CommandError(
      say(
        lang,
        `count must be a whole number from 1 to 10 (got ${count}).`,
        `件数は 1〜10 の整数です（${count}）。`,
      ),
    );
  const items = await deps.news.latestItems(incident.id, count);
  if (!items.length)
    return {
      data: {
        content: say(
          lang,
          `No news matched ${incident.id} yet.`,
          `${incident.id} に該当するニュースはまだありません。`,
        ),
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
      say(lang, `Latest news: ${incident.name.en}`, `最新ニュース: ${incident.name.ja}`),
      LIMITS.embedTitle,
    ),
    color: COLOR.info,
    description: truncate(lines.join('\n'), LIMITS.embedDescription),
  };
  return { data: { embeds: [embed], allowed_mentions: NO_MENTIONS }, ephemeral: false };
}

// ---- /alerts ------------------------------------------------------------------------------------

function describeSubscription(sub: Subscription | undefined, config: Config, lang: Language): string {
  if (!sub || !sub.kinds.length)
    return say(lang, 'This channel receives no alerts.', 'このチャンネルは通知を受け取っていません。');
  const rules = sub.kinds.includes('price')
    ? `\n${say(lang, 'Price rules', '価格ルール')}: ${(sub.priceRules ?? ruleIdsFor(config.rules)).join(', ')}${sub.priceRules ? '' : say(lang, ' (defaults)', '（既定）')}`
    : '';
  const language = sub.language ?? config.language;
  return `${say(lang, 'This channel receives', 'このチャンネルの通知')}: ${sub.kinds.join(', ')}${rules}\n${say(lang, 'Language', '言語')}: ${language}`;
}

async function alertsCommand(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  requirePermission(cmd, REQUIRED_PERMISSION.alerts, { en: 'Manage Channels', ja: 'チャンネルの管理' });
  const channelId = cmd.channelId;
  const guildId = cmd.guildId;
  if (!channelId || !guildId)
    throw new CommandError(say(lang, 'No channel in this interaction.', 'チャンネルが特定できません。'));
  const existing = await deps.subscriptions.get(channelId);
  const reply = (text: string): CommandReply => ({
    data: { content: truncate(text, LIMITS.content), allowed_mentions: NO_MENTIONS },
    ephemeral: true,
  });

  if (cmd.sub === SUB.alertsList) return reply(describeSubscription(existing, deps.config, lang));

  const kindRaw = stringOption(cmd, 'kind');
  const kinds: readonly string[] = ['price', 'news', 'refund'];
  if (cmd.sub === SUB.alertsSubscribe) {
    if (!kindRaw || !kinds.includes(kindRaw))
      throw new CommandError(
        say(
          lang,
          `kind must be one of price, news, refund (got "${kindRaw ?? ''}").`,
          `種類は price、news、refund のいずれかです（"${kindRaw ?? ''}"）。`,
        ),
      );
    const kind = kindRaw as MessageKind;
    const percent = numberOption(cmd, 'drop_percent');
    const windowMinutes = numberOption(cmd, 'window_minutes');
    const belowRef = booleanOption(cmd, 'below_reference');
    const languageRaw = stringOption(cmd, 'language');
    if (languageRaw && languageRaw !== 'en' && languageRaw !== 'ja')
      throw new CommandError(`language must be en or ja (got "${languageRaw}").`);
    if (kind !== 'price' && (percent !== undefined || windowMinutes !== undefined || belowRef !== undefined))
      throw new CommandError(
        say(
          lang,
          'drop_percent, window_minutes and below_reference apply to kind price only.',
          'drop_percent・window_minutes・below_reference は種類 price でのみ使えます。',
        ),
      );
    if (percent !== undefined && !(percent > 0 && percent < 100))
      throw new CommandError(
        say(
          lang,
          `drop_percent must be above 0 and below 100 (got ${percent}).`,
          `下落率は 0 より大きく 100 未満で指定してください（${percent}）。`,
        ),
      );
    if (windowMinutes !== undefined && percent === undefined)
      throw new CommandError(
        say(lang, 'window_minutes needs drop_percent.', 'window_minutes には drop_percent が必要です。'),
      );
    if (
      windowMinutes !== undefined &&
      !(Number.isInteger(windowMinutes) && windowMinutes >= 1 && windowMinutes <= MAX_WINDOW_MINUTES)
    )
      throw new CommandError(
        say(
          lang,
          `window_minutes must be a whole number from 1 to ${MAX_WINDOW_MINUTES} (got ${windowMinutes}).`,
          `期間（分）は 1〜${MAX_WINDOW_MINUTES} の整数です（${windowMinutes}）。`,
        ),
      );

    const cap = deps.guildSubscriptionCap ?? DEFAULT_GUILD_SUBSCRIPTION_CAP;
    const alreadyCounted = existing?.guildId === guildId && existing.kinds.length > 0;
    if (!alreadyCounted && (await deps.subscriptions.countInGuild(guildId)) >= cap)
      throw new CommandError(
        say(
          lang,
          `This server already has ${cap} subscribed channels, the limit. Unsubscribe one first.`,
          `このサーバーの登録チャンネル数が上限（${cap}）に達しています。先にどれかを解除してください。`,
        ),
      );

    const newRules: string[] = [];
    if (percent !== undefined) newRules.push(dropRuleId({ percent, windowMinutes: windowMinutes ?? 60 }));
    if (belowRef) newRules.push(BELOW_REF);
    let priceRules = existing?.priceRules;
    if (newRules.length) priceRules = [...new Set([...(priceRules ?? []), ...newRules])];
    if (priceRules && priceRules.length > MAX_PRICE_RULES_PER_CHANNEL)
      throw new CommandError(
        say(
          lang,
          `A channel may have at most ${MAX_PRICE_RULES_PER_CHANNEL} price rules.`,
          `価格ルールは 1 チャンネル ${MAX_PRICE_RULES_PER_CHANNEL} 件までです。`,
        ),
      );
    const language =
      (languageRaw as Language | undefined) ??
      existing?.language ??
      (cmd.guildLocale ? (cmd.guildLocale.startsWith('ja') ? 'ja' : 'en') : undefined);
    const next: Subscription = {
      channelId,
      guildId,
      kinds: [...new Set([...(existing?.kinds ?? []), kind])],
      ...(language ? { language } : {}),
      ...(priceRules ? { priceRules } : {}),
    };
    await deps.subscriptions.put(next);
    const defaults = new Set(ruleIdsFor(deps.config.rules));
    const own = newRules.filter((r) => !defaults.has(r));
    let note = '';
    if (own.length) {
      // The price job evaluates at most MAX_CUSTOM_RULES channel rules; ask it the same way it decides.
      const capped = new Set(rulesInUse(deps.config.rules, await deps.subscriptions.all()).capped);
      const waiting = own.filter((r) => capped.has(r));
      const checked = own.filter((r) => !capped.has(r));
      if (checked.length)
        note += `\n${say(lang, `${checked.join(', ')}: checked for this channel from the next price poll.`, `${checked.join('、')}: 次回の価格チェックからこのチャンネル向けに評価します。`)}`;
      if (waiting.length)
        note += `\n${say(lang, `Note: the bot checks at most ${MAX_CUSTOM_RULES} channel rules in all and has that many already; ${waiting.join(', ')} is stored and checked once fewer are in use.`, `注意: チャンネル独自のルールは全体で ${MAX_CUSTOM_RULES} 件までで、すでに上限です。${waiting.join('、')} は保存され、空きができると評価されます。`)}`;
    }
    return reply(
      `${say(lang, 'Subscribed.', '登録しました。')}\n${describeSubscription(next, deps.config, lang)}${note}`,
    );
  }

  if (cmd.sub === SUB.alertsUnsubscribe) {
    if (!kindRaw || ![...kinds, 'all'].includes(kindRaw))
      throw new CommandError(
        say(
          lang,
          `kind must be one of price, news, refund, all (got "${kindRaw ?? ''}").`,
          `種類は price、news、refund、all のいずれかです（"${kindRaw ?? ''}"）。`,
        ),
      );
    if (!existing || !existing.kinds.length)
      throw new CommandError(describeSubscription(undefined, deps.config, lang));
    const rule = stringOption(cmd, 'rule');
    let next: Subscription;
    if (rule) {
      if (kindRaw !== 'price')
        throw new CommandError(
          say(lang, 'rule applies to kind price only.', 'rule は種類 price でのみ使えます。'),
        );
      const current = existing.priceRules ?? ruleIdsFor(deps.config.rules);
      if (!current.includes(rule))
        throw new CommandError(
          say(
            lang,
            `This channel has no price rule "${rule}". It has: ${current.join(', ')}.`,
            `このチャンネルに価格ルール "${rule}" はありません。現在: ${current.join(', ')}`,
          ),
        );
      const remaining = current.filter((r) => r !== rule);
      next = remaining.length
        ? { ...existing, guildId: existing.guildId ?? guildId, priceRules: remaining }
        : {
            ...existing,
            guildId: existing.guildId ?? guildId,
            kinds: existing.kinds.filter((k) => k !== 'price'),
            priceRules: [],
          };
    } else {
      const kindsLeft = kindRaw === 'all' ? [] : existing.kinds.filter((k) => k !== kindRaw);
      const { priceRules: _dropped, ...rest } = existing;
      next = {
        ...(kindsLeft.includes('price') ? existing : rest),
        guildId: existing.guildId ?? guildId,
        kinds: kindsLeft,
      };
    }
    // An empty kinds list is stored on purpose: it also silences a channel listed in the config file.
    await deps.subscriptions.put(next);
    return reply(
      `${say(lang, 'Updated.', '更新しました。')}\n${describeSubscription(next, deps.config, lang)}`,
    );
  }
  throw new CommandError(
    say(
      lang,
      `Unknown subcommand /alerts ${cmd.sub ?? ''}.`,
      `不明なサブコマンドです: /alerts ${cmd.sub ?? ''}`,
    ),
  );
}

// ---- /status ------------------------------------------------------------------------------------

async function statusCommand(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
  const lang = cmd.language;
  const [runs, sources, feeds, pending] = await Promise.all([
    deps.jobRuns.last(),
    deps.prices.sourceHealth(),
    deps.news.feedHealth(),
    deps.outbox.pending(101),
  ]);
  const now = deps.clock.now();
  const ago = (ms: number) => {
    const minutes = Math.max(0, Math.round((now - ms) / MINUTE));
    if (minutes < 120) return say(lang, `${minutes} min ago`, `${minutes}分前`);
    return say(lang, `${Math.round((now - ms) / HOUR)} h ago`, `${Math.round((now - ms) / HOUR)}時間前`);
  };
  const jobLines = runs.length
    ? runs.map(
        (r) =>
          `${r.ok ? '✅' : '❌'} ${r.job}: ${ago(r.finishedAt)} — ${escapeUntrusted(truncate(r.summary, 120))}`,
      )
    : [say(lang, 'No job has run yet.', 'ジョブはまだ実行されていません。')];
  const sourceLines = sources.length
    ? sources.map((s) => sourceLine(s, lang, ago))
    : [say(lang, 'No source polled yet.', '価格ソースはまだ取得されていません。')];
  const feedLines = feeds.length
    ? feeds.map((f) => feedLine(f, lang, ago))
    : [say(lang, 'No feed fetched yet.', 'フィードはまだ取得されていません。')];
  const pendingText = pending.length > 100 ? '100+' : String(pending.length);
  const oldest = pending[0];
  const embed: APIEmbed = {
    title: say(lang, 'goxwatch status', 'goxwatch の状態'),
    color: COLOR.info,
    fields: [
      { name: say(lang, 'Jobs', 'ジョブ'), value: truncate(jobLines.join('\n'), LIMITS.fieldValue) },
      {
        name: say(lang, 'Price sources', '価格ソース'),
        value: truncate(sourceLines.join('\n'), LIMITS.fieldValue),
      },
      { name: say(lang, 'Feeds', 'フィード'), value: truncate(feedLines.join('\n'), LIMITS.fieldValue) },
      {
        name: say(lang, 'Outbox', '送信待ち'),
        value: `${say(lang, 'Pending', '未送信')}: ${pendingText}${oldest ? ` (${say(lang, 'oldest', '最古')} ${ago(oldest.createdAt)})` : ''}`,
      },
    ],
  };
  return { data: { embeds: [embed], allowed_mentions: NO_MENTIONS }, ephemeral: true };
}

/** One price source's health: last good quote, or failures in a row and why. */
function sourceLine(h: SourceHealth, lang: Language, ago: (ms: number) => string): string {
  const id = escapeUntrusted(h.sourceId);
  const last =
    h.lastOkAt !== undefined
      ? `${say(lang, 'last ok', '最終成功')} ${ago(h.lastOkAt)}`
      : say(lang, 'never ok', '成功なし');
  if (h.marketMissing)
    return `⛔ ${id} — ${say(lang, 'market not listed', '市場が見つかりません')} — ${last}`;
  if (h.consecutiveFailures > 0)
    return `⚠️ ${id} — ${say(lang, `${h.consecutiveFailures} failures`, `${h.consecutiveFailures}回失敗`)} — ${last}${h.lastError ? ` — ${escapeUntrusted(truncate(h.lastError, 80))}` : ''}`;
  return `✅ ${id} — ${last}`;
}

/** One feed's health: ok with its last success, or failures and the last error, or disabled. */
function feedLine(h: FeedHealth, lang: Language, ago: (ms: number) => string): string {
  const id = escapeUntrusted(h.feedId);
  if (h.disabled)
    return `⛔ ${id} — ${say(lang, 'disabled', '停止中')}${h.disabledReason ? `: ${escapeUntrusted(truncate(h.disabledReason, 80))}` : ''}`;
  const last =
    h.lastSuccessAt !== undefined
      ? `${say(lang, 'last ok', '最終成功')} ${ago(h.lastSuccessAt)}`
      : say(lang, 'never ok', '成功なし');
  if (h.failures > 0)
    return `⚠️ ${id} — ${say(lang, `${h.failures} failures`, `${h.failures}回失敗`)} — ${last}${h.lastError ? ` — ${escapeUntrusted(truncate(h.lastError, 80))}` : ''}`;
  return `✅ ${id} — ${last}`;
}
