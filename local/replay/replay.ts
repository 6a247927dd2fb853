import { createDiscordClient, type DiscordClient } from '../../lambdas/discord/rest-client';
import { startEmbeddedDynamo } from '../embedded-dynamo';
import { createPriceSources } from '../../lambdas/sources/exchanges';
import { Store, dynamoClient } from '../../lambdas/store/store';
import { HOUR, MINUTE, ManualClock } from '../../lambdas/domain/clock';
import { ZONE_OFFSET_MINUTES, formatClock } from '../../lambdas/domain/format';
import {
  COINCHECK_NEM_2018,
  DEFAULT_CONFIG,
  DEFAULT_NEM_CHAIN,
  parseConfig,
  type Config,
  type Language,
  type RefundTermsConfig,
} from '../../lambdas/domain/config';
import { referenceFor } from '../../lambdas/domain/reference';
import { MemoryLogger, errorMessage, registerSecret } from '../../lambdas/domain/log';
import type { RefundStage } from '../../lambdas/domain/refund';
import type { Bot } from '../../lambdas/app/bot';
import type { DeliveryResult } from '../../lambdas/app/jobs/delivery';
import { newsCycle } from '../../lambdas/app/news-cycle';
import { priceCycle } from '../../lambdas/app/price-cycle';
import { createContainer } from '../../lambdas/app/container';
import { chainCycle, createChainReader } from '../../lambdas/app/chain-cycle';
import { CHAIN_FILE, CHAIN_MINUTE_POLLS, chainPollTimes, startReplayNemNode } from './chain';
import { startReplayExchange } from './exchange';
import { readTimelineFile, startReplayFeed } from './feed';
import {
  DEFAULT_DATA_DIR,
  candleContaining,
  loadRecordedSeries,
  loadUserSeries,
  type PriceSeries,
} from './prices';

/**
 * The offline replay: January–March 2018 through the real pipeline. A ManualClock steps through
 * the range; at each step the real price job polls the loopback exchange (real ccxt), the real
 * news job reads the loopback feed (real fetch + rss-parser), and the real delivery prints (or
 * posts to Discord) whatever they put in the outbox, all on dynalite. Nothing reaches the
 * network but 127.0.0.1 (and Discord when a token and channel are given).
 */

export const REPLAY_DEFAULTS = {
  from: '2018-01-20T00:00:00Z',
  to: '2018-03-15T00:00:00Z',
  /** Simulated minutes between polls: the hourly data changes once an hour, each candle is seen 4 times. */
  stepMinutes: 15,
  /** The replay's one channel (printed as #<id> when no Discord channel is given). */
  channelId: '201801260002',
  newsFile: 'coincheck-2018.rss',
  /** Symbol of a user price CSV when none is given. */
  userSymbol: 'XEM/JPY',
  /** A quiet job still runs at least this often (simulated ms), see `everyStep`. */
  quietHeartbeatMs: 6 * HOUR,
} as const;

export interface ReplayOptions {
  /** Simulated seconds per real second; 0 = as fast as possible. */
  speed: number;
  /** Range, ISO 8601 (a bare date is UTC midnight). */
  from: string;
  to: string;
  /** A user OHLCV CSV (local/replay/README.md) replacing the recorded prices. */
  pricesCsv?: string;
  /** Unified symbol of `pricesCsv` (default XEM/JPY). */
  pricesSymbol?: string;
  /** A user RSS 2.0 file replacing the recorded news timeline. */
  newsRss?: string;
  /** Keep dynalite's data here (default: in memory, gone at the end). */
  dataDir?: string;
  /**
   * Use this DynamoDB-compatible endpoint instead of starting dynalite (table goxwatch-replay,
   * created if missing). A second replay on the same store continues from the first one's state.
   */
  storeEndpoint?: string;
  /** Each post (with its simulated time), notes and the final summary. */
  print: (line: string) => void;
  /** Post to this Discord channel instead of printing. */
  discord?: { token: string; apiBase: string; channelId: string };
  /** Simulated minutes between job runs (default 15). */
  stepMinutes?: number;
  /**
   * Run the news job and the hourly chain poll at every step. By default a quiet run is skipped:
   * one whose input has not changed since the job's last clean run (no timeline item, no
   * transfer appeared), with nothing pending. Such a run only re-reads state and records a 304 or
   * an empty poll, so the messages are the same either way (test/integration/replay.test.ts
   * compares them); a quiet job still runs every REPLAY_DEFAULTS.quietHeartbeatMs. Price polls
   * always run: each poll is a sample the drop rules count.
   */
  everyStep?: boolean;
  /** Language of the replay channel (default: the config's, Japanese). */
  language?: Language;
  /**
   * Where the progress line goes. Default: one updating line on stderr when it is a TTY, else
   * a line through `print` once per simulated day. 'off' shows none.
   */
  progress?: 'auto' | 'tty' | 'lines' | 'off';
  /**
   * The config whose rules, language and incidents are replayed (default DEFAULT_CONFIG); its
   * sources, feeds and channels are replaced by the loopback ones.
   */
  baseConfig?: Config;
}

