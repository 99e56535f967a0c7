/**
 * A rows x columns heat map (e.g. trials x voxels of a beta series) on a diverging colour scale
 * symmetric about 0 (blue negative, red positive), with a title, the row count and a colour bar.
 */
import { createFigure, figureToPng } from './canvas.js';
import { coldHot, css } from './colormaps.js';
import { drawColorbar, drawText, fitText } from './draw.js';
import { niceTicks } from './ticks.js';

export interface HeatmapOptions {
  title: string;
  /** Axis titles: down the rows, along the columns. */
  rowLabel: string;
  columnLabel: string;
  /** Names of some rows, drawn at the left (e.g. every k-th trial name); index -> text. */
  rowNames?: Map<number, string>;
}

/** values: rows x cols row-major, drawn in nilearn's cold_hot about 0. NaN cells are grey. */
export function plotHeatmap(values: ArrayLike<number>, rows: number, cols: number, opts: HeatmapOptions): Buffer {
  if (rows <= 0 || cols <= 0) throw new Error(`plotHeatmap: empty matrix (${rows}x${cols})`);
  if (values.length !== rows * cols) throw new Error(`plotHeatmap: ${values.length} values for ${rows}x${cols}`);
  const cw = Math.max(1, Math.min(12, Math.floor(600 / cols)));
  const ch = Math.max(1, Math.min(12, Math.floor(600 / rows)));
  const x0 = 130;
  const y0 = 36;
  const width = x0 + cols * cw + 90;
  const height = y0 + rows * ch + 40;
  const fig = createFigure(width, height);
  const { ctx } = fig;
  let max = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) max = Math.max(max, Math.abs(values[i]));
  const scale = max > 0 ? Number(max.toPrecision(2)) : 1;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c];
      ctx.fillStyle = Number.isFinite(v) ? css(coldHot(Math.min(1, Math.max(0, 0.5 + v / (2 * scale))))) : 'rgb(160,160,160)';
      ctx.fillRect(x0 + c * cw, y0 + r * ch, cw, ch);
    }
  }
  ctx.strokeStyle = '#5a5a5a';
  ctx.lineWidth = 1;
  ctx.strokeRect(x0 - 0.5, y0 - 0.5, cols * cw + 1, rows * ch + 1);
  drawText(ctx, fitText(ctx, opts.title, width - 12, 13), 6, 20, { size: 13, bold: true });
  for (const [r, name] of opts.rowNames ?? []) {
    drawText(ctx, fitText(ctx, name, x0 - 30, 10), x0 - 4, y0 + r * ch + ch / 2, { size: 10, align: 'right', baseline: 'middle' });
  }
  drawText(ctx, opts.rowLabel, 12, y0 + (rows * ch) / 2, { size: 12, rotate: 90, align: 'center', baseline: 'middle' });
  drawText(ctx, `${opts.columnLabel} (${cols}); ${rows} ${opts.rowLabel}`, x0, y0 + rows * ch + 20, { size: 12, color: '#444' });
  const bh = Math.min(220, Math.max(60, rows * ch));
  drawColorbar(ctx, x0 + cols * cw + 18, y0, 12, bh, coldHot, -scale, scale, niceTicks(-scale, scale, 5));
  return figureToPng(fig);
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
