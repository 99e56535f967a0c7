/**
 * Step 2 of nilearn's run_glm: the AR(N) noise coefficients of every voxel, by Yule-Walker on
 * the OLS residuals (nilearn's `_yule_walker`), streamed over chunks of voxels without forming
 * the residuals (`yuleWalkerOfOlsResiduals`).
 */
import type { TimeSeriesData } from './chunks.js';
import { solveInPlace } from '../core/matrix.js';
import { kernels, packedLength, type OlsArTerms, type Workspace } from '../wasm/kernels.js';
import type { LinearModel } from './regression.js';
import { loadF64, stageRows } from './chunks.js';
import { refitSumsLength, storeRefitSums } from './refit-sums.js';

/**
 * The Gram matrix G = XᵀX of the OLS design and r1 = (I - H)·1 (the residual of a constant
 * series; 0 when the design has a constant column), for the Yule-Walker pass. That pass uses
 * |e|² = |y|² - θᵀGθ, whose rounding grows with the condition number of X (unscaled
 * confounds): harmless there, as the AR coefficients only choose a bin of width 1/bins; the
 * refit, whose SSE enters the maps, uses an orthonormal basis instead (refitTerms).
 */
function olsTerms(model: LinearModel): { g: Float64Array; r1: Float64Array } {
  const w = model.whitenedDesign;
  const n = w.rows;
  const p = w.cols;
  const d = w.data;
  const g = new Float64Array(p * p);
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < p; j++) {
      const a = d[t * p + j];
      for (let k = 0; k < p; k++) g[j * p + k] += a * d[t * p + k];
    }
  }
  return { g, r1: annihilate(model, new Float64Array(n).fill(1)) };
}

/** v - W·coef (n values). */
function residualOf(w: Float64Array, n: number, p: number, coef: Float64Array, v: Float64Array): Float64Array {
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let acc = 0;
    for (let j = 0; j < p; j++) acc += w[t * p + j] * coef[j];
    out[t] = v[t] - acc;
  }
  return out;
}

/** (I - H)·v for the design of `model` (H = W·pinv(W)). */
function annihilate(model: LinearModel, v: Float64Array): Float64Array {
  const n = model.dfTotal;
  const p = model.whitenedDesign.cols;
  const pinvW = model.calcBeta.data;
  const coef = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let acc = 0;
    for (let t = 0; t < n; t++) acc += pinvW[j * n + t] * v[t];
    coef[j] = acc;
  }
  return residualOf(model.whitenedDesign.data, n, p, coef, v);
}

/**
 * Per-voxel Yule-Walker AR(order) coefficients of the OLS residuals, as
 * nilearn's `_yule_walker(ols_result.residuals.T, order)`:
 *
 *   y = e - mean(e)            (ONE mean over all voxels and scans)
 *   r_k = Σ_{t} y_t y_{t+k} / ((n - k) · n),  k = 0..order
 *   solve toeplitz(r_0..r_{order-1}) · rho = (r_1..r_order)
 *
 * The global mean is only known after all voxels are fitted, so one streaming pass keeps,
 * per voxel, Σe, the raw lag products L_k = Σ e_t e_{t+k} and the sums of the first / last
 * `order` residuals; the centred products follow exactly:
 *   Σ_{t<n-k} (e_t - m)(e_{t+k} - m) = L_k - m (A_k + B_k) + (n - k) m²
 * with A_k = Σ_{t<n-k} e_t and B_k = Σ_{t>=k} e_t.
 *
 * The residuals e = y - Xθ (θ = pinv(X) y) are never formed. Each voxel is shifted by its
 * first value c (y' = y - c, e = e' + c·r1 with r1 = (I - H)·1, see `olsTerms`), and with
 * x_t the rows of X:
 *   L_k(e') = Σ y'_t y'_{t+k} - θ'ᵀ(A_kᵀ y') + θ'ᵀ C_k θ'   (k >= 1),  L_0(e') = |y'|² - θ'ᵀGθ'
 *     with C_k = Σ_{t<n-k} x_t x_{t+k}ᵀ and A_k[t] = x_{t+k}[t+k < n] + x_{t-k}[t >= k]
 *   L_k(e) = L_k(e') + c·a_kᵀy' + c²·Σ_{t<n-k} r1_t r1_{t+k},  a_k = (I - H)·s_k,
 *     s_k[t] = r1_{t+k}[t+k < n] + r1_{t-k}[t >= k]
 *   Σ_{t in R} e_t = Σ_{t in R} y'_t - (Σ_{t in R} x_t)ᵀθ' + c·Σ_{t in R} r1_t
 * so one product of the stacked matrix [pinv(X); A_1ᵀ; ...; A_orderᵀ; a_0ᵀ; ...; a_orderᵀ]
 * with the data and a few p² and n terms per voxel replace the n·p prediction and the
 * residual loops. A voxel whose Toeplitz system is singular (all-zero residuals) gets
 * rho = 0 (numpy would raise LinAlgError for the whole image).
 */
