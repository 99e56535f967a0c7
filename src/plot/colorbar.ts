/**
 * Symmetric colour bar of a stat map, as nilearn draws it beside plot_stat_map: cold_hot
 * from -vmax (bottom) to +vmax (top), the band |value| < threshold in grey (those values are
 * not drawn on the map), ticks at the ends and at +-threshold.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import { createFigure } from './canvas.js';
import { coldHot, type RGB } from './colormaps.js';
import { formatNumber } from './ticks.js';
import { drawText, measureText } from './draw.js';

/** nilearn greys the thresholded part of the colour bar with (0.5, 0.5, 0.5). */
export const THRESHOLD_GREY: RGB = [128, 128, 128];
const BAR_W = 14;
const TICK_FONT = 11;

export interface ColorbarGeometry {
  x: number;
  y: number;
  w: number;
  h: number;
  vmax: number;
}

/** Value at the centre of row `py` (0 = top) of a bar of height h. */
export function colorbarValue(py: number, h: number, vmax: number): number {
  return vmax * (1 - (2 * (py + 0.5)) / h);
}

/** Row of the bar (0 = top) where value v sits. */
export function colorbarRow(v: number, h: number, vmax: number): number {
  return Math.min(h - 1, Math.max(0, Math.floor(((vmax - v) / (2 * vmax)) * h)));
}

/** Colour of value v on a map with limits +-vmax and the given threshold (grey below it). */
export function colorbarColor(v: number, vmax: number, threshold: number): RGB {
  return Math.abs(v) < threshold ? THRESHOLD_GREY : coldHot(0.5 + 0.5 * (v / vmax));
}

function tickValues(vmax: number, threshold: number): number[] {
  const ticks = [vmax, -vmax];
  if (threshold > 0.02 * vmax && threshold < vmax) ticks.push(threshold, -threshold);
  else ticks.push(0);
  if (vmax / 2 > threshold * 1.3 && vmax / 2 < vmax * 0.8) ticks.push(vmax / 2, -vmax / 2);
  return ticks.sort((a, b) => b - a);
}

/** Width the bar and its labels need. */
export function colorbarWidth(vmax: number, threshold: number): number {
  const { ctx } = scratch();
  return BAR_W + 8 + Math.max(...tickValues(vmax, threshold).map((t) => Math.ceil(measureText(ctx, formatNumber(t), TICK_FONT))));
}

let scratchFig: { ctx: SKRSContext2D } | null = null;
function scratch(): { ctx: SKRSContext2D } {
  scratchFig ??= createFigure(4, 4);
  return scratchFig;
}

/** Draw the bar with its top-left corner at (x, y) and height h; returns its geometry. */
export function drawColorbar(ctx: SKRSContext2D, x: number, y: number, h: number, vmax: number, threshold: number, text = '#ffffff'): ColorbarGeometry {
  const img = ctx.createImageData(BAR_W, h);
  for (let py = 0; py < h; py++) {
    const c = colorbarColor(colorbarValue(py, h, vmax), vmax, threshold);
    for (let px = 0; px < BAR_W; px++) {
      const o = (py * BAR_W + px) * 4;
      img.data[o] = c[0];
      img.data[o + 1] = c[1];
      img.data[o + 2] = c[2];
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, x, y);
  ctx.save();
  ctx.strokeStyle = text;
  ctx.globalAlpha = 0.6;
  ctx.lineWidth = 1;
  ctx.strokeRect(x - 0.5, y - 0.5, BAR_W + 1, h + 1);
  ctx.restore();
  const placed: number[] = [];
  for (const t of tickValues(vmax, threshold)) {
    const row = Math.round(((vmax - t) / (2 * vmax)) * h);
    if (placed.some((p) => Math.abs(p - row) < 12)) continue;
    placed.push(row);
    const ty = y + row;
    ctx.save();
    ctx.strokeStyle = text;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x + BAR_W, ty + 0.5);
    ctx.lineTo(x + BAR_W + 4, ty + 0.5);
    ctx.stroke();
    ctx.restore();
    drawText(ctx, formatNumber(t), x + BAR_W + 7, ty, { size: TICK_FONT, color: text, baseline: 'middle' });
  }
  return { x, y, w: BAR_W, h, vmax };
}
