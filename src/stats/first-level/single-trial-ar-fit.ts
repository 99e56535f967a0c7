/**
 * The LSS closed form (single-trial.ts) of every trial at its own AR(1) bin, from one product
 * of the data per voxel instead of one per (bin, voxel) pair.
 *
 * Why: with per-trial bins (single-trial-ar.ts) a voxel falls in ~4 bins across the trials
 * of a condition, and whitening and projecting its data once per bin (n·(nc + r + T)
 * products per pair, the route lssFast takes for one group per voxel) cost ~4x the OLS fit.
 * But with nilearn's AR(1) whitening W ((Wy)_0 = y_0, (Wy)_t = y_t - ρ·y_{t-1}, ARModel.whiten)
 * every inner product of whitened vectors is a fixed combination of unwhitened ones:
 *   (Wa)ᵀ(Wb) = (1 + ρ²)·aᵀb - ρ·aᵀ(L + Lᵀ)b - ρ²·a_{n-1}·b_{n-1}      ((L b)_t = b_{t+1})
 * so one product [Zᵀ; ((L + Lᵀ)Z)ᵀ]·y per voxel (Z = [X, trial regressors], 2(p + T) rows)
 * and its lag sums Σy², Σ y_t·y_{t+1} give, for any ρ, d = (WZ)ᵀWy and |Wy|². With the bin's
 * model of WX (pinv P⁺ = pinv(WX), normCov N = P⁺P⁺ᵀ, range basis B) the closed form's rows are
 *   P⁺[c]·Wy = N[c]·d_X,   B·Wy = (B·P⁺ᵀ)·d_X  (B·P⁺ᵀ·(WX)ᵀ = B·H = B),
 *   u_kᵀWy = d_k - (B·Wa_k)ᵀ(B·Wy)            (u_k = (I - BᵀB)·Wa_k),
 *   SSE_X = |Wy|² - |B·Wy|²
 * i.e. r·p operations per (bin, voxel) pair and r per trial, at the trial's own bin only.
 * The data are shifted by each voxel's first value first (as the whitened route does: the
 * constant lies in span(X), so no estimate changes) to keep the cancellations small.
 */
import type { Mat } from '../core/matrix.js';
import { kernels } from '../wasm/kernels.js';
import type { TimeSeriesData } from './glm.js';
import { loadF64, stageRows } from './chunks.js';

/** What the closed form needs of one AR(1) bin (see single-trial.ts for beta … zOf). */
export interface Ar1Bin {
  rho: number;
  /** r x p: B·pinv(WX)ᵀ. */
  m: Float64Array;
  r: number;
  /** nc x p: the normCov rows of the condition columns. */
  nCov: Float64Array;
  /** T x r: B·W·a_k. */
  proj: Float64Array;
  beta: Float64Array; invS: Float64Array; vconst: Float64Array; den: Float64Array; zOf: ((t: number) => number)[];
}

const TINY = 1e-50; // nilearn's DEF_TINY floor of the variance

/**
 * Effect and z of every trial at its own bin (labels: T x nVox bin indices). y: n x nVox,
 * time-major; x: n x p; a: the trial regressors (n x T); condRow[k]: the row of
 * trial k's condition in nCov.
 */
