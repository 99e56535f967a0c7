/**
 * OLS and AR(p) linear models as in nilearn.glm.regression (OLSModel, ARModel,
 * RegressionResults), split into a per-design part (whitening, pseudo-inverse,
 * normalized covariance, degrees of freedom) and a blocked per-voxel kernel that
 * streams over a chunk of voxels held time-major in contiguous memory.
 */
import { type Mat, absSum, gemmWide, matmulABt, matrixRank, pinv } from './matrix.js';

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
  const r = Float64Array.from(rho);
  const w = r.length ? whitenDesign(x, r) : x;
  const calcBeta = pinv(w);
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
  };
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
