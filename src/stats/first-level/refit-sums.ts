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
 * |wy'|² - θ'·u cancels when the model explains nearly all of the data. The sums are
 * therefore kept only for a well-conditioned design (`sumsRefitFits`) and a bin is refitted
 * from them only when its whitened design is of full column rank and well conditioned
 * (`sumsRefitTerms`); the other bins, AR(N>1) models and the residual series keep the
 * explicit refit of fitLabelled. On the benchmark run (160 scans, 16 columns, scaled
 * condition ~15) the float32 z maps differ from the explicit refit's by at most one float32
 * rounding (6e-8), the residual variance by 4e-9 relative.
 */
import type { Mat } from '../core/matrix.js';
import { conditionScaled } from '../core/matrix.js';
import type { LinearModel } from './regression.js';
import type { FitOutputs } from './fit-labelled.js';
import { refitVectors } from './fit-labelled.js';
import { groupChunkByLabel } from './chunks.js';
import { kernels, packedLength, type Kernels } from '../wasm/kernels.js';

/** Values kept per voxel (rows of nVox values): Xᵀy' (p), A (p), B₊ (p), L0, L1, S, y'_{n-1}, c. */
export function refitSumsLength(p: number): number {
  return 3 * p + 5;
}

/**
 * Whether runGlm and runGlmBlocked keep refit sums for the design x (both decide alike, so
 * that their results stay bit-identical): the design is well conditioned (the OLS pass then
 * takes θ' = N·Xᵀy' too, see OlsArAccumulator), and the sums, 8·(3p + 5) bytes per voxel,
 * take at most a quarter of the float32 data (n_scans·4 bytes per voxel) and 256 MiB. The
 * sums live beside the data until the refit, so they add to the fit's peak memory: on a short
 * run they would not pay for themselves (the benchmark's 160 scans x 16 columns: +108 MB per
 * run, +30 % peak, for ~0.4 s of CPU), on a long one they are small and save a whole pass over
 * the data (for a spilled run, a second read of the spill file).
 */
export function sumsRefitFits(x: Mat, nVox: number): boolean {
  const bytes = 8 * refitSumsLength(x.cols) * nVox;
  return 4 * bytes <= 4 * x.rows * nVox && bytes <= 256 * 2 ** 20 && conditionScaled(x) <= MAX_SCALED_CONDITION;
}

/**
 * Largest condition number of the column-equilibrated design for which the sums are kept:
 * θ' then carries relative rounding ~ κ²·eps ≈ 2e-10 at most.
 */
const MAX_SCALED_CONDITION = 1000;

/**
 * Largest bound on the squared condition number of a bin's column-equilibrated whitened
 * design W·D (D = diag(1/|w_j|)) for which the bin is refitted from the sums. With G = WᵀW and
 * N = G⁻¹ (W has full column rank when X has: the AR(1) filter is invertible),
 * κ² = λmax(DGD)·λmax(D⁻¹ND⁻¹) <= trace(DGD)·trace(D⁻¹ND⁻¹) = p·Σ_j |w_j|²·N_jj: no
 * decomposition per bin. The bound exceeds κ² by at most p², hence the looser limit.
 */
const MAX_CONDITION_BOUND = 1e8;

/** p·Σ_j |w_j|²·N_jj (see MAX_CONDITION_BOUND). */
function conditionBound(w: Mat, normCov: Mat): number {
  const n = w.rows;
  const p = w.cols;
  const norms = new Float64Array(p);
  for (let t = 0; t < n; t++) for (let j = 0; j < p; j++) norms[j] += w.data[t * p + j] ** 2;
  let s = 0;
  for (let j = 0; j < p; j++) s += norms[j] * normCov.data[j * p + j];
  return p * s;
}


/**
 * Copy the chunk's sums (see OlsArAccumulator.add) into `sums` at voxels g0 .. g0 + c - 1.
 * The sums are kept row by row (value k of voxel v at k·nVox + v), as the chunk's product
 * holds them, so that both this copy and refitFromSums's reads run along rows.
 */
