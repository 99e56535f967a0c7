/**
 * Steps 1 and 4 of nilearn's run_glm: the OLS fit, and the refit of every voxel with the
 * ARModel of its AR group (`fitLabelled`), chunk by chunk in the WebAssembly kernels.
 */
import type { Mat } from '../core/matrix.js';
import { kernels } from '../wasm/kernels.js';
import type { TimeSeriesData } from './glm.js';
import type { LinearModel } from './regression.js';
import { groupChunkByLabel, loadF64, stageRows } from './chunks.js';
import { refitTerms, type RefitTerms } from './refit-terms.js';
import { residualVariance, writeResidualSeries, type ResidualOutputs } from './residuals.js';

export interface FitOutputs extends ResidualOutputs { theta: Float64Array; dispersion: Float64Array; rSquare: Float64Array }

/**
 * Fit every voxel with the model of its label, as nilearn's ARModel.fit (OLSModel.fit for
 * rho = []): whiten, θ = pinv(W)·wy, SSE and r² = var(Wθ) / var(wy) through `refitTerms`.
 * Voxels are taken in chunks of consecutive columns (contiguous in every time row: one
 * memcpy per row into the kernels' memory); within a chunk, the voxels of each label are
 * gathered and fitted together by one product of [pinv(W); B] with their data. Per-voxel
 * results do not depend on the chunking or on which voxels share a product.
 * With any residual output requested (`residuals.ts`), nilearn's residuals Y - W·θ of the
 * group's voxels are formed right there, from the chunk's data still in cache and one small
 * product of W with their θ: no second pass over Y.
 */
export function fitLabelled(
  y: TimeSeriesData, nVox: number, models: (LinearModel & { basis?: Mat })[], labels: Int32Array, C: number, out: FitOutputs,
): void {
  if (nVox === 0) return;
  const n = models[0].dfTotal;
  const p = models[0].whitenedDesign.cols;
  const nm = models.length;
  const terms = models.map(refitTerms);
  const K = kernels();
  const f32 = y instanceof Float32Array;
  const withResiduals = Boolean(out.residuals || out.residualVariance || out.residualSeries);
  const maxOrder = Math.max(1, ...models.map((m) => m.rho.length));
  const doubles = nm * (2 * p * n + 2 * n + maxOrder + 4) + n * C + 2 * p * C + 5 * C + (withResiduals ? nm * n * p + n * C + (f32 ? 0 : n * C) + 2 * C : 0);
  const ws = K.workspace(8 * doubles + (f32 ? 8 * (n * C + 8) + 4 * C : 0) + 16 * (6 * nm + 16));
  const m = models.map((model, g) => {
    const k = (a: ArrayLike<number>) => {
      const v = ws.f64(Math.max(1, a.length));
      v.set(a);
      return v;
    };
    const stack = ws.f64((p + terms[g].rank) * n);
    stack.set(model.calcBeta.data);
    stack.set(model.basis!.data, p * n);
    return {
      stack, rows: p + terms[g].rank, r1: k(terms[g].r1), w1: k(terms[g].w1), rho: k(model.rho),
      design: withResiduals ? k(model.whitenedDesign.data) : undefined,
    };
  });
  const stage = f32 ? ws.f32(n * C + 8) : undefined;
  const raw = f32 && nm > 1 ? ws.f32(n * C + 8) : undefined;
  const order2 = f32 ? ws.i32(C) : new Int32Array(C);
  const wy = ws.f64(n * C);
  const prod = ws.f64(2 * p * C);
  const shift = ws.f64(C);
  const [ss, sr, sy, sy2] = [0, 1, 2, 3].map(() => ws.f64(C));
  const pred = withResiduals ? ws.f64(n * C) : undefined;
  // float64 data: the group's columns of y gathered for the residuals (float32 data: the stage)
  const ycols = withResiduals && !f32 ? ws.f64(n * C) : undefined;
  const rvar = withResiduals ? ws.f64(C) : undefined;
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
      if (cnt === 0) continue;
      const cs = (cnt + 3) & ~3;
      const idx = order2.subarray(a, a + cnt);
      const model = models[g];
      const mg = m[g];
      if (stage) K.whitenCols(stage, C, n, a, cnt, mg.rho, model.rho.length, shift, wy);
      else loadF64(y as Float64Array, nVox, n, v0, idx, cnt, model.rho, model.rho.length, shift, wy);
      K.gemm(mg.stack, mg.rows, n, wy, cs, prod); // θ' (rows 0..p-1) and z' = B·wy' (rows p..)
      K.colStats(wy, n, cs, mg.r1, mg.w1, shift, ss, sr, sy, sy2);
      writeVoxelResults(model, terms[g], prod, cs, cnt, shift, ss, sr, sy, sy2, idx, v0, nVox, out);
      if (pred && mg.design) {
        K.gemm(mg.design, n, p, prod, cs, pred); // the whitened prediction W·θ (prod rows 0..p-1 hold θ now)
        if (!stage) for (let t = 0; t < n; t++) for (let i = 0; i < cnt; i++) ycols![t * cs + i] = y[t * nVox + v0 + idx[i]];
        if (out.residualVariance) {
          if (stage) K.residVar(stage, C, a, n, pred, cs, rvar!);
          else residualVariance(ycols!, cs, 0, pred, cs, n, rvar!);
          for (let i = 0; i < cnt; i++) out.residualVariance[v0 + idx[i]] = rvar![i];
        }
        if (out.residuals || out.residualSeries) {
          if (stage) writeResidualSeries(stage, C, a, pred, cs, cnt, n, idx, v0, nVox, out);
          else writeResidualSeries(ycols!, cs, 0, pred, cs, cnt, n, idx, v0, nVox, out);
        }
      }
    }
  }
}

/** θ = θ' + c·b1, SSE / den and r² of the cnt voxels of one label in a chunk, at their own index. */
export function writeVoxelResults(
  model: LinearModel, tg: RefitTerms, prod: Float64Array, cs: number, cnt: number, shift: Float64Array,
  ss: Float64Array, sr: Float64Array, sy: Float64Array, sy2: Float64Array,
  idx: Int32Array, v0: number, nVox: number, out: FitOutputs,
): void {
  const n = model.dfTotal;
  const p = model.whitenedDesign.cols;
  const den = model.dispersionDenominator;
  const { colSum, b1, r1sq, z1, z1sq, sb1, rank } = tg;
  for (let i = 0; i < cnt; i++) {
    const v = v0 + idx[i];
    const ci = shift[i];
    let st = 0;
    for (let j = 0, o = i; j < p; j++, o += cs) {
      const tj = prod[o];
      st += colSum[j] * tj;
      prod[o] = tj + ci * b1[j];
      out.theta[j * nVox + v] = prod[o];
    }
    let zz = 0;
    let zz1 = 0;
    for (let l = 0, o = p * cs + i; l < rank; l++, o += cs) {
      const z = prod[o];
      zz += z * z;
      zz1 += z * z1[l];
    }
    out.dispersion[v] = (ss[i] - zz + 2 * ci * sr[i] + ci * ci * r1sq) / den;
    const nvar = zz - (st * st) / n + 2 * ci * (zz1 - (st * sb1) / n) + ci * ci * (z1sq - (sb1 * sb1) / n);
    // the 1/n factors of both variances cancel; 0/0 gives NaN as numpy does
    out.rSquare[v] = nvar / (sy2[i] - (sy[i] * sy[i]) / n);
  }
}
