import type { SourceFailureReason, SourceHealth } from '../../store/price-items';
import type { PolledSource } from '../../store/price-repo';
import { QuoteError, SourceSkippedError, type PriceSource } from '../../sources/exchanges';
import type { Deadline } from '../../domain/deadline';
import { MINUTE } from '../../domain/clock';
import type { RulesConfig } from '../../domain/config';
import { knownTermsOf, referenceFor, type KnownTerms } from '../../domain/reference';
import {
  DEFAULT_SUSPECT_CONFIRM_POLLS,
  DEFAULT_SUSPECT_FACTOR,
  computeConsensus,
  suspectReason,
  type ConsensusResult,
  type DroppedQuote,
  type Quote,
} from '../../domain/consensus';
import { termsFixedAt } from '../../domain/refund';
import { formatClock, formatNumber } from '../../domain/format';
import { errorMessage, type Logger } from '../../domain/log';
import type { Subscription } from '../../domain/subscription';
import { priceAlertAnnouncement } from '../../discord/render-price';
import { evaluateRules, seriesLookbackMs, type PriceAlert, type RuleState } from '../../domain/rules';
import { MAX_CUSTOM_RULES, rulesInUse } from '../../domain/rule-ids';
import type { Container } from '../container';

export interface PriceJobInput {
  /** The configured sources, built once per process (ccxt instances keep their markets). */
  sources: PriceSource[];
  /** No source is polled, and no retry or wait starts, after it (priceCycle: Lambda's time left). */
  deadline?: Deadline;
}

export interface SourceOutcome {
  sourceId: string;
  ok: boolean;
  price?: number;
  reason?: SourceFailureReason;
  error?: string;
}

export interface SymbolOutcome {
  symbol: string;
  /** Consensus price of this poll; undefined = no consensus (see dropped). */
  price: number | undefined;
  venues: string[];
  dropped: DroppedQuote[];
  alerts: PriceAlert[];
}

export interface PriceJobResult {
  at: number;
  sources: SourceOutcome[];
  symbols: SymbolOutcome[];
  alerts: PriceAlert[];
  /** New outbox entries (a re-run of the same cycle adds none). */
  enqueued: number;
  /** Every source polled failed (offline?): the runner exits non-zero on --once. */
  allSourcesFailed: boolean;
  /** Sources not polled because the run's deadline had passed (no health recorded for them). */
  skipped: string[];
  /** Storage or enqueueing problems; the rest of the cycle went on. */
  errors: string[];
  /** One line: sources ok/failed with reasons, consensus per symbol, rules fired. */
  summary: string;
}

/**
 * One price poll: fetch every source concurrently, compute the consensus per symbol, store it
 * with the samples and source health (one batch), evaluate the rules (configured plus the
 * channels' own) on the stored series, enqueue each alert, save the rule state, record the run. A failing source, symbol or alert is reported and the
 * rest goes on.
 *
 * Order matters for duplicates: alerts are enqueued before the rule state is saved, and their
 * keys come from the stored series, so a crash or a re-run in between re-enqueues the same key,
 * which the outbox refuses. A failed enqueue keeps the rule armed so the next poll retries it.
 */
