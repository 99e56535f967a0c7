/** Pieces of figure chrome the stat-map views share: title, panel labels, cross-hair, footer. */
import type { SKRSContext2D } from '@napi-rs/canvas';
import { formatNumber } from './ticks.js';
import { makePlane, type Plane, type View } from './slicing.js';
import type { PreparedStatMap } from './stat-map-prepare.js';
import { drawText } from './draw.js';
import { colorbarWidth, drawColorbar, type ColorbarGeometry } from './colorbar.js';
import { createFigure, figureToPng } from './canvas.js';

/** A plane placed on the figure: its top-left pixel. */
export type PlacedPlane = Plane & { x: number; y: number };

/** A figure of placed panels (the mosaic and the glass brain) with its colour bar. */
export interface PanelFigure {
  png: Buffer;
  width: number;
  height: number;
  panels: PlacedPlane[];
  colorbar: ColorbarGeometry;
}

export const TITLE_SIZE = 15;
export const TITLE_H = 30;
export const FOOTER_H = 20;
export const MARGIN = 10;

export interface TextBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The title in the top band; returns the band. */
export function drawTitle(ctx: SKRSContext2D, title: string | undefined, width: number, color = '#ffffff'): TextBox {
  if (title) drawText(ctx, title, MARGIN, 8, { size: TITLE_SIZE, bold: true, color, baseline: 'top' });
  return { x: 0, y: 0, w: width, h: TITLE_H };
}

/** "x = -21" in the panel's lower-left corner and L / R on views that show the x axis. */
export function drawPanelLabels(ctx: SKRSContext2D, p: PlacedPlane, opts: { coordinate?: boolean; leftRight?: boolean; color?: string; size?: number } = {}): void {
  const color = opts.color ?? '#ffffff';
  const size = opts.size ?? 13;
  if (opts.coordinate !== false) {
    const name = ['x', 'y', 'z'][p.fixedAxis]!;
    drawText(ctx, `${name}=${Math.round(p.fixed)}`, p.x + 4, p.y + p.h - 3, { size, color, baseline: 'bottom' });
  }
  if (opts.leftRight !== false && p.hAxis === 0) {
    drawText(ctx, 'L', p.x + 4, p.y + 3, { size, bold: true, color, baseline: 'top' });
    drawText(ctx, 'R', p.x + p.w - 4, p.y + 3, { size, bold: true, color, align: 'right', baseline: 'top' });
  }
}

/** Thin cross-hair through the cut point (the plane's two in-plane coordinates). */
export function drawCrosshair(ctx: SKRSContext2D, p: PlacedPlane, cut: readonly number[]): void {
  const cx = p.x + (cut[p.hAxis]! - p.hMin) * p.scale;
  const cy = p.y + (p.vMax - cut[p.vAxis]!) * p.scale;
  ctx.save();
  ctx.strokeStyle = 'rgba(255,255,255,0.45)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(Math.round(cx) + 0.5, p.y);
  ctx.lineTo(Math.round(cx) + 0.5, p.y + p.h);
  ctx.moveTo(p.x, Math.round(cy) + 0.5);
  ctx.lineTo(p.x + p.w, Math.round(cy) + 0.5);
  ctx.stroke();
  ctx.restore();
}

/** Footer line: the underlay, the peak and the threshold. */
export function footerText(prep: PreparedStatMap): string {
  const mm = (v: readonly number[]) => `(${v.map((c) => Math.round(c)).join(', ')}) mm`;
  const parts = [prep.peak ? `peak ${formatNumber(prep.peak.value)} at ${mm(prep.peak.mm)}` : 'empty map'];
  if (prep.threshold > 1e-6) parts.push(`threshold |value| >= ${formatNumber(prep.threshold)}`);
  parts.push(prep.under ? `underlay: ${prep.under.label}` : 'no underlay (map extent in grey)');
  return parts.join('   ·   ');
}

export function drawFooter(ctx: SKRSContext2D, prep: PreparedStatMap, y: number, color = '#bbbbbb'): void {
  drawText(ctx, footerText(prep), MARGIN, y + 4, { size: 11, color, baseline: 'top' });
}

/** Width of planes laid side by side, `gap` pixels apart. */
export function rowWidth(planes: readonly Plane[], gap: number): number {
  return planes.reduce((w, p) => w + p.w, 0) + gap * (planes.length - 1);
}

/** Planes laid left to right from MARGIN, each centred vertically in a row of height rowH below the title. */
export function placeInRow(planes: readonly Plane[], rowH: number, gap: number): PlacedPlane[] {
  let x = MARGIN;
  return planes.map((p) => {
    const placed = { ...p, x, y: TITLE_H + Math.floor((rowH - p.h) / 2) };
    x += p.w + gap;
    return placed;
  });
}

/**
 * The layout the orthogonal cuts and the glass brain share: the title, one row of sagittal,
 * coronal and axial panels (the tallest `panelPx` high, cut at `cutMm`, or at 0 for
 * projections), the colour bar on the right and the footer. `paint` draws each placed panel.
 */
export function threeViewFigure(
  prep: PreparedStatMap,
  layout: { panelPx: number; gap: number; cutMm: readonly number[] | null },
  paint: (ctx: SKRSContext2D, p: PlacedPlane) => void,
): PanelFigure & { title: TextBox } {
  const { box } = prep;
  const ext = [0, 1, 2].map((a) => box.max[a]! - box.min[a]!);
  const scale = layout.panelPx / Math.max(ext[1]!, ext[2]!);
  const views: View[] = ['sagittal', 'coronal', 'axial'];
  const planes = views.map((v, axis) => makePlane(v, box, scale, layout.cutMm ? layout.cutMm[axis]! : 0));
  const rowH = Math.max(...planes.map((p) => p.h));
  const barX = MARGIN + rowWidth(planes, layout.gap) + 16;
  const width = barX + colorbarWidth(prep.vmax, prep.threshold) + MARGIN;
  const height = TITLE_H + rowH + FOOTER_H + 4;
  const fig = createFigure(width, height, '#000000');
  const { ctx } = fig;
  const title = drawTitle(ctx, prep.title, width);
  const panels = placeInRow(planes, rowH, layout.gap);
  for (const p of panels) paint(ctx, p);
  const barH = Math.round(rowH * 0.85);
  const colorbar = drawColorbar(ctx, barX, TITLE_H + Math.round((rowH - barH) / 2), barH, prep.vmax, prep.threshold);
  drawFooter(ctx, prep, TITLE_H + rowH);
  return { png: figureToPng(fig), width, height, panels, colorbar, title };
}
