import { createHash } from 'node:crypto';
import type { IncidentConfig } from './config';

/**
 * Pure news logic: stable item keys, incident matching and story grouping (refund stages are in
 * refund-evidence.ts). No I/O; hashing is the only library call.
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
  /** Plain-text excerpt (already stripped of markup by the parser), for display. */
  summary?: string;
  /** The whole plain text, read for refund evidence; never stored. */
  body?: string;
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

/**
 * Generic event words: they say something happened, not to whom. They never match an incident on
 * their own or together; a configured keyword that is one of them counts as an event term.
 */
export const EVENT_TERMS = [
  'hack',
  'hacker',
  'hacked',
  'exploit',
  'stolen',
  'steal',
  'theft',
  'heist',
  'breach',
  'outflow',
  'drain',
  'refund',
  'compensation',
  'compensate',
  'reimburse',
  'repay',
  'reparation',
  'payout',
  'halt',
  'suspend',
  'resum',
  'withdrawal',
  'lawsuit',
  'bankrupt',
  'fsa',
  'regulator',
  'business improvement order',
  'victim',
  'creditor',
  'attack',
  'laundering',
  '流出',
  '不正送金',
  '不正流出',
  '不正アクセス',
  'ハッキング',
  'ハッカー',
  '盗',
  '被害',
  '返金',
  '補償',
  '返還',
  '返済',
  '払い戻し',
  '停止',
  '再開',
  '出金',
  '金融庁',
  '業務改善命令',
  '業務改善',
  '訴訟',
  '破産',
  '倒産',
  '犯人',
  '資金洗浄',
  '記者会見',
].map(normalizeText);

/** Well-known venues: a sentence naming one of these and none of the incident's terms is another story. */
const KNOWN_VENUES = [
  'mt. gox',
  'mt.gox',
  'mtgox',
  'mt gox',
  'マウントゴックス',
  'zaif',
  'ザイフ',
  'tech bureau',
  'テックビューロ',
  'ftx',
  'dmm',
  'bitpoint',
  'ビットポイント',
  'liquid',
  'bitget',
  'binance',
  'kraken',
  'bitfinex',
  'bybit',
  'coinbase',
  'upbit',
  'bithumb',
  'bitflyer',
  'ビットフライヤー',
  'coincheck',
  'コインチェック',
  'zb.com',
  'poloniex',
  'okx',
  'huobi',
  'htx',
  'kucoin',
  'gate.io',
  'wazirx',
  'quadrigacx',
  'bitstamp',
  'cryptopia',
].map(normalizeText);

/** Well-known coins: a sentence naming one that is not the incident's asset is another coin's story. */
const KNOWN_COINS = [
  'bitcoin cash',
  'bitcoin',
  'btc',
  'bch',
  'ethereum',
  'ether',
  'eth',
  'monacoin',
  'mona',
  'xrp',
  'ripple',
  'zcash',
  'zec',
  'litecoin',
  'ltc',
  'dogecoin',
  'solana',
  'cardano',
  'tether',
  'usdt',
  'usdc',
  'tron',
  'ftt',
  'ビットコイン',
  'イーサリアム',
  'モナコイン',
  'リップル',
].map(normalizeText);

function isEventTerm(keyword: string): boolean {
  const k = normalizeText(keyword);
  return EVENT_TERMS.some((e) => k === e || (k.startsWith(e) && /^[a-z]/.test(e)));
}

/** The incident-specific keywords (exchange, asset, the incident's own names) as patterns. */
export function incidentTerms(incident: IncidentConfig): RegExp[] {
  return distinctKeywords(incident)
    .filter((k) => !isEventTerm(k))
    .map(keywordPattern);
}

function distinctKeywords(incident: IncidentConfig): string[] {
  return [...new Set([...incident.keywords.ja, ...incident.keywords.en].map(normalizeText))].filter(Boolean);
}

/** The asset's code and the other names the news uses for it (the incident's `aliases`). */
export function assetNames(incident: IncidentConfig): string[] {
  return [incident.asset, ...(incident.aliases ?? [])];
}

