/** Drift regressors of nilearn 0.10.4's design matrices (`create_cosine_drift`, `_poly_drift`). */
import { orthogonalizeColumns } from './orthogonalize.js';

/** Drift columns (n_scans x k, row-major), their names, and any warning nilearn would raise. */
export interface DriftBasis {
  columns: string[];
  rows: number;
  cols: number;
  data: Float64Array;
  warnings: string[];
}

/**
 * DCT-II basis up to the high-pass cutoff, plus the constant as last column:
 * dt = (t[n-1] - t[0]) / (n - 1), order = min(n - 1, floor(2 n highPass dt)),
 * column k-1 = sqrt(2/n) cos(pi/n (i + 0.5) k) for k = 1..order (names drift_1..drift_order).
 */
export function cosineDrift(highPass: number, frameTimes: ArrayLike<number>): DriftBasis {
  const n = frameTimes.length;
  const warnings: string[] = [];
  const dt = (frameTimes[n - 1] - frameTimes[0]) / (n - 1);
  if (highPass * dt >= 0.5) {
    warnings.push(
      'High-pass filter will span all accessible frequencies and saturate the design matrix. ' +
        `You may want to reduce the high_pass value. The provided value is ${highPass} Hz`,
    );
  }
  const order = Math.max(0, Math.min(n - 1, Math.floor(2 * n * highPass * dt)));
  const cols = order + 1;
  const data = new Float64Array(n * cols);
  const normalizer = Math.sqrt(2 / n);
  for (let k = 1; k <= order; k++) {
    for (let i = 0; i < n; i++) {
      data[i * cols + k - 1] = normalizer * Math.cos((Math.PI / n) * (i + 0.5) * k);
    }
  }
  for (let i = 0; i < n; i++) data[i * cols + order] = 1;
  return { columns: driftNames(cols), rows: n, cols, data, warnings };
}

/**
 * Polynomials (t / max t)^k, k = 0..order, orthogonalised in order (so drift_k is the
 * degree-k polynomial residual on lower degrees), then the constant moved to the end.
 */
export function polynomialDrift(order: number, frameTimes: ArrayLike<number>): DriftBasis {
  const ord = Math.trunc(order);
  if (!(ord >= 0)) throw new RangeError(`drift_order must be >= 0, got ${order}`);
  const n = frameTimes.length;
  const p = ord + 1;
  let tmax = -Infinity;
  for (let i = 0; i < n; i++) tmax = Math.max(tmax, frameTimes[i]);
  const pol = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    const x = frameTimes[i] / tmax;
    for (let k = 0; k < p; k++) pol[i * p + k] = x ** k;
  }
  orthogonalizeColumns(pol, n, p);
  const data = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let k = 1; k < p; k++) data[i * p + k - 1] = pol[i * p + k];
    data[i * p + p - 1] = pol[i * p];
  }
  return { columns: driftNames(p), rows: n, cols: p, data, warnings: [] };
}

/** Just the constant (drift_model None). */
export function noDrift(frameTimes: ArrayLike<number>): DriftBasis {
  const n = frameTimes.length;
  return { columns: ['constant'], rows: n, cols: 1, data: new Float64Array(n).fill(1), warnings: [] };
}

function driftNames(cols: number): string[] {
  const names: string[] = [];
  for (let k = 1; k < cols; k++) names.push(`drift_${k}`);
  names.push('constant');
  return names;
}

/**
 * How many columns (drifts and the constant) a drift model adds for these frame times,
 * computed without building them (the same formulas as cosineDrift / polynomialDrift), so
 * that a design too large for its run can be refused before it is built.
 */
export function driftColumnCount(model: 'cosine' | 'polynomial' | 'none' | null, frameTimes: ArrayLike<number>, highPass: number, order: number): number {
  const n = frameTimes.length;
  if (model === 'cosine') {
    const dt = (frameTimes[n - 1] - frameTimes[0]) / (n - 1);
    return Math.max(0, Math.min(n - 1, Math.floor(2 * n * highPass * dt))) + 1;
  }
  if (model === 'polynomial') return Math.trunc(order) + 1;
  return 1;
}
