import type { IncidentConfig } from '../../domain/config';
import type { RefundChange } from '../../domain/refund';
import { decideEvidence, linkDomain, type RefundClaim } from '../../domain/refund-confirm';
import type { RefundSignal } from '../../domain/refund-evidence';
import type { NewsItem } from '../../domain/news';
import {
  refundCorrectionAnnouncement,
  refundStageAnnouncement,
  refundUnconfirmedAnnouncement,
} from '../../discord/render-news';
import { outboxId } from '../../store/outbox';
import type { RefundEvidence } from '../../store/refund-repo';
import type { NewsRun } from './news-job';
import { feedAudience } from './news-feeds';

/**
 * The news job's refund steps: one item's evidence moves the stage (official, or confirmed by a
 * second independent source), waits as an unconfirmed claim, or goes back (an official
 * contradiction); each change is posted once, a correction to exactly the channels that got the
 * change it corrects. Every step is safe to repeat after a crash: the claim put and the stage
 * change are conditional writes, the outbox refuses a key it has.
 */
export async function handleRefundEvidence(
  run: NewsRun,
  incident: IncidentConfig,
  item: NewsItem,
  signal: RefundSignal,
  doubt: string | undefined,
  nowMs: number,
): Promise<void> {
  const { refunds } = run.container;
  const current = await refunds.get(incident.id);
  const domain = linkDomain(item.link);
  const source = { feedId: item.feedId, ...(item.link ? { link: item.link } : {}) };
  const claim: RefundClaim = {
    incidentId: incident.id,
    id: `${signal.stage}#${item.feedId}#${item.key}`,
    stage: signal.stage,
    feedId: item.feedId,
    ...(domain ? { domain } : {}),
    ...(item.link ? { link: item.link } : {}),
    quote: signal.sentence,
    at: item.publishedAt ?? nowMs,
    seenAt: nowMs,
    ...(signal.rate !== undefined ? { rate: signal.rate } : {}),
    ...(signal.currency ? { currency: signal.currency } : {}),
    ...(signal.paymentDate ? { paymentDate: signal.paymentDate } : {}),
    because: signal.because,
    posted: false,
  };
  // Only feeds every server reads count: a claim kept from a server's own feed (/feeds add) before
  // such feeds stopped carrying evidence (ADR 0005 addendum) must not confirm a stage for everyone.
  const claims = (await refunds.claims(incident.id)).filter((c) => feedAudience(run, c.feedId) === undefined);
  const decision = decideEvidence({
    incident,
    current,
    stage: signal.stage,
    doubts: doubt !== undefined,
    source,
    claim,
    claims,
  });
  const own = { ...source, quote: signal.sentence };
  const base: RefundEvidence = {
    stage: signal.stage,
    ...(signal.rate !== undefined ? { rate: signal.rate } : {}),
    ...(signal.currency ? { currency: signal.currency } : {}),
    ...(signal.paymentDate ? { paymentDate: signal.paymentDate } : {}),
    evidence: item.link ? [item.link] : [],
    quote: signal.sentence,
    because: signal.because,
  };
  let change: RefundChange | undefined;
  switch (decision.kind) {
    case 'ignore':
      return;
    case 'official':
      change = await refunds.applyEvidence(incident.id, {
        ...base,
        basis: 'official',
        citations: [own],
        ...(decision.backward
          ? {
              backward: true,
              quote: doubt ?? signal.sentence,
              because: `official: ${doubt ?? signal.sentence}`,
            }
          : {}),
      });
      break;
    case 'confirmed': {
      const first = decision.with;
      const earlier = {
        feedId: first.feedId,
        ...(first.link ? { link: first.link } : {}),
        quote: first.quote,
      };
      // A rate or date only the first source stated is still a source's word, not ours.
      change = await refunds.applyEvidence(incident.id, {
        ...base,
        ...(base.rate === undefined && first.rate !== undefined
          ? { rate: first.rate, ...(first.currency ? { currency: first.currency } : {}) }
          : {}),
        ...(base.paymentDate === undefined && first.paymentDate ? { paymentDate: first.paymentDate } : {}),
        evidence: [...(first.link ? [first.link] : []), ...base.evidence],
        basis: 'confirmed',
        citations: [earlier, own],
      });
      break;
    }
    case 'unconfirmed':
      await refunds.putClaim(claim);
      if (decision.post) {
        run.result.outboxEntries += (
          await run.container.enqueue(refundUnconfirmedAnnouncement(claim, current.stage, incident))
        ).added;
        await refunds.markClaimPosted(incident.id, claim.id);
        run.result.unconfirmedPosted++;
      }
      return;
  }
  if (change) await postChange(run, change, incident);
}

/**
 * Queue a stage change's message and record the channels it went to. A change back along the
 * main line corrects an earlier one: the channels that got that one's message (and did not have
 * it dropped) get one correction quoting what was wrong; no other channel hears of it.
 */
export async function postChange(
  run: NewsRun,
  change: RefundChange,
  incident: IncidentConfig,
): Promise<void> {
  const { refunds, outbox } = run.container;
  let queued;
  if (change.corrects !== undefined) {
    const wrong = (await refunds.history(incident.id)).find((c) => c.seq === change.corrects);
    const to = wrong?.postedTo ? await stillDelivered(wrong, wrong.postedTo, incident, outbox) : undefined;
    queued = await run.container.enqueue(
      refundCorrectionAnnouncement(change, wrong, incident),
      to ? { to } : {},
    );
  } else {
    queued = await run.container.enqueue(refundStageAnnouncement(change, incident));
  }
  run.result.outboxEntries += queued.added;
  await refunds.markPosted(incident.id, change.seq, queued.channels);
  run.result.stageChanges.push(change);
  run.container.logger.info(
    `news: refund ${incident.id} ${change.from} → ${change.to}${change.auto ? '' : ` (by ${change.actor})`}` +
      (change.corrects !== undefined
        ? `, correcting #${change.corrects} in ${queued.channels.length} channel(s)`
        : ''),
  );
}

/** The channels whose copy of `wrong` was not dropped (an entry past retention counts as delivered). */
async function stillDelivered(
  wrong: RefundChange,
  channels: readonly string[],
  incident: IncidentConfig,
  outbox: NewsRun['container']['outbox'],
): Promise<string[]> {
  // The wrong message may itself have been a correction (a correction of a correction).
  const key = (
    wrong.corrects !== undefined
      ? refundCorrectionAnnouncement(wrong, undefined, incident)
      : refundStageAnnouncement(wrong, incident)
  ).key;
  const entries = await Promise.all(channels.map((c) => outbox.get(outboxId(key, c))));
  return channels.filter((_c, i) => entries[i]?.status !== 'dropped');
}
