/**
 * What every stat-map view shares: the map and underlay as samplers on world space, the
 * figure's world box, the peak, the colour limits and threshold, the cut point; and the
 * painting of one plane (underlay grey + thresholded cold_hot overlay) into the canvas.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import { applyAffine, unionBox, voxelSize, worldBox, type Box, type Vec3, type Volume } from './affine.js';
import { coldHot, type RGB } from './colormaps.js';
import { nearestSampler, trilinearSampler, type Sampler } from './resample.js';
import { samplePlane, type Plane } from './slicing.js';
import { grayLevel, grayWindow, type Underlay } from './underlay.js';

export interface StatMapOptions {
  /** Voxels with |stat| below this are not coloured (nilearn's default is 1e-6). */
  threshold?: number;
  /** Cut point in mm, or 'peak' (default): the voxel with the largest |stat|. */
  cut?: Vec3 | 'peak';
  title?: string;
  /** Colour limit (symmetric); default max |stat|. */
  vmax?: number;
}

export interface Peak {
  voxel: Vec3;
  mm: Vec3;
  value: number;
}

export interface PreparedStatMap {
  stat: Volume;
  statAt: Sampler;
  under: { at: Sampler; lo: number; hi: number; label: string } | null;
  /** The underlay's brain mask; null without one. */
  mask: Volume | null;
  box: Box;
  peak: Peak | null;
  vmax: number;
  threshold: number;
  cutMm: Vec3;
  /** Smallest voxel size of the map, mm (projection step). */
  step: number;
  title?: string;
}

/** Silhouette grey of the map's own extent when there is no underlay. */
export const SILHOUETTE = 60;
/** Margin around the brain in the figures, mm. */
const MARGIN_MM = 4;

/** The voxel with the largest finite |stat| (first one on ties), or null if all are 0 / not finite. */
export function findPeak(stat: Volume): Peak | null {
  const [nx, ny, nz] = [stat.dims[0]!, stat.dims[1]!, stat.dims[2]!];
  let best = -1;
  let bestAbs = 0;
  const n = nx * ny * nz;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(stat.data[i]!);
    if (a > bestAbs && Number.isFinite(a)) {
      bestAbs = a;
      best = i;
    }
  }
  if (best < 0) return null;
  const voxel: Vec3 = [best % nx, Math.floor(best / nx) % ny, Math.floor(best / (nx * ny))];
  return { voxel, mm: applyAffine(stat.affine, voxel), value: stat.data[best]! };
}

const nonZero = (v: number) => Number.isFinite(v) && v !== 0;

export function prepareStatMap(stat: Volume, underlay: Underlay | null, opts: StatMapOptions = {}): PreparedStatMap {
  const n = stat.dims[0]! * stat.dims[1]! * stat.dims[2]!;
  if (stat.dims.length < 3 || stat.data.length < n) throw new Error(`stat map: ${stat.data.length} values for dims ${stat.dims.join('x')}`);
  const peak = findPeak(stat);
  const threshold = Math.max(0, opts.threshold ?? 1e-6);
  const vmax = opts.vmax !== undefined && opts.vmax > 0 ? opts.vmax : peak ? Math.abs(peak.value) : 1;
  // The figure shows the brain (underlay mask, else its non-zero voxels) and every drawn
  // voxel of the map; without an underlay, the map's extent.
  const brain = underlay ? (underlay.mask ? worldBox(underlay.mask, nonZero) : worldBox(underlay.image, nonZero)) : null;
  const drawn = worldBox(stat, underlay ? (v) => nonZero(v) && Math.abs(v) >= threshold : nonZero);
  const box = unionBox([brain, drawn], MARGIN_MM) ?? worldBox(stat)!;
  let cutMm: Vec3;
  if (Array.isArray(opts.cut)) cutMm = [opts.cut[0], opts.cut[1], opts.cut[2]];
  else if (peak) cutMm = [...peak.mm];
  else cutMm = [0, 1, 2].map((a) => (box.min[a]! + box.max[a]!) / 2) as Vec3;
  let under: PreparedStatMap['under'] = null;
  if (underlay) {
    const [lo, hi] = grayWindow(underlay.image);
    under = { at: trilinearSampler(underlay.image), lo, hi, label: underlay.label };
  }
  return {
    stat, statAt: nearestSampler(stat), under, mask: underlay?.mask ?? null,
    box, peak, vmax, threshold, cutMm, step: voxelSize(stat.affine), title: opts.title,
  };
}

/** cold_hot colour of a statistic, or null where it is not drawn (|s| < threshold, 0, not finite). */
export function overlayColor(s: number, vmax: number, threshold: number): RGB | null {
  if (!Number.isFinite(s) || s === 0 || Math.abs(s) < threshold) return null;
  return coldHot(0.5 + 0.5 * Math.max(-1, Math.min(1, s / vmax)));
}

/** Paint the slice of `plane` (underlay grey, overlay above threshold) with its top-left at (x, y). */
export function paintSlice(ctx: SKRSContext2D, plane: Plane, prep: PreparedStatMap, x: number, y: number): void {
  const stat = samplePlane(plane, prep.statAt);
  const under = prep.under ? samplePlane(plane, prep.under.at) : null;
  const img = ctx.createImageData(plane.w, plane.h);
  for (let i = 0; i < plane.w * plane.h; i++) {
    const s = stat[i]!;
    let c: RGB | null = overlayColor(s, prep.vmax, prep.threshold);
    if (!c) {
      const g = under ? grayLevel(under[i]!, prep.under!.lo, prep.under!.hi) : nonZero(s) ? SILHOUETTE : 0;
      c = [g, g, g];
    }
    img.data[4 * i] = c[0];
    img.data[4 * i + 1] = c[1];
    img.data[4 * i + 2] = c[2];
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, x, y);
}

