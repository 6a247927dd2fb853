import type { IncidentConfig } from './config';
import { ZONE_OFFSET_MINUTES, formatClock } from './format';
import { assetNames, incidentTerms, mentionsOtherVenue, normalizeText } from './news';
import { REFUND_STAGES, type RefundStage } from './refund';

/**
 * Refund stages from evidence, one sentence at a time (ADR 0010). A stage is only as good as the
 * sentence that says it, so the sentence is kept and quoted. Rules, strictest first:
 * - A question headline is never evidence; a question, a negation or a hedge ("may", 検討中,
 *   未定, 見通し) in a body sentence is never evidence beyond `announced`.
 * - A payment date counts only when the same sentence says payment happens on it and the date is
 *   after the item's publication (an "as of" date, the article's own date or an announcement date
 *   is not a schedule).
 * - A rate counts only when the same sentence ties it to one unit of the asset.
 * - A sentence that names another exchange and none of this incident's terms is about something else.
 * Pure: no I/O.
 */

/** What an item says about the refund, with the sentence that says it. */
export interface RefundSignal {
  stage: RefundStage;
  /** The sentence the stage was read from (as written, trimmed). */
  sentence: string;
  /** Rate per unit of the incident's asset, only when read from a source sentence. */
  rate?: number;
  currency?: string;
  /** The sentence the rate was read from (may differ from `sentence`). */
  rateSentence?: string;
  /** YYYY-MM-DD of a payment date the sentence states, after the item's publication. */
  paymentDate?: string;
  /** Which rule fired, for the log and the history. */
  because: string;
}

export interface EvidenceText {
  title: string;
  /** The item's full text (before any display excerpt cap). */
  body?: string;
  /** Epoch ms; without it no date can be shown to lie after publication, so nothing is scheduled. */
  publishedAt?: number;
}

/** Ends that are abbreviations, not sentence ends: "Mt.", "U.S.", "Jan.", "Inc.", "No.", "A.". */
const ABBREVIATION =
  /(?:^|[\s(])(?:mt|st|mr|ms|mrs|dr|no|inc|co|ltd|corp|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|vs|approx|[a-z](?:\.[a-z])*)\.$/i;

/**
 * Sentences: Japanese ends at 。！？ and line breaks; other text is split with Intl.Segmenter
 * (which knows "Jan. 27" and "U.S." are not ends). A "- " list line is its own sentence.
 */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n+/)) {
    for (const part of line.split(/(?<=[。！？])/u)) {
      const t = part.trim();
      if (!t) continue;
      if (/[\u3040-\u30ff\u4e00-\u9fff]/u.test(t)) {
        out.push(t);
        continue;
      }
      const seg = new Intl.Segmenter('en', { granularity: 'sentence' });
      let pending = '';
      for (const { segment } of seg.segment(t)) {
        pending = pending ? `${pending} ${segment.trim()}` : segment.trim();
        // The segmenter ends a sentence at "Mt." or "U.S." too: keep those with what follows.
        if (ABBREVIATION.test(pending)) continue;
        if (pending) out.push(pending);
        pending = '';
      }
      if (pending) out.push(pending);
    }
  }
  return out;
}

const REFUND_TERMS =
  /返金|補償|全額(?:を)?保証|保証する|\bpa(?:y|id|ying) back\b|\brepaid\b|\b(?:start|began|begin|begun)\w* paying\b|払い戻し|払戻|返還|返済|弁済|refund|compensat|reimburs|repay|reparation|distribut|payout|paid out|creditors? (?:will )?receive|\bcover(?:s|ed|ing)? (?:all |the |of |their |users'? |customers'? |any )*loss(?:es)?\b|損失(?:は|を)?(?:すべて|全て|全額)?カバー|(?:顧客|利用者|ユーザー)に返す|支払いへ|\breceived (?:partial |full |their )?payments?\b/u;
const DISPUTE =
  /訴訟|提訴|異議|紛争|損害賠償|賠償を求め|lawsuit|\bsued?\b|\bsues\b|class action|\bseek(?:ing|s)? (?:the )?(?:reimbursement|refund|compensation|repayment)|\b(?:request|ask|demand)(?:ing|s|ed)? (?:for )?(?:a |an )?(?:refund|reimbursement|compensation|amount)|\bdemand(?:ing|s|ed)? (?:that )?[\w'’.-]+(?: [\w'’.-]+)? (?:refund|compensate|reimburse|repay|pay back)/u;
