/**
 * Design matrix figure, after nilearn's plot_design_matrix: one image column per
 * regressor, one row per scan (scan 0 at the top), column names written above
 * (rotated, reading upward, like nilearn's tilted tick labels above the matrix).
 *
 * Scaling: each column is divided by its maximum absolute value, then the whole
 * image is mapped to gray with the global minimum -> black and the global maximum
 * -> white (matplotlib imshow's automatic limits). So a regressor's largest value
 * is white whenever some column is positive, and zero is black when nothing is negative.
 */
import { Canvas, formatNumber, gray, niceTicks, textWidth, type RGB } from './png.js';

export interface DenseMatrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export interface DesignPlotLayout {
  width: number;
  height: number;
  /** Top-left pixel of the matrix image. */
  x0: number;
  y0: number;
  /** Pixels per regressor column. */
  cellWidth: number;
  /** Height of the matrix image in pixels (each scan spans height/rows pixels). */
  matrixHeight: number;
}

const LABEL_MAX_CHARS = 28;
const WHITE: RGB = [255, 255, 255];
const BLACK: RGB = [0, 0, 0];
const AXIS: RGB = [60, 60, 60];

function shorten(name: string): string {
  return name.length <= LABEL_MAX_CHARS ? name : name.slice(0, LABEL_MAX_CHARS - 1) + '…';
}

/** Where things go; exported so tests (and callers adding overlays) can find the cells. */
export function designPlotLayout(columns: string[], rows: number): DesignPlotLayout {
  const n = Math.max(1, columns.length);
  const cellWidth = Math.max(10, Math.min(40, Math.floor(560 / n)));
  const matrixHeight = Math.max(200, Math.min(600, rows * 2));
  const labelLen = Math.max(1, ...columns.map((c) => textWidth(shorten(c))));
  const x0 = 46; // room for scan-number tick labels and the axis title
  const y0 = labelLen + 12;
  return { x0, y0, cellWidth, matrixHeight, width: x0 + n * cellWidth + 12, height: y0 + matrixHeight + 28 };
}

/** Per-column max-abs scaling, then the global [min, max] of the scaled values. */
function scaled(matrix: DenseMatrix): { values: Float64Array; lo: number; hi: number } {
  const { rows, cols, data } = matrix;
  const values = new Float64Array(rows * cols);
  let lo = Infinity;
  let hi = -Infinity;
  for (let c = 0; c < cols; c++) {
    let m = 0;
    for (let r = 0; r < rows; r++) {
      const v = data[r * cols + c]!;
      if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
    }
    for (let r = 0; r < rows; r++) {
      const v = data[r * cols + c]!;
      const s = m > 0 && Number.isFinite(v) ? v / m : 0;
      values[r * cols + c] = s;
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
  }
  if (!Number.isFinite(lo)) lo = hi = 0;
  return { values, lo, hi };
}

export function plotDesignMatrix(columns: string[], matrix: DenseMatrix): Buffer {
  const { rows, cols } = matrix;
  if (rows <= 0 || cols <= 0) throw new Error(`plotDesignMatrix: empty design matrix (${rows}x${cols})`);
  if (columns.length !== cols) throw new Error(`plotDesignMatrix: ${columns.length} names for ${cols} columns`);
  if (matrix.data.length !== rows * cols) throw new Error(`plotDesignMatrix: data has ${matrix.data.length} values, expected ${rows}x${cols}`);
  const L = designPlotLayout(columns, rows);
  const canvas = new Canvas(L.width, L.height, WHITE);
  const { values, lo, hi } = scaled(matrix);
  const span = hi - lo;

  // Matrix cells (nearest scan for each pixel row).
  for (let py = 0; py < L.matrixHeight; py++) {
    const r = Math.min(rows - 1, Math.floor((py * rows) / L.matrixHeight));
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c]!;
      const color = gray(span > 0 ? (v - lo) / span : 0.5);
      canvas.fillRect(L.x0 + c * L.cellWidth, L.y0 + py, L.cellWidth, 1, color);
    }
  }
  canvas.strokeRect(L.x0 - 1, L.y0 - 1, cols * L.cellWidth + 2, L.matrixHeight + 2, AXIS);

  // Column names above the matrix, reading upward, centred on their column.
  columns.forEach((name, c) => {
    const cx = L.x0 + c * L.cellWidth + Math.floor(L.cellWidth / 2) - 3;
    canvas.text(cx, L.y0 - 5, shorten(name), BLACK, { rotate: 90 });
    canvas.vline(L.x0 + c * L.cellWidth + Math.floor(L.cellWidth / 2), L.y0 - 3, L.y0 - 2, AXIS);
  });

  // Scan-number ticks on the left (scan index of the row at that height).
  for (const t of niceTicks(0, Math.max(0, rows - 1), 6)) {
    if (!Number.isInteger(t)) continue;
    const y = L.y0 + Math.round(((t + 0.5) * L.matrixHeight) / rows);
    canvas.hline(L.x0 - 5, L.x0 - 2, y, AXIS);
    canvas.text(L.x0 - 8, y - 3, formatNumber(t), BLACK, { align: 'right' });
  }
  canvas.text(4, L.y0 + Math.round(L.matrixHeight / 2), 'scan number', BLACK, { rotate: 90, align: 'center' });
  canvas.text(L.x0, L.y0 + L.matrixHeight + 10, `${rows} scans x ${cols} regressors`, AXIS);
  return canvas.toPng();
}