/** Does normalised text name a known venue or coin that is not one of this incident's own terms? */
export function mentionsOtherVenue(normalized: string, incident: IncidentConfig): boolean {
  const own = [...distinctKeywords(incident), ...assetNames(incident).map(normalizeText)];
  const other = (names: string[]) =>
    names.some((v) => !own.includes(v) && keywordPattern(v).test(normalized));
  if (other(KNOWN_VENUES)) return true;
  // Bitcoin Cash is not Bitcoin: an incident whose asset is BTC still names another coin there.
  return other(
    KNOWN_COINS.filter((c) => !(own.includes('btc') && (c === 'bitcoin' || c === 'ビットコイン'))),
  );
}

export interface KeywordMatch {
  matched: boolean;
  /** The incident keywords and event terms found (normalised, distinct). */
  keywords: string[];
  /** The incident-specific ones among them. */
  specific: string[];
}

/**
 * Does this text (title + excerpt) belong to the incident? It needs at least one
 * incident-specific term (configured keyword that is not a generic event word) and one event term
 * (a configured generic keyword or one of EVENT_TERMS). Japanese and English alike: NFKC, case folded.
 */
export function matchIncident(text: string, incident: IncidentConfig): KeywordMatch {
  const normalized = normalizeText(text);
  const configured = distinctKeywords(incident);
  const names = configured.filter((k) => !isEventTerm(k));
  const specific = mentionsOtherVenue(normalized, incident)
    ? namesBesideOthers(normalized, names, incident)
    : names.filter((k) => keywordPattern(k).test(normalized));
  const events = [...new Set([...configured.filter(isEventTerm), ...EVENT_TERMS])].filter((k) =>
    keywordPattern(k).test(normalized),
  );
  const keywords = [...new Set([...specific, ...events.filter((e) => configured.includes(e))])];
  return { matched: specific.length > 0 && events.length > 0, keywords, specific };
}

/** Words before a name that make it a reference point: "since", "months after", "bigger than". */
const REFERENCE_BEFORE =
  /(?:\bsince|\bafter|\bthan|(?<![-\w])like|\bunlike|\bfollowing|\bas with|\bsimilar to|\bcompared (?:to|with)|\bsurpass\w*|\bovertak\w*|\beclips\w*|\bdwarf\w*|\brecalls?|\bremind\w* of|\bechoe?s?)\s+(?:(?:the|its|a|an)\s+)?(?:[\w'’.$-]+\s+)?$/u;
/** ... and after it: "コインチェック事件から8カ月", "コインチェック以来", "Coincheck-style". */
const REFERENCE_AFTER =
  /^(?:の)?(?:ハッキング|流出)?(?:事件|騒動|問題)?(?:から|以来|以降|に続|に次|を上回|を超|並み|と同様|に匹敵|級)|^-(?:style|like|sized|scale)\b/u;

/**
 * The incident's names in a text that also names another exchange or coin. A name counts only
 * where it is the subject, not the yardstick ("Zaif hacked, months after Coincheck" is Zaif's
 * story). The coin alone is not enough: "Bithumb hack: XRP, NEM stolen" is Bithumb's, while
 * "Binance halts NEM deposits after Coincheck hack" is ours (the exchange is named, if only as
 * the cause).
 */
function namesBesideOthers(normalized: string, names: string[], incident: IncidentConfig): string[] {
  const coins = assetNames(incident).map(normalizeText);
  const exchange = names.filter((k) => !coins.includes(k));
  const subjects = names.filter((k) => namedAsSubject(normalized, k));
  const exchangeNamed = exchange.length === 0 || exchange.some((k) => keywordPattern(k).test(normalized));
  return exchangeNamed ? subjects : [];
}

/** Does the keyword occur at least once as the subject, not only as a reference point? */
function namedAsSubject(normalized: string, keyword: string): boolean {
  const pattern = new RegExp(keywordPattern(keyword).source, 'gu');
  for (const m of normalized.matchAll(pattern)) {
    const before = normalized.slice(Math.max(0, m.index - 40), m.index);
    const after = normalized.slice(m.index + m[0].length, m.index + m[0].length + 16);
    if (!REFERENCE_BEFORE.test(before) && !REFERENCE_AFTER.test(after)) return true;
  }
  return false;
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

/** HTTP cache validators a feed answered with, sent back as If-None-Match / If-Modified-Since. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}
