import { createHash } from 'node:crypto';
import type { IncidentConfig } from './config';
import type { RefundStage } from './refund';

/**
 * Pure news logic: stable item keys, keyword matching, story grouping and refund-signal
 * classification. No I/O; hashing is the only library call.
 */

/** One feed item as the news job keeps it, after parsing. */
export interface NewsItem {
  /** Stable per feed: see itemKey. */
  key: string;
  feedId: string;
  title: string;
  link?: string;
  guid?: string;
  /** Epoch ms from the item's own date, when it has a parseable one. */
  publishedAt?: number;
  /** Plain-text excerpt (already stripped of markup by the parser). */
  summary?: string;
  /** The feed's own title, shown as the source. */
  feedTitle?: string;
}

/** The fields itemKey looks at, as they come out of the parser. */
export interface ItemIdentity {
  guid?: string;
  link?: string;
  title?: string;
  date?: string;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 24);
}

/**
 * Stable key of an item within its feed: the guid (Atom id), else the link, else a hash of
 * title and date. Hashed so a 2 KB guid still makes a short DynamoDB sort key. The date is not
 * part of a guid or link key, so a re-dated item keeps its key.
 */
export function itemKey(item: ItemIdentity): string {
  const guid = item.guid?.trim();
  if (guid) return `g:${hash(guid)}`;
  const link = item.link?.trim();
  if (link) return `l:${hash(link)}`;
  return `h:${hash(`${item.title?.trim() ?? ''}\n${item.date?.trim() ?? ''}`)}`;
}

/** NFKC (full-width ＸＥＭ → XEM, half-width ｺｲﾝ → コイン), case folded, spaces collapsed. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A keyword as a pattern over normalised text. Latin keywords must start at a word boundary
 * ("nem" must not match "nemesis"); short ones (≤ 3 letters, like NEM/XEM) must also end at
 * one, longer ones may take a suffix ("hack" matches "hacked", "refund" matches "refunds").
 * Japanese has no spaces, so Japanese keywords match anywhere.
 */
function keywordPattern(keyword: string): RegExp {
  const k = normalizeText(keyword);
  if (!/^[\x20-\x7e]+$/.test(k)) return new RegExp(escapeRegExp(k), 'u');
  // Boundaries are Latin letters and digits only: in "XEMの" the の ends the word.
  const end = k.length <= 3 ? '(?![a-z0-9])' : '';
  return new RegExp(`(?<![a-z0-9])${escapeRegExp(k)}${end}`, 'u');
}

/** Distinct keywords an item must contain to belong to an incident: one word like "hack" is too weak. */
export const MIN_KEYWORD_HITS = 2;

export interface KeywordMatch {
  matched: boolean;
  /** The incident keywords found (normalised, distinct). */
  keywords: string[];
}

/** Does this text (title + excerpt) belong to the incident? Japanese and English keywords both count. */
export function matchIncident(text: string, incident: IncidentConfig): KeywordMatch {
  const normalized = normalizeText(text);
  const distinct = [...new Set([...incident.keywords.ja, ...incident.keywords.en].map(normalizeText))];
  const keywords = distinct.filter((k) => k && keywordPattern(k).test(normalized));
  return { matched: keywords.length >= MIN_KEYWORD_HITS, keywords };
}

/** A feed's link as a URL when it is http(s); undefined for javascript:, tag:, garbage. */
export function httpUrl(link: string | undefined): URL | undefined {
  if (!link) return undefined;
  let url: URL;
  try {
    url = new URL(link.trim());
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}

const TRACKING_PARAMS = /^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|rss|feed|from|cmpid|ncid|src)$/i;

/**
 * The same article under different URLs: scheme, "www.", fragment, tracking parameters and a
 * trailing slash do not count. Undefined for links that are not http(s) URLs.
 */
