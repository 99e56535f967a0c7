/**
 * A labelled matrix drawn as coloured cells on a symmetric diverging scale (RdBu_r, blue
 * negative, red positive, white 0): names of the columns above (rotated, reading upward),
 * names of the rows on the left, optional values written in the cells, optional outlines
 * on chosen cells, a colour bar on the right and a title. The correlation and contrast
 * matrix figures are this with their own choices.
 */
import { createFigure, figureToPng } from './canvas.js';
import { rdBuR, rdBuRValue } from './diverging.js';
import { css } from './colormaps.js';
import { drawColorbar, drawText, fitText, measureText, textColorOn } from './draw.js';
import { niceTicks } from './ticks.js';

export interface MatrixFigureOptions {
  rowLabels: string[];
  columnLabels: string[];
  /** Colour scale [-vmax, vmax]. */
  vmax: number;
  title?: string;
  /** Text written in a cell (null: none). Default: none. */
  cellText?: (value: number, row: number, col: number) => string | null;
  /** Cells to outline (e.g. flagged correlations). */
  outline?: (row: number, col: number) => boolean;
  /** Colour of NaN cells. */
  nanColor?: string;
  colorbarTitle?: string;
  /** Preferred cell size in pixels (width; height equal unless cellHeight). */
  cellSize?: number;
  cellHeight?: number;
}

export interface MatrixFigureLayout {
  width: number;
  height: number;
  /** Top-left of the cell grid. */
  x0: number;
  y0: number;
  cellW: number;
  cellH: number;
  /** Angle of the column names (degrees). */
  labelAngle: number;
  /** The colour bar. */
  bar: { x: number; y: number; w: number; h: number };
}

const LABEL_SIZE = 12;
const LABEL_MAX = 200;
const TITLE_SIZE = 14;

/** Layout of the figure (exported for tests that look up cells). */
export function matrixFigureLayout(nRows: number, nCols: number, o: MatrixFigureOptions): MatrixFigureLayout {
  const probe = createFigure(1, 1);
  const widest = (labels: string[]) => Math.max(10, ...labels.map((l) => measureText(probe.ctx, fitText(probe.ctx, l, LABEL_MAX, LABEL_SIZE), LABEL_SIZE)));
  const cellW = o.cellSize ?? Math.max(14, Math.min(44, Math.floor(720 / nCols)));
  const cellH = o.cellHeight ?? cellW;
  // 60 degree names (as nilearn's tilted tick labels) when the columns are wide enough for
  // the slanted lines not to touch; straight up otherwise
  const labelAngle = cellW >= 20 ? 60 : 90;
  const colW = widest(o.columnLabels);
  const sin = Math.sin((labelAngle * Math.PI) / 180);
  const cos = Math.cos((labelAngle * Math.PI) / 180);
  const x0 = 14 + widest(o.rowLabels);
  const titleH = o.title ? TITLE_SIZE + 16 : 8;
  const y0 = titleH + Math.ceil(colW * sin) + 12;
  const gridW = nCols * cellW;
  const gridH = nRows * cellH;
  const overhang = Math.ceil(colW * cos) - (gridW - cellW / 2);
  const barH = Math.max(60, Math.min(gridH, 260));
  const bar = { x: x0 + gridW + 18, y: y0 + Math.max(0, Math.floor((gridH - barH) / 2)), w: 14, h: barH };
  const width = Math.max(bar.x + bar.w + 48, x0 + gridW + Math.max(0, overhang) + 12, o.title ? 20 + measureText(probe.ctx, o.title, TITLE_SIZE, true) : 0);
  return { width: Math.ceil(width), height: y0 + Math.max(gridH, bar.h + (bar.y - y0)) + 14, x0, y0, cellW, cellH, labelAngle, bar };
}

