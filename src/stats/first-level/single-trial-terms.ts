/**
 * Per-trial terms of the LSS closed form (single-trial.ts) that do not depend on the data:
 * the small K x K algebra of a trial with K regressors (K HRF columns: canonical +
 * derivatives, or FIR delays) and the trial's estimate expressed on the [X, A] parametrisation.
 *
 * nilearn's trial model is Z = [X_rest, R, A]: A (n x K) the trial's columns, R the K columns
 * of the rest of its condition, X_rest the other columns of the condition model X. For
 * HRF models without orthogonalisation (spm, glover, fir, none) R = X_c - A. With derivatives
 * nilearn orthogonalises each condition's columns on its canonical one (compute_regressor),
 * so R = orth(X_c^raw - A^raw) is not X_c - A; but orthogonalisation keeps the span of a
 * condition's columns, so span(Z) = span([X, A]) still, and R = X_c·T_x + A·T_a for a
 * K x K pair (T_x, T_a) found by least squares. The trial's estimate cᵀθ_Z (c the weights on A:
 * e_0 for the canonical column, 1/K each for the FIR mean) is then, on [X, A] with coefficients
 * (γ, δ), w_Xᵀγ_c + cᵀδ with w_X = -T_x⁻ᵀ·T_aᵀ·c (w_X = c when R = X_c - A). It does not
 * depend on the whitening (W·Z = [WX, WA]·T for the same T).
 */
import { solveInPlace, type Mat } from '../core/matrix.js';

/** Relative residual above which R is not in span([X_c, A]) (the closed form then does not apply). */
const SPAN_TOL = 1e-7;

/**
 * Cholesky factor (lower, K x K row-major) of the Gram matrix s of K vectors whose squared
 * norms before projection were `norms`: null when vector j keeps no more than `tol`·norms[j]
 * of its squared norm outside the span of the previous ones (or is zero).
 */
export function gramCholesky(s: Float64Array, k: number, norms: ArrayLike<number>, tol: number): Float64Array | null {
  const l = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    let d = s[j * k + j];
    for (let m = 0; m < j; m++) d -= l[j * k + m] * l[j * k + m];
    if (!(norms[j] > 0) || !(d > tol * norms[j])) return null;
    const dj = Math.sqrt(d);
    l[j * k + j] = dj;
    for (let i = j + 1; i < k; i++) {
      let v = s[i * k + j];
      for (let m = 0; m < j; m++) v -= l[i * k + m] * l[j * k + m];
      l[i * k + j] = v / dj;
    }
  }
  return l;
}

/** Solves (L·Lᵀ)·x = b in place of b. */
export function cholSolve(l: Float64Array, k: number, b: Float64Array): Float64Array {
  for (let i = 0; i < k; i++) {
    let v = b[i];
    for (let m = 0; m < i; m++) v -= l[i * k + m] * b[m];
    b[i] = v / l[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let v = b[i];
    for (let m = i + 1; m < k; m++) v -= l[m * k + i] * b[m];
    b[i] = v / l[i * k + i];
  }
  return b;
}

/** (L·Lᵀ)⁻¹, K x K row-major. */
export function cholInverse(l: Float64Array, k: number): Float64Array {
  const inv = new Float64Array(k * k);
  const e = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    e.fill(0);
    e[j] = 1;
    cholSolve(l, k, e);
    for (let i = 0; i < k; i++) inv[i * k + j] = e[i];
  }
  return inv;
}

/** One trial as the closed form sees it (see LssTrial in single-trial.ts). */
export interface TrialColumns {
  regressors: Float64Array[];
  columns: number[];
  alone: boolean;
  rest?: Float64Array[];
}

/**
 * w_X of every trial (T x K; see the module comment) for the weights c on the trial's K
 * columns; `spanned` is false when some trial's R is not in span([X_c, A]) (then the closed form
 * does not hold: the caller refits), `singular` marks trials whose T_x is singular (the trial
 * model does not contain X_c: inestimable).
 */