export interface ReplayAlert {
  at: number;
  symbol: string;
  ruleId: string;
  key: string;
  price: number;
  changePercent: number;
}

export interface ReplayStageChange {
  at: number;
  from: RefundStage;
  to: RefundStage;
}

export interface PriceAtHack {
  symbol: string;
  /** Close of the candle the hack began in. */
  price: number;
  candleTime: number;
  origin: string;
  /** The series' reference price (its incident's refund rate in this currency), when there is one. */
  reference?: number;
  /** (reference − price) / price × 100: negative = the refund pays less than the market did. */
  referenceVsPricePercent?: number;
}

export interface ReplayChainSummary {
  polls: number;
  /** Chain messages queued for the replay channel (movements, bursts, new accounts, drains). */
  messages: number;
  movements: number;
  followed: number;
  watchedAtEnd: number;
  drains: { at: number; address: string; xem: number }[];
  /** incident.detectedAt (Coincheck noticed at 11:25 JST), for the lead of the first drain alert. */
  detectedAt?: number;
}

export interface ReplaySummary {
  from: number;
  to: number;
  steps: number;
  priceRuns: number;
  newsRuns: number;
  /** Quiet runs skipped (see ReplayOptions.everyStep). */
  quietSkipped: { news: number; chain: number };
  /** Every rule that fired (several rules firing in one poll go out as one message). */
  priceAlerts: ReplayAlert[];
  /** Price alert messages queued for the replay channel. */
  priceMessages: number;
  newsPosts: number;
  refundChanges: ReplayStageChange[];
  /** "Reported, unconfirmed" posts: one unofficial source, the stage not moved. */
  unconfirmed: number;
  /** Messages printed (no Discord) or sent to Discord. */
  delivered: number;
  /** Outbox entries still pending at the end (Discord refused or was down). */
  pending: number;
  priceAtHack: PriceAtHack[];
  /** The on-chain watch over the loopback NEM node (undefined when the config watches nothing). */
  chain?: ReplayChainSummary;
  refund: RefundTermsConfig & { asset: string };
  /** Job-level errors seen (details in the log lines). */
  jobErrors: number;
  /** Data problems (skipped rows/items), each naming file and line. */
  dataProblems: string[];
  wallMs: number;
  /** The summary as printed. */
  lines: string[];
}

/** "2018-01-26 18:15 JST" */
export function jst(ms: number): string {
  return formatClock(ms, 'YYYY-MM-DD hh:mm JST', ZONE_OFFSET_MINUTES.JST);
}

function utc(ms: number): string {
  return formatClock(ms, 'YYYY-MM-DD hh:mm UTC');
}

function parseWhen(value: string, what: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new Error(`replay: ${what} "${value}" is not an ISO 8601 date`);
  return ms;
}

function formatPrice(p: number): string {
  return p >= 1 ? p.toFixed(3) : p >= 0.01 ? p.toFixed(4) : p.toPrecision(4);
}