/** values: nRows x nCols, row-major. */
export function plotMatrixFigure(values: ArrayLike<number>, nRows: number, nCols: number, o: MatrixFigureOptions): Buffer {
  if (nRows <= 0 || nCols <= 0) throw new Error(`plotMatrixFigure: empty matrix (${nRows}x${nCols})`);
  if (values.length !== nRows * nCols) throw new Error(`plotMatrixFigure: ${values.length} values for ${nRows}x${nCols}`);
  if (o.rowLabels.length !== nRows || o.columnLabels.length !== nCols) {
    throw new Error(`plotMatrixFigure: ${o.rowLabels.length} row and ${o.columnLabels.length} column names for ${nRows}x${nCols}`);
  }
  const L = matrixFigureLayout(nRows, nCols, o);
  const fig = createFigure(L.width, L.height);
  const { ctx } = fig;
  if (o.title) drawText(ctx, o.title, 10, 8 + TITLE_SIZE, { size: TITLE_SIZE, bold: true });

  const valueSize = Math.max(8, Math.min(11, Math.floor(Math.min(L.cellW / 3.2, L.cellH * 0.5))));
  for (let r = 0; r < nRows; r++) {
    for (let c = 0; c < nCols; c++) {
      const v = values[r * nCols + c];
      const x = L.x0 + c * L.cellW;
      const y = L.y0 + r * L.cellH;
      const color = Number.isFinite(v) ? rdBuRValue(v, o.vmax) : null;
      ctx.fillStyle = color ? css(color) : (o.nanColor ?? '#d9d9d9');
      ctx.fillRect(x, y, L.cellW, L.cellH);
      const text = Number.isFinite(v) && o.cellText ? o.cellText(v, r, c) : null;
      if (text && color && measureText(ctx, text, valueSize) <= L.cellW - 2) {
        drawText(ctx, text, x + L.cellW / 2, y + L.cellH / 2 + 0.5, { size: valueSize, align: 'center', baseline: 'middle', color: textColorOn(color) });
      }
    }
  }
  // thin white grid lines keep neighbouring cells of the same colour apart
  ctx.strokeStyle = 'rgba(255,255,255,0.9)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let c = 1; c < nCols; c++) {
    ctx.moveTo(L.x0 + c * L.cellW + 0.5, L.y0);
    ctx.lineTo(L.x0 + c * L.cellW + 0.5, L.y0 + nRows * L.cellH);
  }
  for (let r = 1; r < nRows; r++) {
    ctx.moveTo(L.x0, L.y0 + r * L.cellH + 0.5);
    ctx.lineTo(L.x0 + nCols * L.cellW, L.y0 + r * L.cellH + 0.5);
  }
  ctx.stroke();
  if (o.outline) {
    // black frame with a white inner line: visible on dark red cells as on light ones
    for (let r = 0; r < nRows; r++) for (let c = 0; c < nCols; c++) {
      if (!o.outline(r, c)) continue;
      const x = L.x0 + c * L.cellW;
      const y = L.y0 + r * L.cellH;
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#000';
      ctx.strokeRect(x + 1, y + 1, L.cellW - 2, L.cellH - 2);
      ctx.lineWidth = 1;
      ctx.strokeStyle = '#fff';
      ctx.strokeRect(x + 2.5, y + 2.5, L.cellW - 5, L.cellH - 5);
    }
  }
  ctx.strokeStyle = '#444';
  ctx.lineWidth = 1;
  ctx.strokeRect(L.x0 - 0.5, L.y0 - 0.5, nCols * L.cellW + 1, nRows * L.cellH + 1);

  // names: rows right-aligned on the left, columns above (tick marks at the cell centres)
  o.rowLabels.forEach((name, r) => {
    drawText(ctx, fitText(ctx, name, LABEL_MAX, LABEL_SIZE), L.x0 - 6, L.y0 + (r + 0.5) * L.cellH, { size: LABEL_SIZE, align: 'right', baseline: 'middle' });
  });
  o.columnLabels.forEach((name, c) => {
    const cx = L.x0 + (c + 0.5) * L.cellW;
    ctx.beginPath();
    ctx.moveTo(cx, L.y0 - 1);
    ctx.lineTo(cx, L.y0 - 5);
    ctx.stroke();
    drawText(ctx, fitText(ctx, name, LABEL_MAX, LABEL_SIZE), cx + (L.labelAngle === 90 ? 4 : 0), L.y0 - 8, { size: LABEL_SIZE, rotate: L.labelAngle, baseline: L.labelAngle === 90 ? 'alphabetic' : 'middle' });
  });
  drawColorbar(ctx, L.bar.x, L.bar.y, L.bar.w, L.bar.h, rdBuR, -o.vmax, o.vmax, niceTicks(-o.vmax, o.vmax, 5), o.colorbarTitle);
  return figureToPng(fig);
}
