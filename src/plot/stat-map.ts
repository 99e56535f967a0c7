/**
 * Orthogonal-cut stat map figure, after nilearn's plot_stat_map (display_mode 'ortho'):
 * sagittal, coronal and axial slices through the cut point (default the peak) over the
 * underlay, voxels with |stat| >= threshold in cold_hot with symmetric limits +-vmax, a
 * colour bar with the threshold band, L/R and the cut coordinates in mm.
 */
import { createFigure, figureToPng } from './canvas.js';
import type { Volume } from './affine.js';
import { colorbarWidth, drawColorbar, type ColorbarGeometry } from './colorbar.js';
import { makePlane, type View } from './slicing.js';
import { drawCrosshair, drawFooter, drawPanelLabels, drawTitle, FOOTER_H, placeInRow, rowWidth, MARGIN, TITLE_H, type PlacedPlane, type TextBox } from './stat-map-draw.js';
import { paintSlice, prepareStatMap, type Peak, type PreparedStatMap, type StatMapOptions } from './stat-map-prepare.js';
import type { Underlay } from './underlay.js';

export type { StatMapOptions, Peak } from './stat-map-prepare.js';

export interface StatMapFigure {
  png: Buffer;
  width: number;
  height: number;
  cutMm: PreparedStatMap['cutMm'];
  peak: Peak | null;
  vmax: number;
  threshold: number;
  panels: PlacedPlane[];
  colorbar: ColorbarGeometry;
  title: TextBox;
}

/** Target height in pixels of the tallest slice. */
const PANEL_PX = 300;
const GAP = 4;

export function renderOrtho(prep: PreparedStatMap): StatMapFigure {
  const { box } = prep;
  const ext = [0, 1, 2].map((a) => box.max[a]! - box.min[a]!);
  const scale = PANEL_PX / Math.max(ext[1]!, ext[2]!);
  const views: View[] = ['sagittal', 'coronal', 'axial'];
  const planes = views.map((v) => makePlane(v, box, scale, prep.cutMm[{ sagittal: 0, coronal: 1, axial: 2 }[v]]!));
  const rowH = Math.max(...planes.map((p) => p.h));
  const barX = MARGIN + rowWidth(planes, GAP) + 16;
  const width = barX + colorbarWidth(prep.vmax, prep.threshold) + MARGIN;
  const height = TITLE_H + rowH + FOOTER_H + 4;
  const fig = createFigure(width, height, '#000000');
  const { ctx } = fig;
  const title = drawTitle(ctx, prep.title, width);
  const placed = placeInRow(planes, rowH, GAP);
  for (const p of placed) {
    paintSlice(ctx, p, prep, p.x, p.y);
    drawCrosshair(ctx, p, prep.cutMm);
    drawPanelLabels(ctx, p);
  }
  const barH = Math.round(rowH * 0.85);
  const colorbar = drawColorbar(ctx, barX, TITLE_H + Math.round((rowH - barH) / 2), barH, prep.vmax, prep.threshold);
  drawFooter(ctx, prep, TITLE_H + rowH);
  return {
    png: figureToPng(fig), width, height, cutMm: prep.cutMm, peak: prep.peak, vmax: prep.vmax, threshold: prep.threshold,
    panels: placed, colorbar, title,
  };
}

/** Orthogonal cuts of `stat` over `underlay` (null: the map's own extent in grey). */
export function renderStatMap(stat: Volume, underlay: Underlay | null, opts: StatMapOptions = {}): StatMapFigure {
  return renderOrtho(prepareStatMap(stat, underlay, opts));
}
