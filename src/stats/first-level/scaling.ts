/**
 * Signal scaling of FirstLevelModel (signal_scaling=0): nilearn's `mean_scaling`
 * with axis 0, i.e. percent signal change per voxel:
 *
 *   mean_v = mean_t Y[t, v];  mean_v = max(mean_v, 1);  Y[t, v] = 100 * (Y[t, v] / mean_v - 1)
 *
 * The clamp at 1 is nilearn's handling of zero (or negative / tiny) means: such
 * voxels are not divided by ~0 but simply offset by -100 and multiplied by 100.
 * nilearn warns once when any mean is exactly 0; we report the count instead.
 */

import { kernels, type Kernels } from '../wasm/kernels.js';

export type TimeSeries = Float32Array | Float64Array;

export interface MeanScalingResult<T extends TimeSeries> {
  /** The scaled data, n_scans x n_voxels time-major, same element type as the input. */
  scaled: T;
  /** Per-voxel mean after the clamp max(mean, 1) (what nilearn returns). */
  mean: Float64Array;
  /** Number of voxels whose mean was exactly 0 (nilearn's "Mean values of 0 observed" warning). */
  zeroMeanVoxels: number;
}

/**
 * Percent-signal-change scaling per voxel (nilearn `mean_scaling(Y, axis=0)`).
 *
 * For Float32Array input the arithmetic mirrors what numpy does on a float32
 * array: the mean is accumulated in float32 row after row (numpy's order for an
 * axis-0 reduction of a C-contiguous array), divided in float32, and every
 * intermediate of 100 * (Y / mean - 1) is rounded to float32. Float64Array input
 * is processed in float64.
 *
 * @param y n_scans x n_voxels, time-major (row t is contiguous over voxels)
 * @param nScans number of time points
 * @param opts.inPlace overwrite `y` instead of allocating the output
 */
export function meanScaling<T extends TimeSeries>(y: T, nScans: number, opts: { inPlace?: boolean } = {}): MeanScalingResult<T> {
  if (nScans <= 0 || y.length % nScans !== 0) {
    throw new Error(`meanScaling: data length ${y.length} is not a multiple of n_scans=${nScans}`);
  }
  const nVox = y.length / nScans;
  const f32 = y instanceof Float32Array;
  if (f32 && nVox > 0) {
    const k = kernels();
    if (k.simd) return meanScalingSimd(y, nScans, nVox, k, opts.inPlace === true) as MeanScalingResult<T>;
  }
  const mean = new Float64Array(nVox);
  if (f32) {
    const acc = new Float32Array(nVox);
    for (let t = 0; t < nScans; t++) {
      const o = t * nVox;
      for (let v = 0; v < nVox; v++) acc[v] += y[o + v]; // Float32Array store rounds to float32
    }
    for (let v = 0; v < nVox; v++) mean[v] = Math.fround(acc[v] / nScans);
  } else {
    for (let t = 0; t < nScans; t++) {
      const o = t * nVox;
      for (let v = 0; v < nVox; v++) mean[v] += y[o + v];
    }
    for (let v = 0; v < nVox; v++) mean[v] /= nScans;
  }
  let zeroMeanVoxels = 0;
  for (let v = 0; v < nVox; v++) {
    if (mean[v] === 0) zeroMeanVoxels++;
    // np.maximum(mean, 1): NaN propagates
    if (mean[v] < 1) mean[v] = 1;
  }
  const out = (opts.inPlace ? y : (f32 ? new Float32Array(y.length) : new Float64Array(y.length))) as T;
  if (f32) {
    const fr = Math.fround;
    for (let t = 0; t < nScans; t++) {
      const o = t * nVox;
      for (let v = 0; v < nVox; v++) out[o + v] = fr(100 * fr(fr(y[o + v] / mean[v]) - 1));
    }
  } else {
    for (let t = 0; t < nScans; t++) {
      const o = t * nVox;
      for (let v = 0; v < nVox; v++) out[o + v] = 100 * (y[o + v] / mean[v] - 1);
    }
  }
  return { scaled: out, mean, zeroMeanVoxels };
}

/**
 * The float32 path of meanScaling with WebAssembly SIMD: each time row is copied into the
 * kernels' memory, accumulated (f32x4 adds, row after row) and later scaled there
 * (f32x4 div / sub / mul). A float32 operation gives the same bits as the plain path's
 * float64 operation rounded to float32 (for +, -, x, / double rounding is innocuous when the
 * wide format has at least 2·24 + 2 bits), so both paths agree exactly.
 */
function meanScalingSimd(y: Float32Array, nScans: number, nVox: number, k: Kernels, inPlace: boolean): MeanScalingResult<Float32Array> {
  const ws = k.workspace(4 * (3 * nVox + 16));
  const acc = ws.f32(nVox);
  const row = ws.f32(nVox);
  const m32 = ws.f32(nVox);
  for (let t = 0; t < nScans; t++) {
    row.set(y.subarray(t * nVox, (t + 1) * nVox));
    k.addRowF32(acc, row, nVox);
  }
  const mean = new Float64Array(nVox);
  let zeroMeanVoxels = 0;
  for (let v = 0; v < nVox; v++) {
    let m = Math.fround(acc[v] / nScans);
    if (m === 0) zeroMeanVoxels++;
    if (m < 1) m = 1; // np.maximum(mean, 1): NaN propagates
    mean[v] = m;
    m32[v] = m;
  }
  const out = inPlace ? y : new Float32Array(y.length);
  for (let t = 0; t < nScans; t++) {
    row.set(y.subarray(t * nVox, (t + 1) * nVox));
    k.scaleRowF32(row, m32, nVox);
    out.set(row, t * nVox);
  }
  return { scaled: out, mean, zeroMeanVoxels };
}