export function yuleWalkerOfOlsResiduals(ols: LinearModel, y: TimeSeriesData, nVox: number, order: number, C: number): Float64Array {
  const acc = new OlsArAccumulator(ols, nVox, order, C);
  acc.add(y, nVox, 0);
  return acc.finish();
}

/**
 * yuleWalkerOfOlsResiduals fed block by block: `add` takes the data of the consecutive voxels
 * v0 .. v0 + len - 1 (a time-major n x len block), `finish` the coefficients of all voxels.
 * The per-voxel sums do not depend on the blocks, and the global mean is summed over the
 * voxels in order at the end, so any blocking gives the same bits as one call on the whole Y
 * (the spilled fit of a very long run reads its data a block at a time).
 */
export class OlsArAccumulator {
  private readonly n: number;
  private readonly p: number;
  private readonly q: number;
  private readonly stackData: Float64Array;
  private readonly lagSym: Float64Array[] = [];
  private readonly r1Lag: Float64Array;
  private readonly colSum: Float64Array;
  private readonly headSum: Float64Array;
  private readonly tailSum: Float64Array;
  private readonly r1Sum: number;
  private readonly r1Head: Float64Array;
  private readonly r1Tail: Float64Array;
  private readonly S: Float64Array;
  private readonly L: Float64Array;
  private readonly H: Float64Array;
  private readonly T: Float64Array;
  /** With refit sums (AR(1)): per voxel, the REFIT_SUMS(p) values of refit-sums.ts, voxel-major. */
  readonly sums?: Float64Array;
  /** With refit sums: the OLS model's normalized covariance, pinv(X)·pinv(X)ᵀ. */
  private readonly normCov: Float64Array = new Float64Array(0);
  /** Rows of the stacked operator before the refit sums' rows (Xᵀ, then B₊ᵀ). */
  private readonly q0: number;

