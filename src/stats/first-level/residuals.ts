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
 * They are formed inside the refit (fit-labelled.ts), per AR group of a chunk of voxels,
 * while the chunk's data is in cache: the prediction is one small product of the group's
 * whitened design with its θ, which the refit needs anyway for the SSE and r², and the
 * variance (refitStats kernel) and series follow from it, so neither a second
 * pass over Y nor an n_scans x n_voxels buffer is needed for the variance map. Ask runGlm
 * for them with `residuals: 'variance' | 'series'` (the series as float32, the type of the
 * map nilearn writes) or `keepResiduals` (float64 series).
 */

/** The residual outputs of the refit, each optional (n_voxels, or n_scans x n_voxels time-major). */
export interface ResidualOutputs {
  /** nilearn's residuals as float64 (runGlm keepResiduals). */
  residuals?: Float64Array;
  /** Per voxel: numpy.var of the residuals over time (ddof 0). */
  residualVariance?: Float64Array;
  /** nilearn's residuals as float32 (save_residuals). */
  residualSeries?: Float32Array;
}

/**
 * The series e = (y - pred) - c·h1 of the cnt voxels of one AR group in a chunk (y column i is
 * src[t·stride + col0 + i], pred = W·θ' of the shifted data, c = shift[i], h1 = W·pinv(W)·w1:
 * see fitLabelled; the arithmetic of refitStatsFunc), written at voxel v0 + idx[i] of the
 * series asked for in `out`.
 */
export function writeResidualSeries(
  src: Float32Array | Float64Array, stride: number, col0: number, pred: Float64Array, cs: number, cnt: number, n: number,
  shift: Float64Array, h1: Float64Array, idx: Int32Array, v0: number, nVox: number, out: ResidualOutputs,
): void {
  const { residuals: full, residualSeries: series } = out;
  for (let t = 0; t < n; t++) {
    const ps = t * stride + col0;
    const pp = t * cs;
    const row = t * nVox + v0;
    const ht = h1[t];
    for (let i = 0; i < cnt; i++) {
      const e = (src[ps + i] - pred[pp + i]) - shift[i] * ht;
      if (full) full[row + idx[i]] = e;
      if (series) series[row + idx[i]] = e;
    }
  }
}
