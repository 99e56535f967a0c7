/**
 * Steps 1 and 4 of nilearn's run_glm: the OLS fit, and the refit of every voxel with the
 * ARModel of its AR group (`fitLabelled`), chunk by chunk in the WebAssembly kernels.
 */
import { kernels, packedLength, refitStatsJs, type RefitVectors } from '../wasm/kernels.js';
import type { TimeSeriesData } from './chunks.js';
import type { LinearModel } from './regression.js';
import { groupChunkByLabel, loadF64, stageRows } from './chunks.js';
import { writeResidualSeries, type ResidualOutputs } from './residuals.js';

export interface FitOutputs extends ResidualOutputs { theta: Float64Array; dispersion: Float64Array; rSquare: Float64Array }

/**
 * Fit every voxel with the model of its label, as nilearn's ARModel.fit (OLSModel.fit for
 * rho = []) and RegressionResults: whiten, θ = pinv(W)·wy, the whitened prediction W·θ, then
 * SSE = |wy - W·θ|² and r² = var(W·θ) / var(wy), and nilearn's residuals Y - W·θ (their
 * variance, and the series on request, residuals.ts).
 *
 * Voxels are taken in chunks of consecutive columns (contiguous in every time row: one
 * memcpy per row into the kernels' memory); within a chunk, the voxels of each label are
 * gathered and fitted together: one product of pinv(W) with their whitened data, one of W
 * with their θ, and one pass of the refitStats kernel over the data still in cache. Per-voxel
 * results do not depend on the chunking or on which voxels share a product.
 *
 * Against cancellation with raw BOLD (a mean far above the noise), each voxel's series is
 * shifted by its first value c before whitening: wy' = wy - c·w1 (w1 the whitened constant
 * series) and θ' = pinv(W)·wy'. By linearity, with b1 = pinv(W)·w1, h1 = W·b1 and
 * r1 = w1 - h1 (0 when the design has a constant column):
 *   θ = θ' + c·b1,   W·θ = W·θ' + c·h1,   wy - W·θ = (wy' - W·θ') + c·r1,
 * so the kernel sums only terms of the size of the noise (see refitStatsFunc).
 */
export function fitLabelled(
  y: TimeSeriesData, nVox: number, models: LinearModel[], labels: Int32Array, C: number, out: FitOutputs, skip?: boolean[],
): void {
  if (nVox === 0) return;
  const n = models[0].dfTotal;
  const p = models[0].whitenedDesign.cols;
  const nm = models.length;
  const K = kernels();
  const f32 = y instanceof Float32Array;
  const resid = Boolean(out.residualVariance);
  const series = Boolean(out.residuals || out.residualSeries);
  const withE = resid || series;
  const gatherY = !f32 && withE;
  const maxOrder = Math.max(1, ...models.map((m) => m.rho.length));
  const pk = packedLength(p, n);
  const pn = packedLength(n, p);
  const doubles = nm * (pk + pn + 4 * n + p + maxOrder + 8) + n * C + p * C + n * C + 5 * C + (gatherY ? n * C : 0);
  const ws = K.workspace(8 * doubles + (f32 ? 8 * (n * C + 8) + 4 * C : 0) + 16 * (8 * nm + 16));
  const k = (a: ArrayLike<number>) => {
    const v = ws.f64(Math.max(1, a.length));
    v.set(a);
    return v;
  };
  const packed = (a: Float64Array, rows: number, cols: number, len: number) => {
    const v = ws.f64(len);
    K.packA(a, rows, cols, v);
    return v;
  };
  const m = models.map((model) => {
    const t = refitVectors(model);
    return {
      pinv: packed(model.calcBeta.data, p, n, pk), design: packed(model.whitenedDesign.data, n, p, pn), rho: k(model.rho), b1: t.b1,
      vecs: { r1: k(t.r1), dh1: k(t.dh1), dw1: k(t.dw1), h1: k(t.h1) } as RefitVectors,
    };
  });
  const stage = f32 ? ws.f32(n * C + 8) : undefined;
  const raw = f32 && nm > 1 ? ws.f32(n * C + 8) : undefined;
  const order2 = f32 ? ws.i32(C) : new Int32Array(C);
  const wy = ws.f64(n * C);
  const prod = ws.f64(p * C);
  const pred = ws.f64(n * C);
  const shift = ws.f64(C);
  const stats = ws.f64(4 * C);
  // float64 data: the group's columns of y gathered for the residuals (float32 data: the stage)
  const ycols = gatherY ? ws.f64(n * C) : undefined;
  // chunk-local counting sort by label
  const count = new Int32Array(nm + 1);
  for (let v0 = 0; v0 < nVox; v0 += C) {
    const c = Math.min(C, nVox - v0);
    groupChunkByLabel(labels, v0, c, nm, count, order2);
    if (stage) {
      if (!raw) stageRows(y as Float32Array, nVox, n, v0, c, stage, C);
      else {
        stageRows(y as Float32Array, nVox, n, v0, c, raw, C);
        K.gatherCols(raw, stage, C, n, order2, c);
      }
    }
    for (let g = 0; g < nm; g++) {
      const a = count[g];
      const cnt = count[g + 1] - a;
      if (cnt === 0 || skip?.[g]) continue;
      const cs = (cnt + 3) & ~3;
      const idx = order2.subarray(a, a + cnt);
      const model = models[g];
      const mg = m[g];
      if (stage) K.whitenCols(stage, C, n, a, cnt, mg.rho, model.rho.length, shift, wy);
      else loadF64(y as Float64Array, nVox, n, v0, idx, cnt, model.rho, model.rho.length, shift, wy);
      K.gemmPacked(mg.pinv, p, n, wy, cs, prod); // θ' (p x cs)
      K.gemmPacked(mg.design, n, p, prod, cs, pred); // W·θ' (n x cs)
      if (ycols) for (let t = 0; t < n; t++) for (let i = 0; i < cnt; i++) ycols[t * cs + i] = y[t * nVox + v0 + idx[i]];
      // with the residuals, the kernel leaves them in pred
      if (stage) K.refitStats(stage, C, a, n, wy, pred, cs, mg.vecs, shift, stats, withE);
      else refitStatsJs(ycols ?? wy, cs, 0, n, wy, pred, cs, mg.vecs, shift, stats, withE);
      writeVoxelResults(model, mg.b1, prod, stats, cs, cnt, shift, idx, v0, nVox, out);
      if (series) writeResidualSeries(pred, cs, cnt, n, idx, v0, nVox, out);
    }
  }
}