/** The replay config: DEFAULT_CONFIG (or `base`) with sources, feed and one channel on loopback. */
export function replayConfig(opts: {
  sources: { symbol: string; urls: Record<string, unknown> }[];
  exchange: string;
  /** The loopback feeds: the timeline's, and one per `<source>` of its items. */
  feeds: { id: string; url: string }[];
  channelId: string;
  stepMinutes: number;
  language?: Language;
  base?: Config;
  /** The loopback NIS1 node: the incidents' watch lists are polled there. */
  nemNodeUrl?: string;
}): Config {
  // The user's admin channel and store endpoint are real places: the replay uses neither.
  const { adminChannel: _admin, store: _store, ...base } = opts.base ?? DEFAULT_CONFIG;
  const incidents = base.incidents.length ? base.incidents : [COINCHECK_NEM_2018];
  return parseConfig({
    ...base,
    sources: opts.sources.map((s) => ({ exchange: opts.exchange, symbol: s.symbol, urls: s.urls })),
    channels: [
      {
        id: opts.channelId,
        kinds: ['price', 'news', 'refund', 'chain'],
        ...(opts.language ? { language: opts.language } : {}),
      },
    ],
    feeds: opts.feeds,
    // Without a loopback NEM node nothing is watched: the real nodes are not the replay's.
    incidents: incidents.map((i) => ({
      ...i,
      feeds: opts.feeds.map((f) => f.id),
      ...(opts.nemNodeUrl ? {} : { watch: undefined }),
    })),
    intervals: { priceSeconds: opts.stepMinutes * 60, newsSeconds: Math.max(30, opts.stepMinutes * 60) },
    store: { tableName: 'goxwatch-replay' },
    ...(opts.nemNodeUrl
      ? { chains: { nem: { ...(base.chains?.nem ?? DEFAULT_NEM_CHAIN), nodes: [opts.nemNodeUrl] } } }
      : { chains: undefined }),
  });
}

