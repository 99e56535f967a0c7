/**
 * Variance inflation factor of a design column: VIF_j = 1 / (1 - R²_j), R²_j being the
 * (centred) coefficient of determination of column j regressed by ordinary least squares on
 * all the other columns of the design.
 *
 * This is statsmodels' `variance_inflation_factor(exog, j)` (which fits OLS(exog[:, j],
 * exog[:, others]) with a pseudo-inverse and reads `rsquared`, centred when the regressors
 * hold a constant) for a design that has a constant column, as nilearn's always has. When the
 * other columns hold no constant, one is added, so R² is always the centred one and VIF >= 1.
 * An exactly collinear column gives Infinity; a column without variance has no VIF (NaN).
 */
import { pinv, type Mat } from '../core/matrix.js';
import { constantColumns } from './correlation.js';

/** Columns `others` of m as an n x k matrix, plus a column of ones when `addConstant`. */
function pick(m: Mat, others: number[], addConstant: boolean): Mat {
  const k = others.length + (addConstant ? 1 : 0);
  const out = new Float64Array(m.rows * k);
  for (let r = 0; r < m.rows; r++) {
    others.forEach((c, i) => (out[r * k + i] = m.data[r * m.cols + c]));
    if (addConstant) out[r * k + k - 1] = 1;
  }
  return { rows: m.rows, cols: k, data: out };
}

/**
 * VIF of each column in `targets` (indices into m's columns). Each column is regressed on
 * all other columns of m (not only the other targets).
 */
export function varianceInflationFactors(m: Mat, targets: number[]): number[] {
  const flat = constantColumns(m);
  const hasConstant = flat.some((f, c) => f && m.data[c] !== 0);
  return targets.map((j) => {
    if (flat[j]) return NaN;
    const others = Array.from({ length: m.cols }, (_, c) => c).filter((c) => c !== j);
    // the target itself is never the constant here (it varies), so `hasConstant` concerns the others
    const x = pick(m, others, !hasConstant);
    const y = new Float64Array(m.rows);
    let mean = 0;
    for (let r = 0; r < m.rows; r++) mean += (y[r] = m.data[r * m.cols + j]);
    mean /= m.rows;
    // scale the regressors to unit norm first: R² is unchanged and the pseudo-inverse's
    // cut-off then compares directions, not units (e.g. global_signal ~1e3 beside drifts ~0.1)
    const norms = new Float64Array(x.cols);
    for (let r = 0; r < x.rows; r++) for (let c = 0; c < x.cols; c++) norms[c] += x.data[r * x.cols + c] ** 2;
    for (let c = 0; c < x.cols; c++) norms[c] = Math.sqrt(norms[c]) || 1;
    for (let r = 0; r < x.rows; r++) for (let c = 0; c < x.cols; c++) x.data[r * x.cols + c] /= norms[c];
    const xp = pinv(x);
    const beta = new Float64Array(x.cols);
    for (let c = 0; c < x.cols; c++) {
      let s = 0;
      for (let r = 0; r < x.rows; r++) s += xp.data[c * x.rows + r] * y[r];
      beta[c] = s;
    }
    let ssr = 0;
    let sst = 0;
    for (let r = 0; r < x.rows; r++) {
      let fit = 0;
      for (let c = 0; c < x.cols; c++) fit += x.data[r * x.cols + c] * beta[c];
      ssr += (y[r] - fit) ** 2;
      sst += (y[r] - mean) ** 2;
    }
    // VIF = 1 / (1 - R²) = SST / SSR; a residual at rounding level means exact collinearity
    return ssr > sst * 1e-20 ? sst / ssr : Infinity;
  });
}
