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
    return { scaled: r.scaled, mean: r.mean, warning: r.zeroMeanVoxels ? `${r.zeroMeanVoxels} voxels have a mean of 0 over time` : undefined };
  }
  if (nScans <= 0 || y.length % nScans !== 0) {
    throw new Error(`signalScaling: data length ${y.length} is not a multiple of n_scans=${nScans}`);
  }
  if (axis !== 1 && !isGrandMean(axis)) throw new Error(`signalScaling: axis ${JSON.stringify(axis)}; expected 0, 1 or [0, 1]`);
  const nVox = y.length / nScans;
  const f32 = y instanceof Float32Array;
  const round = f32 ? Math.fround : (v: number) => v;
  // per-scan sums (one per row) in float64
  const rowMean = new Float64Array(nScans);
  for (let t = 0; t < nScans; t++) {
    let s = 0;
    const o = t * nVox;
    for (let v = 0; v < nVox; v++) s += y[o + v];
    rowMean[t] = s;
  }
  let mean: Float64Array;
  if (axis === 1) {
    mean = rowMean.map((s) => round(s / nVox));
  } else {
    let s = 0;
    for (let t = 0; t < nScans; t++) s += rowMean[t];
    mean = Float64Array.of(round(s / (nScans * nVox)));
  }
  let zeros = 0;
  for (let i = 0; i < mean.length; i++) {
    if (mean[i] === 0) zeros++;
    if (mean[i] < 1) mean[i] = 1; // np.maximum(mean, 1): NaN propagates
  }
  const out = (opts.inPlace ? y : new (y.constructor as new (n: number) => T)(y.length)) as T;
  for (let t = 0; t < nScans; t++) {
    const m = mean[axis === 1 ? t : 0];
    const o = t * nVox;
    for (let v = 0; v < nVox; v++) out[o + v] = round(100 * round(round(y[o + v] / m) - 1));
  }
  const warning = zeros === 0 ? undefined
    : axis === 1 ? `${zeros} scans have a mean of 0 over the voxels`
    : 'the grand mean of the data is 0';
  return { scaled: out, mean, warning };
}
