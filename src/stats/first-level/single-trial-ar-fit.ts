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
 * so the products of lssAr1Pass (single-trial-ar.ts), [Zᵀ; ((L + Lᵀ)Z)ᵀ]·y per voxel
 * (Z = [X, trial regressors]) and its lag sums Σy², Σ y_t·y_{t+1}, give for any ρ
 * d = (WZ)ᵀWy and |Wy|², in the same pass that finds the bins. With the bin's
 * model of WX (pinv P⁺ = pinv(WX), normCov N = P⁺P⁺ᵀ, range basis B) the closed form's rows are
 *   P⁺[c]·Wy = N[c]·d_X,   B·Wy = (B·P⁺ᵀ)·d_X  (B·P⁺ᵀ·(WX)ᵀ = B·H = B),
 *   u_kᵀWy = d_k - (B·Wa_k)ᵀ(B·Wy)            (u_k = (I - BᵀB)·Wa_k),
 *   SSE_X = |Wy|² - |B·Wy|²
 * i.e. per (bin, voxel) pair one product of the bin's (r + nc + T) x p operator with d_X (a
 * small gemm over the bin's voxels of the chunk; u_kᵀWy = d_k - ν_k·d_X with ν_k = (B·P⁺ᵀ)ᵀ·B·Wa_k),
 * of which each trial reads its row at its own bin only: ~p·(r + nc + T) operations per pair
 * instead of n·(nc + r + T) plus the whitening.
 * The data are shifted by each voxel's first value (as the whitened route does: the constant
 * lies in span(X), so no estimate changes) to keep the cancellations small. A bin's terms are
 * built when a chunk first meets it.
 */
import type { Mat } from '../core/matrix.js';
import { kernels, type Workspace } from '../wasm/kernels.js';
import type { Ar1Chunk } from './single-trial-ar.js';
import { quadratic, type TrialTerms } from './single-trial-terms.js';

/** What the closed form needs of one AR(1) bin (see TrialTerms in single-trial-terms.ts for w … zOf). */
export interface Ar1Bin extends TrialTerms {
  rho: number;
  /** r x p: B·pinv(WX)ᵀ. */
  m: Float64Array;
  r: number;
  /** nc x p: the normCov rows of the condition columns. */
  nCov: Float64Array;
  /** T·K x r: B·W·a_j of every trial column. */
  proj: Float64Array;
}

const TINY = 1e-50; // nilearn's DEF_TINY floor of the variance

/** Fits the trials of each chunk of lssAr1Pass at their own bins, into effect and z (T x nVox). */
export class Ar1BinFitter {
  /** The largest |trunc(rho·bins)| of n scans. */
  static kbMax(n: number, bins: number): number {
    return Math.ceil((bins * n) / Math.max(1, n - 1));
  }

  /** Workspace bytes of a fitter. */
  static bytes(n: number, p: number, T: number, nc: number, C: number, bins: number): number {
    const maxBins = 2 * Ar1BinFitter.kbMax(n, bins) + 1;
    const rows = p + nc + T;
    return 8 * (maxBins * rows * p + p * C + rows * C + 8) + 16 * (maxBins + 8);
  }

  private readonly bins: Ar1Bin[] = [];
  private readonly ops: Float64Array[] = [];
  /** bin index of kb - kbMin, -1 when not built yet */
  private readonly index: Int32Array;
  private readonly kbMin: number;
  private readonly dx: Float64Array;
  private readonly out: Float64Array;
  private readonly pool: Float64Array;
  private used = 0;
  private start = new Int32Array(1);
  private fill = new Int32Array(0);
  private seen = new Int32Array(0);
  private readonly pairs: Int32Array;

  /** Trials, columns per trial, trial columns (T·K). */
  private readonly T: number;
  private readonly Tc: number;
  private readonly aLast: Float64Array;
  private readonly q: Float64Array;

  /** a: the trial columns (n x T·K, trial k's column j at k·K + j); condRow: the condition row (into nc) of each. */
  constructor(
    ws: Workspace, private readonly x: Mat, a: Mat, private readonly K: number, private readonly nc: number, private readonly condRow: Int32Array,
    C: number, private readonly binsPerUnit: number, private readonly nVox: number,
    private readonly makeBin: (rho: number) => Ar1Bin, private readonly effect: Float32Array | Float64Array, private readonly z: Float32Array | Float64Array,
  ) {
    const p = x.cols;
    const Tc = a.cols;
    this.Tc = Tc;
    this.T = Tc / K;
    this.q = new Float64Array(K);
    this.aLast = a.data.slice((a.rows - 1) * Tc, a.rows * Tc);
    // |rho| <= n / (n - 1) (lssAr1Pass keeps it there), so |trunc(rho·bins)| <= kbMax
    const kbMax = Ar1BinFitter.kbMax(x.rows, binsPerUnit);
    this.kbMin = -kbMax;
    const maxBins = 2 * kbMax + 1;
    this.index = new Int32Array(maxBins).fill(-1);
    this.pool = ws.f64(maxBins * (p + nc + Tc) * p);
    this.dx = ws.f64(p * C);
    this.out = ws.f64((p + nc + Tc) * C);
    this.pairs = new Int32Array(this.T * C);
  }

  /** How many bins were met. */
  get binCount(): number {
    return this.bins.length;
  }