export function storeRefitSums(
  sums: Float64Array, nVox: number, p: number, g0: number, c: number, cs: number, prod: Float64Array, q0: number,
  lag: Float64Array, sum: Float64Array, wy: Float64Array, n: number, shift: Float64Array,
): void {
  const row = (k: number, src: Float64Array, at: number) => sums.set(src.subarray(at, at + c), k * nVox + g0);
  for (let j = 0; j < p; j++) {
    row(j, prod, (q0 + j) * cs);
    row(p + j, prod, (p + j) * cs);
    row(2 * p + j, prod, (q0 + p + j) * cs);
  }
  row(3 * p, lag, 0);
  row(3 * p + 1, lag, cs);
  row(3 * p + 2, sum, 0);
  row(3 * p + 3, wy, (n - 1) * cs);
  row(3 * p + 4, shift, 0);
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
  if (model.rho.length !== 1 || p === 0 || model.dfModel < p || !(conditionBound(w, model.normCov) <= MAX_CONDITION_BOUND)) return undefined;
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
 * Refit, from the sums (refitSumsLength(p) rows of nVox values, see storeRefitSums), the
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
  const w: GroupWork = {
    sums, nVox, n, p, xl, out, rv, K,
    U: ws.f64(p * C), V: ws.f64(p * C), TH: ws.f64(p * C),
    tu: new Float64Array(C), tv: new Float64Array(C), ts: new Float64Array(C), tg: new Float64Array(C),
    bu: new Float64Array(C), bv: new Float64Array(C), shifts: new Float64Array(C),
  };
  const order = new Int32Array(C);
  const start = new Int32Array(nm + 1);
  for (let v0 = 0; v0 < nVox; v0 += C) {
    const c = Math.min(C, nVox - v0);
    groupChunkByLabel(labels, v0, c, nm, start, order);
    for (let g = 0; g < nm; g++) {
      const tm = terms[g];
      const a = start[g];
      const cnt = start[g + 1] - a;
      if (tm && cnt > 0) refitGroup(w, v0, order.subarray(a, a + cnt), cnt, tm, packedN[g]!);
    }
  }
}

/** refitFromSums's buffers and outputs (one object, so that refitGroup stays monomorphic). */
interface GroupWork {
  sums: Float64Array; nVox: number; n: number; p: number; xl: Float64Array; out: FitOutputs; rv: Float64Array | undefined; K: Kernels;
  U: Float64Array; V: Float64Array; TH: Float64Array;
  tu: Float64Array; tv: Float64Array; ts: Float64Array; tg: Float64Array; bu: Float64Array; bv: Float64Array; shifts: Float64Array;
}

/**
 * The cnt voxels v0 + idx[i] of one AR bin in a chunk (a function of its own, called per
 * group, so that the JIT optimizes it early in the one refitFromSums call of a run).
 */
function refitGroup(w: GroupWork, v0: number, idx: Int32Array, cnt: number, tm: BinTerms, packedN: Float64Array): void {
  const { sums, nVox, n, p, xl, out, rv, U, V, TH, tu, tv, ts, tg, bu, bv, shifts } = w;
  const cs = (cnt + 3) & ~3;
  const { rho, b1, sW, g1 } = tm;
  const a1 = 1 + rho * rho;
  const r2 = rho * rho;
  // u = (1 + ρ²)·Xᵀy' - ρ·A - ρ²·y'_{n-1}·x_{n-1},  v = Xᵀy' - ρ·B₊ (p x cs, zero padded)
  for (let j = 0; j < p; j++) {
    const o = j * cs;
    const xlj = xl[j];
    const rx = j * nVox + v0;
    const ra = (p + j) * nVox + v0;
    const rb = (2 * p + j) * nVox + v0;
    const rl = (3 * p + 3) * nVox + v0;
    for (let i = 0; i < cnt; i++) {
      const k = idx[i];
      const xy = sums[rx + k];
      U[o + i] = a1 * xy - rho * sums[ra + k] - r2 * sums[rl + k] * xlj;
      V[o + i] = xy - rho * sums[rb + k];
    }
    for (let i = cnt; i < cs; i++) U[o + i] = V[o + i] = 0;
  }
  w.K.gemmPacked(packedN, p, p, U, cs, TH); // θ' = N·u
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
    const L0 = sums[3 * p * nVox + vox];
    const L1 = sums[(3 * p + 1) * nVox + vox];
    const S = sums[(3 * p + 2) * nVox + vox];
    const yl = sums[(3 * p + 3) * nVox + vox];
    const sh = sums[(3 * p + 4) * nVox + vox];
    shifts[i] = sh;
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
    for (let i = 0; i < cnt; i++) out.theta[row + idx[i]] = TH[o + i] + shifts[i] * bj;
  }
}

