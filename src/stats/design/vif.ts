/**
 * Variance inflation factor of a design column: VIF_j = 1 / (1 - R²_j), R²_j being the
 * (centred) coefficient of determination of column j regressed by ordinary least squares on
 * all the other columns of the design.
 *
 * This is statsmodels' `variance_inflation_factor(exog, j)` (OLS of exog[:, j] on the other
 * columns, reading the centred `rsquared`) for a design holding a constant column, as nilearn's
 * always does; a design without one is treated as if it had one, so VIF >= 1.
 *
 * Computed all at once rather than by one regression per column: with the constant among the
 * regressors, partialling it out centres every column (Frisch-Waugh-Lovell), and for centred,
 * unit-norm columns Z the VIFs are the diagonal of (ZᵀZ)⁻¹, the inverse correlation matrix.
 * That inverse is taken through the eigen-decomposition of ZᵀZ: directions with an eigenvalue
 * below 1e-12 of the largest are exact collinearities (at working precision, e.g. two
 * conditions with identical onsets, which nilearn's full_rank only nudges), and a column with
 * weight in one has an infinite VIF. Columns without variance (the constant, a condition with
 * no events) take no part: they are the constant or zero, and have no VIF (NaN) themselves.
 */
import { symEig, type Mat } from '../core/matrix.js';
import { constantColumns } from './correlation.js';

/** Eigenvalues below this fraction of the largest are null directions. */
const NULL_EIGENVALUE = 1e-12;
/** Squared weight of a column in a null direction above which it is collinear (numerical noise is ~1e-30). */
const NULL_WEIGHT = 1e-10;

/** VIF of each column in `targets` (indices into m's columns), each regressed on all the other columns of m. */
export function varianceInflationFactors(m: Mat, targets: number[]): number[] {
  const { rows: n, cols: p, data } = m;
  const flat = constantColumns(m);
  const active = Array.from({ length: p }, (_, c) => c).filter((c) => !flat[c]);
  const q = active.length;
  // Z: centred, unit-norm active columns (n x q, column-major for the cross products)
  const z = new Float64Array(n * q);
  active.forEach((c, a) => {
    let mean = 0;
    for (let r = 0; r < n; r++) mean += data[r * p + c];
    mean /= n;
    let ss = 0;
    for (let r = 0; r < n; r++) {
      const d = data[r * p + c] - mean;
      z[a * n + r] = d;
      ss += d * d;
    }
    const norm = Math.sqrt(ss);
    for (let r = 0; r < n; r++) z[a * n + r] /= norm;
  });
  const gram = new Float64Array(q * q);
  for (let a = 0; a < q; a++) {
    for (let b = a; b < q; b++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += z[a * n + r] * z[b * n + r];
      gram[a * q + b] = s;
      gram[b * q + a] = s;
    }
  }
  const { values, vectors } = symEig({ rows: q, cols: q, data: gram });
  const lmax = q ? values[q - 1] : 0;
  const activeIndex = new Map(active.map((c, a) => [c, a]));
  return targets.map((j) => {
    const a = activeIndex.get(j);
    if (a === undefined) return NaN;
    let vif = 0;
    for (let k = 0; k < q; k++) {
      const w = vectors.data[a * q + k] ** 2;
      if (values[k] > NULL_EIGENVALUE * lmax) vif += w / values[k];
      else if (w > NULL_WEIGHT) return Infinity;
    }
    return vif;
  });
}
