/**
 * Design matrix figure, after nilearn's plot_design_matrix: one image column per regressor,
 * one row per scan (scan 0 at the top), column names above (tilted, reading upward, as
 * nilearn's tick labels above the matrix), scan numbers on the left.
 *
 * Scaling: each column is divided by its maximum absolute value, then the whole image is
 * mapped to gray with the global minimum -> black and the global maximum -> white
 * (matplotlib imshow's automatic limits). So a regressor's largest value is white whenever
 * some column is positive, and zero is black when nothing is negative. (nilearn divides by
 * each column's L2 norm instead, which leaves short runs of events nearly black.)
 */
import { createFigure, figureToPng } from './canvas.js';
import { drawText, fitText, measureText } from './draw.js';
import { niceTicks } from './ticks.js';

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
  /** Angle of the column names (degrees). */
  labelAngle: number;
}

const LABEL_SIZE = 12;
const LABEL_MAX = 190;
const TITLE_SIZE = 14;

/** Where things go; exported so tests (and callers adding overlays) can find the cells. */
export function designPlotLayout(columns: string[], rows: number, opts: { title?: string } = {}): DesignPlotLayout {
  const { ctx } = createFigure(1, 1);
  const n = Math.max(1, columns.length);
  const cellWidth = Math.max(12, Math.min(40, Math.floor(640 / n)));
  const matrixHeight = Math.max(240, Math.min(560, rows * 2));
  const labelAngle = cellWidth >= 20 ? 60 : 90;
  const labelLen = Math.max(10, ...columns.map((c) => measureText(ctx, fitText(ctx, c, LABEL_MAX, LABEL_SIZE), LABEL_SIZE)));
  const rad = (labelAngle * Math.PI) / 180;
  const x0 = 64; // scan-number tick labels and the axis title
  const titleH = opts.title ? TITLE_SIZE + 14 : 6;
  const y0 = titleH + Math.ceil(labelLen * Math.sin(rad)) + 12;
  const overhang = Math.max(0, Math.ceil(labelLen * Math.cos(rad)) - (n - 0.5) * cellWidth);
  const titleW = opts.title ? measureText(ctx, opts.title, TITLE_SIZE, true) + 20 : 0;
  const width = Math.ceil(Math.max(x0 + n * cellWidth + overhang + 14, titleW, 260));
  return { x0, y0, cellWidth, matrixHeight, labelAngle, width, height: y0 + matrixHeight + 34 };
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

export function plotDesignMatrix(columns: string[], matrix: DenseMatrix, opts: { title?: string } = {}): Buffer {
  const { rows, cols } = matrix;
  if (rows <= 0 || cols <= 0) throw new Error(`plotDesignMatrix: empty design matrix (${rows}x${cols})`);
  if (columns.length !== cols) throw new Error(`plotDesignMatrix: ${columns.length} names for ${cols} columns`);
  if (matrix.data.length !== rows * cols) throw new Error(`plotDesignMatrix: data has ${matrix.data.length} values, expected ${rows}x${cols}`);
  const L = designPlotLayout(columns, rows, opts);
  const fig = createFigure(L.width, L.height);
  const { ctx } = fig;
  const { values, lo, hi } = scaled(matrix);
  const span = hi - lo;

  // Matrix cells, pixel exact (nearest scan for each pixel row), written as one image block.
  const w = cols * L.cellWidth;
  const img = ctx.createImageData(w, L.matrixHeight);
  for (let py = 0; py < L.matrixHeight; py++) {
    const r = Math.min(rows - 1, Math.floor((py * rows) / L.matrixHeight));
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c]!;
      const g = Math.round((span > 0 ? (v - lo) / span : 0.5) * 255);
      for (let k = 0; k < L.cellWidth; k++) {
        const o = (py * w + c * L.cellWidth + k) * 4;
        img.data[o] = img.data[o + 1] = img.data[o + 2] = g;
        img.data[o + 3] = 255;
      }
    }
  }
  ctx.putImageData(img, L.x0, L.y0);
  ctx.strokeStyle = '#444';
  ctx.lineWidth = 1;
  ctx.strokeRect(L.x0 - 0.5, L.y0 - 0.5, w + 1, L.matrixHeight + 1);

  if (opts.title) drawText(ctx, opts.title, 10, 8 + TITLE_SIZE, { size: TITLE_SIZE, bold: true });
  // Column names above the matrix, tilted and reading upward from their column's tick.
  columns.forEach((name, c) => {
    const cx = L.x0 + (c + 0.5) * L.cellWidth;
    ctx.beginPath();
    ctx.moveTo(cx, L.y0 - 1);
    ctx.lineTo(cx, L.y0 - 5);
    ctx.stroke();
    drawText(ctx, fitText(ctx, name, LABEL_MAX, LABEL_SIZE), cx + (L.labelAngle === 90 ? 4 : 0), L.y0 - 8, {
      size: LABEL_SIZE, rotate: L.labelAngle, baseline: L.labelAngle === 90 ? 'alphabetic' : 'middle',
    });
  });

  // Scan-number ticks on the left (scan index of the row at that height).
  for (const t of niceTicks(0, Math.max(0, rows - 1), 6)) {
    if (!Number.isInteger(t)) continue;
    const y = L.y0 + ((t + 0.5) * L.matrixHeight) / rows;
    ctx.beginPath();
    ctx.moveTo(L.x0 - 6, y);
    ctx.lineTo(L.x0 - 1, y);
    ctx.stroke();
    drawText(ctx, String(t), L.x0 - 9, y, { size: 11, align: 'right', baseline: 'middle' });
  }
  drawText(ctx, 'scan number', 16, L.y0 + L.matrixHeight / 2, { size: 12, rotate: 90, align: 'center', baseline: 'middle' });
  drawText(ctx, `${rows} scans × ${cols} regressors`, L.x0, L.y0 + L.matrixHeight + 20, { size: 11, color: '#444' });
  return figureToPng(fig);
}