const FUTURE =
  /予定|見込み|方針|見通し|\bwill\b|\bwould\b|\bto be\b|schedul|\bplans? to\b|expected|to begin|to start|to commence|intends?|\bset to\b|\bnext\b/u;
const HEDGE =
  /未定|\banticipat|\bpending\b|検討|見通し|見込み|可能性|予想|とみられ|と見られ|模様|かもしれ|不透明|めど|メド|\bmay\b(?!\s+\d)|\bmight\b|\bcould\b|\blikely\b|\bconsider|\breportedly\b|\bpossib|\bpotential|\bhopes?\b|\bif\b|\brumou?r|\bspeculat|\bunclear\b|\bsubject to\b|\bnot (?:yet )?(?:been )?(?:finali[sz]ed|decided)/u;
const NEGATION =
  /(?:返金|補償|返還|返済|支払)(?:は|が|を|も)?(?:され|でき|行われ|行わ|し)?(?:ない|ず|ません)|なく|なし|ではない|できない|(?:完了|終了|開始|実施|支払い?|入金|返金|補償|返済|弁済|返還|発表|公表|表明|決定)(?:して|されて)(?:いない|いません|おらず)|受け取(?:っ|れ)て(?:いない|いません|おらず)|見送|拒否|否定|\bno (?:refund|compensation|reimbursement|repayment|plans?|date)\b|\bnot\b|n't\b|\bnever\b|\bnothing\b|\bwithout\b|\byet to\b|\bdenie[sd]\b|\bden(?:y|ies)\b|\bfalse\b|\bfake\b|\bscam\b/u;
const PAID =
  /(?:compensation|refunds?|reimbursements?|repayments?) (?:was|were|has been|have been) (?:given|made|paid|completed)|\bcompleted (?:\w+ ){0,2}(?:payout|distribution|repayment|refund) rounds?|(?:返金|補償|支払い?|払い戻し|返済|弁済)(?:が|を|は)?(?:全て|すべて)?(?:完了|終了|済み)|返金済|(?:返金|補償|支払い?|返済|弁済)[^。]{0,16}実施済|(?:has|have|had|were|was) (?:been )?(?:fully )?(?:paid|refunded|reimbursed|compensated|repaid|credited)|\bpaid out\b(?! of\b)|\b(?:has|have|had) (?:already )?(?:fully )?covered (?:all |the |of )*loss(?:es)?\b|\bfully paid\b|\bfinished (?:paying|refund|repay)|\bcomplet(?:e|es|ed) (?:the |its |their )?(?:refund|repayment|reimbursement|distribution|payout)s?|(?:refunds?|repayments?|reimbursements?|distributions?|payouts?) (?:ha(?:ve|s) been |were |was )?completed/u;
const PAYING =
  /(?:返金|補償|支払い?|払い戻し|返済|弁済|返還)(?:を|が|は)?(?:本日|今日|きょう)?(?:より|から)?(?:開始|実施し|始め|始ま)|(?:返金|補償|返済|弁済|払い戻し)を受け取っ|\b(?:reimburses|repays|compensates)\b|\breceived (?:partial |full )?payments?\b|\breceiv(?:e|es|ed|ing) (?:their |a |the |full )?(?:refund|compensation|reimbursement|repayment|payout|distribution)s?\b(?! (?:notices?|e-?mails?|forms?|applications?|claims?|requests?|details|letters?|plans?|information|instructions|updates?|codes?)\b)|\b(?:is|are) (?:now )?(?:refunding|repaying|reimbursing|compensating)\b|入金(?:され|し)(?:た|ました)|振り?込(?:まれ|ん)(?:だ|た|ました)|\b(?:compensation|refunds?|reimbursements?|repayments?) paid to\b|本日(?:より|から)?(?:返金|補償)|\bbegan\b|\bbegun\b|\bhas begun\b|\bbegins?\b|\bstarted (?:paying|refund|reimburs|to pay|to refund|to repay|compensat|repay|distribut)|\bstarts? (?:paying|refund|repay|distribut)|\bcommenced\b|\binitiated\b|\bare being (?:paid|refunded|repaid)|\bpayouts? (?:began|begin|started)|\bstarted (?:the )?(?:refund|repayment|distribution|payout)s?/u;
