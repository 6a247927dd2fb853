import { deflateSync } from 'node:zlib';
import { formatClock } from './format';

/**
 * Price charts as PNG, with no native code and no font file: our own rasterizer draws into an
 * RGBA buffer, text uses a built-in 5x7 bitmap font (digits, Latin capitals, a few signs), and
 * the PNG is encoded with node:zlib + CRC32. Runs the same on x64 and arm64 Lambdas, adds a few
 * kilobytes to the bundle and no load time (see docs/adr/0003-chart-rendering.md).
 */

export interface ChartPoint {
  at: number;
  price: number;
}

export interface ChartInput {
  /** Top-left caption, e.g. "XEM/JPY 24H". Lower case is drawn as capitals; other scripts as "?". */
  title: string;
  points: ChartPoint[];
  fromMs: number;
  toMs: number;
  /** A horizontal dashed line, e.g. the refund price; drawn only when it falls in the value range. */
  reference?: { price: number; label: string };
  /**
   * Incident events (start, detection, refund terms, payment): a labelled vertical line each,
   * drawn when its time falls in the range. Labels in the bitmap font (Latin capitals, digits).
   */
  events?: { at: number; label: string }[];
  /** Minutes east of UTC for the time axis (540 = JST). */
  utcOffsetMinutes?: number;
  width?: number;
  height?: number;
}

type Rgb = readonly [number, number, number];
export const CHART_COLORS = {
  background: [43, 45, 49] as Rgb,
  grid: [63, 65, 71] as Rgb,
  text: [181, 186, 193] as Rgb,
  line: [88, 101, 242] as Rgb,
  reference: [240, 178, 50] as Rgb,
  event: [237, 66, 69] as Rgb,
};