export function ar1BinFits(
  y: TimeSeriesData, x: Mat, a: Mat, bins: Ar1Bin[], labels: Int32Array, condRow: Int32Array, nc: number,
  effect: Float32Array, z: Float32Array, chunkSize = 2048,
): void {
  const n = x.rows;
  const p = x.cols;
  const T = a.cols;
  const nVox = y.length / n;
  const P = p + T;
  const K = kernels();
  const C = (Math.max(4, Math.min(chunkSize, nVox)) + 3) & ~3;
  const nb = bins.length;
  // per bin, the rows applied to d_X: [B·P⁺ᵀ (r); N[c] (nc); ν_k = (B·P⁺ᵀ)ᵀ·(B·Wa_k) (T)], so
  // that u_kᵀWy = d_k - ν_k·d_X
  const rows = bins.map((b) => b.r + nc + T);
  const maxRows = Math.max(...rows);
  const ws = K.workspace(8 * (2 * P * n + n * C + 2 * P * C + p * C + maxRows * C + rows.reduce((s, r) => s + r * p, 0) + 6 * C + 8) + 4 * (n * C + 8) + 16 * (nb + 16));
  const ops = bins.map((b, g) => {
    const op = ws.f64(rows[g] * p);
    op.set(b.m.subarray(0, b.r * p));
    op.set(b.nCov.subarray(0, nc * p), b.r * p);
    for (let k = 0; k < T; k++) {
      const o = (b.r + nc + k) * p;
      for (let l = 0; l < b.r; l++) {
        const w = b.proj[k * b.r + l];
        for (let j = 0; j < p; j++) op[o + j] += w * b.m[l * p + j];
      }
    }
    return op;
  });
  // rows j < P: column j of Z; rows P + j: (L + Lᵀ)·Z_j
  const stack = ws.f64(2 * P * n);
  const zCol = (j: number, t: number) => (j < p ? x.data[t * p + j] : a.data[t * T + j - p]);
  for (let j = 0; j < P; j++) {
    for (let t = 0; t < n; t++) {
      stack[j * n + t] = zCol(j, t);
      stack[(P + j) * n + t] = (t + 1 < n ? zCol(j, t + 1) : 0) + (t > 0 ? zCol(j, t - 1) : 0);
    }
  }
  const last = Float64Array.from({ length: P }, (_, j) => zCol(j, n - 1));
  const f32 = y instanceof Float32Array;
  const stage = f32 ? ws.f32(n * C + 8) : undefined;
  const all = Int32Array.from({ length: C }, (_, i) => i);
  const wy = ws.f64(n * C);
  const prod = ws.f64(2 * P * C);
  const dx = ws.f64(p * C);
  const out = ws.f64(maxRows * C);
  const shift = ws.f64(C);
  const sum = ws.f64(C);
  const lag = ws.f64(2 * C);
  const head = ws.f64(2 * C);
  const tail = ws.f64(2 * C);
  const noRho = ws.f64(1);
  const start = new Int32Array(nb + 1);
  const fill = new Int32Array(nb);
  const seen = new Int32Array(nb);
  const pairs = new Int32Array(Math.min(nb, T) * C);
  for (let v0 = 0; v0 < nVox; v0 += C) {
    const c = Math.min(C, nVox - v0);
    const cs = (c + 3) & ~3;
    if (stage) {
      stageRows(y as Float32Array, nVox, n, v0, c, stage, C);
      K.whitenCols(stage, C, n, 0, c, noRho, 0, shift, wy);
    } else loadF64(y as Float64Array, nVox, n, v0, all, c, noRho, 0, shift, wy);
    K.gemm(stack, 2 * P, n, wy, cs, prod);
    K.lagStats(wy, n, cs, 1, sum, lag, head, tail);
    binPairs(labels, T, nVox, v0, c, nb, start, fill, seen, pairs);
    for (let g = 0; g < nb; g++) {
      const a0 = start[g];
      const cnt = start[g + 1] - a0;
      if (cnt === 0) continue;
      const gs = (cnt + 3) & ~3;
      const bin = bins[g];
      const { rho, r, beta, invS, vconst, den, zOf } = bin;
      const a1 = 1 + rho * rho;
      const rr = rho * rho;
      // d_X of the bin's voxels (p x gs, zero past cnt)
      for (let j = 0; j < p; j++) {
        const row = j * gs;
        for (let q = 0; q < cnt; q++) {
          const i = pairs[a0 + q];
          dx[row + q] = a1 * prod[j * cs + i] - rho * prod[(P + j) * cs + i] - rr * last[j] * wy[(n - 1) * cs + i];
        }
        for (let q = cnt; q < gs; q++) dx[row + q] = 0;
      }
      K.gemm(ops[g], rows[g], p, dx, gs, out);
      for (let q = 0; q < cnt; q++) {
        const i = pairs[a0 + q];
        const yl = wy[(n - 1) * cs + i];
        let zz = 0;
        for (let l = 0, o = q; l < r; l++, o += gs) zz += out[o] * out[o];
        const sse = a1 * lag[i] - 2 * rho * lag[cs + i] - rr * yl * yl - zz;
        for (let k = 0; k < T; k++) {
          const o = k * nVox + v0 + i;
          if (labels[o] !== g) continue;
          const vc = vconst[k];
          if (vc === Infinity) {
            effect[o] = 0;
            z[o] = 0;
            continue;
          }
          const is = invS[k];
          const qk = is > 0 ? a1 * prod[(p + k) * cs + i] - rho * prod[(P + p + k) * cs + i] - rr * last[p + k] * yl - out[(r + nc + k) * gs + q] : 0;
          const b = out[(r + condRow[k]) * gs + q] + beta[k] * qk * is;
          const e = (sse - qk * qk * is) / den[k];
          effect[o] = b;
          z[o] = zOf[k](b / Math.sqrt(Math.max(e * vc, TINY)));
        }
      }
    }
  }
}

/**
 * The (bin, voxel) pairs of chunk [v0, v0 + c) sorted by bin (a counting sort): bin g's chunk
 * indices are pairs[start[g] .. start[g + 1]), in voxel order, one per voxel whose row
 * (trial) of labels (nRows x nVox) is g at least once.
 */
function binPairs(labels: Int32Array, nRows: number, nVox: number, v0: number, c: number, nb: number, start: Int32Array, fill: Int32Array, seen: Int32Array, pairs: Int32Array): void {
  start.fill(0);
  seen.fill(-1);
  for (let i = 0; i < c; i++) {
    for (let k = 0; k < nRows; k++) {
      const g = labels[k * nVox + v0 + i];
      if (seen[g] === i) continue;
      seen[g] = i;
      start[g + 1]++;
    }
  }
  for (let g = 0; g < nb; g++) start[g + 1] += start[g];
  fill.set(start.subarray(0, nb));
  seen.fill(-1);
  for (let i = 0; i < c; i++) {
    for (let k = 0; k < nRows; k++) {
      const g = labels[k * nVox + v0 + i];
      if (seen[g] === i) continue;
      seen[g] = i;
      pairs[fill[g]++] = i;
    }
  }
}