export async function runPriceJob(container: Container, input: PriceJobInput): Promise<PriceJobResult> {
  const { clock, logger, prices: repo } = container;
  const { sources } = input;
  const startedAt = clock.now();
  const now = startedAt;
  const errors: string[] = [];

  const [rules, known, fetched] = await Promise.all([
    channelRules(container, errors),
    knownTerms(container, errors),
    Promise.all(
      sources.map((s) =>
        s.fetchQuote(now, input.deadline?.at).then(
          (quote) => ({ source: s, quote, error: undefined }),
          (err: unknown) => ({ source: s, quote: undefined, error: err }),
        ),
      ),
    ),
  ]);

  let health = new Map<string, SourceHealth>();
  try {
    health = new Map((await repo.sourceHealth({ ownWrites: true })).map((h) => [h.sourceId, h]));
  } catch (err) {
    errors.push(`reading source health: ${errorMessage(err)}`);
  }

  const outcomes: SourceOutcome[] = [];
  const quotes: Quote[] = [];
  const polled: PolledSource[] = [];
  const skipped: string[] = [];
  for (const { source, quote, error } of fetched) {
    if (error instanceof SourceSkippedError) {
      skipped.push(source.id);
      outcomes.push({ sourceId: source.id, ok: false, error: 'skipped: past the deadline' });
      continue;
    }
    if (quote) {
      quotes.push(quote);
      outcomes.push({ sourceId: source.id, ok: true, price: quote.price });
      polled.push({ ok: true, quote });
      continue;
    }
    const reason: SourceFailureReason = error instanceof QuoteError ? error.reason : 'permanent';
    const message = error instanceof QuoteError ? error.message : `${source.id}: ${errorMessage(error)}`;
    outcomes.push({ sourceId: source.id, ok: false, reason, error: message });
    // A missing market was reported once by the adapter; repeating it every poll is noise.
    if (reason !== 'market-missing') logger.warn(`price source ${message}`);
    const { id: sourceId, exchange, symbol } = source;
    polled.push({ ok: false, source: { sourceId, exchange, symbol }, reason, message });
  }
  // Each symbol's consensus first, so this poll's samples, health and consensus are one write.
  const screened: { symbol: string; consensus: ConsensusResult }[] = [];
  for (const symbol of [...new Set(sources.map((s) => s.symbol))]) {
    const ofSymbol = outcomes.filter((o) => sources.find((s) => s.id === o.sourceId)?.symbol === symbol);
    // A symbol whose every source is a missing market has nothing to record.
    if (ofSymbol.every((o) => o.reason === 'market-missing')) continue;
    const computed = computeConsensus(
      quotes.filter((q) => q.symbol === symbol),
      now,
      rules,
      symbol,
    );
    screened.push({ symbol, consensus: await screenSuspect(container, computed, now, errors) });
  }
  const errorsBefore = errors.length;
  await guard(errors, 'storing samples, source health and consensus', () =>
    repo.recordPoll(
      polled,
      health,
      rules.sampleRetentionDays,
      screened.map((s) => ({ result: s.consensus, at: now })),
    ),
  );
  const recorded = errors.length === errorsBefore;

  const symbols: SymbolOutcome[] = [];
  const alerts: PriceAlert[] = [];
  let enqueued = 0;
  for (const { symbol, consensus } of screened) {
    const outcome: SymbolOutcome = {
      symbol,
      price: consensus.price,
      venues: [...new Set(consensus.used.map((q) => q.exchange))],
      dropped: consensus.dropped,
      alerts: [],
    };
    symbols.push(outcome);
    // Not stored: the rules have nothing new to run on.
    if (!recorded) continue;
    await guard(errors, `evaluating ${symbol}`, async () => {
      const series = await repo.consensusSeries(symbol, now - seriesLookbackMs(rules) - MINUTE, now);
      const before = await repo.ruleStates(symbol, { ownWrites: true });
      const reference = referenceFor(container.config, symbol, known)?.price;
      const referenceSince =
        reference !== undefined ? await referenceSinceOf(container, symbol, known) : undefined;
      const evaluated = evaluateRules({
        symbol,
        series,
        state: before,
        rules,
        now,
        ...(reference !== undefined ? { reference } : {}),
        ...(referenceSince !== undefined ? { referenceSince } : {}),
      });
      const state: Record<string, RuleState> = { ...evaluated.state };
      for (const group of alertGroups(evaluated.alerts)) {
        try {
          enqueued += (await container.enqueue(group.map(priceAlertAnnouncement))).added;
          outcome.alerts.push(...group);
          alerts.push(...group);
        } catch (err) {
          for (const alert of group) {
            errors.push(`enqueueing ${alert.key}: ${errorMessage(err)}`);
            const prev = before[alert.ruleId];
            if (prev) state[alert.ruleId] = prev;
            else delete state[alert.ruleId];
          }
        }
      }
      await repo.saveRuleStates(symbol, state, before);
    });
  }

  const allSourcesFailed = sources.length > skipped.length && quotes.length === 0;
  const summary =
    summarize(
      now,
      outcomes.filter((o) => !skipped.includes(o.sourceId)),
      symbols,
      enqueued,
      errors,
    ) + (skipped.length ? `; skipped (deadline): ${skipped.join(', ')}` : '');
  if (skipped.length) logger.warn(`price job: deadline passed, ${skipped.length} source(s) not polled`);
  for (const e of errors) logger.error(`price job: ${e}`);
  await guard(errors, 'recording the run', () =>
    container.jobRuns.record('price', startedAt, !allSourcesFailed && errors.length === 0, summary),
  );
  return {
    at: now,
    sources: outcomes,
    symbols,
    alerts,
    enqueued,
    allSourcesFailed,
    skipped,
    errors,
    summary,
  };
}

