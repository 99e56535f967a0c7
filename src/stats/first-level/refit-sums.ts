/**
 * Step 4 of nilearn's run_glm for AR(1) without a second pass over the data: every voxel's
 * ARModel refit (θ, SSE, r², and the variance of nilearn's residuals) from a few sums that the
 * OLS / Yule-Walker pass takes anyway or takes alongside (OlsArAccumulator with refit sums).
 *
 * For the AR(1) filter of coefficient ρ (nilearn's ARModel.whiten: wy_0 = y_0,
 * wy_t = y_t - ρ·y_{t-1}; W the design whitened alike), with x_t the rows of the design and
 * y' = y - c the voxel's series shifted by its first value (so y'_0 = 0, as in fitLabelled):
 *
 *   u = Wᵀ·wy' = (1 + ρ²)·Xᵀy' - ρ·A - ρ²·y'_{n-1}·x_{n-1},  A = Σ_t (x_{t+1} + x_{t-1})·y'_t
 *   v = Wᵀ·y'  = Xᵀy' - ρ·B₊,                                 B₊ = Σ_{t>=1} x_{t-1}·y'_t
 *   |wy'|² = (1 + ρ²)·L0 - 2ρ·L1 - ρ²·y'_{n-1}²,  Σ wy' = S - ρ·(S - y'_{n-1})
 *     (L0 = Σ y'², L1 = Σ y'_t·y'_{t+1}, S = Σ y')
 *   θ' = N·u  with N = pinv(W)·pinv(W)ᵀ (nilearn's normalized_cov_beta): N·Wᵀ = pinv(W), so
 *   θ' = pinv(W)·wy' exactly in exact arithmetic; |W·θ'|² = θ'·u;  Σ_t (W·θ')_t = (Σ_t W_t)·θ'.
 *
 * The shift comes back as in fitLabelled (b1 = pinv(W)·w1, h1 = W·b1, r1 = w1 - h1, w1 the
 * whitened ones): θ = θ' + c·b1, and each variance is expanded around its mean so that no sum
 * is of the size of c² (raw BOLD): SSE = |wy' - Wθ'|² + 2c·r1ᵀwy' + c²·|r1|², etc. (below).
 *
 * These are the normal equations: the rounding of θ' grows with the square of the condition
 * number of the column-equilibrated W (that of the pinv product with the first power), and
 * |wy'|² - θ'·u cancels when the model explains nearly all of the data. refitByBin therefore
 * takes a bin only when its whitened design is of full column rank and well conditioned
 * (`sumsRefitSuits`); the other bins, AR(N>1) models and the residual series keep the
 * explicit refit of fitLabelled. On the benchmark data the z maps differ from the explicit
 * refit's by ~1e-10 (README "Performance").
 */
import type { Mat } from '../core/matrix.js';
import { conditionScaled } from '../core/matrix.js';
import type { LinearModel } from './regression.js';
import type { FitOutputs } from './fit-labelled.js';
import { refitVectors } from './fit-labelled.js';
import { groupChunkByLabel } from './chunks.js';
import { kernels, packedLength } from '../wasm/kernels.js';

/** Values kept per voxel: Xᵀy' (p), A (p), B₊ (p), L0, L1, S, y'_{n-1}, c. */
export function refitSumsLength(p: number): number {
  return 3 * p + 5;
}

/**
 * Bytes of refit sums up to which runGlm and runGlmBlocked take this route (both decide
 * alike, so that their results stay bit-identical): the sums take 8·(3p + 5) bytes per
 * voxel, at most the size of the float32 data (n_scans·4 bytes per voxel) and 256 MiB.
 */
export function sumsRefitFits(nScans: number, p: number, nVox: number): boolean {
  const bytes = 8 * refitSumsLength(p) * nVox;
  return bytes <= 4 * nScans * nVox && bytes <= 256 * 2 ** 20;
}

/**
 * Largest condition number of the column-equilibrated whitened design for which a bin is
 * refitted from the sums: θ' then carries relative rounding ~ κ²·eps ≈ 2e-10 at most.
 */
const MAX_SCALED_CONDITION = 1000;


