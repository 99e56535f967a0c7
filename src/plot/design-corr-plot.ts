/**
 * Design-matrix correlation figure of one run: the Pearson correlation between regressors on
 * a diverging scale fixed at [-1, 1], names on both axes, r written in the cells when they
 * are large enough, pairs at or above the collinearity threshold outlined.
 *
 * As nilearn's plot_design_matrix_correlation (nilearn >= 0.11) the constant and the drift
 * columns are left out: the constant has no correlation, and the slow cosines say little
 * about the task (the TSV beside the figure keeps every column).
 */
import { plotMatrixFigure } from './matrix-figure.js';

export interface DesignCorrelationFigure {
  /** The columns drawn (constant and drifts left out), in design order. */
  columns: string[];
  png: Buffer;
}

/** Columns the figure shows: not the constant, not drift_k, and not a column without variance. */
export function correlationFigureColumns(columns: string[], correlation: ArrayLike<number>): number[] {
  const p = columns.length;
  return columns.flatMap((name, i) => (name === 'constant' || /^drift_\d+$/.test(name) || !Number.isFinite(correlation[i * p + i]) ? [] : [i]));
}

/** correlation: p x p row-major (NaN for columns without variance). */
export function plotDesignCorrelation(columns: string[], correlation: ArrayLike<number>, opts: { title?: string; threshold?: number } = {}): DesignCorrelationFigure {
  const p = columns.length;
  if (correlation.length !== p * p) throw new Error(`plotDesignCorrelation: ${correlation.length} values for ${p} columns`);
  let keep = correlationFigureColumns(columns, correlation);
  if (keep.length === 0) keep = columns.map((_, i) => i); // nothing but drifts: show them
  const k = keep.length;
  const values = new Float64Array(k * k);
  keep.forEach((i, a) => keep.forEach((j, b) => (values[a * k + b] = correlation[i * p + j])));
  const names = keep.map((i) => columns[i]);
  const threshold = opts.threshold ?? 0.9;
  const png = plotMatrixFigure(values, k, k, {
    rowLabels: names, columnLabels: names, vmax: 1, title: opts.title, colorbarTitle: 'r',
    // two decimals; three for near-identical regressors (so 0.996 does not read as 1.00) and
    // next to the threshold (so an unflagged -0.899 does not read as -0.90)
    cellText: (v, r, c) => {
      if (r === c) return null;
      const a = Math.abs(v);
      const digits = (a >= 0.99 && a < 1) || Math.abs(a - threshold) < 0.005 ? 3 : 2;
      return v.toFixed(digits).replace(/^(-?)0\./, '$1.');
    },
    outline: (r, c) => r !== c && Math.abs(values[r * k + c]) >= threshold,
  });
  return { columns: names, png };
}