/** θ = θ' + c·b1, SSE / den, r² and the residual variance of the cnt voxels of one label in a chunk. */
function writeVoxelResults(
  model: LinearModel, b1: Float64Array, prod: Float64Array, stats: Float64Array, cs: number, cnt: number, shift: Float64Array,
  idx: Int32Array, v0: number, nVox: number, out: FitOutputs,
): void {
  const p = model.whitenedDesign.cols;
  const den = model.dispersionDenominator;
  const { theta, dispersion, rSquare, residualVariance: rv } = out;
  // row by row: the chunk's span of each row of theta stays in cache
  for (let j = 0; j < p; j++) {
    const row = j * nVox + v0;
    const bj = b1[j];
    for (let i = 0, o = j * cs; i < cnt; i++, o++) theta[row + idx[i]] = prod[o] + shift[i] * bj;
  }
  for (let i = 0; i < cnt; i++) {
    const v = v0 + idx[i];
    dispersion[v] = stats[i] / den;
    // the 1/n factors of both variances cancel; 0/0 gives NaN as numpy does
    rSquare[v] = stats[cs + i] / stats[2 * cs + i];
  }
  if (rv) for (let i = 0, o = 3 * cs; i < cnt; i++, o++) rv[v0 + idx[i]] = stats[o];
}

/**
 * The per-model vectors of the shift (see fitLabelled): w1 the whitened constant series (as
 * ARModel.whiten transforms a column of ones), b1 = pinv(W)·w1, h1 = W·b1, r1 = w1 - h1, and
 * dh1 / dw1 = h1 / w1 minus their first value.
 */
export function refitVectors(model: LinearModel): RefitVectors & { b1: Float64Array } {
  const w = model.whitenedDesign;
  const n = w.rows;
  const p = w.cols;
  const w1 = new Float64Array(n).fill(1);
  for (let t = n - 1; t >= 1; t--) for (let k = 1; k <= Math.min(model.rho.length, t); k++) w1[t] -= model.rho[k - 1];
  const b1 = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let acc = 0;
    for (let t = 0; t < n; t++) acc += model.calcBeta.data[j * n + t] * w1[t];
    b1[j] = acc;
  }
  const h1 = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let acc = 0;
    for (let j = 0; j < p; j++) acc += w.data[t * p + j] * b1[j];
    h1[t] = acc;
  }
  const r1 = new Float64Array(n);
  const dh1 = new Float64Array(n);
  const dw1 = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    r1[t] = w1[t] - h1[t];
    dh1[t] = h1[t] - h1[0];
    dw1[t] = w1[t] - w1[0];
  }
  return { r1, dh1, dw1, h1, b1 };
}
