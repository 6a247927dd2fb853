import { say } from './i18n';
import type { Language } from './config';

/**
 * Formatting shared by every message (price alerts, news, slash commands), per language.
 * Pure and deterministic: no locale or time zone of the machine leaks in (Lambda runs in UTC,
 * a laptop may not), so the same alert renders the same everywhere.
 */

/** Minutes east of UTC of the zones we write: JST (the incidents' and Japanese readers'), UTC. */
export const ZONE_OFFSET_MINUTES = { JST: 540, UTC: 0 } as const;

/**
 * A number with thousands separators and a sensible number of significant digits: prices span
 * 0.00007 BTC to 88.549 JPY, so a fixed number of decimals would either lose or invent digits.
 */
export function formatNumber(value: number, _language: Language, significantDigits = 5): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  // Integer digits are always kept; below that, enough decimals to show `significantDigits`.
  const intDigits = abs >= 1 ? Math.floor(Math.log10(abs)) + 1 : 0;
  const leadingZeros = abs > 0 && abs < 1 ? -Math.floor(Math.log10(abs)) - 1 : 0;
  const decimals = Math.min(12, Math.max(0, significantDigits - intDigits + leadingZeros));
  return numberFormat(decimals).format(value);
}

/** One formatter per number of decimals: building an Intl.NumberFormat costs far more than using one. */
const numberFormats = new Map<number, Intl.NumberFormat>();

function numberFormat(decimals: number): Intl.NumberFormat {
  let format = numberFormats.get(decimals);
  if (!format) {
    format = new Intl.NumberFormat('en-US', {
      minimumFractionDigits: 0,
      maximumFractionDigits: decimals,
      useGrouping: true,
    });
    numberFormats.set(decimals, format);
  }
  return format;
}

/** "88.549 JPY" in both languages: currency codes read the same in Japanese crypto news. */
export function formatPrice(value: number, currency: string, language: Language): string {
  return `${formatNumber(value, language)} ${currency}`;
}

/** Signed percent with one decimal ("-12.0%", "+3.5%"); `signed=false` drops the plus sign. */
export function formatPercent(value: number, _language: Language, signed = true): string {
  const rounded = Math.round(value * 10) / 10;
  const text = `${Math.abs(rounded).toFixed(1)}%`;
  if (rounded < 0) return `-${text}`;
  return signed && rounded > 0 ? `+${text}` : text;
}

/** A window length: "1時間" / "1 h", "24時間" / "24 h", "30分" / "30 min", "2日" / "2 d". */
export function formatDuration(minutes: number, language: Language): string {
  if (minutes % 1440 === 0 && minutes >= 2880)
    return say(language, { en: `${minutes / 1440} d`, ja: `${minutes / 1440}日` });
  if (minutes % 60 === 0) return say(language, { en: `${minutes / 60} h`, ja: `${minutes / 60}時間` });
  return say(language, { en: `${minutes} min`, ja: `${minutes}分` });
}

/**
 * The one time formatter: epoch ms as wall-clock text in a zone `offsetMinutes` east of UTC, by a
 * pattern of YYYY MM DD hh mm (anything else is kept): 'YYYY-MM-DD hh:mm' → "2018-01-26 00:02".
 * Every time we print (messages, chart axes, logs, the replay) goes through here.
 */
export function formatClock(
  ms: number,
  pattern: string,
  offsetMinutes: number = ZONE_OFFSET_MINUTES.UTC,
): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  const fields: Record<string, number> = {
    YYYY: d.getUTCFullYear(),
    MM: d.getUTCMonth() + 1,
    DD: d.getUTCDate(),
    hh: d.getUTCHours(),
    mm: d.getUTCMinutes(),
  };
  return pattern.replace(/YYYY|MM|DD|hh|mm/g, (token) => pad(fields[token] ?? 0));
}

/** Wall-clock time in messages: Japanese in JST (the incident's and the readers' zone), English in UTC. */
export function formatTime(ms: number, language: Language): string {
  return say(language, {
    en: formatClock(ms, 'YYYY-MM-DD hh:mm UTC'),
    ja: formatClock(ms, 'YYYY/MM/DD hh:mm JST', ZONE_OFFSET_MINUTES.JST),
  });
}

/** A list of names: "zaif、binance" / "zaif, binance". */
export function formatList(items: string[], language: Language): string {
  return items.join(say(language, { en: ', ', ja: '、' }));
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * A large figure read as what it is, an approximation: "about 46.3 billion JPY" / "約463億円".
 * For totals like the refund's 46,300,000,000 JPY, which is rounded (523 M XEM × 88.549 is
 * 46,311,127,000): printing every digit would claim a precision the figure does not have.
 * Below 10,000 the number is shown as is (three significant digits).
 */
export function formatApproxAmount(value: number, currency: string, language: Language): string {
  if (!Number.isFinite(value)) return `${String(value)} ${currency}`;
  const abs = Math.abs(value);
  const sig3 = (v: number) => Number(v.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 2 });
  if (language === 'ja') {
    const units: [number, string][] = [
      [1e12, '兆'],
      [1e8, '億'],
      [1e4, '万'],
    ];
    const [size, name] = units.find(([u]) => abs >= u) ?? [1, ''];
    const figure = `${sig3(value / size)}${name}`;
    return currency === 'JPY' ? `約${figure}円` : `約${figure} ${currency}`;
  }
  const units: [number, string][] = [
    [1e12, ' trillion'],
    [1e9, ' billion'],
    [1e6, ' million'],
    [1e3, ' thousand'],
  ];
  const [size, name] = abs >= 1e4 ? (units.find(([u]) => abs >= u) ?? [1, '']) : [1, ''];
  return `about ${sig3(value / size)}${name} ${currency}`;
}