/** One progress line, redrawn in place on a TTY. */
class Progress {
  private shown = false;
  constructor(
    private readonly mode: 'tty' | 'lines' | 'off',
    private readonly print: (line: string) => void,
  ) {}
  update(line: string): void {
    if (this.mode !== 'tty') return;
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns || 100) - 1)}`);
    this.shown = true;
  }
  line(line: string): void {
    if (this.mode === 'lines') this.print(line);
  }
  /** Erase before anything else is printed, so posts never interleave with the bar. */
  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[2K');
    this.shown = false;
  }
}

export async function runReplay(opts: ReplayOptions): Promise<ReplaySummary> {
  const wallStart = Date.now(); // wall time: pacing and the run time only, never domain time
  if (!Number.isFinite(opts.speed) || opts.speed < 0)
    throw new Error(`replay: speed must be 0 (as fast as possible) or simulated seconds per second`);
  const from = parseWhen(opts.from, 'from');
  const to = parseWhen(opts.to, 'to');
  if (to <= from) throw new Error(`replay: "to" (${opts.to}) must be after "from" (${opts.from})`);
  const stepMinutes = opts.stepMinutes ?? REPLAY_DEFAULTS.stepMinutes;
  if (!(stepMinutes >= 1)) throw new Error(`replay: stepMinutes must be at least 1`);
  const stepMs = stepMinutes * MINUTE;
  const mode =
    !opts.progress || opts.progress === 'auto' ? (process.stderr.isTTY ? 'tty' : 'lines') : opts.progress;
  const progress = new Progress(mode, opts.print);
  const say = (line: string) => {
    progress.clear();
    opts.print(line);
  };

  // Data first: a bad file fails here, before anything starts.
  const dataDir = DEFAULT_DATA_DIR;
  const dataProblems: string[] = [];
  let series: PriceSeries[];
  if (opts.pricesCsv) {
    const user = loadUserSeries(opts.pricesCsv, opts.pricesSymbol ?? REPLAY_DEFAULTS.userSymbol);
    series = [user.series];
    dataProblems.push(...user.problems);
  } else {
    const recorded = loadRecordedSeries(dataDir);
    series = recorded.series;
    dataProblems.push(...recorded.problems);
  }
  const timeline = await readTimelineFile(opts.newsRss ?? `${dataDir}/${REPLAY_DEFAULTS.newsFile}`);
  dataProblems.push(...timeline.problems);

  const clock = new ManualClock(from);
  const logger = new MemoryLogger();
  // In memory, dynalite (memory-level) keeps every key and value as a small Buffer, a slice of a
  // shared 8 KB pool slab, and one live slice keeps its whole slab: the 3-month replay grew by
  // slabs, not data (it peaked near 1 GB). Unpooled, each keeps only its own bytes. The setting is
  // process-wide and makes every small Buffer dearer (the endpoint bench's commands ran ~25 %
  // slower under it), so only the replay's long in-memory run takes it.
  if (!opts.storeEndpoint && !opts.dataDir) Buffer.poolSize = 0;
  const dynamo = opts.storeEndpoint ? undefined : await startEmbeddedDynamo(opts.dataDir);
  const client = dynamoClient(opts.storeEndpoint ?? dynamo?.endpoint);
  // A daily series polled every 15 minutes would report each day's change as a 1 h fall: the
  // recorded daily USD series only feeds the summary. A user's own file is always polled.
  const polled = opts.pricesCsv ? series : series.filter((s) => s.intervalMs <= HOUR);
  const exchange = await startReplayExchange({ clock, series: polled });
  const feed = await startReplayFeed({ clock, timeline });
  const nemNode = await startReplayNemNode({ clock, dataDir });
  try {
    const store = new Store(client, 'goxwatch-replay', clock);
    await store.ensureTable();
    const channelId = opts.discord?.channelId ?? REPLAY_DEFAULTS.channelId;
    const config = replayConfig({
      sources: polled.map((s) => ({ symbol: s.symbol, urls: exchange.urls })),
      exchange: exchange.exchange,
      feeds: feed.feeds,
      channelId,
      stepMinutes,
      ...(opts.language ? { language: opts.language } : {}),
      ...(opts.baseConfig ? { base: opts.baseConfig } : {}),
      nemNodeUrl: nemNode.baseUrl,
    });
    const chainReader = createChainReader(config);
    const container = createContainer({ config, store, clock, logger });
    const sources = createPriceSources(config.sources, logger, {
      rateLimit: false,
      retries: 1,
      sleep: async () => undefined,
    });
    let discord: DiscordClient | undefined;
    if (opts.discord) {
      registerSecret(opts.discord.token);
      discord = createDiscordClient({
        token: opts.discord.token,
        apiBase: opts.discord.apiBase,
        maxRateLimitWaitMs: 10_000,
      });
    }

    say(
      `goxwatch replay: ${jst(from)} → ${jst(to)} (${utc(from)} → ${utc(to)}), a step every ${stepMinutes} simulated min, ` +
        (opts.speed > 0 ? `${opts.speed} simulated s per s` : 'as fast as possible'),
    );
    for (const s of series)
      say(
        polled.includes(s)
          ? `  prices: ${exchange.exchange} ${s.symbol} on loopback ← ${s.origin}`
          : `  prices: ${s.symbol} for the summary only (too coarse to poll) ← ${s.origin}`,
      );
    say(
      `  news: ${timeline.items.length} items on ${feed.feeds.length === 1 ? 'a loopback feed' : `${feed.feeds.length} loopback feeds (one per <source>)`} ← ${opts.newsRss ?? REPLAY_DEFAULTS.newsFile}`,
    );
    if (chainReader)
      say(
        `  chain: ${nemNode.transfers} NEM transfers on a loopback NIS1 node ← ${CHAIN_FILE} (hashes and keys made up); ` +
          `polled every simulated minute ${jst(CHAIN_MINUTE_POLLS.from)} → ${jst(CHAIN_MINUTE_POLLS.to)}, hourly otherwise (the Lambda: every minute)`,
      );
    say(
      discord
        ? `  posting to Discord channel ${channelId} at ${opts.discord?.apiBase}`
        : `  no Discord token: each message is printed as it would look in channel #${channelId}`,
    );
    for (const p of dataProblems) say(`  data: ${p}`);

    const summary: Omit<ReplaySummary, 'lines' | 'wallMs' | 'priceAtHack' | 'refund'> = {
      from,
      to,
      steps: 0,
      priceRuns: 0,
      newsRuns: 0,
      quietSkipped: { news: 0, chain: 0 },
      priceAlerts: [],
      priceMessages: 0,
      newsPosts: 0,
      refundChanges: [],
      unconfirmed: 0,
      delivered: 0,
      pending: 0,
      jobErrors: 0,
      dataProblems,
      ...(chainReader
        ? {
            chain: {
              polls: 0,
              messages: 0,
              movements: 0,
              followed: 0,
              watchedAtEnd: 0,
              drains: [],
              ...(config.incidents[0]?.detectedAt
                ? { detectedAt: Date.parse(config.incidents[0].detectedAt) }
                : {}),
            },
          }
        : {}),
    };
    const priceEvery = config.intervals.priceSeconds * 1000;
    const newsEvery = config.intervals.newsSeconds * 1000;
    let nextPrice = from;
    let nextNews = from;
    let lastProgressDay = -1;
    let lastPrice = '';
    // Each step's delivered messages go under one header with the step's time.
    let stepHeader = '';
    let lastHeader = '';
    let headed = false;
    const bot: Bot = {
      container,
      discord,
      print: (text) => {
        // Two runs at the same simulated minute (a chain poll, then price) share one header.
        if (!headed && stepHeader !== lastHeader) say(stepHeader);
        lastHeader = stepHeader;
        headed = true;
        say(text);
      },
    };
    // Delivery runs when a job queued something or an earlier run left entries pending: the
    // outbox is the same either way, and an idle run would only cost time.
    let leftPending = 0;
    const cycle = { deliverAfter: (queued: number) => queued + leftPending > 0 };
    const delivered = (t: number, d: DeliveryResult | undefined) => {
      if (!d) return;
      summary.delivered += d.printed + d.sent;
      if (discord && d.sent) say(`${jst(t)}: ${d.sent} message(s) posted to Discord`);
      if (d.badToken) say(`${jst(t)}: Discord refused the token; messages stay pending`);
      leftPending = d.stillPending;
      summary.pending = d.stillPending;
    };

    // Quiet runs (ReplayOptions.everyStep): when each job last ran, and whether that run left
    // nothing to retry or continue (no error, no skipped or failing feed, no account just followed).
    const lastRun = {
      news: { at: undefined as number | undefined, clean: false },
      chain: { at: undefined as number | undefined, clean: false },
    };
    // `input`: what the job reads (timeline items, transfers), each with the time it appears.
    const isQuiet = (job: keyof typeof lastRun, input: readonly { at: number }[], at: number) => {
      const { at: ranAt, clean } = lastRun[job];
      return (
        !opts.everyStep &&
        ranAt !== undefined &&
        clean &&
        leftPending === 0 &&
        at - ranAt < REPLAY_DEFAULTS.quietHeartbeatMs &&
        !input.some((i) => i.at > ranAt && i.at <= at)
      );
    };

    let lastChainPoll: number | undefined;
    for (let t = from; t <= to; t += stepMs) {
      // The chain first, minute by minute where the theft happened: each poll under its own time.
      if (chainReader && summary.chain)
        for (const at of chainPollTimes(lastChainPoll, t)) {
          const minutePoll = at >= CHAIN_MINUTE_POLLS.from && at <= CHAIN_MINUTE_POLLS.to;
          if (!minutePoll && isQuiet('chain', nemNode.appearing, at)) {
            lastChainPoll = at;
            summary.quietSkipped.chain++;
            continue;
          }
          clock.set(at);
          stepHeader = `\n── ${jst(at)} (${utc(at)}) ──`;
          headed = false;
          const { chain: r, delivery } = await chainCycle(bot, chainReader, cycle);
          lastChainPoll = at;
          lastRun.chain = {
            at,
            clean: !r.errors.length && !r.unavailable && !r.followed.length && !r.newTransfers,
          };
          summary.chain.polls++;
          summary.jobErrors += r.errors.length;
          summary.chain.movements += r.posted;
          summary.chain.messages += r.enqueued;
          summary.chain.followed += r.followed.length;
          summary.chain.watchedAtEnd = r.accounts;
          for (const d of r.drains)
            summary.chain.drains.push({ at, address: d.address, xem: d.outMicro / 1e6 });
          delivered(at, delivery);
        }
      clock.set(t);
      summary.steps++;
      stepHeader = `\n── ${jst(t)} (${utc(t)}) ──`;
      headed = false;
      if (t >= nextPrice) {
        nextPrice += priceEvery;
        summary.priceRuns++;
        const { price: r, delivery } = await priceCycle(bot, sources, cycle);
        summary.jobErrors += r.errors.length;
        summary.priceMessages += r.enqueued;
        for (const a of r.alerts)
          summary.priceAlerts.push({
            at: t,
            symbol: a.symbol,
            ruleId: a.ruleId,
            key: a.key,
            price: a.price,
            changePercent: a.changePercent,
          });
        lastPrice = r.symbols
          .filter((s) => s.price !== undefined)
          .map((s) => `${s.symbol} ${formatPrice(s.price as number)}`)
          .join(', ');
        delivered(t, delivery);
      }
      if (t >= nextNews && isQuiet('news', timeline.items, t)) {
        nextNews += newsEvery;
        summary.quietSkipped.news++;
      } else if (t >= nextNews) {
        nextNews += newsEvery;
        summary.newsRuns++;
        const { news: r, delivery } = await newsCycle(bot, cycle);
        lastRun.news = {
          at: t,
          clean:
            !r.errors.length &&
            !r.feedsSkipped.length &&
            !r.feedsFailed &&
            r.feedsDue === r.feedsConfigured &&
            !r.itemsNew,
        };
        summary.jobErrors += r.errors.length;
        summary.newsPosts += r.newsPosted;
        summary.unconfirmed += r.unconfirmedPosted;
        for (const c of r.stageChanges) summary.refundChanges.push({ at: t, from: c.from, to: c.to });
        delivered(t, delivery);
      }

      const day = Math.floor((t - from) / (24 * HOUR));
      const pct = Math.round(((t - from) / (to - from)) * 100);
      const status = `replay ${jst(t)} ${String(pct).padStart(3)}% | ${lastPrice || 'no price'} | price alerts ${summary.priceMessages}, news ${summary.newsPosts}, refund stages ${summary.refundChanges.length}`;
      progress.update(status);
      if (day !== lastProgressDay) {
        lastProgressDay = day;
        progress.line(status);
      }
      if (opts.speed > 0) {
        const due = wallStart + (t + stepMs - from) / opts.speed;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }
    progress.clear();

    // The replay is of January 2018: its incident, with the terms it was refunded on.
    const incident = config.incidents.find((i) => i.id === COINCHECK_NEM_2018.id) ?? COINCHECK_NEM_2018;
    const hackAt = Date.parse(incident.startedAt);
    const priceAtHack: PriceAtHack[] = [];
    for (const s of series) {
      const c = candleContaining(s, hackAt);
      if (!c) continue;
      const reference = referenceFor(config, s.symbol)?.price;
      priceAtHack.push({
        symbol: s.symbol,
        price: c.close,
        candleTime: c.time,
        origin: s.origin,
        ...(reference !== undefined
          ? { reference, referenceVsPricePercent: ((reference - c.close) / c.close) * 100 }
          : {}),
      });
    }
    const refund = { asset: incident.asset, ...(incident.refund ?? COINCHECK_NEM_2018.refund) };
    const wallMs = Date.now() - wallStart;
    const lines = summaryLines({ ...summary, priceAtHack, refund, wallMs, hackAt, stepMinutes });
    say('');
    for (const l of lines) say(l);
    return { ...summary, priceAtHack, refund, wallMs, lines };
  } catch (err) {
    progress.clear();
    throw new Error(`replay failed at ${jst(clock.now())}: ${errorMessage(err)}`, { cause: err });
  } finally {
    await Promise.allSettled([exchange.close(), feed.close(), nemNode.close()]);
    client.destroy();
    await dynamo?.close();
  }
}

