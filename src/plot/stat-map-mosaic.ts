/**
 * Axial mosaic of a stat map (nilearn plot_stat_map with display_mode='z' over several
 * rows): evenly spaced axial slices from the bottom to the top of the brain, each labelled
 * with its z in mm, L/R on the first, one colour bar.
 */
import { createFigure, figureToPng } from './canvas.js';
import { colorbarWidth, drawColorbar } from './colorbar.js';
import { makePlane } from './slicing.js';
import { drawFooter, drawPanelLabels, drawTitle, FOOTER_H, type PanelFigure, MARGIN, TITLE_H, type PlacedPlane } from './stat-map-draw.js';
import { paintSlice, type PreparedStatMap } from './stat-map-prepare.js';

export interface MosaicOptions {
  /** Number of slices (default 12) and slices per row (default 6). */
  slices?: number;
  columns?: number;
}

export type MosaicFigure = PanelFigure;

/** Target height of one slice in pixels. */
const SLICE_PX = 170;
const GAP = 2;

/**
 * z of `n` slices evenly spaced inside [lo, hi], leaving out the outer 8 % at each end
 * (the tip of the brain holds little), rounded to whole mm.
 */
export function mosaicCuts(lo: number, hi: number, n: number): number[] {
  const a = lo + 0.08 * (hi - lo);
  const b = hi - 0.08 * (hi - lo);
  return Array.from({ length: n }, (_, i) => Math.round(n === 1 ? (a + b) / 2 : a + ((b - a) * i) / (n - 1)));
}

export function renderMosaic(prep: PreparedStatMap, opts: MosaicOptions = {}): MosaicFigure {
  const n = Math.max(1, opts.slices ?? 12);
  const cols = Math.max(1, Math.min(n, opts.columns ?? 6));
  const rows = Math.ceil(n / cols);
  const { box } = prep;
  const scale = SLICE_PX / (box.max[1] - box.min[1]);
  const zs = mosaicCuts(box.min[2], box.max[2], n);
  const planes = zs.map((z) => makePlane('axial', box, scale, z));
  const pw = planes[0]!.w;
  const ph = planes[0]!.h;
  const barX = MARGIN + cols * pw + (cols - 1) * GAP + 16;
  const width = barX + colorbarWidth(prep.vmax, prep.threshold) + MARGIN;
  const gridH = rows * ph + (rows - 1) * GAP;
  const height = TITLE_H + gridH + FOOTER_H + 4;
  const fig = createFigure(width, height, '#000000');
  const { ctx } = fig;
  drawTitle(ctx, prep.title, width);
  const panels: PlacedPlane[] = planes.map((p, i) => ({ ...p, x: MARGIN + (i % cols) * (pw + GAP), y: TITLE_H + Math.floor(i / cols) * (ph + GAP) }));
  panels.forEach((p, i) => {
    paintSlice(ctx, p, prep, p.x, p.y);
    drawPanelLabels(ctx, p, { leftRight: i === 0, size: 12 });
  });
  const barH = Math.round(Math.min(gridH, 300) * 0.9);
  const colorbar = drawColorbar(ctx, barX, TITLE_H + Math.round((gridH - barH) / 2), barH, prep.vmax, prep.threshold);
  drawFooter(ctx, prep, TITLE_H + gridH);
  return { png: figureToPng(fig), width, height, panels, colorbar };
}
