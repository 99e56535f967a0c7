/**
 * OLS and AR(p) linear models as in nilearn.glm.regression (OLSModel, ARModel,
 * RegressionResults), split into a per-design part (whitening, pseudo-inverse,
 * normalized covariance, degrees of freedom) and a blocked per-voxel kernel that
 * streams over a chunk of voxels held time-major in contiguous memory.
 */
import { type Mat, absSum, gemmWide, householderQr, matmulABt, matrixRank, pinv, svd, svdJacobi } from '../core/matrix.js';

const EPS = 2.220446049250313e-16;

/** Everything about one (whitened) design that the per-voxel fit needs. */
export interface LinearModel {
  /** AR coefficients the design was whitened with (length 0 for OLS). */
  rho: Float64Array;
  /** Whitened design, n x p (the design itself for OLS). */
  whitenedDesign: Mat;
  /** pinv(whitened design), p x n (nilearn's `calc_beta`). */
  calcBeta: Mat;
  /** calc_beta · calc_betaᵀ, p x p (nilearn's `normalized_cov_beta`). */
  normCov: Mat;
  /** Number of scans. */
  dfTotal: number;
  /** Rank of the unwhitened design (numpy matrix_rank with tol = sum|X|·eps, as nilearn). */
  dfModel: number;
  /** dfTotal - dfModel: the degrees of freedom used by the statistics. */
  dfResid: number;
  /**
   * Divisor of the dispersion: n - p with p the number of columns (not the
   * rank): nilearn's OLSModel.fit divides the SSE by
   * whitened_design.shape[0] - whitened_design.shape[1].
   */
  dispersionDenominator: number;
}

/**
 * Whiten the columns of `x` (n x p) with an AR(p) filter exactly as nilearn's
 * ARModel.whiten: w[t] = x[t] - Σ_{k=1..order, k<=t} rho[k-1] · x[t-k], always
 * subtracting lags of the *unwhitened* x; the first rows are left unscaled.
 */
export function whitenDesign(x: Mat, rho: ArrayLike<number>): Mat {
  const out = { rows: x.rows, cols: x.cols, data: x.data.slice() };
  const p = x.cols;
  for (let k = 1; k <= rho.length; k++) {
    const r = rho[k - 1];
    for (let t = k; t < x.rows; t++) {
      for (let j = 0; j < p; j++) out.data[t * p + j] -= r * x.data[(t - k) * p + j];
    }
  }
  return out;
}

/** numpy matrix_rank(X, tol=sum|X|·eps), the df_model of nilearn's OLSModel. */
export function designRank(x: Mat): number {
  return matrixRank(x, absSum(x) * EPS);
}

/**
 * The model of nilearn's ARModel(X, rho) (OLSModel(X) when rho is empty): the
 * design is whitened, then pseudo-inverted with scipy.linalg.pinv semantics.
 * `rank` can be passed to avoid recomputing the rank of the unwhitened design.
 */
export function linearModel(x: Mat, rho: ArrayLike<number> = [], rank?: number): LinearModel {
  return linearModelWithBasis(x, rho, rank, false);
}

/**
 * linearModel plus, with `withBasis`, an orthonormal basis of the whitened design's range
 * (r x n rows, r = the numerical rank under scipy's pinv cutoff): H = basisᵀ·basis is the
 * projection W·pinv(W), so |H·y|² = |basis·y|² without the cancellation of θᵀ(WᵀW)θ.
 */
export function linearModelWithBasis(x: Mat, rho: ArrayLike<number> = [], rank?: number, withBasis = true): LinearModel & { basis?: Mat } {
  const r = Float64Array.from(rho);
  const w = r.length ? whitenDesign(x, r) : x;
  const { pinv: calcBeta, basis } = pinvTall(w, withBasis);
  const normCov = matmulABt(calcBeta, calcBeta);
  const dfModel = rank ?? designRank(x);
  return {
    rho: r,
    whitenedDesign: w,
    calcBeta,
    normCov,
    dfTotal: x.rows,
    dfModel,
    dfResid: x.rows - dfModel,
    dispersionDenominator: w.rows - w.cols,
    ...(basis ? { basis } : {}),
  };
}

/** Rows l of Uᵀ (U: n x k, row-major) whose singular value passes the cutoff. */
function basisRows(u: Float64Array, n: number, k: number, keep: number[]): Mat {
  const out: Mat = { rows: keep.length, cols: n, data: new Float64Array(keep.length * n) };
  keep.forEach((l, q) => {
    for (let t = 0; t < n; t++) out.data[q * n + t] = u[t * k + l];
  });
  return out;
}

/**
 * scipy.linalg.pinv of a tall matrix (rows >= 2 cols), through a Householder QR first:
 * W = Q R, svd(R) = U_R S Vᵀ, so W = (Q U_R) S Vᵀ and pinv(W) = V S⁺ U_Rᵀ Qᵀ, with scipy's
 * cutoff (singular values <= max(rows, cols) · eps · s_max dropped). Kept by hand because it
 * is the hot path of the first-level fit (one model per AR bin, ~100 per run): the SVD
 * (one-sided Jacobi, core/matrix.ts svdJacobi) then runs on p x p instead of n x p, and Qᵀ is applied as
 * reflections instead of being formed, ~2x faster than `pinv` for a 160 x 16 design. Same
 * result as `pinv` to rounding (both are backward stable); other shapes use `pinv` directly. With `withBasis`, also the rows of
 * (Q U_R)ᵀ kept by the cutoff: an orthonormal basis of W's range.
 */
