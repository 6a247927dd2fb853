import { say } from '../../domain/i18n';
import type { APIEmbed, APIEmbedField } from 'discord-api-types/v10';
import { renderPriceChart } from '../../domain/chart';
import { DAY } from '../../domain/clock';
import { PRICE_RANGES, type PriceRange } from '../command-definitions';
import { splitSymbol, type ConsensusPoint } from '../../domain/consensus';
import { LIMITS, NO_MENTIONS, truncate } from '../text';
import { knownTermsOf, referenceFor, refundRateOf } from '../../domain/reference';
import {
  ZONE_OFFSET_MINUTES,
  formatList,
  formatNumber,
  formatPercent,
  formatPrice,
  formatTime,
} from '../../domain/format';
import type { IncidentConfig } from '../../domain/config';
import { termsFixedAt, type RefundChange } from '../../domain/refund';
import type { CommandReply, ReplyFile } from '../interaction-reply';
import { COLOR, CommandDeps, CommandError, ParsedCommand, RANGE_MS, ageNote, stringOption } from './shared';
// ---- /price -------------------------------------------------------------------------------------

/** A series whose first point is this much short of 24 h still covers the day (the poll grid). */
const DAY_SLACK_MS = 30 * 60_000;

/** The incident's dated events, as chart markers (bitmap-font labels: Latin capitals). */
export function incidentEvents(
  incident: IncidentConfig,
  history: readonly RefundChange[],
): { at: number; label: string }[] {
  const events: { at: number; label: string }[] = [{ at: Date.parse(incident.startedAt), label: 'START' }];
  if (incident.detectedAt) events.push({ at: Date.parse(incident.detectedAt), label: 'DETECTED' });
  const configured = incident.refund?.referenceWindow?.to;
  const terms = configured ? Date.parse(configured) : termsFixedAt(history);
  if (terms !== undefined) events.push({ at: terms, label: 'TERMS' });
  const paid = history.find((c) => c.to === 'paying' || c.to === 'paid');
  if (paid) events.push({ at: paid.at, label: paid.to === 'paid' ? 'PAID' : 'PAYMENT' });
  return events.filter((e) => Number.isFinite(e.at));
}

