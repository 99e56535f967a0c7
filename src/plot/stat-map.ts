/**
 * Orthogonal-cut stat map figure, after nilearn's plot_stat_map (display_mode 'ortho'):
 * sagittal, coronal and axial slices through the cut point (default the peak) over the
 * underlay, voxels with |stat| >= threshold in cold_hot with symmetric limits +-vmax, a
 * colour bar with the threshold band, L/R and the cut coordinates in mm.
 */
import type { Volume } from './affine.js';
import type { ColorbarGeometry } from './colorbar.js';
import { drawCrosshair, drawPanelLabels, threeViewFigure, type PlacedPlane, type TextBox } from './stat-map-draw.js';
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
  const fig = threeViewFigure(prep, { panelPx: PANEL_PX, gap: GAP, cutMm: prep.cutMm }, (ctx, p) => {
    paintSlice(ctx, p, prep, p.x, p.y);
    drawCrosshair(ctx, p, prep.cutMm);
    drawPanelLabels(ctx, p);
  });
  return { ...fig, cutMm: prep.cutMm, peak: prep.peak, vmax: prep.vmax, threshold: prep.threshold };
}

/** Orthogonal cuts of `stat` over `underlay` (null: the map's own extent in grey). */
export function renderStatMap(stat: Volume, underlay: Underlay | null, opts: StatMapOptions = {}): StatMapFigure {
  return renderOrtho(prepareStatMap(stat, underlay, opts));
}
