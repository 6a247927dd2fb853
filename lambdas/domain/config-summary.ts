import type { Localized } from './i18n';
import type { Config } from './config';
import { splitSymbol } from './consensus';
import { referenceFor } from './reference';

/**
 * What a config would watch, and what of it nobody will see. Pure: the caller passes what the
 * store knows (channels subscribed with /alerts, feeds added with /feeds) when it has a store.
 */

/** The series (unified symbols) the price job computes, in config order. */
export function seriesOf(config: Config): string[] {
  return [...new Set(config.sources.map((s) => s.symbol))];
}

/** `goxwatch config check`: one line per thing watched. */
export function watchSummary(config: Config): string[] {
  const series = seriesOf(config).map((symbol) => {
    const venues = config.sources.filter((s) => s.symbol === symbol).map((s) => s.exchange);
    const ref = referenceFor(config, symbol);
    const refText = ref
      ? `reference ${ref.price} ${ref.currency} (${ref.incidentId}, ${ref.basis})`
      : 'no reference';
    return `  ${symbol}: ${venues.join(', ')}; ${refText}`;
  });
  const incidents = config.incidents.map(
    (i) =>
      `  ${i.id}: ${i.asset}, since ${i.startedAt}; refund ${i.refund ? `${i.refund.rate} ${i.refund.currency}/${i.asset}` : 'not announced'}; feeds: ${i.feeds.join(', ') || '(none)'}`,
  );
  const channels = config.channels.map(
    (c) => `  ${c.id}: ${c.kinds.join(', ')} (${c.language ?? config.language})`,
  );
  const feeds = config.feeds.map((f) => `  ${f.id}: ${f.url}${f.language ? ` (${f.language})` : ''}`);
  const none = ['  (none)'];
  return [
    `sources (${config.sources.length}): ${config.sources.map((s) => `${s.exchange} ${s.symbol}`).join(', ')}`,
    `series (${series.length}):`,
    ...series,
    `incidents (${incidents.length}):`,
    ...(incidents.length ? incidents : none),
    `channels in the config (${channels.length}):`,
    ...(channels.length ? channels : none),
    `feeds in the config (${feeds.length}):`,
    ...(feeds.length ? feeds : none),
  ];
}

export interface BlindSpotInput {
  config: Config;
  /** Active channels (configured plus stored) per kind; undefined = only the config is known. */
  subscribedChannels?: number;
  /** Feeds added from Discord (/feeds add), with the incident each reports on (none = every incident). */
  storedFeeds?: readonly { id: string; incidentId?: string }[];
  /** Of those, the ones whose server has no active channel taking news (they post only there). */
  unheardFeeds?: readonly { id: string; guildId: string }[];
}

/** One reason a message would go nowhere, in both languages. */
export type BlindSpot = Localized;

/**
 * "Say when nothing will be seen": one line for each reason a message would go nowhere.
 * At start (logged) and in /status. Empty when everything computed can reach someone.
 */
export function blindSpots(input: BlindSpotInput): BlindSpot[] {
  const { config } = input;
  const lines: BlindSpot[] = [];
  const channels = input.subscribedChannels ?? config.channels.length;
  if (channels === 0)
    lines.push({
      en: 'no channel subscribed: alerts, news and refund changes are computed but posted nowhere (add `channels` to the config or run /alerts subscribe)',
      ja: '購読チャンネルがありません: アラート・ニュース・返金状況は計算されますが、どこにも投稿されません（設定の channels か /alerts subscribe で追加）',
    });
  const stored = input.storedFeeds ?? [];
  const linked = config.incidents.some(
    (i) => i.feeds.length > 0 || stored.some((f) => f.incidentId === undefined || f.incidentId === i.id),
  );
  if (!linked)
    lines.push(
      config.incidents.length === 0
        ? {
            en: 'no incident configured: no news or refund stage will be posted',
            ja: '事件が設定されていません: ニュースも返金段階も投稿されません',
          }
        : {
            en: 'no incident matches any feed: no news will be posted (list feed ids in an incident, or /feeds add)',
            ja: 'どの事件にもフィードが結び付いていません: ニュースは投稿されません（事件の feeds にフィード id を追加）',
          },
    );
  for (const feed of input.unheardFeeds ?? [])
    lines.push({
      en: `feed ${feed.id}, added in server ${feed.guildId}: no channel of that server takes news, so its items are posted nowhere (/alerts subscribe kind:news there, or guildId on a config channel)`,
      ja: `フィード ${feed.id}（サーバー ${feed.guildId} が追加）: そのサーバーにニュースを受け取るチャンネルがなく、記事はどこにも投稿されません（そのサーバーで /alerts subscribe kind:news、または設定のチャンネルに guildId）`,
    });
  for (const symbol of seriesOf(config)) {
    if (!referenceFor(config, symbol)) {
      const { base, quote } = splitSymbol(symbol);
      const ofAsset = config.incidents.some((i) => i.asset === base);
      lines.push({
        en: `series ${symbol} has no reference price: no below-reference alert (${ofAsset ? `no refund rate in ${quote} announced or declared for ${base}` : `no incident is about ${base}`})`,
        ja: `${symbol} には基準価格がありません: 基準価格割れのアラートは出ません（${ofAsset ? `${base} の ${quote} 建て返金レートが未発表・未設定` : `${base} の事件がありません`}）`,
      });
    }
  }
  return lines;
}
