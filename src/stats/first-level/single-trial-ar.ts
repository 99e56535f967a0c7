/**
 * The AR(1) bins of every LSS trial model, exactly as nilearn's per-trial refit computes them
 * (run_glm: OLS fit of the trial model, `_yule_walker(residuals, 1)`, truncation to 1/bins),
 * without fitting the trial models.
 *
 * Trial model k spans span(X) + a_k (see single-trial.ts), so with P the projection on
 * span(X) (P = BᵀB, B an orthonormal basis of X's range), e = (I - P)·y the condition model's
 * OLS residual, u_k = (I - P)·a_k, s_k = |u_k|² and q_k = u_kᵀy, its residual is
 *   r_k = e - (q_k / s_k)·u_k
 * and the two Yule-Walker sums follow from per-voxel sums of e and two products per trial:
 *   Σ r_k² = Σ e² - q_k² / s_k
 *   Σ_t r_k[t]·r_k[t+1] = Σ_t e[t]·e[t+1] - d·w_k + d²·m_k,   d = q_k / s_k,
 *     w_k = v_kᵀy with v_k = (I - P)·(L + Lᵀ)·u_k ((L u)[t] = u[t+1]), m_k = Σ_t u_k[t]·u_k[t+1].
 * All q_k and w_k of a chunk of voxels come from one product [B; U; V]·Y. nilearn centres the
 * residuals by their mean over all voxels and scans first; X has a constant column here
 * (lssFast's condition), so every voxel's residual has mean zero and the centring is void.
 * With n scans: rho = (Σ r[t]·r[t+1] / (n - 1)) / (Σ r² / n), bin = trunc(rho·bins) / bins;
 * a voxel without residual variance gets rho = 0 (ar-estimate.ts does the same).
 */
import type { Mat } from '../core/matrix.js';
import { kernels } from '../wasm/kernels.js';
import type { TimeSeriesData } from './glm.js';
import { loadF64, stageRows } from './chunks.js';
import { designRank, linearModelWithBasis } from './regression.js';
import { pyFloatStr } from './ar-groups.js';

export interface TrialAr1Groups {
  /** nTrials x nVoxels: the AR group (index into rho) of each trial model at each voxel. */
  labels: Int32Array;
  /** The AR(1) coefficient of each group, ascending. */
  rho: Float64Array[];
  /** nilearn's label of each group (str of the binned coefficient). */
  keys: string[];
}

/**
 * The per-trial AR(1) groups of LSS (see the module comment). y: n x nVox time-major, x: the
 * condition model with a constant column; `alone` trials (and those whose regressor lies in
 * span(X)) get the condition model's own bin.
 */
