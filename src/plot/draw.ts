/**
 * Drawing helpers for the canvas figures (canvas.ts): text (optionally rotated), a vertical
 * colour bar with ticks, and the luminance test that picks black or white text over a cell.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import { FIGURE_FONT } from './canvas.js';
import { css, type RGB } from './colormaps.js';
import { formatNumber } from './ticks.js';

export interface TextStyle {
  size?: number;
  bold?: boolean;
  color?: string;
  align?: CanvasTextAlign;
  baseline?: CanvasTextBaseline;
  /** Degrees, counter-clockwise (90 reads upward). */
  rotate?: number;
}

export function setFont(ctx: SKRSContext2D, size: number, bold = false): void {
  ctx.font = `${bold ? 'bold ' : ''}${size}px ${FIGURE_FONT}`;
}

export function drawText(ctx: SKRSContext2D, text: string, x: number, y: number, s: TextStyle = {}): void {
  ctx.save();
  setFont(ctx, s.size ?? 12, s.bold);
  ctx.fillStyle = s.color ?? '#000';
  ctx.textAlign = s.align ?? 'left';
  ctx.textBaseline = s.baseline ?? 'alphabetic';
  ctx.translate(x, y);
  if (s.rotate) ctx.rotate((-s.rotate * Math.PI) / 180);
  ctx.fillText(text, 0, 0);
  ctx.restore();
}

export function measureText(ctx: SKRSContext2D, text: string, size = 12, bold = false): number {
  ctx.save();
  setFont(ctx, size, bold);
  const w = ctx.measureText(text).width;
  ctx.restore();
  return w;
}

/** Shorten a label to at most `max` pixels wide, ending with an ellipsis. */
export function fitText(ctx: SKRSContext2D, text: string, max: number, size = 12): string {
  if (measureText(ctx, text, size) <= max) return text;
  let t = text;
  while (t.length > 1 && measureText(ctx, t + '…', size) > max) t = t.slice(0, -1);
  return t + '…';
}

/** Black text on light cells, white on dark ones (relative luminance). */
export function textColorOn(c: RGB): string {
  const lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  return lum > 140 ? '#000' : '#fff';
}

/**
 * A vertical colour bar at (x, y), w x h pixels, from vmin (bottom) to vmax (top), with tick
 * labels on its right and an optional title above.
 */
export function drawColorbar(
  ctx: SKRSContext2D, x: number, y: number, w: number, h: number,
  cmap: (t: number) => RGB, vmin: number, vmax: number, ticks: number[], title?: string,
): void {
  for (let py = 0; py < h; py++) {
    ctx.fillStyle = css(cmap(1 - py / Math.max(1, h - 1)));
    ctx.fillRect(x, y + py, w, 1);
  }
  ctx.strokeStyle = '#555';
  ctx.lineWidth = 1;
  ctx.strokeRect(x - 0.5, y - 0.5, w + 1, h + 1);
  for (const t of ticks) {
    const py = Math.round(y + ((vmax - t) / (vmax - vmin)) * (h - 1)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x + w, py);
    ctx.lineTo(x + w + 4, py);
    ctx.stroke();
    drawText(ctx, formatNumber(t), x + w + 7, py, { size: 11, baseline: 'middle' });
  }
  if (title) drawText(ctx, title, x + w / 2, y - 8, { size: 11, align: 'center' });
}