function summaryLines(s: Omit<ReplaySummary, 'lines'> & { hackAt: number; stepMinutes: number }): string[] {
  const bySymbol = new Map<string, number>();
  for (const a of s.priceAlerts) bySymbol.set(a.symbol, (bySymbol.get(a.symbol) ?? 0) + 1);
  const lines = [
    `Replay summary ${jst(s.from)} → ${jst(s.to)}: ${s.steps} steps of ${s.stepMinutes} simulated min, ${(s.wallMs / 1000).toFixed(1)} s`,
    `  price alerts: ${s.priceMessages} message(s), ${s.priceAlerts.length} rule firing(s)${bySymbol.size ? ` (${[...bySymbol].map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
    ...s.priceAlerts.map(
      (a) =>
        `    ${jst(a.at)}  ${a.symbol} ${a.ruleId}  ${formatPrice(a.price)} (${a.changePercent.toFixed(1)} %)`,
    ),
    `  news posts: ${s.newsPosts}`,
    ...(s.quietSkipped.news + s.quietSkipped.chain
      ? [
          `  quiet runs skipped (nothing new since the job's last clean run; --every-step runs them): news ${s.quietSkipped.news}, chain ${s.quietSkipped.chain}`,
        ]
      : []),
    ...chainLines(s.chain),
    `  refund stage changes: ${s.refundChanges.length}`,
    ...s.refundChanges.map((c) => `    ${jst(c.at)}  ${c.from} → ${c.to}`),
    ...(s.unconfirmed ? [`  reported, unconfirmed (stage not moved): ${s.unconfirmed}`] : []),
    `  messages ${s.delivered > 0 && s.pending === 0 ? 'delivered' : 'delivered so far'}: ${s.delivered}${s.pending ? `, ${s.pending} still pending` : ''}${s.jobErrors ? `; ${s.jobErrors} job error(s)` : ''}`,
    `  the hack began ${jst(s.hackAt)}; the refund: ${s.refund.rate} ${s.refund.currency} per ${s.refund.asset}${s.refund.referenceVenue && s.refund.referenceWindow ? ` (reference ${s.refund.referenceVenue} ${s.refund.asset}/${s.refund.currency}, ${jst(Date.parse(s.refund.referenceWindow.from))} → ${jst(Date.parse(s.refund.referenceWindow.to))})` : ''}`,
  ];
  for (const p of s.priceAtHack) {
    const quote = p.symbol.split('/')[1] ?? '';
    const ref =
      p.reference !== undefined && p.referenceVsPricePercent !== undefined
        ? ` vs refund ${formatPrice(p.reference)} ${quote} (the incident's reference): ${Math.abs(p.referenceVsPricePercent).toFixed(1)} % ${p.referenceVsPricePercent < 0 ? 'below' : 'above'}`
        : `; no refund reference in ${quote}`;
    lines.push(
      `  price at the hack: ${p.symbol} ${formatPrice(p.price)} (candle of ${utc(p.candleTime)})${ref}`,
    );
  }
  return lines;
}

function chainLines(c: ReplayChainSummary | undefined): string[] {
  if (!c) return [];
  const lines = [
    `  chain: ${c.polls} poll(s), ${c.messages} message(s): ${c.movements} movement(s) posted, ${c.followed} account(s) followed, ${c.watchedAtEnd} watched at the end`,
  ];
  for (const d of c.drains)
    lines.push(`    ${jst(d.at)}  DRAIN ALERT ${d.address}: ${d.xem.toLocaleString('en-US')} XEM out`);
  const first = c.drains[0];
  if (first && c.detectedAt !== undefined) {
    const lead = Math.round((c.detectedAt - first.at) / MINUTE);
    lines.push(
      `    the first drain alert came ${Math.floor(lead / 60)} h ${lead % 60} min before Coincheck's own detection (${jst(c.detectedAt)}, incident.detectedAt)`,
    );
  }
  return lines;
}