export function canonicalUrl(link: string | undefined): string | undefined {
  const url = httpUrl(link);
  if (!url) return undefined;
  const host = url.hostname.toLowerCase().replace(/^(www|amp|m)\./, '');
  const params = [...url.searchParams.entries()]
    .filter(([k]) => !TRACKING_PARAMS.test(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = params.length ? `?${new URLSearchParams(params).toString()}` : '';
  const path = url.pathname.replace(/\/+$/, '') || '/';
  return `${host}${path}${query}`;
}

/** Title reduced to letters and digits, so punctuation, spacing and width do not count. */
export function titleFingerprint(title: string): string {
  return normalizeText(title).replace(/[^\p{L}\p{N}]+/gu, '');
}

function bigrams(text: string): Map<string, number> {
  const chars = Array.from(text);
  const grams = new Map<string, number>();
  for (let i = 0; i < chars.length - 1; i++) {
    const g = `${chars[i]}${chars[i + 1]}`;
    grams.set(g, (grams.get(g) ?? 0) + 1);
  }
  return grams;
}

/**
 * Dice coefficient over character bigrams of the fingerprints (0..1). Character bigrams work
 * for Japanese, which has no word spaces, as well as for English.
 */
export function titleSimilarity(a: string, b: string): number {
  const fa = titleFingerprint(a);
  const fb = titleFingerprint(b);
  if (fa === fb) return 1;
  const ga = bigrams(fa);
  const gb = bigrams(fb);
  let total = 0;
  let common = 0;
  for (const n of ga.values()) total += n;
  for (const [g, n] of gb) {
    total += n;
    common += Math.min(n, ga.get(g) ?? 0);
  }
  return total === 0 ? 0 : (2 * common) / total;
}

/**
 * Titles at least this similar are the same story. High on purpose: short Japanese headlines of
 * different events differ by two characters ("返金を開始" / "返金が完了" scores 0.84).
 */
export const SAME_TITLE_SIMILARITY = 0.9;
/** Shorter fingerprints must be equal: "Update" vs "Updates" are not one story. */
const MIN_FUZZY_TITLE_CHARS = 12;

export interface StoryRef {
  title: string;
  link?: string;
}

/** Same story: same canonical URL, or near-duplicate titles. */
export function sameStory(a: StoryRef, b: StoryRef): boolean {
  const ua = canonicalUrl(a.link);
  if (ua && ua === canonicalUrl(b.link)) return true;
  const fa = titleFingerprint(a.title);
  const fb = titleFingerprint(b.title);
  if (!fa || !fb) return false;
  if (fa === fb) return true;
  if (Math.min(Array.from(fa).length, Array.from(fb).length) < MIN_FUZZY_TITLE_CHARS) return false;
  // Syndication adds a source to the title: "Headline - Ledger Daily", "【速報】Headline".
  if (fa.includes(fb) || fb.includes(fa)) return true;
  return titleSimilarity(a.title, b.title) >= SAME_TITLE_SIMILARITY;
}

/** Groups items that tell the same story, keeping input order (the first of a group is its lead). */
export function groupStories<T extends StoryRef>(items: T[]): T[][] {
  const groups: T[][] = [];
  for (const item of items) {
    const group = groups.find((g) => g.some((other) => sameStory(item, other)));
    if (group) group.push(item);
    else groups.push([item]);
  }
  return groups;
}

// ---- refund signals -----------------------------------------------------------------------

/** What an item says about the refund, when it says something with evidence. */
export interface RefundSignal {
  stage: RefundStage;
  /** Rate per unit of the incident's asset (e.g. 88.549), when the item states one. */
  rate?: number;
  currency?: string;
  /** YYYY-MM-DD (or --MM-DD when no year is known) of a payment date the item states. */
  paymentDate?: string;
  /** Which rule fired, for the log and the history. */
  because: string;
}

const REFUND_TERMS = /返金|補償|払い戻し|払戻|返還|refund|compensat|reimburs|repay/u;
const DISPUTE = /訴訟|提訴|異議|紛争|lawsuit|\bsued?\b|disput|class action/u;
const FUTURE = /予定|見込み|方針|見通し|\bwill\b|schedul|\bplans?\b|expected to|to begin|to start|intends?/u;
const PAID =
  /(?:返金|補償|支払い?|払い戻し)(?:が|を|は)?(?:全て|すべて)?完了|返金済み|完了しました|completed|(?:has|have|had|were|was) (?:been )?(?:fully )?(?:paid|refunded|reimbursed|compensated)|paid out|fully paid|finished (?:paying|refund)/u;
const PAYING =
  /(?:返金|補償|支払い?|払い戻し)(?:を|が)?(?:開始|実施|始め)|began|begun|started (?:paying|refund|to pay|to refund|compensat)|starts? (?:paying|refund)|begins? (?:paying|refund)|are being (?:paid|refunded)|payouts? (?:began|begin|started)/u;
const PARTIAL =
  /一部(?:の)?(?:返金|補償|支払|顧客|ユーザー|利用者)|partial(?:ly)?|\bpartly\b|some (?:holders|users|customers)/u;
const ANNOUNCE =
  /発表|方針|決定|表明|明らかに|announc|will (?:refund|compensate|reimburse|repay)|to (?:refund|compensate|reimburse|repay)|plans? to|pledge|promis|vow/u;
const PAYMENT_WORDS = /返金|補償|支払|払い戻し|払戻|refund|pay|compensat|reimburs/u;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function dateString(year: number | undefined, month: number, day: number): string | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const mm = String(month).padStart(2, '0');
  const dd = String(day).padStart(2, '0');
  return year ? `${year}-${mm}-${dd}` : `--${mm}-${dd}`;
}

/**
 * A payment date: a date with a payment word just before it ("refunds on March 12", "返金日は3月12日")
 * or just after it ("3月12日に返金"). A date elsewhere in the text (the hack's date) does not count.
 */
function findPaymentDate(text: string, year: number | undefined): string | undefined {
  const patterns: { re: RegExp; read: (m: RegExpExecArray) => string | undefined }[] = [
    {
      re: /(?:(\d{4})年)?\s*(\d{1,2})月\s*(\d{1,2})日/gu,
      read: (m) => dateString(m[1] ? Number(m[1]) : year, Number(m[2]), Number(m[3])),
    },
    { re: /(\d{4})-(\d{2})-(\d{2})/gu, read: (m) => dateString(Number(m[1]), Number(m[2]), Number(m[3])) },
    {
      re: /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(\d{4}))?/gu,
      read: (m) => dateString(m[3] ? Number(m[3]) : year, MONTHS.indexOf(m[1] ?? '') + 1, Number(m[2])),
    },
    {
      re: /\b(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:,?\s+(\d{4}))?/gu,
      read: (m) => dateString(m[3] ? Number(m[3]) : year, MONTHS.indexOf(m[2] ?? '') + 1, Number(m[1])),
    },
  ];
  for (const { re, read } of patterns) {
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const before = text.slice(Math.max(0, m.index - 30), m.index);
      const after = text.slice(m.index + m[0].length, m.index + m[0].length + 8);
      if (PAYMENT_WORDS.test(before) || PAYMENT_WORDS.test(after)) {
        const date = read(m);
        if (date) return date;
      }
    }
  }
  return undefined;
}

