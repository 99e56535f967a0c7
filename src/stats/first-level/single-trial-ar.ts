/**
 * The AR(1) bins of every LSS trial model, exactly as nilearn's per-trial refit computes them
 * (run_glm: OLS fit of the trial model, `_yule_walker(residuals, 1)`, truncation to 1/bins),
 * without fitting the trial models, in one pass over the data that also yields the products
 * the trial fits need (single-trial-ar-fit.ts).
 *
 * Trial model k spans span(X) + a_k (see single-trial.ts), so with B an orthonormal basis of
 * X's range (P = BᵀB), e = (I - P)·y the condition model's OLS residual, u_k = (I - P)·a_k,
 * s_k = |u_k|² and q_k = u_kᵀy, its residual is
 *   r_k = e - (q_k / s_k)·u_k
 * and the two Yule-Walker sums follow from the condition model's and two products per trial:
 *   Σ r_k² = Σ e² - q_k² / s_k
 *   Σ_t r_k[t]·r_k[t+1] = Σ_t e[t]·e[t+1] - d·w_k + d²·m_k,   d = q_k / s_k,
 *     w_k = u_kᵀ(L + Lᵀ)e ((L u)[t] = u[t+1]), m_k = Σ_t u_k[t]·u_k[t+1].
 * With K columns per trial (derivative HRFs, FIR) u_k becomes U_k = (I - P)·A_k (n x K),
 * r_k = e - U_k·d with d = S⁻¹q (S = U_kᵀU_k, q = U_kᵀy), and
 *   Σ r_k² = Σ e² - qᵀd,   Σ_t r_k[t]·r_k[t+1] = Σ_t e[t]·e[t+1] - dᵀw + dᵀ(Λ/2)d,
 *     w = U_kᵀ(L + Lᵀ)e, Λ = U_kᵀ(L + Lᵀ)U_k
 * (the products below are per trial column; K = 1 keeps the scalar arithmetic above).
 * Everything here is linear in the per-voxel products z0 = Zᵀy and z1 = Zᵀ(L + Lᵀ)y (Z = [X, A],
 * A the trial regressors), which one matrix product [Zᵀ; ((L + Lᵀ)Z)ᵀ]·Y gives per chunk of
 * voxels: with M = B·pinv(X)ᵀ (B = M·Xᵀ), h = B·y = M·z0_X, f = B(L + Lᵀ)y = M·z1_X,
 * Q = B(L + Lᵀ)Bᵀ, π_k = B·a_k and c_k = B(L + Lᵀ)a_k:
 *   Σ e² = Σ y² - |h|²,  Σ e[t]·e[t+1] = Σ y[t]·y[t+1] - hᵀf + hᵀQh / 2,
 *   q_k = z0_k - π_kᵀ·h,  w_k = z1_k - (c_k - Qπ_k)ᵀ·h - π_kᵀ·f
 * (the p-space rows of h, f, q, w: one small product per chunk). nilearn centres the residuals
 * by their mean over all voxels and scans first; X has a constant column here (lssFast's
 * condition), so every voxel's residual has mean zero and the centring is void; for the same
 * reason each voxel is shifted by its first value before the products (no residual changes,
 * smaller cancellations). With n scans: rho = (Σ r[t]·r[t+1] / (n - 1)) / (Σ r² / n),
 * bin = trunc(rho·bins) / bins; a voxel without residual variance gets rho = 0 (ar-estimate.ts
 * does the same), and rho is kept within its bound n / (n - 1).
 */
import type { Mat } from '../core/matrix.js';
import type { Workspace } from '../wasm/kernels.js';
import { kernels } from '../wasm/kernels.js';
import type { TimeSeriesData } from './glm.js';
import { loadF64, stageRows } from './chunks.js';
import { designRank, linearModelWithBasis } from './regression.js';
import { pyFloatStr } from './ar-groups.js';
import { cholInverse, gramCholesky, quadratic } from './single-trial-terms.js';

export interface TrialAr1Groups {
  /** nTrials x nVoxels: the AR group (index into rho) of each trial model at each voxel. */
  labels: Int32Array;
  /** The AR(1) coefficient of each group, ascending. */
  rho: Float64Array[];
  /** nilearn's label of each group (str of the binned coefficient). */
  keys: string[];
}

