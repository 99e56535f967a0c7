/**
 * Second-level (group) OLS model, matching nilearn 0.10.4 `SecondLevelModel`
 * fitted with an explicit design matrix (run_glm with noise_model='ols') and
 * `compute_contrast` for a t contrast.
 *
 * nilearn's OLSModel:
 *   calc_beta   = pinv(X)                          (scipy.linalg.pinv, rtol = max(n,p)*eps)
 *   beta        = pinv(X) @ Y
 *   dispersion  = sum(resid^2) / (n - p)           (p = number of columns, not the rank)
 *   cov         = pinv(X) @ pinv(X).T
 *   dof         = n - rank(X)                      (numpy matrix_rank, tol = eps * sum|X|)
 * t contrast c:
 *   effect      = c @ beta,  variance = (c cov c') * dispersion
 *   stat        = effect / sqrt(max(variance, 1e-50))
 *   p_value     = t.sf(stat, dof),  z = z_score(p, 1 - p)   (nilearn._utils.glm.z_score)
 */
import type { Mat } from '../core/matrix.js';
import { linearModel } from '../first-level/regression.js';
import { tTails, zFromP, type Tails } from '../core/distributions.js';

export type { Mat };

export interface GroupDesign {
  columns: string[];
  matrix: Mat;
}

export interface SecondLevelFit {
  columns: string[];
  nSubjects: number;
  nVoxels: number;
  /** p x V row-major (one row per design column). */
  beta: Float64Array;
  /** per-voxel residual variance SSR / (n - p). */
  dispersion: Float64Array;
  /** p x p row-major pinv(X) pinv(X)^T. */
  normalizedCov: Float64Array;
  /** residual degrees of freedom n - rank(X). */
  dof: number;
}

export interface ContrastMaps {
  z_score: Float64Array;
  stat: Float64Array;
  p_value: Float64Array;
  effect_size: Float64Array;
  effect_variance: Float64Array;
}

const TINY = 1e-50;
const DOFMAX = 1e10;

/**
 * Fit the OLS group model. `Y` is n_subjects x n_voxels, row-major (subject-major).
 */
export function fitSecondLevel(Y: Float32Array | Float64Array, design: GroupDesign): SecondLevelFit {
  const X = design.matrix;
  const n = X.rows;
  const p = X.cols;
  if (Y.length % n !== 0) throw new Error(`Y has ${Y.length} values, not a multiple of ${n} subjects`);
  const V = Y.length / n;
  const model = linearModel(X); // OLS: calc_beta = pinv(X), normCov, dfResid
  const P = model.calcBeta; // p x n
  const beta = new Float64Array(p * V);
  for (let r = 0; r < p; r++) {
    const row = beta.subarray(r * V, (r + 1) * V);
    for (let s = 0; s < n; s++) {
      const w = P.data[r * n + s];
      if (w === 0) continue;
      const off = s * V;
      for (let v = 0; v < V; v++) row[v] += w * Y[off + v];
    }
  }
  const ssr = new Float64Array(V);
  const resid = new Float64Array(V);
  for (let s = 0; s < n; s++) {
    const off = s * V;
    for (let v = 0; v < V; v++) resid[v] = Y[off + v];
    for (let r = 0; r < p; r++) {
      const x = X.data[s * p + r];
      if (x === 0) continue;
      const b = beta.subarray(r * V, (r + 1) * V);
      for (let v = 0; v < V; v++) resid[v] -= x * b[v];
    }
    for (let v = 0; v < V; v++) ssr[v] += resid[v] * resid[v];
  }
  const dispersion = new Float64Array(V);
  for (let v = 0; v < V; v++) dispersion[v] = ssr[v] / model.dispersionDenominator;
  return {
    columns: design.columns.slice(),
    nSubjects: n,
    nVoxels: V,
    beta,
    dispersion,
    normalizedCov: Float64Array.from(model.normCov.data),
    dof: model.dfResid,
  };
}

/** Resolve a contrast given as a vector or as one design column name. */
function contrastVector(fit: SecondLevelFit, contrast: ArrayLike<number> | string): Float64Array {
  if (typeof contrast === 'string') {
    const idx = fit.columns.indexOf(contrast);
    if (idx < 0) throw new Error(`contrast '${contrast}' is not a design column (${fit.columns.join(', ')})`);
    const c = new Float64Array(fit.columns.length);
    c[idx] = 1;
    return c;
  }
  if (contrast.length !== fit.columns.length)
    throw new Error(`contrast has ${contrast.length} weights, design has ${fit.columns.length} columns`);
  return Float64Array.from(contrast);
}

/** t contrast on a fitted group model: nilearn's z_score, stat, p_value, effect_size, effect_variance. */
export function computeSecondLevelContrast(
  fit: SecondLevelFit,
  contrast: ArrayLike<number> | string,
): ContrastMaps {
  const c = contrastVector(fit, contrast);
  const p = c.length;
  const V = fit.nVoxels;
  let cCc = 0;
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) cCc += c[i] * fit.normalizedCov[i * p + j] * c[j];
  const dof = Math.min(fit.dof, DOFMAX);
  const out: ContrastMaps = {
    z_score: new Float64Array(V),
    stat: new Float64Array(V),
    p_value: new Float64Array(V),
    effect_size: new Float64Array(V),
    effect_variance: new Float64Array(V),
  };
  const tails: Tails = { sf: 0, cdf: 0 };
  for (let v = 0; v < V; v++) {
    let eff = 0;
    for (let i = 0; i < p; i++) if (c[i] !== 0) eff += c[i] * fit.beta[i * V + v];
    // sd = sqrt(cCc * dispersion); variance = sd**2 (nilearn squares the sd back)
    const sd = Math.sqrt(cCc * fit.dispersion[v]);
    const variance = sd * sd;
    const t = eff / Math.sqrt(Math.max(variance, TINY));
    tTails(t, dof, tails);
    out.effect_size[v] = eff;
    out.effect_variance[v] = variance;
    out.stat[v] = t;
    out.p_value[v] = tails.sf;
    out.z_score[v] = zFromP(tails.sf, tails.cdf);
  }
  return out;
}
