/**
 * Minimal raster drawing for glmflow's figures: PNG encoding (pngjs), colormaps,
 * and a Canvas with rectangles, lines and bitmap-font text.
 *
 * Colour maps take t in [0, 1] and return 0..255 RGB. `coldHot` is nilearn's
 * 'cold_hot': matplotlib's 'hot' for the positive half and the same ramp with
 * channels permuted (blue first, then green, then red) for the negative half,
 * meeting at black in the middle (t = 0.5 is a zero statistic).
 */
import { PNG } from 'pngjs';
import { ADVANCE, GLYPH_H, GLYPH_W, glyph, textWidth } from './font5x7.js';

export { textWidth, textHeight } from './font5x7.js';

export type RGB = readonly [number, number, number];
export type Colormap = (t: number) => RGB;

/** Encode 8-bit RGBA pixels (row-major, top row first) as a PNG file. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`encodePng: bad size ${width}x${height}`);
  }
  if (rgba.length !== width * height * 4) {
    throw new Error(`encodePng: expected ${width * height * 4} bytes for ${width}x${height} RGBA, got ${rgba.length}`);
  }
  const png = new PNG({ width, height, colorType: 6, inputColorType: 6, bitDepth: 8 });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png, { colorType: 6, inputColorType: 6, bitDepth: 8 });
}

const clamp01 = (t: number) => (t < 0 ? 0 : t > 1 ? 1 : Number.isFinite(t) ? t : 0);
const to255 = (v: number) => Math.round(clamp01(v) * 255);

/** Piecewise-linear interpolation through (x, y) knots sorted by x. */
function ramp(knots: ReadonlyArray<readonly [number, number]>, x: number): number {
  if (x <= knots[0]![0]) return knots[0]![1];
  for (let i = 1; i < knots.length; i++) {
    const [x1, y1] = knots[i]!;
    if (x <= x1) {
      const [x0, y0] = knots[i - 1]!;
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return knots[knots.length - 1]![1];
}

export const gray: Colormap = (t) => {
  const v = to255(t);
  return [v, v, v];
};

// matplotlib 'hot' segment data (black -> red -> yellow -> white).
const HOT_R = [[0, 0.0416], [0.365079, 1], [1, 1]] as const;
const HOT_G = [[0, 0], [0.365079, 0], [0.746032, 1], [1, 1]] as const;
const HOT_B = [[0, 0], [0.746032, 0], [1, 1]] as const;

export const hot: Colormap = (t) => {
  const u = clamp01(t);
  return [to255(ramp(HOT_R, u)), to255(ramp(HOT_G, u)), to255(ramp(HOT_B, u))];
};

/** nilearn 'cold_hot': t = 0 -> most negative (white via cyan, blue), 0.5 -> black, 1 -> most positive (white via yellow, red). */
export const coldHot: Colormap = (t) => {
  const s = clamp01(t);
  if (s >= 0.5) return hot(2 * s - 1);
  const u = 1 - 2 * s; // distance from the middle, 0..1
  // Negative half: red <- hot's blue ramp, green <- hot's green, blue <- hot's red.
  return [to255(ramp(HOT_B, u)), to255(ramp(HOT_G, u)), to255(ramp(HOT_R, u))];
};

// Samples of matplotlib's viridis at t = 0, 1/8, ..., 1 (sRGB 0..255), interpolated linearly.
const VIRIDIS: ReadonlyArray<RGB> = [
  [68, 1, 84], [71, 44, 122], [59, 82, 139], [44, 114, 142], [33, 145, 140],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

export const viridis: Colormap = (t) => {
  const x = clamp01(t) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2]))];
};

export const COLORMAPS = { gray, hot, cold_hot: coldHot, viridis } as const;

export interface TextOptions {
  /** Integer pixel size of one font dot (default 1). */
  scale?: number;
  /** Where `x` is: the text's left end (default), centre or right end. */
  align?: 'left' | 'center' | 'right';
  /** 90 = rotated counter-clockwise, reading bottom to top; `x, y` is then the bottom-left corner. */
  rotate?: 0 | 90;
}

