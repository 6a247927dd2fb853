import type { Clock } from '../domain/clock';
import {
  REFUND_STAGES,
  canAutoTransition,
  canManualTransition,
  carriedRateSource,
  isBackward,
  isRefundStage,
  type Citation,
  manualTermsProblems,
  stageAfterTerms,
  type ManualTerms,
  type RefundTermsDetail,
  type RefundChange,
  type RefundRecord,
  type RefundStage,
} from '../domain/refund';
import type { RefundClaim } from '../domain/refund-confirm';
import { ttlAfter, type Item, type Store } from './store';
import { PK } from './keys';

/**
 * Refund status per incident, with its history (single-item conditional writes only):
 *   REFUND#<incident> / STATE          the current record, `version` = number of changes
 *   REFUND#<incident> / CHANGE#<seq>   each change (seq = version it creates), with evidence,
 *                                      or actor + reason for a change made by hand (the audit)
 * A change is written first, with a conditional put on its seq: that put is the lock, only one
 * writer gets seq N+1. The STATE update follows; if a process dies between the two, the next
 * reader finds CHANGE#<version+1> and rolls the state forward, so the history and the state agree.
 *
 * Unofficial evidence waits in its own partition until a second source confirms it:
 *   REFUNDCLAIM#<incident> / <claim id>   one per (stage, feed, item), put only if absent, so a
 *                                         run that dies after the put finds it and goes on
 */

const pk = PK.refund;
const STATE = 'STATE';
const changeSk = (seq: number) => `CHANGE#${String(seq).padStart(6, '0')}`;
const MAX_ATTEMPTS = 5;
/** Claims are read only within their window (at most 30 days); kept a little longer, then expire. */
const CLAIM_RETENTION_DAYS = 35;

/** The stored record; items written before any evidence may lack the list. */
type StateItem = Item & Omit<RefundRecord, 'evidence'> & { evidence?: string[] };

type ChangeItem = Item & RefundChange & { posted: boolean };

type ClaimItem = Item & RefundClaim;

/** Evidence from news that may move the stage automatically. */
export interface RefundEvidence {
  stage: RefundStage;
  rate?: number;
  currency?: string;
  paymentDate?: string;
  evidence: string[];
  /** Why the classifier decided so (kept in the change's reason). */
  because?: string;
  /** The source sentence that says it (kept and quoted). */
  quote?: string;
  /** Official, or confirmed by two independent sources; with the sources it rests on. */
  basis?: 'official' | 'confirmed';
  citations?: Citation[];
  /** An official source contradicts the current stage: go back to `stage` (a correction). */
  backward?: boolean;
}

