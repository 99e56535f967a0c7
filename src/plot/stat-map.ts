/**
 * Orthogonal-slice statistical map figure, after nilearn's plot_stat_map
 * (display_mode 'ortho'): sagittal, coronal and axial slices through one point,
 * the background in gray, voxels with |stat| >= threshold in the cold_hot colour
 * map (symmetric limits +-vmax), a colour bar and the cut coordinates in mm.
 *
 * Geometry: slices are sampled in world (mm, RAS+) space through the inverse
 * affine with nearest-neighbour lookup, so any voxel ordering or flip in the
 * affine is handled. Display convention (nilearn's, neurological):
 *   sagittal: anterior to the right, superior up;
 *   coronal:  subject's left on the left, superior up;
 *   axial:    subject's left on the left, anterior up.
 * Default cut: the voxel with the largest |stat| ('peak').
 */
import { Canvas, coldHot, formatNumber, textWidth, type RGB } from './png.js';

export type Vec3 = [number, number, number];

export interface StatMapOptions {
  /** Voxels with |stat| below this are not coloured (nilearn's default is 1e-6). */
  threshold?: number;
  /** Cut point in mm, or 'peak' (default): the voxel with the largest |stat|. */
  cut?: Vec3 | 'peak';
  title?: string;
  /** Colour limit (symmetric); default max |stat|. */
  vmax?: number;
}

export interface Panel {
  view: 'sagittal' | 'coronal' | 'axial';
  /** Pixel rectangle of the slice image. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** World axes shown horizontally / vertically (0 = x, 1 = y, 2 = z) and the fixed one. */
  hAxis: 0 | 1 | 2;
  vAxis: 0 | 1 | 2;
  fixedAxis: 0 | 1 | 2;
  /** mm at the left and top edges of the slice image, and pixels per mm. */
  hMin: number;
  vMax: number;
  scale: number;
}

export interface StatMapFigure {
  png: Buffer;
  width: number;
  height: number;
  /** The cut point in mm and the voxel it falls in. */
  cutMm: Vec3;
  cutVoxel: Vec3;
  /** The largest-|stat| voxel (also when a cut was given). */
  peak: { voxel: Vec3; mm: Vec3; value: number } | null;
  vmax: number;
  threshold: number;
  panels: Panel[];
}

const BG: RGB = [0, 0, 0];
const FG: RGB = [255, 255, 255];
const CROSS: RGB = [110, 140, 255];
/** Target size of the largest slice side, in pixels. */
const PANEL_PX = 300;

// ---------------------------------------------------------------- geometry

export function applyAffine(affine: number[][], v: readonly number[]): Vec3 {
  const out: Vec3 = [0, 0, 0];
  for (let r = 0; r < 3; r++) {
    const row = affine[r]!;
    out[r] = row[0]! * v[0]! + row[1]! * v[1]! + row[2]! * v[2]! + row[3]!;
  }
  return out;
}

/** Inverse of an affine [A | t]: [A^-1 | -A^-1 t] (3x3 inverse by cofactors). */
export function invertAffine(affine: number[][]): number[][] {
  const a = affine;
  const m = (r: number, c: number) => a[r]![c]!;
  const c00 = m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1);
  const c01 = m(1, 2) * m(2, 0) - m(1, 0) * m(2, 2);
  const c02 = m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0);
  const det = m(0, 0) * c00 + m(0, 1) * c01 + m(0, 2) * c02;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new Error('stat map: the affine is singular');
  const inv = [
    [c00, m(0, 2) * m(2, 1) - m(0, 1) * m(2, 2), m(0, 1) * m(1, 2) - m(0, 2) * m(1, 1)],
    [c01, m(0, 0) * m(2, 2) - m(0, 2) * m(2, 0), m(0, 2) * m(1, 0) - m(0, 0) * m(1, 2)],
    [c02, m(0, 1) * m(2, 0) - m(0, 0) * m(2, 1), m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0)],
  ].map((row) => row.map((v) => v / det));
  const t = [m(0, 3), m(1, 3), m(2, 3)];
  return [0, 1, 2].map((r) => [...inv[r]!, -(inv[r]![0]! * t[0]! + inv[r]![1]! * t[1]! + inv[r]![2]! * t[2]!)]).concat([[0, 0, 0, 1]]);
}

/** The voxel with the largest finite |stat| (first one on ties), or null if all are 0 / not finite. */
export function findPeak(stat: ArrayLike<number>, dims: number[], affine: number[][]): StatMapFigure['peak'] {
  const [nx, ny] = [dims[0]!, dims[1]!];
  let best = -1;
  let bestAbs = 0;
  for (let i = 0; i < stat.length; i++) {
    const a = Math.abs(stat[i]!);
    if (a > bestAbs && Number.isFinite(a)) {
      bestAbs = a;
      best = i;
    }
  }
  if (best < 0) return null;
  const voxel: Vec3 = [best % nx, Math.floor(best / nx) % ny, Math.floor(best / (nx * ny))];
  return { voxel, mm: applyAffine(affine, voxel), value: stat[best]! };
}