  /**
   * With `refitSums` (AR(1) only), the same pass also keeps, per voxel, the sums from which
   * refit-sums.ts fits every AR bin without a second pass over the data: two more blocks of p
   * rows in the stacked product (Xᵀ and B₊ᵀ, B₊[t] = x_{t-1} for t >= 1), the lag products and
   * the sums the Yule-Walker statistics already take.
   */
  constructor(ols: LinearModel, private readonly nVox: number, private readonly order: number, private readonly C: number, refitSums = false) {
    const n = (this.n = ols.dfTotal);
    const x = ols.whitenedDesign; // the design itself for OLS
    const p = (this.p = x.cols);
    const xd = x.data;
    const { g, r1 } = olsTerms(ols);
    if (refitSums && order !== 1) throw new Error('OlsArAccumulator: refit sums are for AR(1) only');
    const q0 = (this.q0 = (order + 1) * p + (order + 1));
    const q = (this.q = refitSums ? q0 + 2 * p : q0);
    // stacked operator and the lag matrices
    const stack = (this.stackData = new Float64Array(q * n));
    if (refitSums) {
      for (let j = 0; j < p; j++) {
        for (let t = 0; t < n; t++) stack[(q0 + j) * n + t] = xd[t * p + j];
        for (let t = 1; t < n; t++) stack[(q0 + p + j) * n + t] = xd[(t - 1) * p + j];
      }
      this.sums = new Float64Array(refitSumsLength(p) * nVox);
      this.normCov = ols.normCov.data;
    }
    stack.set(ols.calcBeta.data, 0);
    const lagSym = this.lagSym;
    const r1Lag = (this.r1Lag = new Float64Array(order + 1));
    for (let k = 0; k <= order; k++) {
      const ck = new Float64Array(p * p);
      if (k === 0) ck.set(g);
      else {
        for (let j = 0; j < p; j++) {
          const row = (k * p + j) * n;
          for (let t = 0; t < n; t++) stack[row + t] = (t + k < n ? xd[(t + k) * p + j] : 0) + (t >= k ? xd[(t - k) * p + j] : 0);
        }
        // symmetric part of C_k (θᵀCθ = θᵀ sym(C) θ)
        for (let t = 0; t + k < n; t++)
          for (let a = 0; a < p; a++)
            for (let b = 0; b < p; b++) ck[a * p + b] += 0.5 * (xd[t * p + a] * xd[(t + k) * p + b] + xd[t * p + b] * xd[(t + k) * p + a]);
      }
      lagSym.push(ck);
      const sk = new Float64Array(n);
      for (let t = 0; t < n; t++) sk[t] = (t + k < n ? r1[t + k] : 0) + (t >= k ? r1[t - k] : 0);
      stack.set(annihilate(ols, sk), ((order + 1) * p + k) * n);
      for (let t = 0; t + k < n; t++) r1Lag[k] += r1[t] * r1[t + k];
    }
    // column sums of X (and of r1) over all scans, the first k and the last k scans
    const colSum = (this.colSum = new Float64Array(p));
    const headSum = (this.headSum = new Float64Array((order + 1) * p));
    const tailSum = (this.tailSum = new Float64Array((order + 1) * p));
    for (let t = 0; t < n; t++) for (let j = 0; j < p; j++) colSum[j] += xd[t * p + j];
    for (let k = 1; k <= order; k++)
      for (let j = 0; j < p; j++) {
        for (let t = 0; t < k && t < n; t++) headSum[k * p + j] += xd[t * p + j];
        for (let t = Math.max(0, n - k); t < n; t++) tailSum[k * p + j] += xd[t * p + j];
      }
    let r1Sum = 0;
    for (let t = 0; t < n; t++) r1Sum += r1[t];
    this.r1Sum = r1Sum;
    const r1Head = (this.r1Head = new Float64Array(order + 1));
    const r1Tail = (this.r1Tail = new Float64Array(order + 1));
    for (let k = 1; k <= order; k++) {
      for (let t = 0; t < k && t < n; t++) r1Head[k] += r1[t];
      for (let t = Math.max(0, n - k); t < n; t++) r1Tail[k] += r1[t];
    }
    this.S = new Float64Array(nVox);
    this.L = new Float64Array((order + 1) * nVox); // L[k * nVox + v]
    this.H = new Float64Array((order + 1) * nVox); // H[k]: Σ_{t<k} e_t
    this.T = new Float64Array((order + 1) * nVox); // T[k]: Σ_{t>=n-k} e_t
  }