export function lssAr1Groups(y: TimeSeriesData, x: Mat, trials: { regressor: Float64Array; alone: boolean }[], bins: number, chunkSize = 2048): TrialAr1Groups {
  const n = x.rows;
  const nVox = y.length / n;
  const T = trials.length;
  const ols = linearModelWithBasis(x, [], designRank(x));
  const basis = ols.basis!;
  const r = basis.rows;
  const rows = r + 2 * T;
  const K = kernels();
  const f32 = y instanceof Float32Array;
  const C = (Math.max(4, Math.min(chunkSize, nVox)) + 3) & ~3;
  const ws = K.workspace(8 * (rows * n + n * r + 2 * n * C + rows * C + 8 * C + 8) + (f32 ? 4 * (n * C + 8) : 0) + 16 * 16);
  const stack = ws.f64(rows * n);
  stack.set(basis.data, 0);
  const bt = ws.f64(n * r);
  for (let l = 0; l < r; l++) for (let t = 0; t < n; t++) bt[t * r + l] = basis.data[l * n + t];
  const project = (v: Float64Array, out: Float64Array) => {
    // out = (I - BᵀB)·v
    out.set(v);
    for (let l = 0; l < r; l++) {
      let c = 0;
      for (let t = 0; t < n; t++) c += basis.data[l * n + t] * v[t];
      for (let t = 0; t < n; t++) out[t] -= c * basis.data[l * n + t];
    }
  };
  const invS = new Float64Array(T);
  const lagU = new Float64Array(T);
  const u = new Float64Array(n);
  const su = new Float64Array(n);
  const vk = new Float64Array(n);
  trials.forEach((tr, k) => {
    project(tr.regressor, u);
    let s = 0;
    let norm = 0;
    for (let t = 0; t < n; t++) {
      s += u[t] * u[t];
      norm += tr.regressor[t] * tr.regressor[t];
    }
    // as lssFast: a trial without a part outside span(X) has the condition model itself
    if (tr.alone || !(norm > 0) || s <= 1e-10 * norm) return;
    invS[k] = 1 / s;
    for (let t = 0; t < n; t++) {
      su[t] = (t + 1 < n ? u[t + 1] : 0) + (t > 0 ? u[t - 1] : 0);
      if (t + 1 < n) lagU[k] += u[t] * u[t + 1];
    }
    project(su, vk);
    stack.set(u, (r + k) * n);
    stack.set(vk, (r + T + k) * n);
  });

  const kv = new Int32Array(T * nVox);
  const noRho = ws.f64(1);
  const stage = f32 ? ws.f32(n * C + 8) : undefined;
  const idx = new Int32Array(C);
  for (let i = 0; i < C; i++) idx[i] = i;
  const wy = ws.f64(n * C);
  const prod = ws.f64(rows * C);
  const fit = ws.f64(n * C);
  const shift = ws.f64(C);
  const sum = ws.f64(C);
  const lag = ws.f64(2 * C);
  const head = ws.f64(2 * C);
  const tail = ws.f64(2 * C);
  const scale = n / (n - 1);
  let lo = Infinity;
  let hi = -Infinity;
  for (let v0 = 0; v0 < nVox; v0 += C) {
    const c = Math.min(C, nVox - v0);
    const cs = (c + 3) & ~3;
    if (stage) {
      stageRows(y as Float32Array, nVox, n, v0, c, stage, C);
      K.whitenCols(stage, C, n, 0, c, noRho, 0, shift, wy);
    } else loadF64(y as Float64Array, nVox, n, v0, idx, c, noRho, 0, shift, wy);
    // the shift by each voxel's first value lies in span(X) (constant column): e, q, w unchanged
    K.gemm(stack, rows, n, wy, cs, prod);
    K.gemm(bt, n, r, prod, cs, fit);
    for (let o = 0; o < n * cs; o++) wy[o] -= fit[o];
    K.lagStats(wy, n, cs, 1, sum, lag, head, tail);
    for (let k = 0; k < T; k++) {
      const is = invS[k];
      const qRow = (r + k) * cs;
      const wRow = (r + T + k) * cs;
      const out = k * nVox + v0;
      for (let i = 0; i < c; i++) {
        let s0 = lag[i];
        let s1 = lag[cs + i];
        if (is > 0) {
          const q = prod[qRow + i];
          const d = q * is;
          s1 = s1 - d * prod[wRow + i] + d * d * lagU[k];
          s0 = s0 - q * d;
        }
        const rho = s0 > 0 ? (scale * s1) / s0 : 0;
        const b = rho * bins;
        // astype(int) truncates; "+ 0" turns -0 into 0
        const kb = Number.isFinite(b) ? Math.trunc(b) + 0 : 0;
        kv[out + i] = kb;
        if (kb < lo) lo = kb;
        if (kb > hi) hi = kb;
      }
    }
  }
  if (!(lo <= hi)) return { labels: kv, rho: [new Float64Array(1)], keys: ['0.0'] };
  const present = new Uint8Array(hi - lo + 1);
  for (let i = 0; i < kv.length; i++) present[kv[i] - lo] = 1;
  const index = new Int32Array(hi - lo + 1);
  const rho: Float64Array[] = [];
  const keys: string[] = [];
  for (let b = 0; b < present.length; b++) {
    if (!present[b]) continue;
    index[b] = rho.length;
    rho.push(Float64Array.of((b + lo) / bins));
    keys.push(pyFloatStr((b + lo) / bins));
  }
  for (let i = 0; i < kv.length; i++) kv[i] = index[kv[i] - lo];
  return { labels: kv, rho, keys };
}
