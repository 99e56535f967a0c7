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
 * nilearn's residuals e_t = (y_t - pred_t) - c·h1_t of the cnt voxels of one AR group in a
 * chunk, as the refitStats kernel leaves them in its `pred` block (n x cs, resid on; see
 * fitLabelled), written at voxel v0 + idx[i] of the series asked for in `out`.
 */
export function writeResidualSeries(
  e: Float64Array, cs: number, cnt: number, n: number, idx: Int32Array, v0: number, nVox: number, out: ResidualOutputs,
): void {
  const { residuals: full, residualSeries: series } = out;
  for (let t = 0; t < n; t++) {
    const pe = t * cs;
    const row = t * nVox + v0;
    if (full) for (let i = 0; i < cnt; i++) full[row + idx[i]] = e[pe + i];
    if (series) for (let i = 0; i < cnt; i++) series[row + idx[i]] = e[pe + i];
  }
}
