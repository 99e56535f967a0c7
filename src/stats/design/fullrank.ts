import { svd, svdJacobiValues } from '../core/matrix.js';

/**
 * nilearn's `full_rank(X, cmax=1e15)`: if the condition number s_max / s_min of X is at
 * least cmax, X is replaced by U diag(s + lambda) V^T with lambda = (s_max - cmax s_min) / (cmax - 1),
 * which makes the condition number exactly cmax. Otherwise X is returned unchanged.
 * As nilearn, from the thin SVD of X itself (scipy.linalg.svd(X, full_matrices=False)); the
 * SVD's U has orthonormal columns even for zero singular values, so every direction is lifted.
 * Every design is checked here (by the spec checks, and again by the `design` node): the
 * one-sided Jacobi SVD, much faster to start than ml-matrix's, settles the usual well-conditioned
 * design; from cmax / 100 up, where the two SVDs' rounding could decide differently, the
 * decision and the regularised matrix are the Golub-Kahan SVD's, as they always were.
 */

export interface FullRankResult {
  data: Float64Array;
  /** Condition number (cmax when regularised). */
  cond: number;
  regularized: boolean;
}

/** X is row-major n x p. Returns a new array only when regularisation was needed. */
export function fullRank(data: Float64Array, n: number, p: number, cmax = 1e15): FullRankResult {
  if (p === 0 || n === 0) return { data, cond: 1, regularized: false };
  // the condition number needs the singular values only; U and V only when regularising
  const x = { rows: n, cols: p, data };
  if (n >= p) {
    const quick = extremes(svdJacobiValues(x).s);
    if (quick.smax / quick.smin < cmax / 100) return { data, cond: quick.smax / quick.smin, regularized: false };
  }
  const { s } = svd(x, { u: false });
  const { smax, smin } = extremes(s);
  const cond = smax / smin;
  if (cond < cmax) return { data, cond, regularized: false };
  const { u, v } = svd(x);
  const k = s.length;
  const lda = (smax - cmax * smin) / (cmax - 1);
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let col = 0; col < p; col++) {
      let acc = 0;
      for (let c = 0; c < k; c++) acc += u.data[i * k + c] * (s[c] + lda) * v.data[col * k + c];
      out[i * p + col] = acc;
    }
  }
  return { data: out, cond: cmax, regularized: true };
}

function extremes(s: Float64Array): { smax: number; smin: number } {
  let smax = -Infinity;
  let smin = Infinity;
  for (const x of s) {
    smax = Math.max(smax, x);
    smin = Math.min(smin, x);
  }
  return { smax, smin };
}
