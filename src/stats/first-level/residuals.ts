/**
 * Residuals of a fitted first-level GLM and their variance over time, as nilearn 0.10.4
 * exposes them with `FirstLevelModel(minimize_memory=False)`:
 *
 *   residuals = model.residuals[run]        (RegressionResults.residuals = Y - predicted)
 *   residvar  = numpy.var(residuals, axis=0) (ddof = 0, per voxel)
 *
 * nilearn's `RegressionResults.predicted` is `whitened_design @ theta`, so for an AR(p)
 * model the residuals are the *unwhitened* (scaled) data minus the *whitened* prediction
 * (regression.py: `residuals = Y - predicted`, `predicted = np.dot(self.whitened_design,
 * self.theta)`). That mixture is what nilearn writes and what users compare against, so it
 * is reproduced as is; for OLS the whitened design is the design and these are the usual
 * Y - Xθ. The data are those the GLM saw: masked, smoothed, censored and signal-scaled.
 *
 * The residual series are formed one chunk of consecutive voxels at a time (contiguous in
 * each time row of y), with one product of each model's whitened design with the θ of its
 * voxels in the chunk (WebAssembly kernels), so the variance map needs no n_scans x n_voxels
 * buffer; the series themselves are kept only on request (float32, the type of the map
 * nilearn writes).
 */
import { kernels } from '../wasm/kernels.js';
import type { GlmResult, TimeSeriesData } from './glm.js';
import { groupChunkByLabel } from './chunks.js';

export interface ResidualsResult {
  /** Per voxel: variance over time of the residuals (ddof 0), float64. */
  variance: Float64Array;
  /** With keepSeries: the residuals, n_scans x n_voxels time-major, float32. */
  series?: Float32Array;
}

export interface ResidualsOptions {
  /** Keep the residual time series (n_scans x n_voxels float32). Default false. */
  keepSeries?: boolean;
  /** Consecutive voxels per chunk (rounded up to a multiple of 4). Default 1024. */
  blockSize?: number;
}

/**
 * Residuals of `fit` on the data `y` it was fitted on (n_scans x n_voxels time-major).
 * Needs the fitted models' whitened designs, i.e. a GlmResult fresh from runGlm (not one
 * rebuilt from a cache artifact, which keeps only what contrasts need).
 */
export function glmResiduals(y: TimeSeriesData, fit: GlmResult, opts: ResidualsOptions = {}): ResidualsResult {
  const n = fit.nScans;
  const p = fit.nRegressors;
  const nVox = fit.nVoxels;
  if (y.length !== n * nVox) throw new Error(`glmResiduals: data has ${y.length} values, the fit ${n} scans x ${nVox} voxels`);
  for (const m of fit.models) {
    if (m.whitenedDesign.rows !== n || m.whitenedDesign.cols !== p) {
      throw new Error(`glmResiduals: model ${m.key} has no whitened design (a fit rebuilt from a cache artifact?)`);
    }
  }
  const variance = new Float64Array(nVox);
  const series = opts.keepSeries ? new Float32Array(n * nVox) : undefined;
  if (nVox === 0) return { variance, series };

  // Chunks of consecutive voxels (each time row of a chunk is contiguous in y); within a chunk
  // the voxels of each model share one product of its whitened design with their θ.
  const nm = fit.models.length;
  const C = (Math.max(4, Math.min(opts.blockSize ?? 1024, nVox)) + 3) & ~3;
  const K = kernels();
  const ws = K.workspace(8 * (nm * n * p + p * C + n * C) + 16 * (nm + 4));
  const designs = fit.models.map((m) => {
    const d = ws.f64(n * p);
    d.set(m.whitenedDesign.data);
    return d;
  });
  const theta = ws.f64(p * C);
  const pred = ws.f64(n * C);
  const count = new Int32Array(nm + 1);
  const order = new Int32Array(C);
  const sum = new Float64Array(C);
  const ss = new Float64Array(C);
  for (let v0 = 0; v0 < nVox; v0 += C) {
    const c = Math.min(C, nVox - v0);
    groupChunkByLabel(fit.labels, v0, c, nm, count, order);
    for (let g = 0; g < nm; g++) {
      const a = count[g];
      const cnt = count[g + 1] - a;
      if (cnt === 0) continue;
      const cs = (cnt + 3) & ~3;
      const idx = order.subarray(a, a + cnt);
      theta.fill(0, 0, p * cs);
      for (let j = 0; j < p; j++) {
        const row = j * nVox + v0;
        for (let i = 0; i < cnt; i++) theta[j * cs + i] = fit.theta[row + idx[i]];
      }
      K.gemm(designs[g], n, p, theta, cs, pred); // whitened prediction of these voxels
      // two passes over time (mean, then squared deviations), as numpy.var
      sum.fill(0, 0, cnt);
      ss.fill(0, 0, cnt);
      for (let t = 0; t < n; t++) {
        const row = t * nVox + v0;
        const pr = t * cs;
        for (let i = 0; i < cnt; i++) sum[i] += y[row + idx[i]] - pred[pr + i];
      }
      for (let i = 0; i < cnt; i++) sum[i] /= n;
      for (let t = 0; t < n; t++) {
        const row = t * nVox + v0;
        const pr = t * cs;
        for (let i = 0; i < cnt; i++) {
          const e = y[row + idx[i]] - pred[pr + i];
          ss[i] += (e - sum[i]) ** 2;
          if (series) series[row + idx[i]] = e;
        }
      }
      for (let i = 0; i < cnt; i++) variance[v0 + idx[i]] = ss[i] / n;
    }
  }
  return { variance, series };
}
