import type { ConsensusPoint } from './consensus';

/**
 * Window arithmetic on the consensus series for the drop and rise rules (rules.ts): sample time,
 * coverage, and the confirmed extreme of a window.
 */

/** When a point's price was measured (its newest quote's exchange time), else its poll time. */
export function sampleTime(p: ConsensusPoint): number {
  return p.sampledAt ?? p.at;
}

/** A window's samples must span this share of it: a 1 h rule does not judge 70 s of data. */
export const WINDOW_COVERAGE = 0.75;
/** Samples further apart than window / this are sparse: the message names the real gap. */
export const SPARSE_FRACTION = 4;

/**
 * The confirmed high over the window ending at point i, and the % fall from it to point i.
 * Windows are measured on sample time, so polls repeating one daily candle are one sample.
 * Undefined when the window holds no confirmed level, or when its samples do not span
 * WINDOW_COVERAGE of it (too little data to speak of that window).
 */
export function dropFromHigh(
  series: ConsensusPoint[],
  i: number,
  windowMs: number,
  /** 'up': the mirror for rise rules: `high` is then the window's confirmed low, percent the rise. */
  direction: 'down' | 'up' = 'down',
): { high: number; highAt: number; percent: number; sinceLastSampleMs: number } | undefined {
  const up = direction === 'up';
  const point = series[i];
  if (!point) return undefined;
  const at = sampleTime(point);
  let high: number | undefined;
  let highAt = point.at;
  let earliest = at;
  let previousSample: number | undefined;
  for (let j = i; j >= 0; j--) {
    const p = series[j] as ConsensusPoint;
    const t = sampleTime(p);
    if (at - t > windowMs) break;
    earliest = Math.min(earliest, t);
    if (t < at) previousSample = Math.max(previousSample ?? t, t);
    const level = confirmedLevel(series, j, up);
    if (level !== undefined && (high === undefined || (up ? level < high : level > high))) {
      high = level;
      highAt = p.at;
    }
  }
  if (high === undefined || previousSample === undefined) return undefined;
  // The series must reach back over the window (a sample from before it, or early in it): with
  // only the last 70 s there is no telling what the price did in the hour.
  const first = series[0] as ConsensusPoint;
  if (at - Math.min(earliest, sampleTime(first)) < windowMs * WINDOW_COVERAGE) return undefined;
  return {
    high,
    highAt,
    percent: Math.max(0, ((up ? point.price - high : high - point.price) / high) * 100),
    sinceLastSampleMs: at - previousSample,
  };
}

/** A single-venue point counts only as far as the point before agrees (no wild spike as the extreme). */
function confirmedLevel(series: ConsensusPoint[], j: number, low = false): number | undefined {
  const p = series[j] as ConsensusPoint;
  if (p.venues.length >= 2) return p.price;
  const prev = series[j - 1];
  if (!prev) return undefined;
  return low ? Math.max(p.price, prev.price) : Math.min(p.price, prev.price);
}