/** One chunk of voxels [v0, v0 + c) of the pass (views valid during the visit only). */
export interface Ar1Chunk {
  v0: number;
  c: number;
  /** c rounded up to 4: the row stride of lag. */
  cs: number;
  /**
   * Voxel-major products, c x 2(p + T): at [i·2(p + T) + j], j < p + T: Z_jᵀy, and
   * p + T + j: Z_jᵀ(L + Lᵀ)y (y shifted by its first value).
   */
  prod: Float64Array;
  /** Σ y² at [i], Σ y[t]·y[t+1] at [cs + i]. */
  lag: Float64Array;
  /** The last scan of the shifted data. */
  yl: Float64Array;
  /** c x T: trunc(rho·bins) of trial model k at voxel i, at [i·T + k]. */
  kb: Int32Array;
}

/** Workspace bytes lssAr1Pass takes. */
export function ar1PassBytes(n: number, p: number, T: number, C: number): number {
  const P = p + T;
  const nr = 3 * p + 2 * T;
  return 8 * (2 * P * n + n * C + 4 * P * C + 2 * p * C + nr * 2 * p + 2 * nr * C + 9 * C + 8) + 4 * (n * C + 8 + T * C) + 16 * 20;
}

/**
 * The pass (see the module comment): per chunk, the products and every trial model's bin at
 * every voxel, handed to `visit`. y: n x nVox time-major, x: the condition model with a
 * constant column, a: the trial regressors (n x T); `alone` trials (and those whose regressor
 * lies in span(X)) get the condition model's own bin. ws: a workspace of at least
 * ar1PassBytes (plus what the caller takes of it).
 */
