/**
 * Bar chart of per-ROI values with error bars: bar = effect, whisker = effect +- sqrt(variance)
 * (one standard error of the contrast estimate). Positive bars warm, negative bars cool;
 * a missing / non-finite variance draws no whisker, a non-finite effect no bar.
 */
import { Canvas, formatNumber, niceTicks, textWidth, type RGB } from './png.js';

export interface RoiValue {
  name: string;
  effect: number;
  variance: number;
}

export interface RoiPlotOptions {
  title?: string;
  /** Y axis title (default "effect"). */
  ylabel?: string;
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
}

const POS: RGB = [214, 96, 77];
const NEG: RGB = [67, 147, 195];
const BLACK: RGB = [0, 0, 0];
const GRID: RGB = [225, 225, 225];
const NAME_MAX = 24;

const shorten = (s: string) => (s.length <= NAME_MAX ? s : s.slice(0, NAME_MAX - 1) + '…');
const se = (v: number) => (Number.isFinite(v) && v >= 0 ? Math.sqrt(v) : NaN);

export function roiPlotLayout(values: RoiValue[], opts: RoiPlotOptions = {}): RoiPlotLayout {
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
  const slotW = Math.max(18, Math.min(60, Math.floor(600 / n)));
  const barW = Math.max(8, Math.round(slotW * 0.6));
  const tickLabelW = Math.max(...niceTicks(bottom, top, 6).map((t) => textWidth(formatNumber(t))), 10);
  const x0 = 20 + tickLabelW + 8;
  const y0 = opts.title ? 30 : 12;
  const plotH = 260;
  const namesH = Math.max(...values.map((v) => textWidth(shorten(v.name))), 10) + 10;
  return { x0, y0, plotW: n * slotW, plotH, yTop: top, yBottom: bottom, barW, slotW, width: x0 + n * slotW + 16, height: y0 + plotH + namesH + 8 };
}

export function plotRoiValues(values: RoiValue[], opts: RoiPlotOptions = {}): Buffer {
  const L = roiPlotLayout(values, opts);
  const canvas = new Canvas(L.width, L.height, [255, 255, 255]);
  const yPix = (v: number) => L.y0 + Math.round(((L.yTop - v) / (L.yTop - L.yBottom)) * (L.plotH - 1));

  for (const t of niceTicks(L.yBottom, L.yTop, 6)) {
    const y = yPix(t);
    canvas.hline(L.x0, L.x0 + L.plotW - 1, y, GRID);
    canvas.hline(L.x0 - 4, L.x0 - 1, y, BLACK);
    canvas.text(L.x0 - 7, y - 3, formatNumber(t), BLACK, { align: 'right' });
  }
  const zeroY = yPix(0);
  values.forEach((r, i) => {
    const cx = L.x0 + i * L.slotW + Math.floor(L.slotW / 2);
    if (Number.isFinite(r.effect)) {
      const y = yPix(r.effect);
      const top = Math.min(y, zeroY);
      const h = Math.max(1, Math.abs(y - zeroY));
      canvas.fillRect(cx - Math.floor(L.barW / 2), top, L.barW, h, r.effect >= 0 ? POS : NEG);
      const s = se(r.variance);
      if (Number.isFinite(s)) {
        const ya = yPix(r.effect + s);
        const yb = yPix(r.effect - s);
        canvas.vline(cx, ya, yb, BLACK);
        const cap = Math.max(3, Math.floor(L.barW / 4));
        canvas.hline(cx - cap, cx + cap, ya, BLACK);
        canvas.hline(cx - cap, cx + cap, yb, BLACK);
      }
    }
    canvas.text(cx - 3, L.y0 + L.plotH + 6 + textWidth(shorten(r.name)), shorten(r.name), BLACK, { rotate: 90 });
  });
  canvas.hline(L.x0, L.x0 + L.plotW - 1, zeroY, BLACK);
  canvas.vline(L.x0 - 1, L.y0, L.y0 + L.plotH - 1, BLACK);
  canvas.text(6, L.y0 + Math.round(L.plotH / 2), opts.ylabel ?? 'effect', BLACK, { rotate: 90, align: 'center' });
  if (opts.title) canvas.text(L.x0, 8, opts.title, BLACK, { scale: 2 });
  return canvas.toPng();
}
