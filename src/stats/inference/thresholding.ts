/**
 * Voxel- and cluster-level thresholding, matching nilearn 0.10.4:
 *   nilearn.glm.thresholding.threshold_stats_img / fdr_threshold
 *   nilearn.image.threshold_img (+ _apply_cluster_size_threshold)
 *   nilearn.masking.compute_background_mask (the mask threshold_stats_img uses when none is given)
 *
 * Volumes are Float32Array in NIfTI order: index = x + nx*(y + ny*z).
 */
import { normIsf, normSf } from '../core/distributions.js';
import { labelComponents } from '../image/connected-components.js';

export type Dims = readonly number[];
export type Affine = number[][];
export type HeightControl = 'fpr' | 'fdr' | 'bonferroni' | null;

export interface ThresholdStatsOptions {
  /** p (fpr, bonferroni) or q (fdr) level; default 0.001 as nilearn. */
  alpha?: number;
  /** default 'fpr' as nilearn; null = use `threshold` as is. */
  heightControl?: HeightControl;
  /** z threshold used when heightControl is null; default 3.0. */
  threshold?: number;
  /** minimum cluster size in voxels (clusters smaller are removed); default 0. */
  clusterThreshold?: number;
  /** default true as nilearn: threshold |z| and halve alpha. */
  twoSided?: boolean;
}

export interface ThresholdStatsResult {
  thresholded: Float32Array;
  threshold: number;
}

/**
 * nilearn fdr_threshold: Benjamini-Hochberg on z values (one-sided p = norm.sf(z)).
 * Sorts z descending; returns z_sorted[last k with p_k < alpha*k/n] - 1e-12, or +Infinity.
 */
export function fdrThreshold(z: ArrayLike<number>, alpha: number): number {
  if (alpha < 0 || alpha > 1) throw new RangeError(`alpha should be between 0 and 1. ${alpha} was provided`);
  const n = z.length;
  if (n === 0) return Infinity;
  const sorted = Float64Array.from(z).sort().reverse(); // descending (NaN handling: none expected)
  // numpy.linspace(1/n, 1, n): y[i] = i*step + 1/n, last = 1
  const start = 1 / n;
  const step = n > 1 ? (1 - start) / (n - 1) : 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    const lin = i === n - 1 ? 1 : i * step + start;
    if (normSf(sorted[i]) < alpha * lin) last = i;
  }
  return last >= 0 ? sorted[last] - 1e-12 : Infinity;
}

/**
 * nilearn compute_background_mask(border_size=2, connected=False, opening=False) on one 3D volume:
 * if any border voxel is NaN the mask is ~isnan(data), else data != median(border voxels).
 * Border voxels are collected like nilearn's get_border_data (slabs overlap, edges count several times).
 */
export function backgroundMask(data: ArrayLike<number>, dims: Dims, borderSize = 2): Uint8Array {
  const [nx, ny, nz] = dims;
  const border: number[] = [];
  const push = (i: number, j: number, k: number) => border.push(data[i + nx * (j + ny * k)]);
  const b = borderSize;
  const ranges = (n: number, lowSlab: boolean): number[] => {
    const out: number[] = [];
    if (lowSlab) for (let i = 0; i < Math.min(b, n); i++) out.push(i);
    else for (let i = Math.max(0, n - b); i < n; i++) out.push(i);
    return out;
  };
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  for (const low of [true, false]) for (const i of ranges(nx, low)) for (const j of all(ny)) for (const k of all(nz)) push(i, j, k);
  for (const low of [true, false]) for (const i of all(nx)) for (const j of ranges(ny, low)) for (const k of all(nz)) push(i, j, k);
  for (const low of [true, false]) for (const i of all(nx)) for (const j of all(ny)) for (const k of ranges(nz, low)) push(i, j, k);
  const total = nx * ny * nz;
  const mask = new Uint8Array(total);
  if (border.some((v) => Number.isNaN(v))) {
    for (let v = 0; v < total; v++) mask[v] = Number.isNaN(data[v]) ? 0 : 1;
    return mask;
  }
  border.sort((a, c) => a - c);
  const m = border.length;
  const median = m % 2 === 1 ? border[(m - 1) / 2] : (border[m / 2 - 1] + border[m / 2]) / 2;
  for (let v = 0; v < total; v++) mask[v] = data[v] !== median ? 1 : 0;
  return mask;
}