  /** The bin index of kb, building the bin's terms and operator the first time. */
  private binIndex(kb: number): number {
    const slot = kb - this.kbMin;
    if (!(slot >= 0 && slot < this.index.length)) throw new Error(`AR(1) bin ${kb} out of range`);
    let g = this.index[slot];
    if (g >= 0) return g;
    const p = this.x.cols;
    const { Tc: T, nc } = this;
    const b = this.makeBin(kb / this.binsPerUnit);
    // the rows applied to d_X: [B·P⁺ᵀ (r); N[c] (nc); ν_j = (B·P⁺ᵀ)ᵀ·(B·Wa_j) (T·K)], so that
    // u_jᵀWy = d_j - ν_j·d_X
    const rows = b.r + nc + T;
    const op = this.pool.subarray(this.used, this.used + rows * p);
    this.used += rows * p;
    op.set(b.m.subarray(0, b.r * p));
    op.set(b.nCov.subarray(0, nc * p), b.r * p);
    for (let k = 0; k < T; k++) {
      const o = (b.r + nc + k) * p;
      for (let l = 0; l < b.r; l++) {
        const w = b.proj[k * b.r + l];
        for (let j = 0; j < p; j++) op[o + j] += w * b.m[l * p + j];
      }
    }
    g = this.bins.length;
    this.bins.push(b);
    this.ops.push(op);
    this.index[slot] = g;
    return g;
  }

  fit(ch: Ar1Chunk): void {
    const { v0, c, cs, prod, lag, yl, kb } = ch;
    const { x, T, Tc, K, nc, condRow, effect, z, nVox, dx, out, q: qv } = this;
    const n = x.rows;
    const p = x.cols;
    const P = p + Tc;
    const Kn = kernels();
    // bins of the chunk's (voxel, trial) pairs: kb becomes bin indices in place
    const index = this.index;
    const kbMin = this.kbMin;
    for (let o = 0; o < c * T; o++) {
      const g = index[kb[o] - kbMin];
      kb[o] = g >= 0 ? g : this.binIndex(kb[o]);
    }
    const nb = this.bins.length;
    if (this.start.length < nb + 1) {
      this.start = new Int32Array(nb + 1);
      this.fill = new Int32Array(nb);
      this.seen = new Int32Array(nb);
    }
    binPairs(kb, T, c, nb, this.start, this.fill, this.seen, this.pairs);
    const { start, pairs } = this;
    const xLast = x.data.subarray((n - 1) * p, n * p);
    const aLast = this.aLast;
    for (let g = 0; g < nb; g++) {
      const a0 = start[g];
      const cnt = start[g + 1] - a0;
      if (cnt === 0) continue;
      const gs = (cnt + 3) & ~3;
      const bin = this.bins[g];
      const { rho, r, w, v, sInv, vconst, den, zOf } = bin;
      const a1 = 1 + rho * rho;
      const rr = rho * rho;
      // d_X of the bin's voxels (p x gs, zero past cnt)
      for (let q = 0; q < cnt; q++) {
        const pt = pairs[a0 + q] * 2 * P;
        const ry = rr * yl[pairs[a0 + q]];
        for (let j = 0; j < p; j++) dx[j * gs + q] = a1 * prod[pt + j] - rho * prod[pt + P + j] - ry * xLast[j];
      }
      for (let j = 0; j < p; j++) dx.fill(0, j * gs + cnt, (j + 1) * gs);
      Kn.gemm(this.ops[g], r + nc + Tc, p, dx, gs, out);
      for (let q = 0; q < cnt; q++) {
        const i = pairs[a0 + q];
        const yi = yl[i];
        const pt = i * 2 * P;
        let zz = 0;
        for (let l = 0, o = q; l < r; l++, o += gs) zz += out[o] * out[o];
        const sse = a1 * lag[i] - 2 * rho * lag[cs + i] - rr * yi * yi - zz;
        for (let k = 0; k < T; k++) {
          if (kb[i * T + k] !== g) continue;
          const o = k * nVox + v0 + i;
          const vc = vconst[k];
          if (vc === Infinity) {
            effect[o] = 0;
            z[o] = 0;
            continue;
          }
          // q_j = u_jᵀWy of the trial's columns (zero for a trial alone in its condition: v = S⁻¹ = 0)
          let b = 0;
          for (let j = 0; j < K; j++) {
            const col = k * K + j;
            const qj = a1 * prod[pt + p + col] - rho * prod[pt + P + p + col] - rr * aLast[col] * yi - out[(r + nc + col) * gs + q];
            qv[j] = qj;
            b += w[col] * out[(r + condRow[col]) * gs + q] + v[col] * qj;
          }
          const e = (sse - (K === 1 ? qv[0] * qv[0] * sInv[k] : quadratic(sInv, k * K * K, qv, K))) / den[k];
          effect[o] = b;
          z[o] = zOf[k](b / Math.sqrt(Math.max(e * vc, TINY)));
        }
      }
    }
  }
}

/**
 * The (bin, voxel) pairs of a chunk sorted by bin (a counting sort): bin g's chunk indices are
 * pairs[start[g] .. start[g + 1]), in voxel order, one per voxel i whose labels (c x nRows, at
 * [i·nRows + k]) contain g.
 */
function binPairs(labels: Int32Array, nRows: number, c: number, nb: number, start: Int32Array, fill: Int32Array, seen: Int32Array, pairs: Int32Array): void {
  start.fill(0);
  seen.fill(-1);
  for (let i = 0; i < c; i++) {
    for (let k = 0; k < nRows; k++) {
      const g = labels[i * nRows + k];
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
      const g = labels[i * nRows + k];
      if (seen[g] === i) continue;
      seen[g] = i;
      pairs[fill[g]++] = i;
    }
  }
}
