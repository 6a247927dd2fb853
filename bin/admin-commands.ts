/**
 * Maintainer commands that change stored state by hand: `refund set-stage`, `refund set-terms`,
 * `feeds enable`.
 * They open the local store (local/local-store.ts) so they run on the same data as the bot.
 */
import { createContainer, type Container } from '../lambdas/app/container';
import { systemClock } from '../lambdas/domain/clock';
import { consoleLogger } from '../lambdas/domain/log';
import type { Config } from '../lambdas/domain/config';
import {
  isRefundStage,
  manualTermsProblems,
  REFUND_STAGES,
  type ManualTerms,
} from '../lambdas/domain/refund';
import { openStore } from '../local/local-store';
import { UsageError } from './usage-error';

/** The options `refund set-stage` and `refund set-terms` read. */
export interface RefundOptions {
  reason?: string;
  incident?: string;
  evidence?: string[];
  rate?: string;
  currency?: string;
  venue?: string;
  'window-from'?: string;
  'window-to'?: string;
  holders?: string;
  total?: string;
}

const REFUND_USAGE = `usage: goxwatch refund set-stage <stage> --reason <text>; stages: ${REFUND_STAGES.join(', ')}
       goxwatch refund set-terms --rate <n> --currency <code> --reason <text> [--venue <name>]
                                 [--window-from <iso> --window-to <iso>] [--holders <n>] [--total <n>]`;

export async function refundCommand(
  config: Config,
  positionals: string[],
  values: RefundOptions,
): Promise<number> {
  const [sub, stage] = positionals;
  if (sub === 'set-terms') return setTerms(config, values);
  if (sub !== 'set-stage' || !stage) throw new UsageError(REFUND_USAGE);
  if (!isRefundStage(stage))
    throw new UsageError(`unknown stage "${stage}"; stages: ${REFUND_STAGES.join(', ')}`);
  if (!values.reason)
    throw new UsageError('refund set-stage needs --reason "<why>" (it goes into the audit entry)');
  const incidentId = incidentOf(config, values.incident);
  return withRefunds(config, async (repo, actor) => {
    const change = await repo.setStage(incidentId, stage, {
      actor,
      reason: values.reason ?? '',
      ...(values.evidence ? { evidence: values.evidence } : {}),
    });
    console.log(
      change
        ? `refund ${incidentId}: ${change.from} → ${change.to} (by ${actor}); the next news run posts it`
        : `refund ${incidentId}: already at ${stage}; nothing changed`,
    );
  });
}

/** `refund set-terms`: the rate (and what else is known) by hand, audited like set-stage. */
async function setTerms(config: Config, values: RefundOptions): Promise<number> {
  if (values.rate === undefined || !values.currency || !values.reason)
    throw new UsageError(`refund set-terms needs --rate, --currency and --reason\n${REFUND_USAGE}`);
  if ((values['window-from'] === undefined) !== (values['window-to'] === undefined))
    throw new UsageError('refund set-terms: give both --window-from and --window-to, or neither');
  const num = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`refund set-terms: --${name} must be a number (got "${raw}")`);
    return n;
  };
  const holders = num('holders', values.holders);
  const total = num('total', values.total);
  const terms: ManualTerms = {
    rate: num('rate', values.rate) as number,
    currency: values.currency.trim().toUpperCase(),
    ...(values.venue !== undefined ? { venue: values.venue } : {}),
    ...(values['window-from'] !== undefined && values['window-to'] !== undefined
      ? { window: { from: values['window-from'], to: values['window-to'] } }
      : {}),
    ...(holders !== undefined ? { holders } : {}),
    ...(total !== undefined ? { total } : {}),
  };
  const problems = manualTermsProblems(terms);
  if (problems.length) throw new UsageError(`refund set-terms: ${problems.join('; ')}`);
  const incidentId = incidentOf(config, values.incident);
  return withRefunds(config, async (repo, actor) => {
    const change = await repo.setTerms(incidentId, terms, {
      actor,
      reason: values.reason ?? '',
      ...(values.evidence ? { evidence: values.evidence } : {}),
    });
    console.log(
      change
        ? `refund ${incidentId}: terms ${terms.rate} ${terms.currency} (by ${actor}), stage ${change.from} → ${change.to}; the reference price from now on; the next news run posts it`
        : `refund ${incidentId}: already has these terms; nothing changed`,
    );
  });
}

function incidentOf(config: Config, asked: string | undefined): string {
  const incidentId = asked ?? config.incidents[0]?.id;
  if (!incidentId || !config.incidents.some((i) => i.id === incidentId))
    throw new UsageError(
      `unknown incident "${incidentId}"; configured: ${config.incidents.map((i) => i.id).join(', ')}`,
    );
  return incidentId;
}

async function withRefunds(
  config: Config,
  fn: (repo: Container['refunds'], actor: string) => Promise<void>,
): Promise<number> {
  const opened = await openStore(config);
  try {
    await fn(containerOver(config, opened.store).refunds, `cli:${process.env.USER ?? 'unknown'}`);
    return 0;
  } finally {
    await opened.close();
  }
}

export async function feedsCommand(config: Config, positionals: string[]): Promise<number> {
  const [sub, feedId] = positionals;
  if (sub !== 'enable' || !feedId) throw new UsageError('usage: goxwatch feeds enable <feed id>');
  if (!config.feeds.some((f) => f.id === feedId))
    throw new UsageError(`unknown feed "${feedId}"; configured: ${config.feeds.map((f) => f.id).join(', ')}`);
  const opened = await openStore(config);
  try {
    const enabled = await containerOver(config, opened.store).news.enableFeed(feedId);
    console.log(
      enabled ? `feed ${feedId}: enabled; the next news run fetches it` : `feed ${feedId}: never fetched yet`,
    );
    return 0;
  } finally {
    await opened.close();
  }
}

/** The same container the bot builds, over the local store. */
function containerOver(config: Config, store: Container['store']): Container {
  return createContainer({ config, store, clock: systemClock, logger: consoleLogger });
}
