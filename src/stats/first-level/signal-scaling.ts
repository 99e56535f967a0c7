/**
 * nilearn's FirstLevelModel `signal_scaling`: `mean_scaling(Y, axis)` on the masked data
 * Y (n_scans x n_voxels) before the GLM, with
 *
 *   mean = Y.mean(axis);  mean = max(mean, 1);  Y = 100 * (Y / mean - 1)
 *
 *   0       per voxel, the mean over time (percent signal change; nilearn's default),
 *   1       per scan, the mean over the voxels of that scan,
 *   [0, 1]  one grand mean over voxels and time ("grand mean scaling").
 *
 * nilearn documents 1 as "mean scaling each time point with respect to all voxels", but
 * its code divides the (n_scans, n_voxels) array by a mean of shape (n_scans,), which numpy
 * broadcasts along the voxel axis: it fails unless n_scans == n_voxels (and is then
 * wrong). We implement the documented meaning (the mean of each scan divides that scan).
 * Axis 0 is `meanScaling` (float32 arithmetic as numpy's); for 1 and [0, 1] the means are
 * summed in float64 and rounded once to float32 for float32 data (numpy's pairwise float32
 * summation along a contiguous axis is that accurate up to a few ulps), then every
 * intermediate of 100 * (Y / mean - 1) is rounded to float32 as numpy does.
 */
import { meanScaling, type TimeSeries } from './scaling.js';

/** 0, 1 or [0, 1], as nilearn's `signal_scaling` (false = no scaling is handled by the caller). */
export type SignalScalingAxis = 0 | 1 | [0, 1];

export interface SignalScalingResult<T extends TimeSeries> {
  scaled: T;
  /** The divisors after the clamp max(mean, 1): n_voxels values (0), n_scans (1) or one ([0, 1]). */
  mean: Float64Array;
  /** nilearn's "Mean values of 0 observed" warning, in words, or undefined. */
  warning?: string;
}

export function isGrandMean(axis: unknown): axis is [0, 1] {
  return Array.isArray(axis) && axis.length === 2 && axis[0] === 0 && axis[1] === 1;
}

/**
 * Scales y (n_scans x n_voxels, time-major) as nilearn's mean_scaling(y, axis).
 * @param opts.inPlace overwrite y instead of allocating the output
 */
export function signalScaling<T extends TimeSeries>(
  y: T, nScans: number, axis: SignalScalingAxis, opts: { inPlace?: boolean } = {},
): SignalScalingResult<T> {
  if (axis === 0) {
    const r = meanScaling(y, nScans, opts);
    return { scaled: r.scaled, mean: r.mean, warning: zeroVoxelMeansWarning(r.zeroMeanVoxels) };
  }
  if (nScans <= 0 || y.length % nScans !== 0) {
    throw new Error(`signalScaling: data length ${y.length} is not a multiple of n_scans=${nScans}`);
  }
  if (axis !== 1 && !isGrandMean(axis)) throw new Error(`signalScaling: axis ${JSON.stringify(axis)}; expected 0, 1 or [0, 1]`);
  const nVox = y.length / nScans;
  const f32 = y instanceof Float32Array;
  // per-scan sums (one per row) in float64
  const rowSums = new Float64Array(nScans);
  for (let t = 0; t < nScans; t++) rowSums[t] = scanSum(y, t * nVox, nVox);
  const { mean, zeros } = scanMeans(rowSums, nVox, axis, f32);
  const out = (opts.inPlace ? y : new (y.constructor as new (n: number) => T)(y.length)) as T;
  scaleByScanMeans(y, nScans, mean, axis, out);
  const warning = scanMeansWarning(axis, zeros);
  return { scaled: out, mean, warning };
}

/** Σ y[o .. o + nVox) in float64, in voxel order (one scan's sum for axis 1 / [0, 1]). */
export function scanSum(y: ArrayLike<number>, o: number, nVox: number): number {
  let s = 0;
  for (let v = 0; v < nVox; v++) s += y[o + v];
  return s;
}

/**
 * The divisors of axis 1 (one per scan) or [0, 1] (one) from the per-scan sums, after the
 * clamp max(mean, 1), and how many means were exactly 0.
 */
export function scanMeans(rowSums: Float64Array, nVox: number, axis: 1 | [0, 1], f32: boolean): { mean: Float64Array; zeros: number } {
  const nScans = rowSums.length;
  const round = f32 ? Math.fround : (v: number) => v;
  let mean: Float64Array;
  if (axis === 1) {
    mean = rowSums.map((s) => round(s / nVox));
  } else {
    let s = 0;
    for (let t = 0; t < nScans; t++) s += rowSums[t];
    mean = Float64Array.of(round(s / (nScans * nVox)));
  }
  let zeros = 0;
  for (let i = 0; i < mean.length; i++) {
    if (mean[i] === 0) zeros++;
    if (mean[i] < 1) mean[i] = 1; // np.maximum(mean, 1): NaN propagates
  }
  return { mean, zeros };
}

/**
 * out = 100 * (y / mean - 1) for the per-scan (axis 1) or grand ([0, 1]) divisors, on any
 * time-major block of voxels (n_scans x len): the voxels do not interact.
 */
export function scaleByScanMeans<T extends TimeSeries>(y: T, nScans: number, mean: Float64Array, axis: 1 | [0, 1], out: T = y): void {
  const len = y.length / nScans;
  const round = y instanceof Float32Array ? Math.fround : (v: number) => v;
  for (let t = 0; t < nScans; t++) {
    const m = mean[axis === 1 ? t : 0];
    const o = t * len;
    for (let v = 0; v < len; v++) out[o + v] = round(100 * round(round(y[o + v] / m) - 1));
  }
}

/** nilearn's "Mean values of 0 observed" warning for axis 1 / [0, 1], or undefined. */
export function scanMeansWarning(axis: 1 | [0, 1], zeros: number): string | undefined {
  return zeros === 0 ? undefined
    : axis === 1 ? `${zeros} scans have a mean of 0 over the voxels`
    : 'the grand mean of the data is 0';
}

/** The warning of axis 0 for `count` voxels with a mean of exactly 0, or undefined. */
export function zeroVoxelMeansWarning(count: number): string | undefined {
  return count ? `${count} voxels have a mean of 0 over time` : undefined;
}