export function lssAr1Pass(
  ws: Workspace, y: TimeSeriesData, x: Mat, a: Mat, K: number, alone: boolean[], bins: number, C: number, visit: (chunk: Ar1Chunk) => void,
): void {
  const n = x.rows;
  const p = x.cols;
  const Tc = a.cols;
  const P = p + Tc;
  const nVox = y.length / n;
  const Kn = kernels();
  const ols = linearModelWithBasis(x, [], designRank(x));
  const basis = ols.basis!.data;
  const r = ols.basis!.rows;
  const lagOp = (v: ArrayLike<number>, out: Float64Array) => {
    for (let t = 0; t < n; t++) out[t] = (t + 1 < n ? v[t + 1] : 0) + (t > 0 ? v[t - 1] : 0);
  };
  const dot = (u: ArrayLike<number>, uo: number, v: ArrayLike<number>, vo: number) => {
    let s = 0;
    for (let t = 0; t < n; t++) s += u[uo + t] * v[vo + t];
    return s;
  };
  // M = B·pinv(X)ᵀ (r x p), Q = B(L + Lᵀ)Bᵀ (r x r)
  const M = new Float64Array(r * p);
  for (let l = 0; l < r; l++) for (let j = 0; j < p; j++) M[l * p + j] = dot(basis, l * n, ols.calcBeta.data, j * n);
  const Q = new Float64Array(r * r);
  const lb = new Float64Array(n);
  for (let l = 0; l < r; l++) {
    lagOp(basis.subarray(l * n, (l + 1) * n), lb);
    for (let m = 0; m < r; m++) Q[l * r + m] = dot(lb, 0, basis, m * n);
  }
  // per trial column j: π_j, c_j - Qπ_j, u_j; per trial: S⁻¹ (K x K; 0: the condition
  // model's bin) and Λ/2 = ½·U_kᵀ(L + Lᵀ)U_k (K = 1: Σ_t u[t]·u[t+1])
  const T = Tc / K;
  const valid = new Uint8Array(T);
  const sInv = new Float64Array(T * K * K);
  const lagU = new Float64Array(T * K * K);
  const pi = new Float64Array(Tc * r);
  const cq = new Float64Array(Tc * r);
  const ak = new Float64Array(n);
  const us = new Float64Array(K * n);
  const la = new Float64Array(n);
  const norms = new Float64Array(K);
  const s = new Float64Array(K * K);
  for (let k = 0; k < T; k++) {
    for (let j = 0; j < K; j++) {
      const col = k * K + j;
      for (let t = 0; t < n; t++) ak[t] = a.data[t * Tc + col];
      const u = us.subarray(j * n, (j + 1) * n);
      u.set(ak);
      for (let l = 0; l < r; l++) {
        const c = dot(basis, l * n, ak, 0);
        pi[col * r + l] = c;
        for (let t = 0; t < n; t++) u[t] -= c * basis[l * n + t];
      }
      norms[j] = dot(ak, 0, ak, 0);
      lagOp(ak, la);
      for (let l = 0; l < r; l++) {
        let c = dot(basis, l * n, la, 0);
        for (let m = 0; m < r; m++) c -= Q[l * r + m] * pi[col * r + m];
        cq[col * r + l] = c;
      }
    }
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) s[i * K + j] = dot(us, i * n, us, j * n);
    // as lssFast: a trial without a part outside span(X) has the condition model itself
    const l = alone[k] ? null : gramCholesky(s, K, norms, 1e-10);
    if (!l) continue;
    valid[k] = 1;
    // K = 1: 1/s as the one-column closed form always computed it (the bins are truncations)
    if (K === 1) sInv[k] = 1 / s[0];
    else sInv.set(cholInverse(l, K), k * K * K);
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K; j++) {
        let acc = 0;
        for (let t = 0; t + 1 < n; t++) acc += us[i * n + t] * us[j * n + t + 1] + us[i * n + t + 1] * us[j * n + t];
        lagU[(k * K + i) * K + j] = acc / 2;
      }
    }
  }
  // [Zᵀ; ((L + Lᵀ)Z)ᵀ] (2P x n)
  const stack = ws.f64(2 * P * n);
  const col = new Float64Array(n);
  for (let j = 0; j < P; j++) {
    for (let t = 0; t < n; t++) col[t] = j < p ? x.data[t * p + j] : a.data[t * Tc + j - p];
    stack.set(col, j * n);
    lagOp(col, lb);
    stack.set(lb, (P + j) * n);
  }
  // the p-space rows applied to ζ = [z0_X; z1_X]: h (r), f (r), π_jᵀh (Tc), (c_j - Qπ_j)ᵀh + π_jᵀf (Tc), Qh (r)
  const nr = 3 * r + 2 * Tc;
  const R = ws.f64(nr * 2 * p);
  for (let l = 0; l < r; l++) {
    for (let j = 0; j < p; j++) {
      R[l * 2 * p + j] = M[l * p + j];
      R[(r + l) * 2 * p + p + j] = M[l * p + j];
    }
  }
  for (let l = 0; l < r; l++) {
    for (let m = 0; m < r; m++) {
      for (let j = 0; j < p; j++) R[(2 * r + 2 * Tc + l) * 2 * p + j] += Q[l * r + m] * M[m * p + j];
    }
  }
  for (let k = 0; k < Tc; k++) {
    for (let l = 0; l < r; l++) {
      for (let j = 0; j < p; j++) {
        R[(2 * r + k) * 2 * p + j] += pi[k * r + l] * M[l * p + j];
        R[(2 * r + Tc + k) * 2 * p + j] += cq[k * r + l] * M[l * p + j];
        R[(2 * r + Tc + k) * 2 * p + p + j] += pi[k * r + l] * M[l * p + j];
      }
    }
  }
  const f32 = y instanceof Float32Array;
  const stage = f32 ? ws.f32(n * C + 8) : undefined;
  const all = Int32Array.from({ length: C }, (_, i) => i);
  const wy = ws.f64(n * C);
  const prod = ws.f64(2 * P * C);
  const prodT = ws.f64(2 * P * C);
  const zeta = ws.f64(2 * p * C);
  const out = ws.f64(nr * C);
  const outT = ws.f64(nr * C);
  const yl = ws.f64(C);
  const shift = ws.f64(C);
  const sum = ws.f64(C);
  const lag = ws.f64(2 * C);
  const head = ws.f64(2 * C);
  const tail = ws.f64(2 * C);
  const noRho = ws.f64(1);
  const kb = ws.i32(T * C);
  const qv = new Float64Array(K);
  const wv = new Float64Array(K);
  const dv = new Float64Array(K);
  const scale = n / (n - 1);
  const binOf = (s0: number, s1: number) => {
    // |rho| <= n / (n - 1) (Cauchy-Schwarz); the expansions above can leave it only by
    // rounding, at a voxel whose residual vanishes
    const b = (s0 > 0 ? Math.max(-scale, Math.min(scale, (scale * s1) / s0)) : 0) * bins;
    // astype(int) truncates; "+ 0" turns -0 into 0
    return Number.isFinite(b) ? Math.trunc(b) + 0 : 0;
  };
  for (let v0 = 0; v0 < nVox; v0 += C) {
    const c = Math.min(C, nVox - v0);
    const cs = (c + 3) & ~3;
    if (stage) {
      stageRows(y as Float32Array, nVox, n, v0, c, stage, C);
      Kn.whitenCols(stage, C, n, 0, c, noRho, 0, shift, wy);
    } else loadF64(y as Float64Array, nVox, n, v0, all, c, noRho, 0, shift, wy);
    Kn.gemm(stack, 2 * P, n, wy, cs, prod);
    Kn.lagStats(wy, n, cs, 1, sum, lag, head, tail);
    for (let j = 0; j < p; j++) {
      zeta.set(prod.subarray(j * cs, (j + 1) * cs), j * cs);
      zeta.set(prod.subarray((P + j) * cs, (P + j + 1) * cs), (p + j) * cs);
    }
    Kn.gemm(R, nr, 2 * p, zeta, cs, out);
    // voxel-major copies: the loops below and the fit read the products voxel by voxel
    transpose(prod, 2 * P, cs, c, prodT);
    transpose(out, nr, cs, c, outT);
    yl.set(wy.subarray((n - 1) * cs, (n - 1) * cs + c));
    for (let i = 0; i < c; i++) {
      const o = i * nr;
      let hh = 0;
      let hf = 0;
      let hq = 0;
      for (let l = 0; l < r; l++) {
        const h = outT[o + l];
        hh += h * h;
        hf += h * outT[o + r + l];
        hq += h * outT[o + 2 * r + 2 * Tc + l];
      }
      const e0 = lag[i] - hh;
      const e1 = lag[cs + i] - hf + hq / 2;
      const own = binOf(e0, e1);
      const pt = i * 2 * P;
      if (K === 1) {
        for (let k = 0; k < T; k++) {
          const is = sInv[k];
          if (!valid[k]) {
            kb[i * T + k] = own;
            continue;
          }
          const q = prodT[pt + p + k] - outT[o + 2 * r + k];
          const w = prodT[pt + P + p + k] - outT[o + 2 * r + Tc + k];
          const d = q * is;
          kb[i * T + k] = binOf(e0 - q * d, e1 - d * w + d * d * lagU[k]);
        }
        continue;
      }
      // K columns per trial: r_k = e - U·d, d = S⁻¹q: Σ r² = Σ e² - qᵀd,
      // Σ r[t]·r[t+1] = Σ e[t]·e[t+1] - dᵀw + dᵀ(Λ/2)d
      for (let k = 0; k < T; k++) {
        if (!valid[k]) {
          kb[i * T + k] = own;
          continue;
        }
        for (let j = 0; j < K; j++) {
          const col = k * K + j;
          qv[j] = prodT[pt + p + col] - outT[o + 2 * r + col];
          wv[j] = prodT[pt + P + p + col] - outT[o + 2 * r + Tc + col];
        }
        let qd = 0;
        let dw = 0;
        for (let j = 0; j < K; j++) {
          let d = 0;
          for (let m = 0; m < K; m++) d += sInv[(k * K + j) * K + m] * qv[m];
          dv[j] = d;
          qd += qv[j] * d;
          dw += d * wv[j];
        }
        kb[i * T + k] = binOf(e0 - qd, e1 - dw + quadratic(lagU, k * K * K, dv, K));
      }
    }
    visit({ v0, c, cs, prod: prodT, lag, yl, kb });
  }
}

