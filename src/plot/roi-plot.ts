/**
 * Bar chart of per-ROI effects: bar = effect size, whisker = effect +- sqrt(variance) (one
 * standard error of the contrast estimate) when the variance is known. Positive bars warm,
 * negative bars cool (RdBu_r's ends), a zero line, horizontal grid lines at the ticks, the
 * ROI names under their bars (tilted when they do not fit), axis titles and a title.
 * A missing / non-finite variance draws no whisker, a non-finite effect no bar.
 */
import { createFigure, figureToPng } from './canvas.js';
import { drawText, fitText, measureText } from './draw.js';
import { formatNumber, niceTicks } from './ticks.js';

export interface RoiValue {
  name: string;
  effect: number;
  variance: number;
}

export interface RoiPlotOptions {
  title?: string;
  /** Y axis title (default "effect size"). */
  ylabel?: string;
  /** X axis title (default "region"). */
  xlabel?: string;
}

export interface RoiPlotLayout {
  width: number;
  height: number;
  /** Plot area (pixels). */
  x0: number;
  y0: number;
  plotW: number;
  plotH: number;
  /** Value at the top and bottom edges of the plot area. */
  yTop: number;
  yBottom: number;
  barW: number;
  slotW: number;
  /** Angle of the ROI names (0: horizontal). */
  nameAngle: number;
}

export const POSITIVE = '#d6604d';
export const NEGATIVE = '#4393c3';
const NAME_MAX = 170;
const TICK_SIZE = 11;
const NAME_SIZE = 12;
const TITLE_SIZE = 14;

const se = (v: number) => (Number.isFinite(v) && v >= 0 ? Math.sqrt(v) : NaN);

export function roiPlotLayout(values: RoiValue[], opts: RoiPlotOptions = {}): RoiPlotLayout {
  const { ctx } = createFigure(1, 1);
  let lo = 0;
  let hi = 0;
  for (const r of values) {
    if (!Number.isFinite(r.effect)) continue;
    const s = se(r.variance);
    const d = Number.isFinite(s) ? s : 0;
    lo = Math.min(lo, r.effect - d);
    hi = Math.max(hi, r.effect + d);
  }
  if (hi === lo) hi = lo + 1;
  // Axis limits: whole tick steps around [lo, hi] (0 is always inside).
  const ticks = niceTicks(lo, hi, 6);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  const bottom = Math.floor(lo / step - 1e-9) * step;
  const top = Math.ceil(hi / step + 1e-9) * step;
  const n = Math.max(1, values.length);
  const slotW = Math.max(22, Math.min(80, Math.floor(640 / n)));
  const barW = Math.max(10, Math.round(slotW * 0.62));
  const tickLabelW = Math.max(10, ...niceTicks(bottom, top, 6).map((t) => measureText(ctx, formatNumber(t), TICK_SIZE)));
  const names = values.map((v) => measureText(ctx, fitText(ctx, v.name, NAME_MAX, NAME_SIZE), NAME_SIZE));
  const widest = Math.max(10, ...names);
  // horizontal names when they fit their slot, else tilted 45 degrees (reading upward to the bar)
  const nameAngle = widest <= slotW - 4 ? 0 : 45;
  const namesH = nameAngle === 0 ? NAME_SIZE + 10 : Math.ceil(widest * Math.SQRT1_2) + 16;
  const x0 = 30 + Math.ceil(tickLabelW) + 10;
  const y0 = opts.title ? TITLE_SIZE + 26 : 14;
  const plotH = 280;
  const plotW = n * slotW;
  const leftOverhang = nameAngle === 0 ? 0 : Math.max(0, Math.ceil(widest * Math.SQRT1_2) - x0 - slotW / 2 + 6);
  const titleW = opts.title ? measureText(ctx, opts.title, TITLE_SIZE, true) + 20 : 0;
  return {
    x0: x0 + leftOverhang, y0, plotW, plotH, yTop: top, yBottom: bottom, barW, slotW, nameAngle,
    width: Math.ceil(Math.max(x0 + leftOverhang + plotW + 16, titleW)),
    height: y0 + plotH + namesH + 26,
  };
}

export function plotRoiValues(values: RoiValue[], opts: RoiPlotOptions = {}): Buffer {
  const L = roiPlotLayout(values, opts);
  const fig = createFigure(L.width, L.height);
  const { ctx } = fig;
  // pixel rows: value -> y (integer pixel rows so bars and whiskers meet exactly)
  const yPix = (v: number) => L.y0 + Math.round(((L.yTop - v) / (L.yTop - L.yBottom)) * (L.plotH - 1));

  ctx.lineWidth = 1;
  for (const t of niceTicks(L.yBottom, L.yTop, 6)) {
    const y = yPix(t) + 0.5;
    ctx.strokeStyle = '#e3e3e3';
    ctx.beginPath();
    ctx.moveTo(L.x0, y);
    ctx.lineTo(L.x0 + L.plotW, y);
    ctx.stroke();
    ctx.strokeStyle = '#000';
    ctx.beginPath();
    ctx.moveTo(L.x0 - 5, y);
    ctx.lineTo(L.x0, y);
    ctx.stroke();
    drawText(ctx, formatNumber(t), L.x0 - 8, y, { size: TICK_SIZE, align: 'right', baseline: 'middle' });
  }
  const zeroY = yPix(0);
  values.forEach((r, i) => {
    const cx = L.x0 + i * L.slotW + Math.floor(L.slotW / 2);
    if (Number.isFinite(r.effect)) {
      const y = yPix(r.effect);
      const top = Math.min(y, zeroY);
      const h = Math.max(1, Math.abs(y - zeroY));
      ctx.fillStyle = r.effect >= 0 ? POSITIVE : NEGATIVE;
      ctx.fillRect(cx - Math.floor(L.barW / 2), top, L.barW, h);
      const s = se(r.variance);
      if (Number.isFinite(s)) {
        const ya = yPix(r.effect + s);
        const yb = yPix(r.effect - s);
        const cap = Math.max(3, Math.floor(L.barW / 4));
        ctx.fillStyle = '#000';
        ctx.fillRect(cx, ya, 1, yb - ya + 1); // whisker, one pixel column at cx
        ctx.fillRect(cx - cap, ya, 2 * cap + 1, 1);
        ctx.fillRect(cx - cap, yb, 2 * cap + 1, 1);
      }
    }
    const name = fitText(ctx, r.name, NAME_MAX, NAME_SIZE);
    const ny = L.y0 + L.plotH + 8;
    if (L.nameAngle === 0) drawText(ctx, name, cx + 0.5, ny + NAME_SIZE, { size: NAME_SIZE, align: 'center' });
    else drawText(ctx, name, cx + 4, ny + 2, { size: NAME_SIZE, align: 'right', baseline: 'middle', rotate: L.nameAngle });
  });
  // zero line and y axis
  ctx.fillStyle = '#000';
  ctx.fillRect(L.x0, zeroY, L.plotW, 1);
  ctx.fillRect(L.x0 - 1, L.y0, 1, L.plotH);
  drawText(ctx, opts.ylabel ?? 'effect size', 14, L.y0 + L.plotH / 2, { size: NAME_SIZE, rotate: 90, align: 'center', baseline: 'middle' });
  drawText(ctx, opts.xlabel ?? 'region', L.x0 + L.plotW / 2, L.height - 8, { size: NAME_SIZE, align: 'center', color: '#444' });
  if (opts.title) drawText(ctx, opts.title, 10, 8 + TITLE_SIZE, { size: TITLE_SIZE, bold: true });
  return figureToPng(fig);
}
