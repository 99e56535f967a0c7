/**
 * The one place glmflow's figures get a drawing surface: an antialiased 2-D canvas
 * (@napi-rs/canvas, Skia with prebuilt binaries) and the fonts it draws text with.
 *
 * Text uses DejaVu Sans from the `dejavu-fonts-ttf` npm package, registered by file path
 * under the family name FIGURE_FONT, so every machine renders the same glyphs whatever
 * fonts the system has (a fresh CI container has none).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';

const require = createRequire(import.meta.url);

// The native Skia binding is loaded on the first figure, not when this module is imported:
// every worker imports the node registry, and most of them never draw (~0.1 s of start-up each).
let skia: typeof import('@napi-rs/canvas') | undefined;
const canvasModule = () => (skia ??= require('@napi-rs/canvas') as typeof import('@napi-rs/canvas'));

/** Family name every figure uses in `ctx.font`, e.g. `12px ${FIGURE_FONT}`. */
export const FIGURE_FONT = 'glmflow-sans';

let fontsRegistered = false;

/** Register DejaVu Sans (regular and bold) once per process under FIGURE_FONT. */
export function registerFigureFonts(): void {
  if (fontsRegistered) return;
  const ttfDir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  for (const file of ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf']) {
    if (!canvasModule().GlobalFonts.registerFromPath(join(ttfDir, file), FIGURE_FONT)) {
      throw new Error(`could not register the figure font ${join(ttfDir, file)}`);
    }
  }
  fontsRegistered = true;
}

export interface Figure {
  canvas: Canvas;
  ctx: SKRSContext2D;
  width: number;
  height: number;
}

/** A white figure of the given size in pixels, fonts registered. */
export function createFigure(width: number, height: number, background = '#ffffff'): Figure {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`createFigure: bad size ${width}x${height}`);
  }
  registerFigureFonts();
  const canvas = canvasModule().createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, width, height);
  return { canvas, ctx, width, height };
}

/** The figure encoded as PNG bytes. */
export function figureToPng(figure: Figure): Buffer {
  return figure.canvas.toBuffer('image/png');
}
