/**
 * Contrast matrix figure, as nilearn's plot_contrast_matrix: one row per contrast row, one
 * column per design column (names above), coloured by weight on a diverging scale symmetric
 * about 0 (nilearn draws gray; here blue negative, red positive, white for the zero weights),
 * with the nonzero weights written in their cells.
 */
import { plotMatrixFigure } from './matrix-figure.js';
import { formatNumber } from './ticks.js';

export interface ContrastMatrixRow {
  /** Row name ("face - scene", "F row 2", "run-1"). */
  label: string;
  weights: ArrayLike<number>;
}

export function plotContrastMatrix(columns: string[], rows: ContrastMatrixRow[], opts: { title?: string } = {}): Buffer {
  const p = columns.length;
  if (rows.length === 0) throw new Error('plotContrastMatrix: no contrast rows');
  const values = new Float64Array(rows.length * p);
  rows.forEach((r, i) => {
    if (r.weights.length !== p) throw new Error(`plotContrastMatrix: row ${r.label} has ${r.weights.length} weights for ${p} columns`);
    for (let j = 0; j < p; j++) values[i * p + j] = r.weights[j];
  });
  let vmax = 0;
  for (const v of values) vmax = Math.max(vmax, Math.abs(v));
  return plotMatrixFigure(values, rows.length, p, {
    rowLabels: rows.map((r) => r.label), columnLabels: columns, vmax: vmax || 1, title: opts.title,
    cellText: (v) => (v === 0 ? null : formatNumber(v)), cellHeight: 30,
  });
}