const PARTIAL =
  /一部(?:の)?(?:返金|補償|支払|顧客|ユーザー|利用者)|未払い|\bpartial(?:ly)?\b|\bpartly\b|\bsome (?:holders|users|customers|creditors) (?:have|had|were|was|received|got)\b|\b(?:first|second|third|fourth|initial|next) (?:round|tranche|batch|group|wave|distribution|repayment)s?\b|\b(?:two|three|four|five|\d) (?:payout|distribution|repayment) rounds\b/u;
const ANNOUNCE =
  /発表|方針|決定|表明|明らかに|返金する|返金いたします|補償する|補償いたします|保証する|返金へ|(?:で|に)返金$|announc|\b(?:repayments?|refunds?|distributions?|payouts?|reimbursements?) (?:to|will) (?:start|begin|commence)|\b(?:repayments?|refunds?|reparations?|distributions?|payouts?) will be made|\bwill (?:fully |partially )?(?:refund|compensate|reimburse|repay|cover|be (?:fully )?(?:refunded|repaid|reimbursed|compensated|covered))|保証いたします|カバーする|(?:顧客|利用者|ユーザー)に返す|払い戻しをする|返還する|弁済する|返済する|支払いへ|(?:返金|補償|返済|弁済|払い戻し)(?:が|は)行われ(?:る|ます)|\bwill (?:still )?(?:get|be) paid back\b|\bto (?:fully |partially |partly )?(?:refund|compensate|reimburse|repay)\b|(?:補償|保証|返還|弁済)へ|\bplans? to\b|\bpledge|\bpromis|\bvow|\bconfirm(?:s|ed)?\b|\bto begin (?:compensat|refund|repay|reimburs|paying)|\bintention to (?:start|begin|refund|repay|compensate|reimburse)|\bwould (?:be )?(?:refund|compensat|reimburs|repay|paid back|paid|pay)|(?:返金|補償)(?:が|を)?実施され(?:ます|る)/u;
const PAYMENT_VERB =
  /返金|補償|支払|払い戻し|払戻|返済|弁済|実施|refund|\bpa(?:y|id)\b|paying|payment|compensat|reimburs|repay|distribut|payout|reparation/u;
/** Words just before a date that make it an "as of", announcement or event date. */
const NOT_A_SCHEDULE_BEFORE =
  /時点|現在|as of|announced|\bsaid\b|\bsays\b|reported|published|updated|issued|hack|stolen|売買停止|effect|record date/u;
/** ... and just after it: "1月28日に発表", "26日時点", "1月26日に流出". */
const NOT_A_SCHEDULE_AFTER = /^\s*(?:に|の|、|,)?\s*(?:発表|公表|時点|現在|流出|発生|不正|付)/u;
/**
 * A deadline right before or after the date: "by March 31", "no later than", "3月31日までに".
 * "Paid by March 31" is a promise about the latest day, not the day payment happens.
 */
const DEADLINE_BEFORE_DATE =
  /(?:\bby|no later than|\bbefore|\buntil|\btill|\bthrough|\bwithin)\s+(?:the\s+)?(?:end of\s+)?$/u;
const DEADLINE_AFTER_DATE = /^\s*(?:まで|以前|より前|前に|迄)/u;
/** A sentence about a deadline or a postponement states no payment date. */
const DEADLINE = /期限|締切|締め切り|延期|deadline|postpone|extended|\bdue date/u;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function isoDate(year: number | undefined, month: number, day: number): string | undefined {
  if (!year || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

interface FoundDate {
  date: string;
  index: number;
  length: number;
}

/** Every date written in a (normalised) sentence; years default to the publication's. */
export function findDates(t: string, year: number | undefined): FoundDate[] {
  const found: FoundDate[] = [];
  const add = (m: RegExpExecArray, date: string | undefined) => {
    if (date && !found.some((f) => m.index < f.index + f.length && f.index < m.index + m[0].length))
      found.push({ date, index: m.index, length: m[0].length });
  };
  const scan = (re: RegExp, read: (m: RegExpExecArray) => string | undefined) => {
    for (let m = re.exec(t); m; m = re.exec(t)) add(m, read(m));
  };
  scan(/(?:(\d{4})年)?\s*(\d{1,2})月\s*(\d{1,2})日/gu, (m) =>
    isoDate(m[1] ? Number(m[1]) : year, Number(m[2]), Number(m[3])),
  );
  scan(/(\d{4})[-/](\d{1,2})[-/](\d{1,2})/gu, (m) => isoDate(Number(m[1]), Number(m[2]), Number(m[3])));
  // US style 03/12/2018 (Coincheck's English notices write dates this way).
  scan(/\b(\d{1,2})\/(\d{1,2})\/(\d{4})\b/gu, (m) => isoDate(Number(m[3]), Number(m[1]), Number(m[2])));
  scan(
    /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4}))?/gu,
    (m) => isoDate(m[3] ? Number(m[3]) : year, MONTHS.indexOf(m[1] ?? '') + 1, Number(m[2])),
  );
  scan(
    /\b(\d{1,2})(?:st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:,?\s+(\d{4}))?/gu,
    (m) => isoDate(m[3] ? Number(m[3]) : year, MONTHS.indexOf(m[2] ?? '') + 1, Number(m[1])),
  );
  return found.sort((a, b) => a.index - b.index);
}