/** out (c x rows) = the first c columns of m (rows x stride), transposed. */
function transpose(m: Float64Array, rows: number, stride: number, c: number, out: Float64Array): void {
  for (let j = 0; j < rows; j++) {
    const row = j * stride;
    for (let i = 0, o = j; i < c; i++, o += rows) out[o] = m[row + i];
  }
}

/**
 * The per-trial AR(1) groups of LSS (see the module comment): lssAr1Pass's bins of every
 * trial model at every voxel, as groups (for inspection; lssFast fits in the same pass).
 */
export function lssAr1Groups(y: TimeSeriesData, x: Mat, trials: { regressors: Float64Array[]; alone: boolean }[], bins: number, chunkSize = 2048): TrialAr1Groups {
  const n = x.rows;
  const nVox = y.length / n;
  const T = trials.length;
  const K = T ? trials[0].regressors.length : 1;
  const a: Mat = { rows: n, cols: T * K, data: new Float64Array(n * T * K) };
  trials.forEach((tr, k) => tr.regressors.forEach((reg, j) => reg.forEach((v, t) => (a.data[t * T * K + k * K + j] = v))));
  const C = (Math.max(4, Math.min(chunkSize, nVox)) + 3) & ~3;
  const kv = new Int32Array(T * nVox);
  let lo = Infinity;
  let hi = -Infinity;
  const ws = kernels().workspace(ar1PassBytes(n, x.cols, T * K, C));
  lssAr1Pass(ws, y, x, a, K, trials.map((t) => t.alone), bins, C, ({ v0, c, kb }) => {
    for (let k = 0; k < T; k++) {
      for (let i = 0; i < c; i++) {
        const b = kb[i * T + k];
        kv[k * nVox + v0 + i] = b;
        if (b < lo) lo = b;
        if (b > hi) hi = b;
      }
    }
  });
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
