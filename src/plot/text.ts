/** Text on a figure canvas in the bundled font (canvas.ts), antialiased by Skia. */
import { FIGURE_FONT } from './canvas.js';
import type { SKRSContext2D } from '@napi-rs/canvas';

export interface TextStyle {
  size?: number;
  bold?: boolean;
  color?: string;
  align?: 'left' | 'center' | 'right';
  baseline?: 'top' | 'middle' | 'bottom' | 'alphabetic';
  /** Rotation in radians around (x, y), counter-clockwise positive. */
  rotate?: number;
}

export function fontOf(size = 12, bold = false): string {
  return `${bold ? 'bold ' : ''}${size}px ${FIGURE_FONT}`;
}

export function drawText(ctx: SKRSContext2D, text: string, x: number, y: number, s: TextStyle = {}): void {
  ctx.save();
  ctx.font = fontOf(s.size, s.bold);
  ctx.fillStyle = s.color ?? '#ffffff';
  ctx.textAlign = s.align ?? 'left';
  ctx.textBaseline = s.baseline ?? 'top';
  if (s.rotate) {
    ctx.translate(x, y);
    ctx.rotate(-s.rotate);
    ctx.fillText(text, 0, 0);
  } else {
    ctx.fillText(text, x, y);
  }
  ctx.restore();
}

export function measureText(ctx: SKRSContext2D, text: string, size = 12, bold = false): number {
  ctx.save();
  ctx.font = fontOf(size, bold);
  const w = ctx.measureText(text).width;
  ctx.restore();
  return Math.ceil(w);
}