export class RefundRepo {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** The current refund status; stage 'none' (version 0) when never set. */
  async get(incidentId: string): Promise<RefundRecord> {
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      const { state, pending } = await this.stateAndNext(incidentId);
      const version = state?.version ?? 0;
      if (!pending) return toRecord(incidentId, state);
      await this.rollForward(incidentId, version, pending);
    }
    throw new Error(`refund ${incidentId}: state keeps moving under us; try again`);
  }

  /**
   * The current refund status and every change (oldest first), from one read of the partition
   * rather than one for each (/refund show). A change whose writer died before updating the state
   * is rolled forward first, as get does.
   */
  async withHistory(incidentId: string): Promise<{ record: RefundRecord; history: RefundChange[] }> {
    const items = await this.store.query<Item>(pk(incidentId), { from: changeSk(0), to: STATE });
    const state = items.find((i): i is StateItem => i.sk === STATE);
    const changes = items.filter((i): i is ChangeItem => i.sk.startsWith('CHANGE#'));
    const pending = changes.some((c) => c.sk === changeSk((state?.version ?? 0) + 1));
    return {
      record: pending ? await this.get(incidentId) : toRecord(incidentId, state),
      history: changes.map(toChange),
    };
  }

  /**
   * The state and the change a writer that died left after it, in one query rather than two
   * reads: STATE sorts after every CHANGE#, so the newest two items between them are the state
   * and the last change. Anything else in that range falls back to the two reads.
   */
  private async stateAndNext(
    incidentId: string,
  ): Promise<{ state: StateItem | undefined; pending: ChangeItem | undefined }> {
    const items = await this.store.query<Item>(pk(incidentId), {
      from: changeSk(0),
      to: STATE,
      descending: true,
      limit: 2,
    });
    const state = items[0]?.sk === STATE ? (items[0] as StateItem) : undefined;
    const newest = state ? items[1] : items[0];
    const next = changeSk((state?.version ?? 0) + 1);
    if (newest && !newest.sk.startsWith('CHANGE#')) {
      const read = await this.store.get<StateItem>(pk(incidentId), STATE);
      return {
        state: read,
        pending: await this.store.get<ChangeItem>(pk(incidentId), changeSk((read?.version ?? 0) + 1)),
      };
    }
    return { state, pending: newest?.sk === next ? (newest as ChangeItem) : undefined };
  }

  /**
   * Set the stage by hand (CLI, slash command): any stage, with an audit entry naming who and why.
   * Returns the change, or undefined when the stage already is `stage`.
   */
  async setStage(
    incidentId: string,
    stage: RefundStage,
    by: { actor: string; reason: string; evidence?: string[] },
  ): Promise<RefundChange | undefined> {
    if (!isRefundStage(stage))
      throw new Error(
        `refund ${incidentId}: unknown stage "${String(stage)}"; use one of ${REFUND_STAGES.join(', ')}`,
      );
    if (!by.actor.trim()) throw new Error(`refund ${incidentId}: a manual change needs an actor (who)`);
    if (!by.reason.trim()) throw new Error(`refund ${incidentId}: a manual change needs a reason (why)`);
    return this.commit(incidentId, (current, seq) => {
      if (!canManualTransition(current.stage, stage)) return undefined;
      return {
        incidentId,
        seq,
        from: current.stage,
        to: stage,
        at: this.clock.now(),
        auto: false,
        ...carry(current),
        // Going back along the main line corrects the change that set the current stage.
        ...(isBackward(current.stage, stage) && current.version > 0 ? { corrects: current.version } : {}),
        evidence: by.evidence ?? [],
        actor: by.actor.trim(),
        reason: by.reason.trim(),
      };
    });
  }

  /**
   * Set the refund terms by hand (CLI, slash command), audited like setStage: rate and currency
   * (rateSource 'maintainer'), optional venue, window, holders, total. Moves the stage to
   * terms-fixed unless it is already at or past it (stageAfterTerms); the reference price exists
   * from this change's time. Undefined when the record already has exactly these terms.
   */
  async setTerms(
    incidentId: string,
    terms: ManualTerms,
    by: { actor: string; reason: string; evidence?: string[] },
  ): Promise<RefundChange | undefined> {
    const problems = manualTermsProblems(terms);
    if (problems.length) throw new Error(`refund ${incidentId}: ${problems.join('; ')}`);
    if (!by.actor.trim()) throw new Error(`refund ${incidentId}: a manual change needs an actor (who)`);
    if (!by.reason.trim()) throw new Error(`refund ${incidentId}: a manual change needs a reason (why)`);
    const { rate, currency, ...rest } = terms;
    const detail: RefundTermsDetail = {
      ...(rest.venue ? { venue: rest.venue.trim() } : {}),
      ...(rest.window ? { window: rest.window } : {}),
      ...(rest.holders !== undefined ? { holders: rest.holders } : {}),
      ...(rest.total !== undefined ? { total: rest.total } : {}),
    };
    return this.commit(incidentId, (current, seq) => {
      const to = stageAfterTerms(current.stage);
      const same =
        to === current.stage &&
        current.rate === rate &&
        current.currency === currency &&
        JSON.stringify(current.terms ?? {}) === JSON.stringify(detail);
      if (same) return undefined;
      return {
        incidentId,
        seq,
        from: current.stage,
        to,
        at: this.clock.now(),
        auto: false,
        rate,
        currency,
        rateSource: 'maintainer',
        ...(current.paymentDate ? { paymentDate: current.paymentDate } : {}),
        ...(Object.keys(detail).length ? { terms: detail } : {}),
        evidence: by.evidence ?? [],
        actor: by.actor.trim(),
        reason: by.reason.trim(),
      };
    });
  }

  /**
   * Move the stage from news evidence: forward (see canAutoTransition), or back along the main
   * line when `ev.backward` (an official contradiction; the change corrects the current one).
   * Undefined when not allowed.
   */
  async applyEvidence(incidentId: string, ev: RefundEvidence): Promise<RefundChange | undefined> {
    return this.commit(incidentId, (current, seq) => {
      const back = !!ev.backward && isBackward(current.stage, ev.stage) && current.version > 0;
      if (!back && !canAutoTransition(current.stage, ev.stage)) return undefined;
      const rate = ev.rate ?? current.rate;
      const currency = ev.rate !== undefined ? ev.currency : current.currency;
      const rateSource = ev.rate !== undefined ? 'source' : carriedRateSource(current.rateSource);
      const paymentDate = ev.paymentDate ?? current.paymentDate;
      return {
        incidentId,
        seq,
        from: current.stage,
        to: ev.stage,
        at: this.clock.now(),
        auto: true,
        ...(rate !== undefined ? { rate } : {}),
        ...(currency ? { currency } : {}),
        ...(paymentDate ? { paymentDate } : {}),
        ...(rate !== undefined && rateSource ? { rateSource } : {}),
        // A maintainer's venue, window … describe their rate; a new rate from a source drops them.
        ...(ev.rate === undefined && current.terms ? { terms: current.terms } : {}),
        evidence: ev.evidence,
        ...(ev.quote ? { quote: ev.quote } : {}),
        ...(ev.because ? { reason: ev.because } : {}),
        ...(ev.basis ? { basis: ev.basis } : {}),
        ...(ev.citations?.length ? { citations: ev.citations } : {}),
        ...(back ? { corrects: current.version } : {}),
      };
    });
  }

  /** Every change, oldest first (the audit trail). */
  async history(incidentId: string): Promise<RefundChange[]> {
    return (await this.store.query<ChangeItem>(pk(incidentId), { prefix: 'CHANGE#' })).map(toChange);
  }

  /** Changes not yet enqueued (a manual change from the CLI, or a run that died mid-way). */
  async unposted(incidentId: string): Promise<RefundChange[]> {
    return (await this.store.query<ChangeItem>(pk(incidentId), { prefix: 'CHANGE#' }))
      .filter((c) => !c.posted)
      .map(toChange);
  }

  /** The change's message is queued, for these channels (a correction goes to exactly them). */
  async markPosted(incidentId: string, seq: number, channels: readonly string[]): Promise<void> {
    await this.store.update(
      pk(incidentId),
      changeSk(seq),
      { posted: true, postedTo: [...channels] },
      { expected: { seq } },
    );
  }

  /** Keep an unofficial claim; false when it was kept before (a re-run reads the same item). */
  async putClaim(claim: RefundClaim): Promise<boolean> {
    const item: ClaimItem = {
      pk: PK.refundClaims(claim.incidentId),
      sk: claim.id,
      ...claim,
      expiresAt: ttlAfter(claim.seenAt, CLAIM_RETENTION_DAYS),
    };
    return this.store.put(item, { ifAbsent: true });
  }

  async claims(incidentId: string): Promise<RefundClaim[]> {
    return (await this.store.query<ClaimItem>(PK.refundClaims(incidentId))).map(
      ({ pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, expiresAt: _e, ...claim }) => claim,
    );
  }

  /** Its "reported, unconfirmed" message is queued. */
  async markClaimPosted(incidentId: string, id: string): Promise<void> {
    await this.store.update(PK.refundClaims(incidentId), id, { posted: true }, { expected: { id } });
  }

  private async commit(
    incidentId: string,
    build: (current: RefundRecord, seq: number) => RefundChange | undefined,
  ): Promise<RefundChange | undefined> {
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      const current = await this.get(incidentId);
      const change = build(current, current.version + 1);
      if (!change) return undefined;
      const item: ChangeItem = { pk: pk(incidentId), sk: changeSk(change.seq), ...change, posted: false };
      if (!(await this.store.put(item, { ifAbsent: true }))) continue; // another writer took this seq
      await this.rollForward(incidentId, current.version, item);
      return change;
    }
    throw new Error(`refund ${incidentId}: too many concurrent changes; try again`);
  }

  /** Apply change `version + 1` to the state; a no-op when someone else already did. */
  private async rollForward(incidentId: string, version: number, change: RefundChange): Promise<void> {
    await this.store.update(
      pk(incidentId),
      STATE,
      {
        incidentId,
        stage: change.to,
        version: change.seq,
        rate: change.rate,
        currency: change.currency,
        paymentDate: change.paymentDate,
        rateSource: change.rateSource,
        terms: change.terms,
        updatedAt: change.at,
        evidence: change.evidence,
      },
      {
        remove: [
          ...(change.rate === undefined ? ['rate'] : []),
          ...(change.currency === undefined ? ['currency'] : []),
          ...(change.paymentDate === undefined ? ['paymentDate'] : []),
          ...(change.rateSource === undefined ? ['rateSource'] : []),
          ...(change.terms === undefined ? ['terms'] : []),
        ],
        expected: { version: version === 0 ? null : version },
      },
    );
  }
}

