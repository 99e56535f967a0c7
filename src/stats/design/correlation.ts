/**
 * Pearson correlation between the columns of a design matrix, as pandas'
 * `DataFrame.corr()` (what nilearn users compute on `design_matrices_[i]`): two-pass
 * centred sums, r = Sxy / sqrt(Sxx Syy).
 *
 * A column without variance (the `constant`, or a condition with no events in the run) has
 * no correlation: its row and column are NaN, as pandas gives. "Without variance" is
 * Sxx <= (1e-12 max|x|)^2 n rather than exactly 0, so a constant column that full-rank
 * regularisation nudged by rounding (nilearn's full_rank) is still recognised as constant.
 */
import type { Mat } from '../core/matrix.js';

/** Column means and centred sums of squares of a row-major matrix. */
function centredColumns(m: Mat): { centred: Float64Array; ss: Float64Array; flat: Uint8Array } {
  const { rows, cols, data } = m;
  const centred = new Float64Array(rows * cols);
  const ss = new Float64Array(cols);
  const flat = new Uint8Array(cols);
  for (let c = 0; c < cols; c++) {
    let mean = 0;
    let maxAbs = 0;
    for (let r = 0; r < rows; r++) {
      const v = data[r * cols + c];
      mean += v;
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    mean /= rows;
    let s = 0;
    for (let r = 0; r < rows; r++) {
      const d = data[r * cols + c] - mean;
      centred[r * cols + c] = d;
      s += d * d;
    }
    ss[c] = s;
    const tol = 1e-12 * maxAbs;
    flat[c] = s <= tol * tol * rows ? 1 : 0;
  }
  return { centred, ss, flat };
}

/** Columns whose values do not vary (the constant, an empty condition). */
export function constantColumns(m: Mat): boolean[] {
  return Array.from(centredColumns(m).flat, (f) => f === 1);
}

/** cols x cols correlation matrix (row-major, symmetric, 1 on the diagonal of varying columns, NaN for constant ones). */
export function columnCorrelation(m: Mat): Mat {
  const { rows, cols } = m;
  // fewer than 2 scans (all but one censored): nothing varies, no correlation is defined
  if (rows < 2) return { rows: cols, cols, data: new Float64Array(cols * cols).fill(NaN) };
  const { centred, ss, flat } = centredColumns(m);
  const out = new Float64Array(cols * cols);
  for (let a = 0; a < cols; a++) {
    for (let b = a; b < cols; b++) {
      let r: number;
      if (flat[a] || flat[b]) r = NaN;
      else if (a === b) r = 1;
      else {
        let s = 0;
        for (let i = 0; i < rows; i++) s += centred[i * cols + a] * centred[i * cols + b];
        r = s / Math.sqrt(ss[a] * ss[b]);
        // rounding can push |r| a hair above 1 for (nearly) identical columns
        r = Math.max(-1, Math.min(1, r));
      }
      out[a * cols + b] = r;
      out[b * cols + a] = r;
    }
  }
  return { rows: cols, cols, data: out };
}