/**
 * nilearn _apply_cluster_size_threshold: for each sign present, label (6-connectivity)
 * the voxels of that sign and zero clusters with fewer than `clusterThreshold` voxels. In place.
 */
export function applyClusterSizeThreshold(arr: Float32Array, dims: Dims, clusterThreshold: number): Float32Array {
  for (const sign of [-1, 1]) {
    const bin = new Uint8Array(arr.length);
    let any = false;
    for (let v = 0; v < arr.length; v++) if (arr[v] * sign > 0) (bin[v] = 1), (any = true);
    if (!any) continue;
    const { labels, sizes } = labelComponents(bin, dims, 6);
    for (let v = 0; v < arr.length; v++) {
      const l = labels[v];
      if (l > 0 && sizes[l] < clusterThreshold) arr[v] = 0;
    }
  }
  return arr;
}

/**
 * nilearn.image.threshold_img with a numeric threshold: non-finite -> 0, outside `mask` -> 0,
 * |x| < t (two-sided) or x < t (one-sided) -> 0, then the cluster-size threshold. Returns a copy.
 */
export function thresholdImage(
  data: ArrayLike<number>,
  dims: Dims,
  threshold: number,
  opts: { clusterThreshold?: number; twoSided?: boolean; mask?: ArrayLike<number | boolean> | null } = {},
): Float32Array {
  const twoSided = opts.twoSided ?? true;
  const out = Float32Array.from(data);
  const mask = opts.mask ?? null;
  // numpy compares the float32 image with the threshold; a float64 threshold is exact enough here
  for (let v = 0; v < out.length; v++) {
    const x = out[v];
    if (!Number.isFinite(x) || (mask && !mask[v])) {
      out[v] = 0;
      continue;
    }
    if (twoSided ? Math.abs(x) < threshold : x < threshold) out[v] = 0;
  }
  const ct = opts.clusterThreshold ?? 0;
  if (ct > 0) applyClusterSizeThreshold(out, dims, ct);
  return out;
}

/**
 * nilearn threshold_stats_img: translate alpha to a z threshold (fpr: norm.isf(alpha'),
 * fdr: fdr_threshold(stats, alpha'), bonferroni: norm.isf(alpha'/n_in_mask), null: `threshold`,
 * alpha' = alpha/2 when two-sided, stats = |z| in the mask when two-sided), then threshold_img.
 * With no mask, the statistics are drawn from nilearn's background mask of the image, and the
 * thresholded image is not masked (as nilearn).
 */
export function thresholdStats(
  stat: Float32Array,
  mask: ArrayLike<number | boolean> | null,
  dims: Dims,
  _affine: Affine | null,
  options: ThresholdStatsOptions = {},
): ThresholdStatsResult {
  const alpha = options.alpha ?? 0.001;
  const heightControl = options.heightControl === undefined ? 'fpr' : options.heightControl;
  const twoSided = options.twoSided ?? true;
  const clusterThreshold = options.clusterThreshold ?? 0;
  const alpha_ = twoSided ? alpha / 2 : alpha;
  let threshold = options.threshold ?? 3.0;
  if (heightControl === 'fpr') threshold = normIsf(alpha_);

  const statsMask = mask ?? backgroundMask(stat, dims);
  const values: number[] = [];
  for (let v = 0; v < stat.length; v++) {
    if (!statsMask[v]) continue;
    const x = stat[v];
    values.push(twoSided ? Math.abs(x) : x);
  }
  if (heightControl === 'fdr') threshold = fdrThreshold(values, alpha_);
  else if (heightControl === 'bonferroni') threshold = normIsf(alpha_ / values.length);

  const thresholded = thresholdImage(stat, dims, threshold, { clusterThreshold, twoSided, mask });
  return { thresholded, threshold };
}