const lastAccepted = new WeakMap<Container, Map<string, number>>();

/** Symbols with one configured venue, said once per process. */
const saidSingleVenue = new Set<string>();

/**
 * A one-venue jump beyond the suspect factor is held: returned without a price (nothing stored,
 * no rule runs on it), with the reason among the dropped quotes. Confirmed by a second venue (the
 * consensus then has two) or by the venue's own samples over several polls.
 */
async function screenSuspect(
  container: Container,
  consensus: ConsensusResult,
  now: number,
  errors: string[],
): Promise<ConsensusResult> {
  const { config, logger, prices } = container;
  const { symbol } = consensus;
  const configured = new Set(config.sources.filter((s) => s.symbol === symbol).map((s) => s.exchange));
  if (configured.size === 1 && !saidSingleVenue.has(symbol)) {
    saidSingleVenue.add(symbol);
    logger.warn(
      `price ${symbol}: only one venue (${[...configured][0]}) is configured, so no consensus is possible; ` +
        `a move beyond ×${config.rules.suspectFactor ?? DEFAULT_SUSPECT_FACTOR} in one poll is held until ` +
        `${config.rules.suspectConfirmPolls ?? DEFAULT_SUSPECT_CONFIRM_POLLS} polls confirm it`,
    );
  }
  const used = consensus.used[0];
  const price = consensus.price;
  if (price === undefined || !used) return consensus;
  // The last accepted consensus: remembered per container, read from the store on a cold start.
  const memo = lastAccepted.get(container) ?? new Map<string, number>();
  lastAccepted.set(container, memo);
  const remembered = memo.get(symbol);
  memo.set(symbol, price);
  if (new Set(consensus.used.map((q) => q.exchange)).size !== 1) return consensus;
  try {
    const previous = remembered ?? (await prices.latestConsensus(symbol))?.price;
    const factor = config.rules.suspectFactor ?? DEFAULT_SUSPECT_FACTOR;
    // Most polls move far less than the factor: only a jump costs the read of the venue's samples.
    if (previous === undefined || Math.max(price / previous, previous / price) <= factor) return consensus;
    const polls = config.rules.suspectConfirmPolls ?? DEFAULT_SUSPECT_CONFIRM_POLLS;
    const lookback = (polls + 1) * config.intervals.priceSeconds * 1000 + MINUTE;
    // This poll's sample is stored with the consensus, after this: it is the newest.
    const samples = (await prices.samples(symbol, now - lookback, now))
      .filter((q) => q.sourceId === used.sourceId && q.fetchedAt < used.fetchedAt)
      .map((q) => q.price)
      .concat(used.price);
    const reason = suspectReason(consensus, previous, samples, config.rules);
    if (!reason) return consensus;
    memo.set(symbol, previous); // held: the consensus stays where it was
    logger.warn(`price ${symbol}: ${reason}`);
    return {
      symbol,
      price: undefined,
      used: [],
      dropped: [...consensus.dropped, ...consensus.used.map((q) => ({ sourceId: q.sourceId, reason }))],
    };
  } catch (err) {
    errors.push(`screening ${symbol} for a suspect jump: ${errorMessage(err)}`);
    return consensus;
  }
}

/**
 * One fall often fires several drop rules in the same poll (12 % in an hour is also 10 % in a
 * day). They go out as one group of alternatives, most telling first (the largest fall, then the
 * shortest window), so each channel gets one message; the others still enter their cooldown.
 * Rise rules fired together are one group too. A crossing below the reference price is its own event and its own message.
 */
function alertGroups(alerts: PriceAlert[]): PriceAlert[][] {
  // Rises group the same way (largest rise first).
  const moves = (rule: 'drop' | 'rise') =>
    alerts
      .filter((a) => a.rule === rule)
      .sort(
        (a, b) =>
          Math.abs(b.changePercent) - Math.abs(a.changePercent) ||
          (a.windowMinutes ?? 0) - (b.windowMinutes ?? 0) ||
          a.ruleId.localeCompare(b.ruleId),
      );
  const groups = [moves('drop'), moves('rise')].filter((g) => g.length);
  const others = alerts.filter((a) => a.rule !== 'drop' && a.rule !== 'rise').map((a) => [a]);
  return [...groups, ...others];
}

/** Problems already logged by this process: a bad stored rule id would otherwise repeat every poll. */
const reported = new Set<string>();