/** World bounding box of the voxel grid (voxel edges at index +- 0.5). */
function worldBox(dims: number[], affine: number[][]): { min: Vec3; max: Vec3 } {
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const i of [-0.5, dims[0]! - 0.5]) {
    for (const j of [-0.5, dims[1]! - 0.5]) {
      for (const k of [-0.5, dims[2]! - 0.5]) {
        const w = applyAffine(affine, [i, j, k]);
        for (let a = 0; a < 3; a++) {
          min[a] = Math.min(min[a]!, w[a]!);
          max[a] = Math.max(max[a]!, w[a]!);
        }
      }
    }
  }
  return { min, max };
}

/** Flat index of the voxel nearest to world point `w`, or -1 outside the grid. */
function voxelAt(inv: number[][], dims: number[], w: readonly number[]): number {
  const v = applyAffine(inv, w);
  const i = Math.round(v[0]);
  const j = Math.round(v[1]);
  const k = Math.round(v[2]);
  if (i < 0 || j < 0 || k < 0 || i >= dims[0]! || j >= dims[1]! || k >= dims[2]!) return -1;
  return i + dims[0]! * (j + dims[1]! * k);
}

// ---------------------------------------------------------------- intensities

/** Background gray levels: 2nd..99.8th percentile of the non-zero finite voxels mapped to 0..1. */
function backgroundRange(bg: ArrayLike<number>): [number, number] {
  const vals: number[] = [];
  const stride = Math.max(1, Math.floor(bg.length / 200000));
  for (let i = 0; i < bg.length; i += stride) {
    const v = bg[i]!;
    if (v !== 0 && Number.isFinite(v)) vals.push(v);
  }
  if (vals.length === 0) return [0, 1];
  vals.sort((a, b) => a - b);
  const q = (p: number) => vals[Math.min(vals.length - 1, Math.max(0, Math.round(p * (vals.length - 1))))]!;
  const lo = q(0.02);
  const hi = q(0.998);
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

// ---------------------------------------------------------------- drawing

function drawColorbar(canvas: Canvas, x: number, y: number, h: number, vmax: number, threshold: number): void {
  const w = 14;
  for (let py = 0; py < h; py++) {
    const v = vmax * (1 - (2 * (py + 0.5)) / h); // +vmax at the top
    const c = Math.abs(v) < threshold ? ([128, 128, 128] as RGB) : coldHot(0.5 + 0.5 * (v / vmax));
    canvas.fillRect(x, y + py, w, 1, c);
  }
  canvas.strokeRect(x - 1, y - 1, w + 2, h + 2, [180, 180, 180]);
  // Ends, the edges of the thresholded (gray) band or 0 when there is no visible band,
  // and the half-way values when they fall outside the band.
  const band = threshold > 0.02 * vmax && threshold < vmax;
  const ticks = [vmax, -vmax, ...(band ? [threshold, -threshold] : [0])];
  if (vmax / 2 > threshold * 1.15) ticks.push(vmax / 2, -vmax / 2);
  const placed: number[] = [];
  for (const t of ticks.sort((a, b) => b - a)) {
    const py = y + Math.round(((vmax - t) / (2 * vmax)) * (h - 1));
    if (placed.some((p) => Math.abs(p - py) < 9)) continue;
    placed.push(py);
    canvas.hline(x + w, x + w + 3, py, FG);
    canvas.text(x + w + 6, py - 3, formatNumber(t), FG);
  }
}

export function renderStatMap(
  stat: Float32Array,
  background: Float32Array | null,
  dims: number[],
  affine: number[][],
  opts: StatMapOptions = {},
): StatMapFigure {
  const n = dims[0]! * dims[1]! * dims[2]!;
  if (dims.length < 3 || stat.length < n) throw new Error(`stat map: ${stat.length} values for dims ${dims.join('x')}`);
  if (background && background.length < n) throw new Error(`stat map: background has ${background.length} values, expected ${n}`);
  const inv = invertAffine(affine);
  const peak = findPeak(stat.subarray(0, n), dims, affine);
  const threshold = Math.max(0, opts.threshold ?? 1e-6);
  const vmax = opts.vmax !== undefined && opts.vmax > 0 ? opts.vmax : peak ? Math.abs(peak.value) : 1;

  const box = worldBox(dims, affine);
  let cutMm: Vec3;
  if (Array.isArray(opts.cut)) cutMm = [opts.cut[0], opts.cut[1], opts.cut[2]];
  else if (peak) cutMm = [...peak.mm];
  else cutMm = [0, 1, 2].map((a) => (box.min[a]! + box.max[a]!) / 2) as Vec3;
  const cv = applyAffine(inv, cutMm);
  const cutVoxel: Vec3 = [Math.round(cv[0]), Math.round(cv[1]), Math.round(cv[2])];

  const extent = [0, 1, 2].map((a) => box.max[a]! - box.min[a]!);
  const scale = Math.max(0.5, Math.min(8, PANEL_PX / Math.max(...extent)));
  const views: Array<Pick<Panel, 'view' | 'hAxis' | 'vAxis' | 'fixedAxis'>> = [
    { view: 'sagittal', hAxis: 1, vAxis: 2, fixedAxis: 0 },
    { view: 'coronal', hAxis: 0, vAxis: 2, fixedAxis: 1 },
    { view: 'axial', hAxis: 0, vAxis: 1, fixedAxis: 2 },
  ];

  const margin = 10;
  const gap = 12;
  const titleH = opts.title ? 26 : 6;
  const labelH = 24;
  const sizes = views.map((v) => ({ w: Math.max(1, Math.round(extent[v.hAxis]! * scale)), h: Math.max(1, Math.round(extent[v.vAxis]! * scale)) }));
  const panelH = Math.max(...sizes.map((s) => s.h));
  const colorbarX = margin + sizes.reduce((s, p) => s + p.w, 0) + gap * 3;
  const width = colorbarX + 14 + 8 + Math.max(textWidth(formatNumber(-vmax)), textWidth(formatNumber(-threshold))) + margin;
  const footerH = 16;
  const height = titleH + panelH + labelH + footerH + margin;
  const canvas = new Canvas(width, height, BG);

  const [bgLo, bgHi] = background ? backgroundRange(background.subarray(0, n)) : [0, 1];
  const panels: Panel[] = [];
  let px0 = margin;
  views.forEach((v, idx) => {
    const { w, h } = sizes[idx]!;
    const y0 = titleH + (panelH - h); // bottom-aligned
    const panel: Panel = { ...v, x: px0, y: y0, w, h, hMin: box.min[v.hAxis]!, vMax: box.max[v.vAxis]!, scale };
    panels.push(panel);
    const world = [0, 0, 0];
    world[v.fixedAxis] = cutMm[v.fixedAxis]!;
    for (let py = 0; py < h; py++) {
      world[v.vAxis] = panel.vMax - (py + 0.5) / scale;
      for (let qx = 0; qx < w; qx++) {
        world[v.hAxis] = panel.hMin + (qx + 0.5) / scale;
        const idxVox = voxelAt(inv, dims, world);
        if (idxVox < 0) continue;
        let color: RGB = BG;
        if (background) {
          const b = background[idxVox]!;
          if (Number.isFinite(b) && b !== 0) {
            const g = Math.round(Math.min(1, Math.max(0, (b - bgLo) / (bgHi - bgLo))) * 255);
            color = [g, g, g];
          }
        } else {
          const s0 = stat[idxVox]!;
          if (Number.isFinite(s0) && s0 !== 0) color = [60, 60, 60]; // the map's own extent as a silhouette
        }
        const s = stat[idxVox]!;
        if (Number.isFinite(s) && s !== 0 && Math.abs(s) >= threshold) {
          color = coldHot(0.5 + 0.5 * Math.max(-1, Math.min(1, s / vmax)));
        }
        canvas.set(px0 + qx, y0 + py, color);
      }
    }
    // Cross-hair through the cut (the other two coordinates), drawn faintly.
    const cx = px0 + Math.floor((cutMm[v.hAxis]! - panel.hMin) * scale);
    const cy = y0 + Math.floor((panel.vMax - cutMm[v.vAxis]!) * scale);
    for (let py = y0; py < y0 + h; py++) canvas.blend(cx, py, CROSS, 0.55);
    for (let qx = px0; qx < px0 + w; qx++) canvas.blend(qx, cy, CROSS, 0.55);
    // Orientation letters and the cut coordinate, as nilearn prints them.
    if (v.hAxis === 0) {
      canvas.text(px0 + 3, y0 + 3, 'L', FG, { scale: 2 });
      canvas.text(px0 + w - 3, y0 + 3, 'R', FG, { scale: 2, align: 'right' });
    }
    const axisName = ['x', 'y', 'z'][v.fixedAxis]!;
    canvas.text(px0 + Math.round(w / 2), titleH + panelH + 6, `${axisName}=${Math.round(cutMm[v.fixedAxis]!)}`, FG, { scale: 2, align: 'center' });
    px0 += w + gap;
  });

  if (opts.title) canvas.text(margin, 8, opts.title, FG, { scale: 2 });
  drawColorbar(canvas, colorbarX, titleH, panelH, vmax, threshold);
  const peakText = peak
    ? `peak ${formatNumber(peak.value)} at (${peak.mm.map((c) => Math.round(c)).join(', ')}) mm`
    : 'empty map';
  const thrText = threshold > 1e-6 ? `   threshold ${formatNumber(threshold)}` : '';
  canvas.text(margin, titleH + panelH + labelH + 2, `cut (${cutMm.map((c) => Math.round(c)).join(', ')}) mm   ${peakText}${thrText}`, [200, 200, 200]);

  return { png: canvas.toPng(), width: canvas.width, height: canvas.height, cutMm, cutVoxel, peak, vmax, threshold, panels };
}

/** PNG of the three orthogonal slices (see the file comment). */
export function plotStatMap(
  stat: Float32Array,
  background: Float32Array | null,
  dims: number[],
  affine: number[][],
  opts: StatMapOptions = {},
): Buffer {
  return renderStatMap(stat, background, dims, affine, opts).png;
}