/**
 * A rate per unit of the asset: "88.549円" / "88.549 JPY" / "88.549 yen" with the asset next to it
 * ("1XEM=88.549円", "1XEMあたり88.549円", "88.549 JPY per XEM"). Totals like "約460億円" never match.
 */
function findRate(text: string, asset: string): { rate: number; currency: string } | undefined {
  const a = escapeRegExp(normalizeText(asset));
  const perAsset = new RegExp(`1\\s*${a}|${a}\\s*(?:あたり|当たり|につき|毎)|per\\s+${a}|/\\s*${a}`, 'u');
  const money = /(\d+(?:\.\d+)?)\s*(円|jpy|yen)/gu;
  for (let m = money.exec(text); m; m = money.exec(text)) {
    const before = text.slice(Math.max(0, m.index - 20), m.index);
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 20);
    if (perAsset.test(before) || perAsset.test(after)) {
      const rate = Number(m[1]);
      if (Number.isFinite(rate) && rate > 0) return { rate, currency: 'JPY' };
    }
  }
  return undefined;
}

/**
 * What an item (title + excerpt) says about the refund of this incident. Undefined when it does
 * not talk about a refund, or talks about one without evidence of a stage. Strongest first:
 * a dispute, a completed payment, payments under way, a payment date, a rate, an announcement.
 * `year` fills in dates written without one (the item's own year).
 */
export function classifyRefund(
  text: string,
  incident: IncidentConfig,
  year?: number,
): RefundSignal | undefined {
  const t = normalizeText(text);
  if (!REFUND_TERMS.test(t)) return undefined;
  const rate = findRate(t, incident.asset);
  const paymentDate = findPaymentDate(t, year);
  const extras = {
    ...(rate ? { rate: rate.rate, currency: rate.currency } : {}),
    ...(paymentDate ? { paymentDate } : {}),
  };
  const future = FUTURE.test(t);
  if (DISPUTE.test(t)) return { stage: 'disputed', ...extras, because: 'dispute or lawsuit' };
  if (PAID.test(t) && !future)
    return PARTIAL.test(t)
      ? { stage: 'partial', ...extras, because: 'partial payment completed' }
      : { stage: 'paid', ...extras, because: 'payment completed' };
  if (PAYING.test(t) && !future)
    return PARTIAL.test(t)
      ? { stage: 'partial', ...extras, because: 'partial payments under way' }
      : { stage: 'paying', ...extras, because: 'payments under way' };
  if (paymentDate) return { stage: 'scheduled', ...extras, because: `payment date ${paymentDate}` };
  if (rate) return { stage: 'terms-fixed', ...extras, because: `rate ${rate.rate} ${rate.currency}` };
  if (ANNOUNCE.test(t)) return { stage: 'announced', ...extras, because: 'refund announced' };
  return undefined;
}

/** HTTP cache validators a feed answered with, sent back as If-None-Match / If-Modified-Since. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}