function warnOnce(logger: Logger, line: string): void {
  if (reported.has(line)) return;
  if (reported.size >= 1000) reported.clear();
  reported.add(line);
  logger.warn(line);
}

/**
 * The configured rules plus the channels' own (`/alerts subscribe drop_percent:…`). A failed
 * subscription read costs only the channels' own rules this poll; the configured ones still run.
 */
async function channelRules(container: Container, errors: string[]): Promise<RulesConfig> {
  const { config, logger } = container;
  let subscriptions: Subscription[];
  try {
    subscriptions = await container.subscriptions.withOwnPriceRules();
  } catch (err) {
    errors.push(`reading the channels' price rules (configured rules only this poll): ${errorMessage(err)}`);
    return config.rules;
  }
  const inUse = rulesInUse(config.rules, subscriptions);
  for (const bad of inUse.invalid) warnOnce(logger, `price rules: ignoring a channel's ${bad.error}`);
  if (inUse.capped.length)
    warnOnce(
      logger,
      `price rules: ${inUse.custom.length + inUse.capped.length} distinct channel rules, capped at ${MAX_CUSTOM_RULES}; ${inUse.capped.length} not evaluated: ${inUse.capped.slice(0, 10).join(', ')}${inUse.capped.length > 10 ? ', …' : ''}`,
    );
  return inUse.rules;
}

/**
 * Refund rates the store knows beyond the config (from evidence or by hand), so a reference
 * announced after deploy applies without one. A failed read falls back to the config's terms.
 */
async function knownTerms(container: Container, errors: string[]): Promise<KnownTerms> {
  const { config, refunds } = container;
  try {
    return knownTermsOf(await Promise.all(config.incidents.map((i) => refunds.get(i.id))));
  } catch (err) {
    errors.push(`reading refund terms (configured terms only this poll): ${errorMessage(err)}`);
    return new Map();
  }
}

/**
 * Since when the symbol's reference (refund) price exists: its incident's configured terms time
 * (the end of the reference window, when the rate was fixed and released), else the time the refund
 * record got its terms. Undefined (no reference yet) when neither exists.
 */
async function referenceSinceOf(
  container: Container,
  symbol: string,
  known: KnownTerms,
): Promise<number | undefined> {
  const ref = referenceFor(container.config, symbol, known);
  const incident = container.config.incidents.find((i) => i.id === ref?.incidentId);
  if (!incident) return undefined;
  const configured = incident.refund?.referenceWindow?.to;
  if (configured) return Date.parse(configured);
  return termsFixedAt(await container.refunds.history(incident.id));
}

async function guard(errors: string[], what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    errors.push(`${what}: ${errorMessage(err)}`);
  }
}

function shortError(o: SourceOutcome): string {
  if (o.reason === 'offline') return 'offline';
  if (o.reason === 'market-missing') return 'market missing';
  const message = (o.error ?? '').replace(`${o.sourceId}: `, '');
  return `${o.reason}: ${message.length > 80 ? `${message.slice(0, 79)}…` : message}`;
}

function summarize(
  at: number,
  sources: SourceOutcome[],
  symbols: SymbolOutcome[],
  enqueued: number,
  errors: string[],
): string {
  const ok = sources.filter((s) => s.ok).length;
  const failed = sources.filter((s) => !s.ok).map((s) => `${s.sourceId} ${shortError(s)}`);
  const parts = [
    `price ${formatClock(at, 'YYYY-MM-DDThh:mmZ')}: sources ${ok}/${sources.length} ok${failed.length ? ` (failed: ${failed.join('; ')})` : ''}`,
  ];
  for (const s of symbols) {
    const droppedText = s.dropped.length
      ? `, dropped ${s.dropped.map((d) => `${d.sourceId} ${d.reason.split(':')[0]}`).join(', ')}`
      : '';
    parts.push(
      s.price === undefined
        ? `${s.symbol} no consensus${droppedText}`
        : `${s.symbol} ${formatNumber(s.price, 'en')} (${s.venues.join('+')}${droppedText})`,
    );
  }
  const fired = symbols.flatMap((s) => s.alerts.map((a) => `${a.symbol} ${a.ruleId}`));
  parts.push(fired.length ? `fired: ${fired.join(', ')} (${enqueued} queued)` : 'no rule fired');
  if (errors.length) parts.push(`${errors.length} error(s)`);
  return parts.join('; ');
}
