import { CHART_COLORS, axisTicks, renderPriceChart } from '../../lambdas/domain/chart';
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

  it('sub-unit prices: 0.000090 BTC gets whole labels, not ".000090" cut at the image edge', () => {
    const points = fallingSeries().map((p, i) => ({ at: p.at, price: 0.0000912 - i * 0.00000007 }));
    const png = decodePng(renderPriceChart({ title: 'XEM/BTC', points, fromMs: from, toMs: to }));
    // Text pixels of the value labels start right of the image edge: nothing was drawn off-canvas.
    const textColumns: number[] = [];
    for (let x = 0; x < 200; x++)
      for (let y = 40; y < png.height - 36; y++) {
        const [r, g, b] = png.pixel(x, y);
        if (r === CHART_COLORS.text[0] && g === CHART_COLORS.text[1] && b === CHART_COLORS.text[2]) {
          textColumns.push(x);
          break;
        }
      }
    expect(Math.min(...textColumns)).toBeGreaterThan(2);
  });

  it('value labels read back as their ticks from 0.00000001 to 100,000,000', () => {
    for (let exp = -8; exp <= 8; exp++) {
      for (const spread of [0.01, 0.2, 3]) {
        const lo = 10 ** exp;
        const ticks = axisTicks(lo, lo * (1 + spread));
        expect(ticks.length).toBeGreaterThanOrEqual(2);
        // Distinct labels, each within half a step of its tick when read back.
        expect(new Set(ticks.map((t) => t.label)).size).toBe(ticks.length);
        const step = (ticks[1]?.value ?? 0) - (ticks[0]?.value ?? 0);
        for (const t of ticks) {
          const read = Number(t.label.replace(/,/g, ''));
          expect(Math.abs(read - t.value)).toBeLessThan(step / 2);
          expect(t.label.length).toBeLessThanOrEqual(12);
        }
      }
    }
  });

  it('draws a labelled line for each incident event in the range, none for one outside it', () => {
    const render = (events: { at: number; label: string }[]) =>
      decodePng(renderPriceChart({ title: 'T', points: fallingSeries(), fromMs: from, toMs: to, events }));
    /** Columns holding event-coloured pixels below the label rows (the dashed lines). */
    const eventRows = (png: ReturnType<typeof decodePng>) => {
      const columns = new Set<number>();
      for (let x = 0; x < png.width; x++)
        for (let y = 100; y < png.height - 40; y++) {
          const [r, g, b] = png.pixel(x, y);
          if (r === CHART_COLORS.event[0] && g === CHART_COLORS.event[1] && b === CHART_COLORS.event[2])
            columns.add(x);
        }
      return columns.size;
    };
    const outside = render([{ at: from - 48 * HOUR, label: 'START' }]);
    expect(eventRows(outside)).toBe(0);
    const inside = render([
      { at: from + 3 * HOUR, label: 'START' },
      { at: from + 12 * HOUR, label: 'DETECTED' },
    ]);
    expect(eventRows(inside)).toBe(2);
  });
});
