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
 * The residual series are formed one block of voxels of one model at a time (one product
 * of the model's whitened design with the block's θ in the WebAssembly kernels), so the
 * variance map needs no n_scans x n_voxels buffer; the series themselves are kept only on
 * request (float32, the type of the map nilearn writes).
 */
import { kernels } from '../wasm/kernels.js';
import type { GlmResult, TimeSeriesData } from './glm.js';

export interface ResidualsResult {
  /** Per voxel: variance over time of the residuals (ddof 0), float64. */
  variance: Float64Array;
  /** With keepSeries: the residuals, n_scans x n_voxels time-major, float32. */
  series?: Float32Array;
}

export interface ResidualsOptions {
  /** Keep the residual time series (n_scans x n_voxels float32). Default false. */
  keepSeries?: boolean;
  /** Voxels per block (rounded up to a multiple of 4). Default 256. */
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

  // voxels of each model, in voxel order
  const nm = fit.models.length;
  const start = new Int32Array(nm + 1);
  for (let v = 0; v < nVox; v++) start[fit.labels[v] + 1]++;
  for (let g = 0; g < nm; g++) start[g + 1] += start[g];
  const fill = start.slice(0, nm);
  const byModel = new Int32Array(nVox);
  for (let v = 0; v < nVox; v++) byModel[fill[fit.labels[v]]++] = v;

  const B = (Math.max(4, Math.min(opts.blockSize ?? 256, nVox)) + 3) & ~3;
  const K = kernels();
  const ws = K.workspace(8 * (n * p + p * B + n * B) + 64);
  const design = ws.f64(n * p);
  const theta = ws.f64(p * B);
  const pred = ws.f64(n * B);
  const e = new Float64Array(n);
  for (let g = 0; g < nm; g++) {
    design.set(fit.models[g].whitenedDesign.data);
    for (let a = start[g]; a < start[g + 1]; a += B) {
      const cnt = Math.min(B, start[g + 1] - a);
      const cs = (cnt + 3) & ~3;
      theta.fill(0, 0, p * cs);
      for (let j = 0; j < p; j++) {
        const row = j * nVox;
        for (let i = 0; i < cnt; i++) theta[j * cs + i] = fit.theta[row + byModel[a + i]];
      }
      K.gemm(design, n, p, theta, cs, pred); // whitened prediction of the block
      for (let i = 0; i < cnt; i++) {
        const v = byModel[a + i];
        let mean = 0;
        for (let t = 0; t < n; t++) {
          const r = y[t * nVox + v] - pred[t * cs + i];
          e[t] = r;
          mean += r;
        }
        mean /= n;
        let ss = 0;
        for (let t = 0; t < n; t++) ss += (e[t] - mean) ** 2; // two passes, as numpy.var
        variance[v] = ss / n;
        if (series) for (let t = 0; t < n; t++) series[t * nVox + v] = e[t];
      }
    }
  }
  return { variance, series };
}
