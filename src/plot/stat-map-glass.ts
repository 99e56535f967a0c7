/**
 * Glass brain of a stat map, after nilearn's plot_glass_brain (display_mode 'ortho',
 * black_bg=True, plot_abs=False): in each of the sagittal, coronal and axial views the
 * maximum intensity projection of the map (per ray, the value of largest |stat| with its
 * sign) over the outline of the brain (the projection of the underlay's brain mask, else
 * of the map's own extent). nilearn draws a schematic brain; here the outline is the real
 * mask's silhouette, so it also fits non-MNI spaces.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import type { Volume } from './affine.js';
import { nearestSampler } from './resample.js';
import { projectPlane, projectVolume, samplePlane, type Plane } from './slicing.js';
import { drawPanelLabels, threeViewFigure, type PanelFigure, type PlacedPlane } from './stat-map-draw.js';
import { overlayColor, type PreparedStatMap } from './stat-map-prepare.js';

export type GlassFigure = PanelFigure;

const PANEL_PX = 260;
const GAP = 8;
/** Inside of the brain, and its outline. */
export const GLASS_FILL = 28;
export const GLASS_EDGE = 175;

/**
 * Maximum intensity projection of `vol` (through `value`) on the plane: in voxel space for
 * axis-aligned grids (projectVolume), else by casting rays every `step` mm.
 */
function project(p: Plane, vol: Volume, value: (v: number) => number, lo: number, hi: number, step: number): Float32Array {
  const fast = projectVolume(vol, p.fixedAxis, value);
  if (fast) return samplePlane({ ...p, fixed: fast.at }, nearestSampler(fast.volume));
  const at = nearestSampler(vol);
  return projectPlane(p, (x, y, z) => value(at(x, y, z)), lo, hi, step);
}

const inBrain = (v: number) => (Number.isFinite(v) && v !== 0 ? 1 : NaN);

function paintGlass(ctx: SKRSContext2D, p: PlacedPlane, prep: PreparedStatMap): void {
  const lo = prep.box.min[p.fixedAxis];
  const hi = prep.box.max[p.fixedAxis];
  const step = Math.max(0.5, prep.step / 2);
  const sil = project(p, prep.mask ?? prep.stat, inBrain, lo, hi, step);
  const inside = new Uint8Array(p.w * p.h);
  for (let i = 0; i < inside.length; i++) inside[i] = sil[i] === 1 ? 1 : 0;
  const mip = project(p, prep.stat, (v) => v, lo, hi, step);
  const img = ctx.createImageData(p.w, p.h);
  const edge = (i: number, x: number, y: number) =>
    inside[i] === 1 && (x === 0 || y === 0 || x === p.w - 1 || y === p.h - 1 || !inside[i - 1] || !inside[i + 1] || !inside[i - p.w] || !inside[i + p.w]);
  for (let y = 0; y < p.h; y++) {
    for (let x = 0; x < p.w; x++) {
      const i = y * p.w + x;
      const g = edge(i, x, y) ? GLASS_EDGE : inside[i] ? GLASS_FILL : 0;
      const c = overlayColor(mip[i]!, prep.vmax, prep.threshold) ?? [g, g, g];
      img.data[4 * i] = c[0];
      img.data[4 * i + 1] = c[1];
      img.data[4 * i + 2] = c[2];
      img.data[4 * i + 3] = 255;
    }
  }
  ctx.putImageData(img, p.x, p.y);
}

export function renderGlass(prep: PreparedStatMap): GlassFigure {
  return threeViewFigure(prep, { panelPx: PANEL_PX, gap: GAP, cutMm: null }, (ctx, p) => {
    paintGlass(ctx, p, prep);
    drawPanelLabels(ctx, p, { coordinate: false });
  });
}