/** An RGBA raster with a few drawing primitives; pixels outside are ignored. */
export class Canvas {
  readonly data: Uint8Array;
  constructor(readonly width: number, readonly height: number, background: RGB = [255, 255, 255]) {
    this.width = Math.max(1, Math.round(width));
    this.height = Math.max(1, Math.round(height));
    this.data = new Uint8Array(this.width * this.height * 4);
    this.fillRect(0, 0, this.width, this.height, background);
  }

  set(x: number, y: number, c: RGB): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    this.data[o] = c[0];
    this.data[o + 1] = c[1];
    this.data[o + 2] = c[2];
    this.data[o + 3] = 255;
  }

  get(x: number, y: number): RGB {
    const o = (y * this.width + x) * 4;
    return [this.data[o]!, this.data[o + 1]!, this.data[o + 2]!];
  }

  /** Mix colour `c` over the pixel with opacity `alpha` (0..1). */
  blend(x: number, y: number, c: RGB, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    for (let k = 0; k < 3; k++) this.data[o + k] = Math.round(this.data[o + k]! * (1 - alpha) + c[k]! * alpha);
  }

  fillRect(x: number, y: number, w: number, h: number, c: RGB): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.set(xx, yy, c);
  }

  /** 1-pixel outline of the rectangle [x, x+w) x [y, y+h). */
  strokeRect(x: number, y: number, w: number, h: number, c: RGB): void {
    this.fillRect(x, y, w, 1, c);
    this.fillRect(x, y + h - 1, w, 1, c);
    this.fillRect(x, y, 1, h, c);
    this.fillRect(x + w - 1, y, 1, h, c);
  }

  hline(x0: number, x1: number, y: number, c: RGB): void {
    this.fillRect(Math.min(x0, x1), y, Math.abs(x1 - x0) + 1, 1, c);
  }

  vline(x: number, y0: number, y1: number, c: RGB): void {
    this.fillRect(x, Math.min(y0, y1), 1, Math.abs(y1 - y0) + 1, c);
  }

  /**
   * Draw `text` with the built-in 5x7 font. Unrotated, (x, y) is the top of the text
   * (x per `align`); rotated by 90, (x, y) is the bottom-left corner and text reads upward.
   */
  text(x: number, y: number, text: string, c: RGB, opts: TextOptions = {}): void {
    const s = Math.max(1, Math.round(opts.scale ?? 1));
    const w = textWidth(text, s);
    const chars = [...text];
    if (opts.rotate === 90) {
      let y0 = y;
      if (opts.align === 'center') y0 = y + Math.round(w / 2);
      else if (opts.align === 'right') y0 = y + w;
      chars.forEach((ch, i) => {
        const rows = glyph(ch);
        for (let gy = 0; gy < GLYPH_H; gy++) {
          for (let gx = 0; gx < GLYPH_W; gx++) {
            if (!(rows[gy]! & (0x10 >> gx))) continue;
            // Text-space (u along the reading direction, v down) -> screen (x = v, y = -u).
            const u = i * ADVANCE + gx;
            this.fillRect(x + gy * s, y0 - (u + 1) * s, s, s, c);
          }
        }
      });
      return;
    }
    let x0 = x;
    if (opts.align === 'center') x0 = x - Math.round(w / 2);
    else if (opts.align === 'right') x0 = x - w;
    chars.forEach((ch, i) => {
      const rows = glyph(ch);
      for (let gy = 0; gy < GLYPH_H; gy++) {
        for (let gx = 0; gx < GLYPH_W; gx++) {
          if (rows[gy]! & (0x10 >> gx)) this.fillRect(x0 + (i * ADVANCE + gx) * s, y + gy * s, s, s, c);
        }
      }
    });
  }

  toPng(): Buffer {
    return encodePng(this.width, this.height, this.data);
  }
}

// axis helpers live in ticks.ts (canvas figures use them too)
export { niceTicks, formatNumber } from './ticks.js';