export function pinvTall(w: Mat, withBasis = false): { pinv: Mat; basis?: Mat } {
  const m = w.rows;
  const n = w.cols;
  const EPS = 2.220446049250313e-16;
  if (m < 2 * n || n === 0) {
    if (!withBasis) return { pinv: pinv(w) };
    const d = svd(w);
    const k = d.s.length;
    const cutoff = Math.max(m, n) * EPS * (k ? d.s[0] : 0);
    const keep = Array.from({ length: k }, (_, l) => l).filter((l) => d.s[l] > cutoff);
    return { pinv: pinv(w), basis: basisRows(d.u.data, m, k, keep) };
  }
  const qr = householderQr(w);
  const { u, s, v } = svdJacobi(qr.r);
  const cutoff = Math.max(m, n) * EPS * (s.length ? s[0] : 0);
  const applyQ = qr.applyQ;
  // B = V S⁺ U_Rᵀ (n x n), then pinv = B Qᵀ: row i of pinv is Q applied to row i of B
  const out: Mat = { rows: n, cols: m, data: new Float64Array(n * m) };
  const row = new Float64Array(m);
  const vs = new Float64Array(n); // row i of V S⁺ (0 for the dropped singular values)
  for (let i = 0; i < n; i++) {
    row.fill(0);
    for (let l = 0; l < n; l++) vs[l] = s[l] > cutoff ? v.data[i * n + l] / s[l] : 0;
    for (let c = 0; c < n; c++) {
      let acc = 0;
      for (let l = 0; l < n; l++) if (s[l] > cutoff) acc += vs[l] * u.data[c * n + l];
      row[c] = acc;
    }
    applyQ(row);
    out.data.set(row, i * m);
  }
  if (!withBasis) return { pinv: out };
  // basis rows: (Q · u_l)ᵀ for the kept singular vectors u_l of R
  const keep: number[] = [];
  for (let l = 0; l < n; l++) if (s[l] > cutoff) keep.push(l);
  const basis: Mat = { rows: keep.length, cols: m, data: new Float64Array(keep.length * m) };
  keep.forEach((l, q) => {
    row.fill(0);
    for (let c = 0; c < n; c++) row[c] = u.data[c * n + l];
    applyQ(row);
    basis.data.set(row, q * m);
  });
  return { pinv: out, basis };
}

/** Scratch and outputs of `fitChunk` for chunks of up to `capacity` voxels. */
export interface ChunkWork {
  capacity: number;
  /** p x c parameter estimates of the current chunk (row j at j*c). */
  theta: Float64Array;
  /** n x c predicted values (whitened design · theta) of the current chunk. */
  pred: Float64Array;
  /** Residual sum of squares per voxel. */
  sse: Float64Array;
  /** var(predicted) / var(whitened Y) per voxel (nilearn's r_square). */
  rSquare: Float64Array;
}

export function chunkWork(nScans: number, nRegressors: number, capacity: number): ChunkWork {
  return {
    capacity,
    theta: new Float64Array(nRegressors * capacity),
    pred: new Float64Array(nScans * capacity),
    sse: new Float64Array(capacity),
    rSquare: new Float64Array(capacity),
  };
}

/**
 * Fit `model` to a chunk of `c` voxels whose (already whitened) data `wy` is
 * n x c, time-major (row t = wy[t*c .. t*c+c)), as OLSModel.fit / ARModel.fit:
 *
 *   theta = calc_beta · wy                       (p x c)
 *   pred  = whitened_design · theta,  resid = wy - pred
 *   sse   = Σ_t resid²,  rSquare = var(pred) / var(wy)  (population variances)
 *
 * On return `work.theta`, `work.pred`, `work.sse` and `work.rSquare` hold the
 * chunk's results (first c columns, row stride c).
 */
export function fitChunk(model: LinearModel, wy: Float64Array, c: number, work: ChunkWork): void {
  const n = model.dfTotal;
  const p = model.whitenedDesign.cols;
  gemmWide(model.calcBeta.data, p, n, wy, c, work.theta);
  gemmWide(model.whitenedDesign.data, n, p, work.theta, c, work.pred);
  residualStats(wy, work.pred, n, c, work.sse, work.rSquare);
}

/**
 * SSE and var(pred)/var(wy) per voxel. The variances use sums shifted by the
 * first row's values, which avoids the cancellation of Σx² - (Σx)²/n when the
 * mean is large compared with the spread (raw, unscaled BOLD).
 */
function residualStats(wy: Float64Array, pred: Float64Array, n: number, c: number, sse: Float64Array, r2: Float64Array): void {
  for (let v = 0; v < c; v++) {
    const p0 = pred[v];
    const y0 = wy[v];
    let e2 = 0, sp = 0, sp2 = 0, sy = 0, sy2 = 0;
    for (let t = 0; t < n; t++) {
      const o = t * c + v;
      const y = wy[o];
      const pv = pred[o];
      const e = y - pv;
      e2 += e * e;
      const dp = pv - p0;
      sp += dp;
      sp2 += dp * dp;
      const dy = y - y0;
      sy += dy;
      sy2 += dy * dy;
    }
    sse[v] = e2;
    // the 1/n factors of both variances cancel; 0/0 gives NaN as numpy does
    r2[v] = (sp2 - (sp * sp) / n) / (sy2 - (sy * sy) / n);
  }
}
