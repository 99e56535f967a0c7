/**
 * Figure planes in world space: which world axes a view shows, where each pixel lies in mm,
 * and the values of a volume on a plane (a slice) or along the plane's normal (a maximum
 * intensity projection, for the glass brain).
 *
 * Display convention (nilearn's, neurological):
 *   sagittal: anterior to the right, superior up;
 *   coronal:  subject's left on the left, superior up;
 *   axial:    subject's left on the left, anterior up.
 */
import type { Box, Vec3, Volume } from './affine.js';
import type { Sampler } from './resample.js';

export type View = 'sagittal' | 'coronal' | 'axial';

/** World axes (0 = x, 1 = y, 2 = z) shown horizontally and vertically, and the one cut through. */
export const VIEW_AXES: Record<View, { hAxis: 0 | 1 | 2; vAxis: 0 | 1 | 2; fixedAxis: 0 | 1 | 2 }> = {
  sagittal: { hAxis: 1, vAxis: 2, fixedAxis: 0 },
  coronal: { hAxis: 0, vAxis: 2, fixedAxis: 1 },
  axial: { hAxis: 0, vAxis: 1, fixedAxis: 2 },
};

/** A view of the world box at `scale` pixels per mm, cut at `fixed` mm along the normal. */
export interface Plane {
  view: View;
  hAxis: 0 | 1 | 2;
  vAxis: 0 | 1 | 2;
  fixedAxis: 0 | 1 | 2;
  /** mm at the left and top edges, and pixels per mm. */
  hMin: number;
  vMax: number;
  scale: number;
  /** Size in pixels. */
  w: number;
  h: number;
  /** Position of the cut along fixedAxis, mm. */
  fixed: number;
}

export function makePlane(view: View, box: Box, scale: number, fixed: number): Plane {
  const ax = VIEW_AXES[view];
  return {
    view, ...ax, hMin: box.min[ax.hAxis], vMax: box.max[ax.vAxis], scale, fixed,
    w: Math.max(1, Math.round((box.max[ax.hAxis] - box.min[ax.hAxis]) * scale)),
    h: Math.max(1, Math.round((box.max[ax.vAxis] - box.min[ax.vAxis]) * scale)),
  };
}

/** World point (mm) at the centre of pixel (px, py) of the plane. */
export function pixelToWorld(p: Plane, px: number, py: number): Vec3 {
  const w: Vec3 = [0, 0, 0];
  w[p.fixedAxis] = p.fixed;
  w[p.hAxis] = p.hMin + (px + 0.5) / p.scale;
  w[p.vAxis] = p.vMax - (py + 0.5) / p.scale;
  return w;
}

/** Pixel (column, row) of the plane holding world point `w` (may be outside the plane). */
export function worldToPixel(p: Plane, w: readonly number[]): [number, number] {
  return [Math.floor((w[p.hAxis]! - p.hMin) * p.scale), Math.floor((p.vMax - w[p.vAxis]!) * p.scale)];
}

/** The volume behind `sample` on the plane, row-major (w x h); NaN outside its grid. */
export function samplePlane(p: Plane, sample: Sampler): Float32Array {
  const out = new Float32Array(p.w * p.h);
  const w: Vec3 = [0, 0, 0];
  w[p.fixedAxis] = p.fixed;
  for (let py = 0; py < p.h; py++) {
    w[p.vAxis] = p.vMax - (py + 0.5) / p.scale;
    for (let px = 0; px < p.w; px++) {
      w[p.hAxis] = p.hMin + (px + 0.5) / p.scale;
      out[py * p.w + px] = sample(w[0], w[1], w[2]);
    }
  }
  return out;
}

/**
 * Maximum intensity projection along the plane's normal over [lo, hi] mm, sampled every
 * `step` mm: per pixel the finite value of largest |value| keeping its sign (nilearn's
 * glass brain with plot_abs=False), NaN where the ray meets no finite value.
 */
export function projectPlane(p: Plane, sample: Sampler, lo: number, hi: number, step: number): Float32Array {
  const out = new Float32Array(p.w * p.h).fill(NaN);
  const n = Math.max(1, Math.ceil((hi - lo) / step));
  const w: Vec3 = [0, 0, 0];
  for (let py = 0; py < p.h; py++) {
    w[p.vAxis] = p.vMax - (py + 0.5) / p.scale;
    for (let px = 0; px < p.w; px++) {
      w[p.hAxis] = p.hMin + (px + 0.5) / p.scale;
      let best = NaN;
      let bestAbs = -1;
      for (let s = 0; s <= n; s++) {
        w[p.fixedAxis] = lo + ((hi - lo) * s) / n;
        const v = sample(w[0], w[1], w[2]);
        if (Number.isFinite(v) && Math.abs(v) > bestAbs) {
          bestAbs = Math.abs(v);
          best = v;
        }
      }
      out[py * p.w + px] = best;
    }
  }
  return out;
}

/**
 * Maximum intensity projection of a volume along world axis `fixedAxis`, computed in voxel
 * space when the affine is axis-aligned (each voxel axis along one world axis, flips and
 * permutations allowed: every image from a scanner or fMRIPrep's template spaces), which is
 * far cheaper than casting rays per pixel. `value` maps a voxel to what is projected (NaN =
 * nothing). Returns the projection as a one-voxel-thick volume and the world coordinate
 * along `fixedAxis` at which to sample it, or null for an oblique affine.
 */
export function projectVolume(vol: Volume, fixedAxis: 0 | 1 | 2, value: (v: number) => number = (v) => v): { volume: Volume; at: number } | null {
  const A = vol.affine;
  let axis = -1;
  for (let c = 0; c < 3; c++) {
    const col = [A[0]![c]!, A[1]![c]!, A[2]![c]!];
    const big = col.map((x) => Math.abs(x) > 1e-6 * Math.hypot(...col));
    if (big.filter(Boolean).length !== 1) return null;
    if (big[fixedAxis]) axis = c;
  }
  if (axis < 0) return null;
  const dims = [vol.dims[0]!, vol.dims[1]!, vol.dims[2]!];
  const out = dims.slice();
  out[axis] = 1;
  const proj = new Float32Array(out[0]! * out[1]! * out[2]!).fill(NaN);
  const best = new Float32Array(proj.length).fill(-1);
  // strides of voxel (i, j, k) into the projection: 0 along the projected axis
  const si = axis === 0 ? 0 : 1;
  const sj = axis === 1 ? 0 : out[0]!;
  const sk = axis === 2 ? 0 : out[0]! * out[1]!;
  const data = vol.data;
  let o = 0;
  for (let k = 0; k < dims[2]!; k++)
    for (let j = 0; j < dims[1]!; j++) {
      const base = j * sj + k * sk;
      for (let i = 0; i < dims[0]!; i++, o++) {
        const v = value(data[o]!);
        if (!(Math.abs(v) > best[base + i * si]!)) continue; // also skips NaN
        best[base + i * si] = Math.abs(v);
        proj[base + i * si] = v;
      }
    }
  return { volume: { data: proj, dims: out, affine: A }, at: A[fixedAxis]![3]! };
}