function carry(
  current: RefundRecord,
): Pick<RefundChange, 'rate' | 'currency' | 'paymentDate' | 'rateSource' | 'terms'> {
  const rateSource = carriedRateSource(current.rateSource);
  return {
    ...(current.rate !== undefined ? { rate: current.rate } : {}),
    ...(current.rate !== undefined && rateSource ? { rateSource } : {}),
    ...(current.currency ? { currency: current.currency } : {}),
    ...(current.paymentDate ? { paymentDate: current.paymentDate } : {}),
    ...(current.terms ? { terms: current.terms } : {}),
  };
}

function toRecord(incidentId: string, state: StateItem | undefined): RefundRecord {
  if (!state) return { incidentId, stage: 'none', version: 0, evidence: [] };
  return {
    incidentId,
    stage: state.stage,
    version: state.version,
    ...(state.rate !== undefined ? { rate: state.rate } : {}),
    ...(state.currency ? { currency: state.currency } : {}),
    ...(state.paymentDate ? { paymentDate: state.paymentDate } : {}),
    ...(state.rateSource ? { rateSource: state.rateSource } : {}),
    ...(state.terms ? { terms: state.terms } : {}),
    ...(state.updatedAt !== undefined ? { updatedAt: state.updatedAt } : {}),
    evidence: state.evidence ?? [],
  };
}

function toChange(c: ChangeItem): RefundChange {
  const { pk: _pk, sk: _sk, posted: _p, gsi1pk: _g, gsi1sk: _gs, expiresAt: _e, ...rest } = c;
  return rest;
}
