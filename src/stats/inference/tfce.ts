/**
 * Threshold-free cluster enhancement as nilearn 0.10.4 mass_univariate._utils.calculate_tfce
 * (E = 0.5, H = 2, dh = 'auto', 6-connectivity, fslmaths convention: no multiplication by dh):
 *   max_score = max(|t|) (two-sided) or max(t); step = max_score / 100;
 *   thresholds = np.arange(step, max_score + step, step)
 *   for each sign (-1, +1 when two-sided, else +1) and each threshold h (ascending):
 *     voxels with sign*t >= h form clusters C;  tfce[v in C] += sign * |C|^E * h^H
 * Volumes are full 3D grids in NIfTI order (x fastest); NaN counts as background.
 */
import type { Dims } from './thresholding.js';
import { labelComponents } from '../image/connected-components.js';

export interface TfceOptions {
  twoSided?: boolean;
  E?: number;
  H?: number;
}

/** numpy.arange(step, maxScore + step, step) with step = maxScore / 100 (numpy's fill rule). */
export function tfceThresholds(maxScore: number): Float64Array {
  const step = maxScore / 100;
  if (!(step > 0) || !Number.isFinite(step)) return new Float64Array(0);
  const start = step;
  const stop = maxScore + step;
  const len = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float64Array(len);
  if (len > 0) out[0] = start;
  if (len > 1) out[1] = start + step;
  // numpy DOUBLE_fill: delta = buffer[1] - buffer[0]; buffer[i] = start + i*delta
  const delta = start + step - start;
  for (let i = 2; i < len; i++) out[i] = start + i * delta;
  return out;
}

function maxScoreOf(vol: ArrayLike<number>, twoSided: boolean): number {
  let m = -Infinity;
  for (let v = 0; v < vol.length; v++) {
    const x = twoSided ? Math.abs(vol[v]) : vol[v];
    if (x > m) m = x;
  }
  return m;
}

/** Voxelwise TFCE map (reference implementation, one labelling per threshold and sign). */
export function tfceMap(vol: ArrayLike<number>, dims: Dims, options: TfceOptions = {}): Float64Array {
  const twoSided = options.twoSided ?? true;
  const E = options.E ?? 0.5;
  const H = options.H ?? 2;
  const n = vol.length;
  const out = new Float64Array(n);
  const threshs = tfceThresholds(maxScoreOf(vol, twoSided));
  const bin = new Uint8Array(n);
  for (const sign of twoSided ? [-1, 1] : [1]) {
    for (const h of threshs) {
      let any = false;
      for (let v = 0; v < n; v++) {
        const on = vol[v] * sign >= h ? 1 : 0;
        bin[v] = on;
        if (on) any = true;
      }
      if (!any) break;
      const { labels, sizes } = labelComponents(bin, dims, 6);
      const hH = h ** H;
      for (let v = 0; v < n; v++) {
        const l = labels[v];
        if (l) out[v] += sign * sizes[l] ** E * hH;
      }
    }
  }
  return out;
}

/**
 * max |TFCE| over the volume without building the map: voxels are added in descending order
 * with a union-find, and each component keeps the largest partial TFCE of its members (every
 * member gains the same |C|^E h^H at a level, and a merge keeps the larger of the two maxima).
 * Equals max(|tfceMap(vol)|) up to summation order (levels are summed high to low here).
 */
export function tfceMax(vol: ArrayLike<number>, dims: Dims, options: TfceOptions = {}): number {
  const twoSided = options.twoSided ?? true;
  const E = options.E ?? 0.5;
  const H = options.H ?? 2;
  const [nx, ny, nz] = dims;
  const n = vol.length;
  const threshs = tfceThresholds(maxScoreOf(vol, twoSided));
  if (threshs.length === 0) return 0;
  const parent = new Int32Array(n).fill(-1); // -1 = not added
  const size = new Int32Array(n);
  const acc = new Float64Array(n);
  const find = (a: number): number => {
    let r = a;
    while (parent[r] !== r) r = parent[r];
    while (parent[a] !== r) {
      const next = parent[a];
      parent[a] = r;
      a = next;
    }
    return r;
  };
  let best = 0;
  for (const sign of twoSided ? [-1, 1] : [1]) {
    const h0 = threshs[0];
    const cand: number[] = [];
    for (let v = 0; v < n; v++) if (vol[v] * sign >= h0) cand.push(v);
    if (cand.length === 0) continue;
    cand.sort((a, b) => vol[b] * sign - vol[a] * sign);
    for (const v of cand) parent[v] = -1;
    let roots: number[] = [];
    let ptr = 0;
    for (let m = threshs.length - 1; m >= 0; m--) {
      const h = threshs[m];
      while (ptr < cand.length && vol[cand[ptr]] * sign >= h) {
        const v = cand[ptr++];
        parent[v] = v;
        size[v] = 1;
        acc[v] = 0;
        roots.push(v);
        const x = v % nx;
        const y = ((v - x) / nx) % ny;
        const z = (v - x - nx * y) / (nx * ny);
        const nb = [
          x > 0 ? v - 1 : -1,
          x < nx - 1 ? v + 1 : -1,
          y > 0 ? v - nx : -1,
          y < ny - 1 ? v + nx : -1,
          z > 0 ? v - nx * ny : -1,
          z < nz - 1 ? v + nx * ny : -1,
        ];
        for (const w of nb) {
          if (w < 0 || parent[w] === -1) continue;
          const ra = find(v);
          const rb = find(w);
          if (ra === rb) continue;
          // union by size; keep the larger partial score
          const [big, small] = size[ra] >= size[rb] ? [ra, rb] : [rb, ra];
          parent[small] = big;
          size[big] += size[small];
          if (acc[small] > acc[big]) acc[big] = acc[small];
        }
      }
      const hH = h ** H;
      const live: number[] = [];
      for (const r of roots) {
        if (parent[r] !== r) continue;
        acc[r] += size[r] ** E * hH;
        live.push(r);
      }
      roots = live;
    }
    for (const r of roots) if (acc[r] > best) best = acc[r];
    for (const v of cand) parent[v] = -1;
  }
  return best;
}
