import { CHART_COLORS, renderPriceChart } from '../../lambdas/domain/chart';
import { HOUR } from '../../lambdas/domain/clock';
import { decodePng } from '../support/png';

const from = Date.parse('2018-01-25T12:00:00Z');
const to = from + 24 * HOUR;

/** An hourly series falling from 120 to 97, like XEM/JPY in the hours after the hack. */
function fallingSeries(): { at: number; price: number }[] {
  return Array.from({ length: 25 }, (_, i) => ({ at: from + i * HOUR, price: 120 - i * (23 / 24) }));
}

function lineRows(png: ReturnType<typeof decodePng>, x: number): number[] {
  const rows: number[] = [];
  for (let y = 0; y < png.height; y++) {
    const [r, g, b] = png.pixel(x, y);
    if (r === CHART_COLORS.line[0] && g === CHART_COLORS.line[1] && b === CHART_COLORS.line[2]) rows.push(y);
  }
  return rows;
}

describe('price chart PNG', () => {
  it('decodes to the requested size with a line that falls left to right', () => {
    const png = decodePng(
      renderPriceChart({
        title: 'XEM/JPY 24H',
        points: fallingSeries(),
        fromMs: from,
        toMs: to,
        reference: { price: 88.549, label: 'REFUND 88.549' },
        width: 640,
        height: 320,
      }),
    );
    expect([png.width, png.height]).toEqual([640, 320]);
    const left = lineRows(png, 120);
    const right = lineRows(png, 600);
    expect(left.length).toBeGreaterThan(0);
    expect(right.length).toBeGreaterThan(0);
    // Screen y grows downwards: a falling price is drawn lower on the right.
    expect(Math.min(...right)).toBeGreaterThan(Math.max(...left));
  });

  it('is not blank: the line column holds more than one colour', () => {
    const png = decodePng(
      renderPriceChart({ title: 'xem/jpy', points: fallingSeries(), fromMs: from, toMs: to }),
    );
    const colours = new Set<string>();
    for (let y = 0; y < png.height; y++) colours.add(png.pixel(400, y).join(','));
    expect(colours.size).toBeGreaterThan(1);
    expect(colours.has([...CHART_COLORS.line, 255].join(','))).toBe(true);
  });

  it('draws the refund reference line when it is inside the value range', () => {
    const points = fallingSeries().map((p) => ({ ...p, price: p.price - 25 })); // 95 -> 72, crosses 88.549
    const png = decodePng(
      renderPriceChart({
        title: 'T',
        points,
        fromMs: from,
        toMs: to,
        reference: { price: 88.549, label: 'R' },
      }),
    );
    let found = false;
    for (let y = 0; y < png.height && !found; y++) {
      const [r, g, b] = png.pixel(300, y);
      found =
        r === CHART_COLORS.reference[0] && g === CHART_COLORS.reference[1] && b === CHART_COLORS.reference[2];
    }
    expect(found).toBe(true);
  });

  it('an empty series still renders (NO DATA), without a price line', () => {
    const png = decodePng(renderPriceChart({ title: 'XEM/JPY', points: [], fromMs: from, toMs: to }));
    expect([png.width, png.height]).toEqual([800, 360]);
    for (let x = 100; x < 780; x += 40) expect(lineRows(png, x)).toEqual([]);
  });
});