  /** The voxels v0 .. v0 + len - 1, y their data (n x len, time-major). */
  add(y: TimeSeriesData, len: number, v0: number): void {
    const { n, p, q, q0, order, S, L, H, T, sums } = this;
    const nVox = this.nVox;
    const C = (Math.max(1, Math.min(this.C, len)) + 3) & ~3;
    if (len === 0) return;
    if (v0 + len > nVox || y.length !== n * len) throw new Error(`OlsArAccumulator.add: block of ${y.length} values at voxel ${v0} does not fit ${n} scans x ${nVox} voxels`);
    const K = kernels();
    const f32 = y instanceof Float32Array;
    const o1 = order + 1;
    const ws = K.workspace(8 * (q * n + packedLength(q, n) + (o1 + 3) * p * p + 4 * o1 * (p + 1) + 64 + n * C + q * C + (6 * o1 + 2) * C) + (f32 ? 4 * (n * C + 8) : 0) + 16 * 32);
    const stack = ws.f64(q * n);
    stack.set(this.stackData);
    const terms = this.kernelTerms(ws);
    const stage = f32 ? ws.f32(n * C + 8) : undefined;
    const wy = ws.f64(n * C);
    const prod = ws.f64(q * C);
    const shift = ws.f64(C);
    const sum = ws.f64(C);
    const lagY = ws.f64(o1 * C);
    const headY = ws.f64(o1 * C);
    const tailY = ws.f64(o1 * C);
    const out = ws.f64((3 * order + 2) * C);
    const idx = f32 ? new Int32Array(0) : Int32Array.from({ length: C }, (_, i) => i);
    const noRho = ws.f64(1);
    // with refit sums, θ' = N·Xᵀy' (N = pinv(X)·pinv(X)ᵀ, so N·Xᵀ = pinv(X)) from the Xᵀ rows
    // the product needs anyway, instead of p more rows: the pinv rows are skipped
    const skip = sums ? p : 0;
    const packed = ws.f64(packedLength(q - skip, n));
    K.packA(stack.subarray(skip * n), q - skip, n, packed);
    const packedN = sums ? ws.f64(packedLength(p, p)) : undefined;
    if (packedN) {
      const nn = ws.f64(p * p);
      nn.set(this.normCov);
      K.packA(nn, p, p, packedN);
    }
    for (let b0 = 0; b0 < len; b0 += C) {
      const c = Math.min(C, len - b0);
      const cs = (c + 3) & ~3;
      const g0 = v0 + b0; // global index of the chunk's first voxel
      // the shifted data y' and its sums (whitenLagStats for AR(1): both in one pass)
      if (stage) {
        stageRows(y as Float32Array, len, n, b0, c, stage, C);
        if (order === 1) K.whitenLagStats(stage, C, n, c, shift, wy, sum, lagY, headY, tailY);
        else K.whitenCols(stage, C, n, 0, c, noRho, 0, shift, wy);
      } else loadF64(y as Float64Array, len, n, b0, idx, c, [], 0, shift, wy);
      if (!stage || order !== 1) K.lagStats(wy, n, cs, order, sum, lagY, headY, tailY);
      K.gemmPacked(packed, q - skip, n, wy, cs, skip ? prod.subarray(skip * cs) : prod); // θ' (rows 0..p-1), A_kᵀ y', a_kᵀ y'
      if (packedN) K.gemmPacked(packedN, p, p, prod.subarray(q0 * cs), cs, prod);
      // L_k, Σ e over all scans, the first k and the last k scans (olsArSumsFunc)
      K.olsArSums(prod, cs, p, order, terms, lagY, sum, headY, tailY, shift, out);
      const row = (dst: Float64Array, k: number, r: number) => dst.set(out.subarray(r * cs, r * cs + c), k * nVox + g0);
      for (let k = 0; k <= order; k++) row(L, k, k);
      row(S, 0, o1);
      for (let k = 1; k <= order; k++) {
        row(H, k, o1 + k);
        row(T, k, order + o1 + k);
      }
      if (sums) storeRefitSums(sums, nVox, p, g0, c, cs, prod, q0, lagY, sum, wy, n, shift);
    }
  }

  /** The model's constants for olsArSums, copied into the workspace `ws`. */
  private kernelTerms(ws: Workspace): OlsArTerms {
    const { p, order } = this;
    const copy = (src: ArrayLike<number>) => {
      const dst = ws.f64(Math.max(1, src.length));
      dst.set(src);
      return dst;
    };
    const lagW = ws.f64((order + 1) * p * p);
    this.lagSym.forEach((ck, k) => lagW.set(ck, k * p * p));
    return {
      lagW, r1Lag: copy(this.r1Lag), colSum: copy(this.colSum), headSum: copy(this.headSum), tailSum: copy(this.tailSum),
      r1Sum: copy([this.r1Sum]), r1Head: copy(this.r1Head), r1Tail: copy(this.r1Tail),
    };
  }

  /** The coefficients of every voxel (nVox x order), once every voxel was added. */
  finish(): Float64Array {
    const { n, order, S, L, H, T, nVox } = this;
    let total = 0;
    for (let v = 0; v < nVox; v++) total += S[v];
    const m = total / (n * nVox);
    const rho = new Float64Array(nVox * order);
    const r = new Float64Array(order + 1);
    const a = new Float64Array(order * order);
    const b = new Float64Array(order);
    for (let v = 0; v < nVox; v++) {
      const s = S[v];
      for (let k = 0; k <= order; k++) {
        const ak = k === 0 ? s : s - T[k * nVox + v];
        const bk = k === 0 ? s : s - H[k * nVox + v];
        r[k] = (L[k * nVox + v] - m * (ak + bk) + (n - k) * m * m) / ((n - k) * n);
      }
      if (order === 1) {
        rho[v] = r[0] !== 0 ? r[1] / r[0] : 0;
        continue;
      }
      for (let i = 0; i < order; i++) {
        for (let j = 0; j < order; j++) a[i * order + j] = r[Math.abs(i - j)];
        b[i] = r[i + 1];
      }
      if (solveInPlace(a, b, order)) rho.set(b, v * order);
    }
    return rho;
  }
}