export async function priceCommand(cmd: ParsedCommand, deps: CommandDeps): Promise<CommandReply> {
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
      say(lang, {
        en: `No price source for ${asset}. Watched: ${assets}.`,
        ja: `${asset} の価格ソースはありません。対象: ${assets}`,
      }),
    );
  }
  const venue = stringOption(cmd, 'venue')?.toLowerCase();
  if (venue && !sources.some((s) => s.exchange === venue)) {
    const venues = sources.map((s) => s.exchange).join(', ');
    throw new CommandError(
      say(lang, {
        en: `${asset} is not watched on "${venue}". Venues: ${venues}.`,
        ja: `${asset} は "${venue}" では監視していません。取引所: ${venues}`,
      }),
    );
  }
  const rangeRaw = stringOption(cmd, 'range') ?? '24h';
  if (!(PRICE_RANGES as readonly string[]).includes(rangeRaw))
    throw new CommandError(
      say(lang, {
        en: `range must be one of ${PRICE_RANGES.join(', ')} (got "${rangeRaw}").`,
        ja: `期間は ${PRICE_RANGES.join('、')} のいずれかです（"${rangeRaw}"）。`,
      }),
    );
  const range = rangeRaw as PriceRange;

  const symbols = [...new Set(sources.filter((s) => !venue || s.exchange === venue).map((s) => s.symbol))];
  const now = clock.now();
  // The endpoint leaves the chart to the deferred-work worker (deps.attachments 'later'): reading
  // up to 30 days and drawing them is the slow part of /price, and the chart can only arrive by
  // editing the answer anyway.
  const drawChart = (deps.attachments ?? 'render') === 'render';
  // The reference belongs to the incidents of this asset only (docs/adr/0007). Its terms and every
  // symbol's reads go out at once: one round trip, not one per symbol after the terms.
  const ofAsset = config.incidents.filter((i) => i.asset === asset);
  const knownRead = Promise.all(ofAsset.map((i) => deps.refunds.get(i.id))).then(knownTermsOf);
  const primaryRead = knownRead.then((known) => {
    const refCurrency = ofAsset.map((i) => refundRateOf(i, known)?.currency).find(Boolean);
    return symbols.find((s) => splitSymbol(s).quote === refCurrency) ?? symbols[0] ?? '';
  });
  // The 24 h chart is the day's series, read once for the chart and the change; without a chart
  // the change needs only the day's first point (one short read instead of up to 1,440 points).
  const daySeries = new Map<string, ConsensusPoint[]>();
  const dayStartOf = async (symbol: string): Promise<ConsensusPoint | undefined> => {
    if (!drawChart || range !== '24h' || symbol !== (await primaryRead))
      return deps.prices.firstConsensusSince(symbol, now - DAY, now);
    const day = await deps.prices.consensusSeries(symbol, now - DAY, now);
    daySeries.set(symbol, day);
    return day[0];
  };
  const reads = symbols.map(async (symbol) => {
    const [latest, quotes, dayStart] = await Promise.all([
      deps.prices.latestConsensus(symbol),
      deps.prices.latestQuotes(symbol),
      dayStartOf(symbol),
    ]);
    return { symbol, latest, quotes, dayStart };
  });
  const [known, primary, read] = await Promise.all([knownRead, primaryRead, Promise.all(reads)]);

  const fields: APIEmbedField[] = [];
  let latestAt: number | undefined;
  for (const { symbol, latest, quotes, dayStart } of read) {
    const { quote } = splitSymbol(symbol);
    const lines: string[] = [];
    if (latest) {
      latestAt = Math.max(latestAt ?? 0, latest.at);
      lines.push(
        `${say(lang, { en: 'Consensus', ja: '合意価格' })}: **${formatPrice(latest.price, quote, lang)}** (${formatList(latest.venues, lang)})`,
      );
      const first = dayStart;
      if (first && first.at < latest.at) {
        const change = formatPercent(((latest.price - first.price) / first.price) * 100, lang);
        // "24 h change" only when the series covers 24 h; after 70 s of data it is not one.
        const covers = latest.at - first.at >= DAY - DAY_SLACK_MS;
        const since = formatTime(first.at, lang);
        lines.push(
          covers
            ? `${say(lang, { en: '24 h change', ja: '24時間変化' })}: ${change}`
            : `${say(lang, { en: `Since ${since}`, ja: `${since} から` })}: ${change}`,
        );
      }
      const ref = referenceFor(config, symbol, known)?.price;
      if (ref !== undefined) {
        lines.push(
          `${say(lang, { en: 'vs refund price', ja: '返金価格比' })} ${formatPrice(ref, quote, lang)}: ${formatPercent(((latest.price - ref) / ref) * 100, lang)}`,
        );
      }
      lines.push(`${say(lang, { en: 'Updated', ja: '更新' })}: ${ageNote(latest.at, deps, lang)}`);
    } else {
      lines.push(say(lang, { en: 'No consensus price stored yet.', ja: '合意価格はまだありません。' }));
    }
    for (const q of quotes
      .filter((q) => !venue || q.exchange === venue)
      .sort((a, b) => a.exchange.localeCompare(b.exchange))) {
      lines.push(
        `• ${q.exchange}: ${formatPrice(q.price, quote, lang)} — ${ageNote(q.timestamp, deps, lang)}`,
      );
    }
    if (venue && !quotes.some((q) => q.exchange === venue))
      lines.push(
        say(lang, { en: `• ${venue}: no quote stored yet`, ja: `• ${venue}: 価格はまだありません` }),
      );
    fields.push({ name: symbol, value: truncate(lines.join('\n'), LIMITS.fieldValue) });
  }

  const from = now - RANGE_MS[range];
  // The 24 h chart is the series already read for the 24 h change.
  const series: ConsensusPoint[] =
    !primary || !drawChart
      ? []
      : range === '24h'
        ? (daySeries.get(primary) ?? [])
        : await deps.prices.chartSeries(primary, from, now);
  const ref = primary ? referenceFor(config, primary, known)?.price : undefined;
  const events =
    drawChart && incident && incident.asset === asset
      ? incidentEvents(incident, await deps.refunds.history(incident.id))
      : [];
  const chart = (): ReplyFile => ({
    name: 'chart.png',
    contentType: 'image/png',
    data: renderPriceChart({
      title: `${primary} ${range} ${say(lang, { en: '(UTC)', ja: '(JST)' })}`,
      points: series.map((p) => ({ at: p.at, price: p.price })),
      fromMs: from,
      toMs: now,
      ...(ref !== undefined ? { reference: { price: ref, label: `REFUND ${formatNumber(ref, lang)}` } } : {}),
      events,
      utcOffsetMinutes: say(lang, { en: ZONE_OFFSET_MINUTES.UTC, ja: ZONE_OFFSET_MINUTES.JST }),
    }),
  });
  const embed: APIEmbed = {
    title: say(lang, { en: `${asset} price`, ja: `${asset} の価格` }),
    color: COLOR.info,
    fields,
    footer: {
      text: say(lang, {
        en: `Chart: ${primary} consensus, ${range}${venue ? ' (all venues)' : ''}`,
        ja: `チャート: ${primary} 合意価格・${range}${venue ? '（全取引所）' : ''}`,
      }),
    },
    ...(latestAt ? { timestamp: new Date(latestAt).toISOString() } : {}),
  };
  const data = { embeds: [embed], allowed_mentions: NO_MENTIONS };
  return drawChart
    ? { data, ephemeral: false, files: [chart()] }
    : { data, ephemeral: false, attachmentsToFollow: true };
}
