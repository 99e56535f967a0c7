/**
 * A rows x columns heat map (e.g. trials x voxels of a beta series) on a diverging colour scale
 * symmetric about 0 (blue negative, red positive), with a title, the row count and a colour bar.
 */
import { Canvas, coldHot, formatNumber } from './png.js';

export interface HeatmapOptions {
  title: string;
  /** Axis titles: down the rows, along the columns. */
  rowLabel: string;
  columnLabel: string;
  /** Names of some rows, drawn at the left (e.g. every k-th trial name); index -> text. */
  rowNames?: Map<number, string>;
}

const BLACK = [0, 0, 0] as const;
const AXIS = [90, 90, 90] as const;

/** values: rows x cols row-major. NaN cells are drawn grey. */
export function plotHeatmap(values: ArrayLike<number>, rows: number, cols: number, opts: HeatmapOptions): Buffer {
  if (rows <= 0 || cols <= 0) throw new Error(`plotHeatmap: empty matrix (${rows}x${cols})`);
  if (values.length !== rows * cols) throw new Error(`plotHeatmap: ${values.length} values for ${rows}x${cols}`);
  const cw = Math.max(1, Math.min(10, Math.floor(600 / cols)));
  const ch = Math.max(1, Math.min(10, Math.floor(600 / rows)));
  const x0 = 80;
  const y0 = 24;
  const width = x0 + cols * cw + 70;
  const height = y0 + rows * ch + 30;
  const canvas = new Canvas(width, height);
  let max = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) max = Math.max(max, Math.abs(values[i]));
  const scale = max > 0 ? max : 1;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c];
      const color = Number.isFinite(v) ? coldHot(0.5 + v / (2 * scale)) : ([160, 160, 160] as const);
      canvas.fillRect(x0 + c * cw, y0 + r * ch, cw, ch, color);
    }
  }
  canvas.strokeRect(x0 - 1, y0 - 1, cols * cw + 2, rows * ch + 2, AXIS);
  canvas.text(x0, 6, opts.title, BLACK);
  for (const [r, name] of opts.rowNames ?? []) canvas.text(x0 - 4, y0 + r * ch + Math.floor(ch / 2) - 3, name, BLACK, { align: 'right' });
  canvas.text(6, y0 + Math.round((rows * ch) / 2), opts.rowLabel, BLACK, { rotate: 90, align: 'center' });
  canvas.text(x0, y0 + rows * ch + 10, `${opts.columnLabel} (${cols}); ${rows} ${opts.rowLabel}`, AXIS);
  // colour bar
  const bx = x0 + cols * cw + 16;
  const bh = Math.min(200, rows * ch);
  for (let py = 0; py < bh; py++) canvas.fillRect(bx, y0 + py, 12, 1, coldHot(1 - py / Math.max(1, bh - 1)));
  canvas.strokeRect(bx - 1, y0 - 1, 14, bh + 2, AXIS);
  canvas.text(bx + 16, y0, formatNumber(Number(scale.toPrecision(2))), BLACK);
  canvas.text(bx + 16, y0 + bh - 7, formatNumber(-Number(scale.toPrecision(2))), BLACK);
  return canvas.toPng();
}

/**
 * The `count` columns (voxels) of a rows x nCols series with the largest mean |value| over
 * the rows, in decreasing order: "the strongest voxels" of a beta series.
 */
export function strongestColumns(values: ArrayLike<number>, rows: number, nCols: number, count: number): number[] {
  const score = new Float64Array(nCols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < nCols; c++) {
    const v = values[r * nCols + c];
    if (Number.isFinite(v)) score[c] += Math.abs(v);
  }
  const idx = Array.from({ length: nCols }, (_, c) => c);
  idx.sort((a, b) => score[b] - score[a] || a - b);
  return idx.slice(0, Math.min(count, nCols));
}
