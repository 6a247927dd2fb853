/**
 * Maintainer commands that change stored state by hand: `refund set-stage`, `feeds enable`.
 * They open the local store (local/local-store.ts) so they run on the same data as the bot.
 */
import { createContainer, type Container } from '../lambdas/app/container';
import { systemClock } from '../lambdas/domain/clock';
import { consoleLogger } from '../lambdas/domain/log';
import type { Config } from '../lambdas/domain/config';
import { isRefundStage, REFUND_STAGES } from '../lambdas/domain/refund';
import { openStore } from '../local/local-store';
import { UsageError } from './usage-error';

export async function refundCommand(
  config: Config,
  positionals: string[],
  values: { reason?: string; incident?: string; evidence?: string[] },
): Promise<number> {
  const [sub, stage] = positionals;
  if (sub !== 'set-stage' || !stage)
    throw new UsageError(
      `usage: goxwatch refund set-stage <stage> --reason <text>; stages: ${REFUND_STAGES.join(', ')}`,
    );
  if (!isRefundStage(stage))
    throw new UsageError(`unknown stage "${stage}"; stages: ${REFUND_STAGES.join(', ')}`);
  if (!values.reason)
    throw new UsageError('refund set-stage needs --reason "<why>" (it goes into the audit entry)');
  const incidentId = values.incident ?? config.incidents[0]?.id;
  if (!incidentId || !config.incidents.some((i) => i.id === incidentId))
    throw new UsageError(
      `unknown incident "${incidentId}"; configured: ${config.incidents.map((i) => i.id).join(', ')}`,
    );
  const opened = await openStore(config);
  try {
    const repo = containerOver(config, opened.store).refunds;
    const actor = `cli:${process.env.USER ?? 'unknown'}`;
    const change = await repo.setStage(incidentId, stage, {
      actor,
      reason: values.reason,
      ...(values.evidence ? { evidence: values.evidence } : {}),
    });
    console.log(
      change
        ? `refund ${incidentId}: ${change.from} → ${change.to} (by ${actor}); the next news run posts it`
        : `refund ${incidentId}: already at ${stage}; nothing changed`,
    );
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