export function trialContrasts(x: Mat, trials: TrialColumns[], c: ArrayLike<number>): { wX: Float64Array; spanned: boolean; singular: boolean[] } {
  const K = c.length;
  const n = x.rows;
  const p = x.cols;
  const wX = new Float64Array(trials.length * K);
  const singular = trials.map(() => false);
  let spanned = true;
  trials.forEach((tr, t) => {
    if (!tr.rest) {
      for (let j = 0; j < K; j++) wX[t * K + j] = c[j];
      return;
    }
    if (tr.alone) {
      // The rest of the condition vanishes on the kept scans, so there X_c = A·M⁻¹: nilearn
      // orthogonalised the condition's columns over all scans, mixing the trial's own columns
      // (X_c is A itself only when nothing was scrubbed away from under the other trials).
      // The trial model is X with X_c replaced by A, and cᵀβ_A = (M⁻ᵀc)ᵀβ_X for X_c·M = A.
      const w = aloneContrast(x, tr, c);
      if (!w) singular[t] = true;
      else wX.set(w, t * K);
      return;
    }
    // least squares [X_c, A]·T = R by modified Gram-Schmidt (2K columns)
    const m = 2 * K;
    const q = Array.from({ length: m }, (_, j) => Float64Array.from({ length: n }, (_, r) => (j < K ? x.data[r * p + tr.columns[j]] : tr.regressors[j - K][r])));
    const rr = new Float64Array(m * m);
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < j; i++) {
        let d = 0;
        for (let r = 0; r < n; r++) d += q[i][r] * q[j][r];
        rr[i * m + j] = d;
        for (let r = 0; r < n; r++) q[j][r] -= d * q[i][r];
      }
      let nn = 0;
      for (let r = 0; r < n; r++) nn += q[j][r] * q[j][r];
      const norm = Math.sqrt(nn);
      rr[j * m + j] = norm;
      if (norm > 0) for (let r = 0; r < n; r++) q[j][r] /= norm;
    }
    let scale = 0;
    for (let j = 0; j < m; j++) scale = Math.max(scale, Math.abs(rr[j * m + j]));
    if (rr.some((_, i) => i % (m + 1) === 0 && !(Math.abs(rr[i]) > 1e-10 * scale))) {
      singular[t] = true;
      return;
    }
    const tm = new Float64Array(m * K); // T: 2K x K, column j = coefficients of R_j
    for (let j = 0; j < K; j++) {
      const rj = tr.rest![j];
      const b = new Float64Array(m);
      let res = 0;
      let all = 0;
      for (let i = 0; i < m; i++) for (let r = 0; r < n; r++) b[i] += q[i][r] * rj[r];
      for (let r = 0; r < n; r++) {
        let f = rj[r];
        for (let i = 0; i < m; i++) f -= q[i][r] * b[i];
        res += f * f;
        all += rj[r] * rj[r];
      }
      if (res > SPAN_TOL * SPAN_TOL * all) spanned = false;
      for (let i = m - 1; i >= 0; i--) {
        let v = b[i];
        for (let l = i + 1; l < m; l++) v -= rr[i * m + l] * tm[l * K + j];
        tm[i * K + j] = v / rr[i * m + i];
      }
    }
    // w_X = -T_x⁻ᵀ·(T_aᵀ·c): solve T_xᵀ·z = T_aᵀ·c by Gaussian elimination with pivoting
    const a = new Float64Array(K * K);
    const z = new Float64Array(K);
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K; j++) a[i * K + j] = tm[j * K + i]; // (T_xᵀ)[i][j] = T_x[j][i]
      for (let j = 0; j < K; j++) z[i] += tm[(K + j) * K + i] * c[j];
    }
    const sol = solveSmall(a, z, K);
    if (!sol) {
      singular[t] = true;
      return;
    }
    for (let j = 0; j < K; j++) wX[t * K + j] = -sol[j];
  });
  return { wX, spanned, singular };
}

/**
 * w = M⁻ᵀ·c for M (K x K) with X_c·M = A on the kept scans (least squares: M = G⁻¹·X_cᵀA,
 * G = X_cᵀX_c), solved as w = G·z with (X_cᵀA)ᵀ·z = c; null when either is singular.
 */
function aloneContrast(x: Mat, tr: TrialColumns, c: ArrayLike<number>): Float64Array | null {
  const K = c.length;
  const p = x.cols;
  const g = new Float64Array(K * K);
  const ht = new Float64Array(K * K); // (X_cᵀA)ᵀ = AᵀX_c
  for (let r = 0; r < x.rows; r++) {
    for (let i = 0; i < K; i++) {
      const xi = x.data[r * p + tr.columns[i]];
      for (let j = 0; j < K; j++) {
        g[i * K + j] += xi * x.data[r * p + tr.columns[j]];
        ht[j * K + i] += tr.regressors[j][r] * xi;
      }
    }
  }
  const z = solveSmall(ht, Float64Array.from(c), K);
  if (!z) return null;
  const w = new Float64Array(K);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) w[i] += g[i * K + j] * z[j];
  return w;
}

/** Solves a·x = b (K x K, partial pivoting) on copies; null when a is numerically singular (a pivot <= 1e-12·max|a|). */
function solveSmall(a: Float64Array, b: Float64Array, k: number): Float64Array | null {
  let scale = 0;
  for (const v of a) scale = Math.max(scale, Math.abs(v));
  const x = b.slice();
  return solveInPlace(a.slice(), x, k, 1e-12 * scale) ? x : null;
}

/** qᵀ·S·q for the K x K matrix S at m[o…]. */
export function quadratic(m: Float64Array, o: number, q: Float64Array, K: number): number {
  let acc = 0;
  for (let i = 0; i < K; i++) {
    let row = 0;
    for (let j = 0; j < K; j++) row += m[o + i * K + j] * q[j];
    acc += q[i] * row;
  }
  return acc;
}

/** The per-trial constants the closed form needs (built by single-trial.ts for the condition model or an AR(1) bin). */
export interface TrialTerms {
  /** T x K: weights of the condition rows β_X[c_j] (w_X). */
  w: Float64Array;
  /** T x K: weights of the products u_jᵀy (S⁻¹·m). */
  v: Float64Array;
  /** T x K x K: S⁻¹ (zero for a trial alone in its condition). */
  sInv: Float64Array;
  /** Variance factor (Infinity: inestimable), residual dof denominator, t-to-z map. */
  vconst: Float64Array; den: Float64Array; zOf: ((t: number) => number)[];
}