/** Copy the chunk's sums (see OlsArAccumulator.add) into `sums` at voxels g0 .. g0 + c - 1. */
export function storeRefitSums(
  sums: Float64Array, p: number, g0: number, c: number, cs: number, prod: Float64Array, q0: number,
  lag: Float64Array, sum: Float64Array, wy: Float64Array, n: number, shift: Float64Array,
): void {
  const Q = refitSumsLength(p);
  for (let i = 0; i < c; i++) {
    const b = (g0 + i) * Q;
    for (let j = 0; j < p; j++) {
      sums[b + j] = prod[(q0 + j) * cs + i];
      sums[b + p + j] = prod[(p + j) * cs + i];
      sums[b + 2 * p + j] = prod[(q0 + p + j) * cs + i];
    }
    sums[b + 3 * p] = lag[i];
    sums[b + 3 * p + 1] = lag[cs + i];
    sums[b + 3 * p + 2] = sum[i];
    sums[b + 3 * p + 3] = wy[(n - 1) * cs + i];
    sums[b + 3 * p + 4] = shift[i];
  }
}

/** The per-model constants of the refit from sums. */
export interface BinTerms {
  den: number;
  rho: number;
  N: Float64Array;
  b1: Float64Array;
  /** Σ_t W_t. */
  sW: Float64Array;
  /** Wᵀ·(h1 - mean(h1)). */
  g1: Float64Array;
  hMean: number;
  /** Σ (h1 - mean(h1))², Σ r1², Σ (w1 - mean(w1))². */
  vh1: number;
  r1sq: number;
  vw1: number;
  /** w1_t - mean(w1) for t >= 1. */
  kw: number;
}

/**
 * The constants of an AR(1) model's refit from sums, or undefined when the model does not
 * suit it (not AR(1), or its whitened design is rank deficient or poorly conditioned).
 */
export function sumsRefitTerms(model: LinearModel): BinTerms | undefined {
  const w = model.whitenedDesign;
  const n = w.rows;
  const p = w.cols;
  if (model.rho.length !== 1 || p === 0 || !(conditionScaled(w) <= MAX_SCALED_CONDITION)) return undefined;
  const rho = model.rho[0];
  const { b1, h1, r1 } = refitVectors(model);
  const w1 = new Float64Array(n).fill(1 - rho);
  w1[0] = 1;
  let hs = 0, ws = 0;
  for (let t = 0; t < n; t++) { hs += h1[t]; ws += w1[t]; }
  const hMean = hs / n;
  const wMean = ws / n;
  let vh1 = 0, r1sq = 0, vw1 = 0;
  for (let t = 0; t < n; t++) {
    vh1 += (h1[t] - hMean) ** 2;
    r1sq += r1[t] * r1[t];
    vw1 += (w1[t] - wMean) ** 2;
  }
  const sW = new Float64Array(p);
  const g1 = new Float64Array(p);
  for (let t = 0; t < n; t++) {
    const dh = h1[t] - hMean;
    for (let j = 0; j < p; j++) {
      sW[j] += w.data[t * p + j];
      g1[j] += w.data[t * p + j] * dh;
    }
  }
  return { den: model.dispersionDenominator, rho, N: model.normCov.data, b1, sW, g1, hMean, vh1, r1sq, vw1, kw: n > 1 ? w1[1] - wMean : 0 };
}

/**
 * Refit, from the sums (voxel-major, refitSumsLength(p) values each, see storeRefitSums), the
 * voxels whose label g has terms[g] (sumsRefitTerms): θ (p x nVox), dispersion, r² and, when
 * asked, the residual variance, written into `out` as fitLabelled writes them.
 *
 * Voxels are taken in chunks of C consecutive ones and, within a chunk, by label: the u of a
 * label's voxels form a p x cnt block and θ' = N·U is one kernel product; every other
 * per-voxel sum runs across the voxels of the block (independent sums, not one long chain
 * per voxel). Per-voxel results do not depend on the chunking.
 */