/** The calendar day (JST, the incidents' zone) an epoch ms falls on. */
function dayOf(ms: number): string {
  return formatClock(ms, 'YYYY-MM-DD', ZONE_OFFSET_MINUTES.JST);
}

/**
 * A payment date: a date in a sentence that says payment happens, with no "as of" or
 * announcement wording next to it, strictly after the publication day.
 */
function paymentDateIn(t: string, publishedAt: number | undefined): string | undefined {
  if (publishedAt === undefined || !PAYMENT_VERB.test(t) || DEADLINE.test(t)) return undefined;
  const published = dayOf(publishedAt);
  const year = Number(published.slice(0, 4));
  const verbs = [...t.matchAll(new RegExp(PAYMENT_VERB.source, 'gu'))].map((m) => m.index);
  for (const d of findDates(t, year)) {
    const before = t.slice(Math.max(0, d.index - 24), d.index);
    const after = t.slice(d.index + d.length);
    if (
      NOT_A_SCHEDULE_BEFORE.test(before) ||
      NOT_A_SCHEDULE_AFTER.test(after) ||
      DEADLINE_BEFORE_DATE.test(before) ||
      DEADLINE_AFTER_DATE.test(after)
    )
      continue;
    // The payment word must be next to the date: "distributions ... on May 30", "3月12日に返金".
    const near = verbs.some(
      (v) =>
        (v < d.index && d.index - v <= 70) || (v >= d.index + d.length && v - (d.index + d.length) <= 24),
    );
    if (near && d.date > published) return d.date;
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A rate per unit of the asset: "1XEMあたり88.549円", "88.549 JPY per XEM", "JPY 88.549 for each NEM". */
export function rateIn(t: string, assets: string[]): { rate: number; currency: string } | undefined {
  const a = assets.map((x) => escapeRegExp(normalizeText(x))).join('|');
  const perAsset = new RegExp(
    `1\\s*(?:${a})|(?:${a})\\s*(?:あたり|当たり|につき|毎)|(?:per|each|for each|a)\\s+(?:${a}|coin|unit|token)\\b|/\\s*(?:${a})|^\\s*(?:\\([^)]*\\)\\s*)?each\\b`,
    'u',
  );
  // "88.549円×保有数", "88.549jpy x the amount held", "number of nem lost * 88.549 yen": per unit held.
  const timesHeld = /^\s*(?:[×*]|x\s)\s*[^。.]{0,40}?(?:保有数|amount held|number of)/u;
  const heldTimes = /(?:保有数|amount held|number of)[^。]{0,30}(?:[×*]|\sx)\s*$/u;
  const money = /(?<![\d.,])(?:(?:jpy|¥|円)\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:円|jpy|yen))/gu;
  for (let m = money.exec(t); m; m = money.exec(t)) {
    const before = t.slice(Math.max(0, m.index - 24), m.index);
    const after = t.slice(m.index + m[0].length, m.index + m[0].length + 48);
    if (
      perAsset.test(before) ||
      perAsset.test(after.slice(0, 24)) ||
      timesHeld.test(after) ||
      heldTimes.test(before)
    ) {
      const rate = Number(m[1] ?? m[2]);
      if (Number.isFinite(rate) && rate > 0) return { rate, currency: 'JPY' };
    }
  }
  return undefined;
}

/** A payment already under way or done: "having already begun receiving", "すでに返金は開始". */
const ALREADY =
  /\balready\b(?: \w+){0,2} (?:begun|began|started|received|receiving|been (?:paid|refunded|repaid|reimbursed))|(?:既に|すでに)[^。]{0,12}(?:返金|補償|支払|返済|弁済)/u;
/** Where a second clause starts: "begins paying small claims, with bigger payments scheduled". */
const CLAUSE = /\b(?:with|while|whereas)\b|;/u;

/**
 * Does the sentence put the payment in the future? Not when it says the payment is already
 * under way, nor when the only future word sits in a later clause than the payment verb.
 */
function isFuture(t: string): boolean {
  const future = FUTURE.exec(t);
  if (!future || ALREADY.test(t)) return false;
  const paying = PAYING.exec(t) ?? PAID.exec(t);
  if (!paying || paying.index > future.index) return true;
  return !CLAUSE.test(t.slice(paying.index + paying[0].length, future.index));
}

/** Clause ends inside a sentence: ";", ", ", "、", a spaced dash. */
const CLAUSE_BREAK = /[;；]\s*|,\s+|、|\s[-–—]\s/u;
/** A clause that describes what came just before it: "Zaif, which has already paid its users". */
const RELATIVE_CLAUSE = /^(?:which|who|whose|where)\b/u;
/** The thief, not the exchange: "the hacker has paid out stolen NEM". */
const THIEF = /\bhackers?\b|\battackers?\b|\bthie(?:f|ves)\b|\bcriminals?\b|犯人|ハッカー|犯行グループ/u;
/** What else an exchange distributes or pays out: "begins distributing staking rewards". */
const REWARD =
  /\bstaking\b|\brewards?\b|\bairdrops?\b|\bdividends?\b|\binterest\b|\bbonus(?:es)?\b|\bcashback\b|報酬|エアドロップ|配当|利息|特典|キャンペーン/u;
/** What only an exchange's refund is called (not "paid out", which a thief does too). */
const REFUND_NOUN = /返金|補償|返還|返済|弁済|払い戻|払戻|refund|compensat|reimburs|repay|reparation/u;

/**
 * The sentence without its clauses about someone else: a clause naming another exchange or coin
 * (and a "which/who" clause describing it), or one about the thief that says nothing of a refund.
 * "Mt. Gox creditors have been repaid, unlike Coincheck users" is no payment by Coincheck, and
 * "Bitpoint paid back its users on March 12; Coincheck is next" no date for it.
 */
function ownClauses(t: string, incident: IncidentConfig): string {
  const clauses = t.split(CLAUSE_BREAK);
  if (clauses.length < 2 && !THIEF.test(t)) return t;
  const kept: string[] = [];
  let droppedLast = false;
  for (const clause of clauses) {
    const elsewhere: boolean =
      mentionsOtherVenue(clause, incident) ||
      (THIEF.test(clause) && !REFUND_NOUN.test(clause)) ||
      (droppedLast && RELATIVE_CLAUSE.test(clause.trim()));
    if (!elsewhere) kept.push(clause);
    droppedLast = elsewhere;
  }
  // Nothing dropped: the sentence as written, so no pattern sees a rejoined text.
  return kept.length === clauses.length ? t : kept.join(', ');
}

/** A headline that asks or explains without a question mark: "When will Coincheck refund users". */
const INTERROGATIVE_START = /^(?:how|when|what|why|will|would|can|could|does|is|are|should|who)\b/iu;

function isQuestion(sentence: string): boolean {
  const s = sentence.trim();
  return (
    /[?？]/u.test(s) ||
    // "whether it will be repaid in bitcoin": the open question, not an answer.
    /かどうか|\bwhether\b/u.test(s) ||
    /(?:のか|か)[」』]?$/u.test(s) ||
    INTERROGATIVE_START.test(s.replace(/^[^\p{L}]+/u, ''))
  );
}

export interface SentenceContext {
  incident: IncidentConfig;
  publishedAt?: number;
  isTitle: boolean;
}

/** What one sentence says about the refund of this incident; undefined = no evidence. */
/**
 * What a sentence says about this incident's refund, normalised: its own clauses (ownClauses),
 * or undefined when it is no statement about the refund of this incident at all (no refund
 * word, a question, or only another exchange or coin named). The one gate for stages and doubt.
 */
function refundStatement(sentence: string, incident: IncidentConfig): string | undefined {
  const whole = normalizeText(sentence);
  if (!REFUND_TERMS.test(whole) || isQuestion(sentence)) return undefined;
  if (mentionsOtherVenue(whole, incident) && !incidentTerms(incident).some((re) => re.test(whole)))
    return undefined;
  const own = ownClauses(whole, incident);
  return REFUND_TERMS.test(own) ? own : undefined;
}

export function classifySentence(sentence: string, ctx: SentenceContext): RefundSignal | undefined {
  // Only what the sentence says of this incident is evidence (the quote stays the whole sentence).
  const t = refundStatement(sentence, ctx.incident);
  if (t === undefined) return undefined;
  // Rewards are distributed and paid out too: without a refund word it is not about the refund.
  if (REWARD.test(t) && !REFUND_NOUN.test(t)) return undefined;
  const base = { sentence: sentence.trim() };
  if (NEGATION.test(t)) return undefined;
  const rate = rateIn(t, assetNames(ctx.incident));
  const rateFields = rate ? { rate: rate.rate, currency: rate.currency, rateSentence: sentence.trim() } : {};
  if (HEDGE.test(t)) {
    return ANNOUNCE.test(t)
      ? { ...base, stage: 'announced', because: 'refund announced (hedged)' }
      : undefined;
  }
  const future = isFuture(t);
  if (DISPUTE.test(t)) return { ...base, stage: 'disputed', because: 'dispute or lawsuit' };
  if (PAID.test(t) && !future)
    return PARTIAL.test(t)
      ? { ...base, ...rateFields, stage: 'partial', because: 'partial payment completed' }
      : { ...base, ...rateFields, stage: 'paid', because: 'payment completed' };
  if (PAYING.test(t) && !future)
    return PARTIAL.test(t)
      ? { ...base, ...rateFields, stage: 'partial', because: 'partial payments under way' }
      : { ...base, ...rateFields, stage: 'paying', because: 'payments under way' };
  const paymentDate = paymentDateIn(t, ctx.publishedAt);
  if (paymentDate)
    return {
      ...base,
      ...rateFields,
      paymentDate,
      stage: 'scheduled',
      because: `payment date ${paymentDate}`,
    };
  if (rate)
    return { ...base, ...rateFields, stage: 'terms-fixed', because: `rate ${rate.rate} ${rate.currency}` };
  if (ANNOUNCE.test(t)) return { ...base, stage: 'announced', because: 'refund announced' };
  return undefined;
}

/** Stages in order of strength; `none` is never a claim. */
const STRENGTH: readonly RefundStage[] = REFUND_STAGES.filter((s) => s !== 'none');

/**
 * What an item says about the refund: the strongest sentence's stage, with a rate only when some
 * sentence states one. A question headline is skipped (never evidence); the body is read in full.
 */
export function classifyRefundEvidence(
  item: EvidenceText,
  incident: IncidentConfig,
): RefundSignal | undefined {
  const ctx = (isTitle: boolean): SentenceContext => ({
    incident,
    ...(item.publishedAt !== undefined ? { publishedAt: item.publishedAt } : {}),
    isTitle,
  });
  const signals: RefundSignal[] = [];
  const title = item.title.trim();
  if (title && !isQuestion(title)) {
    const s = classifySentence(title, ctx(true));
    if (s) signals.push(s);
  }
  for (const sentence of splitSentences(item.body ?? '')) {
    const s = classifySentence(sentence, ctx(false));
    if (s) signals.push(s);
  }
  if (!signals.length) return undefined;
  const best = signals.reduce((a, b) => (STRENGTH.indexOf(b.stage) > STRENGTH.indexOf(a.stage) ? b : a));
  const withRate = best.rate !== undefined ? best : signals.find((s) => s.rate !== undefined);
  if (!withRate || withRate === best) return best;
  return {
    ...best,
    rate: withRate.rate as number,
    ...(withRate.currency ? { currency: withRate.currency } : {}),
    ...(withRate.rateSentence ? { rateSentence: withRate.rateSentence } : {}),
  };
}

/**
 * The first sentence that doubts or denies the refund of this incident (a negation or a hedge:
 * "補償の時期は検討中", "refunds have not begun"), or undefined. Not evidence of a stage: an
 * official source saying it is what lets the stage go back (domain/refund-confirm.ts).
 */
export function refundDoubt(item: EvidenceText, incident: IncidentConfig): string | undefined {
  const sentences = [item.title.trim(), ...splitSentences(item.body ?? '')].filter(Boolean);
  return sentences.find((sentence) => {
    // Another exchange's undecided refund is no doubt about ours.
    const own = refundStatement(sentence, incident);
    return own !== undefined && (NEGATION.test(own) || HEDGE.test(own));
  });
}