// 5x7 glyphs, one 5-bit row per entry, top row first.
const FONT: Record<string, readonly number[]> = {
  '0': [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
  '1': [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  '2': [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
  '3': [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  '4': [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
  '5': [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  '6': [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
  '7': [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  '8': [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
  '9': [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
  A: [0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
  B: [0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e],
  C: [0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e],
  D: [0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c],
  E: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f],
  F: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10],
  G: [0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f],
  H: [0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
  I: [0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e],
  J: [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c],
  K: [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
  L: [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f],
  M: [0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11],
  N: [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
  O: [0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e],
  P: [0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10],
  Q: [0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d],
  R: [0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11],
  S: [0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e],
  T: [0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
  U: [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e],
  V: [0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04],
  W: [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a],
  X: [0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11],
  Y: [0x11, 0x11, 0x11, 0x0a, 0x04, 0x04, 0x04],
  Z: [0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f],
  ' ': [0, 0, 0, 0, 0, 0, 0],
  '.': [0, 0, 0, 0, 0, 0x0c, 0x0c],
  ',': [0, 0, 0, 0, 0x0c, 0x04, 0x08],
  ':': [0, 0x0c, 0x0c, 0, 0x0c, 0x0c, 0],
  '-': [0, 0, 0, 0x1f, 0, 0, 0],
  '/': [0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10],
  '%': [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
  '+': [0, 0x04, 0x04, 0x1f, 0x04, 0x04, 0],
  '(': [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
  ')': [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
  '=': [0, 0, 0x1f, 0, 0x1f, 0, 0],
  '?': [0x0e, 0x11, 0x01, 0x02, 0x04, 0, 0x04],
};

/** An RGBA image being drawn. */
class Canvas {
  readonly pixels: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    fill: Rgb,
  ) {
    this.pixels = new Uint8Array(width * height * 4);
    this.pixels.set([fill[0], fill[1], fill[2], 255]);
    // Doubling copies: log2(n) copyWithin calls instead of one small array per pixel.
    for (let filled = 4; filled < this.pixels.length; filled *= 2)
      this.pixels.copyWithin(filled, 0, Math.min(filled, this.pixels.length - filled));
  }

  set(x: number, y: number, c: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const i = (yi * this.width + xi) * 4;
    this.pixels[i] = c[0];
    this.pixels[i + 1] = c[1];
    this.pixels[i + 2] = c[2];
    this.pixels[i + 3] = 255;
  }

  /** Bresenham line, `thickness` pixels wide; `dash` = on/off run length in pixels. */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thickness = 1, dash = 0): void {
    let x = Math.round(x0);
    let y = Math.round(y0);
    const xe = Math.round(x1);
    const ye = Math.round(y1);
    const dx = Math.abs(xe - x);
    const dy = -Math.abs(ye - y);
    const sx = x < xe ? 1 : -1;
    const sy = y < ye ? 1 : -1;
    let err = dx + dy;
    let step = 0;
    for (;;) {
      if (!dash || Math.floor(step / dash) % 2 === 0)
        for (let i = 0; i < thickness; i++) for (let j = 0; j < thickness; j++) this.set(x + i, y + j, c);
      if (x === xe && y === ye) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
      step++;
    }
  }

  /** Text in the bitmap font; returns the width drawn. */
  text(x: number, y: number, s: string, c: Rgb, scale = 2): number {
    let cx = x;
    for (const ch of s.toUpperCase()) {
      const glyph = FONT[ch] ?? FONT['?'] ?? [];
      glyph.forEach((row, r) => {
        for (let col = 0; col < 5; col++)
          if (row & (0x10 >> col))
            for (let i = 0; i < scale; i++)
              for (let j = 0; j < scale; j++) this.set(cx + col * scale + i, y + r * scale + j, c);
      });
      cx += 6 * scale;
    }
    return cx - x;
  }
}

export function textWidth(s: string, scale = 2): number {
  return Array.from(s).length * 6 * scale;
}

/** A "nice" tick step (1, 2 or 5 times a power of ten) giving about `count` ticks over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(count, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

/**
 * Value-axis ticks and their labels, readable from 0.00000001 to 100,000,000: plain decimals while
 * they stay short ("0.5", "88.5", "120,000"), else scientific ("9.05E-5", "1.2E8") with just the
 * digits that tell the ticks apart. The left margin is sized to the longest label, so none is cut.
 */
export function axisTicks(min: number, max: number, count = 5): { value: number; label: string }[] {
  const step = niceStep(max - min, count);
  const values: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) values.push(v);
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const plain = values.map((v) => v.toFixed(Math.min(decimals, 20)));
  const magnitude = Math.max(...values.map((v) => Math.abs(v)));
  const plainFits = plain.every((l) => l.length <= 8) && magnitude < 1e7;
  if (plainFits) return values.map((value, i) => ({ value, label: groupThousands(plain[i] as string) }));
  // Scientific: enough mantissa digits that consecutive ticks read differently.
  for (let digits = 1; digits <= 8; digits++) {
    const labels = values.map((v) => scientific(v, digits));
    if (new Set(labels).size === labels.length)
      return values.map((value, i) => ({ value, label: labels[i] as string }));
  }
  return values.map((value) => ({ value, label: scientific(value, 8) }));
}

function groupThousands(text: string): string {
  const [int = '', frac] = text.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac !== undefined ? `${grouped}.${frac}` : grouped;
}

/** "9.05E-5", "1.2E8", "0" (the bitmap font has E, digits and signs). */
function scientific(value: number, digits: number): string {
  if (value === 0 || Math.abs(value) < 1e-300) return '0';
  const [mantissa = '', exponent = '0'] = value.toExponential(digits - 1).split('e');
  const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
  return `${m}E${Number(exponent)}`;
}

function timeLabel(ms: number, offsetMinutes: number, spanMs: number): string {
  return formatClock(ms, spanMs <= 2 * 86_400_000 ? 'hh:mm' : 'MM/DD', offsetMinutes);
}

/** Draw the series and return a PNG. An empty series gives a chart that says NO DATA. */
export function renderPriceChart(input: ChartInput): Buffer {
  const width = input.width ?? 800;
  const height = input.height ?? 360;
  const offset = input.utcOffsetMinutes ?? 0;
  const canvas = new Canvas(width, height, CHART_COLORS.background);

  const points = input.points
    .filter((p) => Number.isFinite(p.price) && p.at >= input.fromMs && p.at <= input.toMs)
    .sort((a, b) => a.at - b.at);
  let min = Math.min(...points.map((p) => p.price));
  let max = Math.max(...points.map((p) => p.price));
  if (max === min) {
    const pad = Math.abs(max) * 0.01 || 1;
    min -= pad;
    max += pad;
  }
  const padSpan = (max - min) * 0.1;
  min -= padSpan;
  max += padSpan;
  const ticks = points.length ? axisTicks(min, max) : [];
  // The left margin fits the longest value label (never less than the old fixed 90 px).
  const labelWidth = Math.max(0, ...ticks.map((t) => textWidth(t.label)));
  const plot = { left: Math.max(90, labelWidth + 16), right: width - 20, top: 40, bottom: height - 36 };
  canvas.text(plot.left, 12, input.title, CHART_COLORS.text);

  const span = Math.max(input.toMs - input.fromMs, 1);
  const xOf = (at: number) => plot.left + ((at - input.fromMs) / span) * (plot.right - plot.left);

  // Time axis.
  const timeStep = niceTimeStep(span);
  const firstTick = Math.ceil((input.fromMs + offset * 60_000) / timeStep) * timeStep - offset * 60_000;
  for (let t = firstTick; t <= input.toMs; t += timeStep) {
    const x = xOf(t);
    canvas.line(x, plot.top, x, plot.bottom, CHART_COLORS.grid);
    const label = timeLabel(t, offset, span);
    const w = textWidth(label);
    if (x - w / 2 >= 0 && x + w / 2 <= width)
      canvas.text(x - w / 2, plot.bottom + 10, label, CHART_COLORS.text);
  }
  canvas.line(plot.left, plot.bottom, plot.right, plot.bottom, CHART_COLORS.text);
  canvas.line(plot.left, plot.top, plot.left, plot.bottom, CHART_COLORS.text);

  // Incident events: a dashed vertical line and its label at the top, stacked when close.
  let lastLabelEnd = -Infinity;
  let row = 0;
  for (const e of (input.events ?? [])
    .filter((e) => e.at >= input.fromMs && e.at <= input.toMs)
    .sort((a, b) => a.at - b.at)) {
    const x = xOf(e.at);
    canvas.line(x, plot.top, x, plot.bottom, CHART_COLORS.event, 1, 4);
    const w = textWidth(e.label);
    const lx = Math.min(Math.max(x + 3, plot.left), plot.right - w);
    row = lx < lastLabelEnd ? row + 1 : 0;
    canvas.text(lx, plot.top + 2 + row * 16, e.label, CHART_COLORS.event);
    lastLabelEnd = lx + w + 6;
  }

  if (points.length === 0) {
    const msg = 'NO DATA';
    canvas.text(
      (plot.left + plot.right - textWidth(msg, 3)) / 2,
      (plot.top + plot.bottom) / 2 - 10,
      msg,
      CHART_COLORS.text,
      3,
    );
    return encodePng(width, height, canvas.pixels);
  }

  const ref = input.reference;
  const yOf = (price: number) => plot.bottom - ((price - min) / (max - min)) * (plot.bottom - plot.top);
  for (const { value, label } of ticks) {
    const y = yOf(value);
    canvas.line(plot.left + 1, y, plot.right, y, CHART_COLORS.grid);
    canvas.text(plot.left - 8 - textWidth(label), y - 7, label, CHART_COLORS.text);
  }

  if (ref && ref.price >= min && ref.price <= max) {
    const y = yOf(ref.price);
    canvas.line(plot.left + 1, y, plot.right, y, CHART_COLORS.reference, 2, 8);
    canvas.text(plot.right - textWidth(ref.label), y - 18, ref.label, CHART_COLORS.reference);
  }

  let prev: ChartPoint | undefined;
  for (const p of points) {
    if (prev) canvas.line(xOf(prev.at), yOf(prev.price), xOf(p.at), yOf(p.price), CHART_COLORS.line, 2);
    else canvas.line(xOf(p.at), yOf(p.price), xOf(p.at), yOf(p.price), CHART_COLORS.line, 3);
    prev = p;
  }
  return encodePng(width, height, canvas.pixels);
}

function niceTimeStep(spanMs: number): number {
  const hour = 3_600_000;
  const candidates = [
    hour,
    2 * hour,
    3 * hour,
    4 * hour,
    6 * hour,
    12 * hour,
    24 * hour,
    2 * 24 * hour,
    7 * 24 * hour,
  ];
  return candidates.find((c) => spanMs / c <= 8) ?? 14 * 24 * hour;
}

// ---- PNG encoding (RFC 2083): signature, IHDR, one IDAT (zlib), IEND; CRC32 over type + data.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Encode RGBA pixels (row-major, 4 bytes each) as an 8-bit RGBA PNG. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  // compression, filter, interlace: 0
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    // Filter type 0 (None) per row; deflate handles the flat background well.
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 6 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