export function refitFromSums(
  sums: Float64Array, x: Mat, terms: (BinTerms | undefined)[], labels: Int32Array, out: FitOutputs, C = 1024,
): void {
  const n = x.rows;
  const p = x.cols;
  const nVox = labels.length;
  const nm = terms.length;
  if (nVox === 0 || p === 0) return;
  const Q = refitSumsLength(p);
  const xl = x.data.subarray((n - 1) * p, n * p);
  const rv = out.residualVariance;
  C = (Math.max(1, Math.min(C, nVox)) + 3) & ~3;
  const K = kernels();
  const pk = packedLength(p, p);
  const ws = K.workspace(8 * (nm * pk + p * p + 3 * p * C) + 16 * (nm + 16));
  const nn = ws.f64(p * p);
  const packedN = terms.map((tm) => {
    if (!tm) return undefined;
    const v = ws.f64(pk);
    nn.set(tm.N);
    K.packA(nn, p, p, v);
    return v;
  });
  const U = ws.f64(p * C);
  const V = ws.f64(p * C);
  const TH = ws.f64(p * C);
  const tu = new Float64Array(C), tv = new Float64Array(C), ts = new Float64Array(C), tg = new Float64Array(C);
  const bu = new Float64Array(C), bv = new Float64Array(C);
  const order = new Int32Array(C);
  const start = new Int32Array(nm + 1);
  for (let v0 = 0; v0 < nVox; v0 += C) {
    const c = Math.min(C, nVox - v0);
    groupChunkByLabel(labels, v0, c, nm, start, order);
    for (let g = 0; g < nm; g++) {
      const tm = terms[g];
      const a = start[g];
      const cnt = start[g + 1] - a;
      if (!tm || cnt === 0) continue;
      const cs = (cnt + 3) & ~3;
      const idx = order.subarray(a, a + cnt);
      const { rho, b1, sW, g1 } = tm;
      const a1 = 1 + rho * rho;
      const r2 = rho * rho;
      // u = (1 + ρ²)·Xᵀy' - ρ·A - ρ²·y'_{n-1}·x_{n-1},  v = Xᵀy' - ρ·B₊ (p x cs, zero padded)
      for (let j = 0; j < p; j++) {
        const o = j * cs;
        const xlj = xl[j];
        for (let i = 0; i < cnt; i++) {
          const b = (v0 + idx[i]) * Q;
          const xy = sums[b + j];
          U[o + i] = a1 * xy - rho * sums[b + p + j] - r2 * sums[b + 3 * p + 3] * xlj;
          V[o + i] = xy - rho * sums[b + 2 * p + j];
        }
        for (let i = cnt; i < cs; i++) U[o + i] = V[o + i] = 0;
      }
      K.gemmPacked(packedN[g]!, p, p, U, cs, TH); // θ' = N·u
      tu.fill(0, 0, cnt); tv.fill(0, 0, cnt); ts.fill(0, 0, cnt); tg.fill(0, 0, cnt); bu.fill(0, 0, cnt); bv.fill(0, 0, cnt);
      for (let j = 0; j < p; j++) {
        const o = j * cs;
        const sj = sW[j], gj = g1[j], bj = b1[j];
        for (let i = 0; i < cnt; i++) {
          const th = TH[o + i];
          const uu = U[o + i];
          const vv = V[o + i];
          tu[i] += th * uu;
          tv[i] += th * vv;
          ts[i] += th * sj;
          tg[i] += th * gj;
          bu[i] += bj * uu;
          bv[i] += bj * vv;
        }
      }
      for (let i = 0; i < cnt; i++) {
        const vox = v0 + idx[i];
        const b = vox * Q + 3 * p;
        const L0 = sums[b];
        const L1 = sums[b + 1];
        const S = sums[b + 2];
        const yl = sums[b + 3];
        const sh = sums[b + 4];
        const wy2 = a1 * L0 - 2 * rho * L1 - r2 * yl * yl;
        const swy = S - rho * (S - yl);
        const sse = (wy2 - tu[i]) + 2 * sh * ((1 - rho) * swy - bu[i]) + sh * sh * tm.r1sq;
        const num = (tu[i] - (ts[i] * ts[i]) / n) + 2 * sh * tg[i] + sh * sh * tm.vh1;
        const dnm = (wy2 - (swy * swy) / n) + 2 * sh * tm.kw * swy + sh * sh * tm.vw1;
        out.dispersion[vox] = sse / tm.den;
        // the 1/n factors of both variances cancel; 0/0 gives NaN as numpy does
        out.rSquare[vox] = num / dnm;
        if (rv) {
          const se = S - ts[i];
          const ev = (L0 - 2 * tv[i] + tu[i]) - (se * se) / n - 2 * sh * ((bv[i] - tm.hMean * S) - tg[i]) + sh * sh * tm.vh1;
          rv[vox] = ev / n;
        }
      }
      for (let j = 0; j < p; j++) {
        const o = j * cs;
        const bj = b1[j];
        const row = j * nVox + v0;
        for (let i = 0; i < cnt; i++) out.theta[row + idx[i]] = TH[o + i] + sums[(v0 + idx[i]) * Q + 3 * p + 4] * bj;
      }
    }
  }
}
