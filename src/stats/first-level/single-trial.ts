/**
 * Single-trial response estimates (beta series) as in nilearn's beta-series example, run
 * with FirstLevelModel:
 *
 * - LSA (least squares, all): one model whose design has one regressor per trial
 *   (`<condition>__<k>`); the trial's estimate is its column's effect and z (lsa()).
 * - LSS (least squares, separate): one model per trial, in which that trial has its own
 *   regressor a and the other trials of its condition keep theirs (b = x_c - a); every other
 *   column is the condition model's X (lssFast(), lssRefit()).
 *
 * lssFast: the trial model [X_rest, b, a] spans the same space as [X, a] (x_c = a + b), so
 * with H the projection on span(X), u = (I - H)·a, s = |u|², g = pinv(X)·a and β_X the
 * condition model's fit (Frisch–Waugh–Lovell and the block inverse of [X a]ᵀ[X a]):
 *   δ = uᵀy / s                 (coefficient of a in the [X, a] parametrisation)
 *   β_a = β_X[c] + (1 - g_c)·δ   (in [X_rest, b, a]: β_a = γ_c + δ, γ_c = β_X[c] - g_c·δ)
 *   SSE = SSE_X - (uᵀy)² / s
 *   var(β_a) = σ²·(normCov_X[c,c] + (1 - g_c)² / s),  σ² = SSE / (n - p - 1)
 * so all trials of a voxel need only one extra product per trial (uᵀy), computed for every
 * trial at once by one matrix product [pinv(X) rows; range basis; Uᵀ] · Y per voxel chunk:
 * no per-trial pass over the data, |y|² once. A trial alone in its condition (b = 0) has the
 * condition model itself (β_a = β_X[c]).
 * K columns per trial (derivative HRFs, FIR: single-trial-terms.ts): A_k (n x K) replaces a,
 * U = (I - H)·A_k, S = UᵀU (K x K), G = pinv(X)·A_k; the trial's estimate cᵀθ (c: weights on
 * its K columns) is, on the [X, A_k] parametrisation, w_Xᵀγ_c + cᵀδ with w_X = c when the
 * rest of the condition is X_c - A_k (w_X from a K x K solve when nilearn orthogonalised
 * it), so with m = c - G_cᵀw_X, q = Uᵀy:
 *   effect = w_Xᵀβ_X[c] + (S⁻¹m)ᵀq,   SSE = SSE_X - qᵀS⁻¹q,
 *   var = σ²·(w_XᵀN_cc·w_X + mᵀS⁻¹m),  σ² = SSE / (n - p - K)
 * (K = 1, w_X = c = 1: the formulas above). Per voxel K products per trial, as many as the
 * trial has columns; the AR(1) bins of single-trial-ar.ts likewise (rank-K update of the
 * residual sums).
 * AR(1): nilearn refits every trial model, so the AR(1) bin of trial model k at a voxel is that
 * of its own OLS residuals, which differ from the condition model's by one regressor;
 * single-trial-ar.ts computes those bins exactly from the condition model's residuals and two
 * products per trial, and each trial gets the closed form above at its own bin, on the
 * whitened design, trial regressors and data: single-trial-ar-fit.ts, which takes the whitened
 * products from the same per-voxel products as the bins (one pass over the data). On synth
 * run 1 the trial bin differs from the condition model's at about half the trial-voxels, and
 * reusing the condition bins gave |dz| up to 0.4; the per-trial bins match nilearn
 * (test/fixtures/reference/single_trial/lss_run1_ar1). AR(N > 1) (k-means clusters of the
 * coefficients) keeps the condition model's groups, a documented approximation (lssRefit
 * refits). OLS is exact.
 */
import type { Mat } from '../core/matrix.js';
import { tToZTable } from '../core/t-to-z.js';
import { kernels } from '../wasm/kernels.js';
import { arGroups, parseNoiseModel, runGlm, type TimeSeriesData } from './glm.js';
import { groupChunkByLabel, loadF64, stageRows } from './chunks.js';
import { ar1PassBytes, lssAr1Pass } from './single-trial-ar.js';
import { Ar1BinFitter } from './single-trial-ar-fit.js';
import { designRank, linearModelWithBasis, whitenDesign } from './regression.js';
import { cholInverse, cholSolve, gramCholesky, quadratic, trialContrasts, type TrialTerms } from './single-trial-terms.js';

/**
 * One trial of an LSS model: its K regressors (K HRF columns; 1 for spm, glover, none) and
 * the columns of its condition in X.
 */
export interface LssTrial {
  /** The trial's regressors, one per HRF column (n values each, the rows of X). */
  regressors: Float64Array[];
  /** Index in X of the condition's column matching each regressor. */
  columns: number[];
  /** True when the trial is the only one of its condition (its model is X itself). */
  alone: boolean;
  /**
   * The columns of the rest of the condition in the trial model, when they are not
   * X[columns] - regressors (nilearn orthogonalises a condition's derivative columns on its
   * canonical one, so those of the rest are not a difference; see single-trial-terms.ts).
   */
  rest?: Float64Array[];
}

export interface BetaSeries {
  /** nTrials x nVoxels: effect size of each trial. */
  effect: Float32Array;
  /** nTrials x nVoxels: z score of each trial's t statistic. */
  z: Float32Array;
  /** Per trial: false when its regressor is (numerically) in the span of the other columns, or zero. */
  estimable: boolean[];
}

export interface SingleTrialOptions {
  noiseModel?: string;
  /**
   * The trial's estimate as weights on its K columns (default [1, 0, …]: the canonical column,
   * what nilearn's contrast '<condition>__<k>' gives; FIR: the mean of the delays, 1/K each).
   */
  weights?: number[];
  bins?: number;
  /** Voxels per chunk (default 2048). */
  chunkSize?: number;
  timings?: Record<string, number>;
}

const TINY = 1e-50; // nilearn's DEF_TINY floor of the variance
/** A trial regressor whose residual on the other columns keeps less than this share of its norm is inestimable. */
const COLLINEAR = 1e-10;

function clock(sink?: Record<string, number>): (stage: string) => void {
  let last = performance.now();
  return (stage) => {
    const now = performance.now();
    if (sink) sink[stage] = (sink[stage] ?? 0) + (now - last) / 1000;
    last = now;
  };
}

/** True when the (whitened) constant lies in the design's range: the fast path then ignores per-voxel shifts. */
function hasConstant(x: Mat): boolean {
  for (let j = 0; j < x.cols; j++) {
    const v = x.data[j];
    if (v === 0) continue;
    let same = true;
    for (let t = 1; t < x.rows && same; t++) same = x.data[t * x.cols + j] === v;
    if (same) return true;
  }
  return false;
}

/**
 * Whether lssFast applies: X has a constant column (nilearn's designs always do) and, with
 * derivative HRF models, every trial's rest-of-condition columns lie in span([X_c, A]).
 */
export function lssFastApplies(x: Mat, trials: LssTrial[] = [], weights?: number[]): boolean {
  if (!hasConstant(x)) return false;
  if (!trials.some((t) => t.rest)) return true;
  return trialContrasts(x, trials, trialWeights(trials, weights)).spanned;
}

/** The weights on a trial's K columns (default: the first, canonical, column). */
function trialWeights(trials: LssTrial[], weights?: number[]): Float64Array {
  const K = trials.length ? trials[0].regressors.length : 1;
  for (const t of trials) {
    if (t.regressors.length !== K || t.columns.length !== K || (t.rest && t.rest.length !== K)) throw new Error('single-trial: every trial needs the same number of regressors, condition columns and rest columns');
  }
  if (weights && weights.length !== K) throw new Error(`single-trial: ${weights.length} weights for ${K} columns per trial`);
  return weights ? Float64Array.from(weights) : Float64Array.from({ length: K }, (_, j) => (j === 0 ? 1 : 0));
}

/**
 * LSS estimates of every trial (see the module comment). y: n x nVox time-major (not
 * modified), x: the condition model (n x p).
 */
export function lssFast(y: TimeSeriesData, x: Mat, trials: LssTrial[], opts: SingleTrialOptions = {}): BetaSeries {
  const n = (x.rows > 0 ? y.length / x.rows : 0) * trials.length;
  return zeroInestimable(lssInto(y, x, trials, opts, new Float32Array(n), new Float32Array(n)));
}

/** lssFast in double precision (for checking the closed form against explicit refits). */
export function lssFast64(y: TimeSeriesData, x: Mat, trials: LssTrial[], opts: SingleTrialOptions = {}): { effect: Float64Array; z: Float64Array; estimable: boolean[] } {
  const n = (x.rows > 0 ? y.length / x.rows : 0) * trials.length;
  return zeroInestimable(lssInto(y, x, trials, opts, new Float64Array(n), new Float64Array(n)));
}

/**
 * Zero volumes for the trials flagged inestimable. With AR(1), one voxel bin's whitening can
 * make a trial collinear after earlier bins were written: the flag holds for the whole trial,
 * so none of its voxels keeps a value.
 */
function zeroInestimable<R extends { effect: SeriesArray; z: SeriesArray; estimable: boolean[] }>(r: R): R {
  const T = r.estimable.length;
  const nVox = T ? r.effect.length / T : 0;
  r.estimable.forEach((ok, k) => {
    if (ok) return;
    r.effect.fill(0, k * nVox, (k + 1) * nVox);
    r.z.fill(0, k * nVox, (k + 1) * nVox);
  });
  return r;
}

/** Effect and z outputs (T x nVox) in single or double precision. */
export type SeriesArray = Float32Array | Float64Array;

function lssInto<A extends SeriesArray>(y: TimeSeriesData, x: Mat, trials: LssTrial[], opts: SingleTrialOptions, effect: A, z: A): { effect: A; z: A; estimable: boolean[] } {
  const lap = clock(opts.timings);
  const n = x.rows;
  const p = x.cols;
  const nVox = y.length / n;
  const T = trials.length;
  if (!hasConstant(x)) throw new Error('lssFast needs a design with a constant column');
  const estimable = new Array<boolean>(T).fill(true);
  if (T === 0 || nVox === 0) return { effect, z, estimable };
  const cA = trialWeights(trials, opts.weights);
  const K = cA.length;
  const TK = T * K;
  const { wX, spanned, singular } = trialContrasts(x, trials, cA);
  if (!spanned) throw new Error("lssFast: a trial's rest-of-condition columns are not in the span of its condition's and its own");
  singular.forEach((s, k) => s && (estimable[k] = false));
  const order = parseNoiseModel(opts.noiseModel ?? 'ar1');
  const bins = opts.bins ?? 100;
  const rank = designRank(x);
  const cols = [...new Set(trials.flatMap((t) => t.columns))];
  const colRow = new Map(cols.map((c, i) => [c, i]));
  const nc = cols.length;
  // condition row (index into cols) of each trial column, T x K
  const condRow = Int32Array.from({ length: TK }, (_, i) => colRow.get(trials[Math.floor(i / K)].columns[i % K])!);
  // the trials' regressors as an n x TK matrix (trial k's column j at k·K + j)
  const a: Mat = { rows: n, cols: TK, data: new Float64Array(n * TK) };
  trials.forEach((tr, k) => {
    for (let j = 0; j < K; j++) {
      const reg = tr.regressors[j];
      for (let t = 0; t < n; t++) a.data[t * TK + k * K + j] = reg[t];
    }
  });
  const tables = new Map<number, (t: number) => number>();
  const table = (dof: number) => tables.get(dof) ?? tables.set(dof, tToZTable(dof)).get(dof)!;
  const terms = (rho: Float64Array) => groupTerms(x, a, K, rho, rank, trials, cols, wX, cA, estimable, table);
  const Kn = kernels();
  const C = (Math.max(4, Math.min(opts.chunkSize ?? 2048, nVox)) + 3) & ~3;

  if (order === 1) {
    // AR(1): each trial model's own bin at each voxel (exact, single-trial-ar.ts), found and
    // fitted in one pass over the data (single-trial-ar-fit.ts)
    const ws = Kn.workspace(ar1PassBytes(n, p, TK, C) + Ar1BinFitter.bytes(n, p, TK, nc, C, bins));
    const fitter = new Ar1BinFitter(ws, x, a, K, nc, condRow, C, bins, nVox, (rho) => {
      const g = terms(Float64Array.of(rho));
      const { basis, model, r } = g;
      // B·pinv(WX)ᵀ (r x p) and the normCov rows of the condition columns
      const m = new Float64Array(r * p);
      for (let l = 0; l < r; l++) {
        for (let j = 0; j < p; j++) {
          let acc = 0;
          for (let t = 0; t < n; t++) acc += basis[l * n + t] * model.calcBeta.data[j * n + t];
          m[l * p + j] = acc;
        }
      }
      const nCov = new Float64Array(nc * p);
      for (let i = 0; i < nc; i++) nCov.set(model.normCov.data.subarray(cols[i] * p, (cols[i] + 1) * p), i * p);
      return { rho, m, r, nCov, proj: g.proj, ...g.trial };
    }, effect, z);
    lap('setup');
    lssAr1Pass(ws, y, x, a, K, trials.map((t) => t.alone), bins, C, (ch) => fitter.fit(ch));
    lap(`ar bins + trial fits (${fitter.binCount} bins)`);
    return { effect, z, estimable };
  }

  // OLS and AR(N > 1): the condition model's groups, one per voxel
  const groups = arGroups(y, x, { noiseModel: opts.noiseModel ?? 'ar1', bins });
  lap(order === 0 ? 'setup' : 'ols + ar estimate');
  const f32 = y instanceof Float32Array;
  const nm = groups.rho.length;
  // per group: stacked operator [pinv(W) rows of the condition columns; basis; Uᵀ] and per-trial terms
  interface Group { stack: Float64Array; rows: number; r: number; rho: Float64Array; w1: Float64Array; r1: Float64Array; trial: TrialTerms }
  const built = groups.rho.map(terms);
  lap('trial terms');

  const maxRows = Math.max(...built.map((b) => b.rows));
  const ws = Kn.workspace(8 * (built.reduce((s, b) => s + b.stack.length, 0) + nm * (3 * n + 2) + n * C + maxRows * C + 6 * C) + (f32 ? 8 * (n * C + 8) : 0) + 4 * (C + 4) + 16 * (5 * nm + 16));
  const G: Group[] = built.map((b, g) => {
    const stack = ws.f64(b.stack.length);
    stack.set(b.stack);
    const rho = ws.f64(Math.max(1, groups.rho[g].length));
    rho.set(groups.rho[g]);
    // w1, r1 feed colStats, of which only |wy|² is used here
    const w1 = ws.f64(n);
    const r1 = ws.f64(n);
    return { ...b, stack, rho, w1, r1 };
  });
  const stage = f32 ? ws.f32(n * C + 8) : undefined;
  const raw = f32 && nm > 1 ? ws.f32(n * C + 8) : undefined;
  // the chunk's voxels, by group (one group per voxel)
  const pairs = ws.i32(C + 4);
  const wy = ws.f64(n * C);
  const prod = ws.f64(maxRows * C);
  const shift = ws.f64(C);
  const [ss, sr, sy, sy2] = [0, 1, 2, 3].map(() => ws.f64(C));
  const count = new Int32Array(nm + 1);
  const y64 = f32 ? undefined : (y as Float64Array);
  const labels = groups.labels;
  for (let v0 = 0; v0 < nVox; v0 += C) {
    const c = Math.min(C, nVox - v0);
    groupChunkByLabel(labels, v0, c, nm, count, pairs);
    if (stage) stageRows(y as Float32Array, nVox, n, v0, c, raw ?? stage, C);
    for (let g = 0; g < nm; g++) {
      const a0 = count[g];
      const cnt = count[g + 1] - a0;
      if (cnt === 0) continue;
      const cs = (cnt + 3) & ~3;
      const grp = G[g];
      const ord = groups.rho[g].length;
      const idx = pairs.subarray(a0, a0 + cnt);
      if (stage) {
        if (raw) Kn.gatherCols(raw, stage, C, n, idx, cnt);
        Kn.whitenCols(stage, C, n, 0, cnt, grp.rho, ord, shift, wy);
      } else loadF64(y64!, nVox, n, v0, idx, cnt, groups.rho[g], ord, shift, wy);
      Kn.gemm(grp.stack, grp.rows, n, wy, cs, prod);
      Kn.colStats(wy, n, cs, grp.r1, grp.w1, shift, ss, sr, sy, sy2);
      writeTrials(grp.r, grp.trial, T, K, condRow, nc, prod, cs, cnt, ss, idx, v0, nVox, effect, z);
    }
  }
  lap('trial fits');
  return { effect, z, estimable };
}

/**
 * The closed form's terms of one whitening (rho; empty: OLS): the model of WX, the stacked
 * operator [pinv(WX) rows of the condition columns; basis; Uᵀ] (nc + r + T·K rows of n),
 * B·W·a_j of every trial column (T·K x r) and per trial (see the module comment) w_X, v = S⁻¹·m,
 * S⁻¹, the variance factor, the dispersion denominator and the t-to-z map. A trial whose
 * columns are collinear with X (or with each other) under this whitening is marked in
 * `estimable`.
 */
function groupTerms(
  x: Mat, a: Mat, K: number, rho: Float64Array, rank: number, trials: LssTrial[], cols: number[], wX: Float64Array, cA: Float64Array,
  estimable: boolean[], table: (dof: number) => (t: number) => number,
) {
  const n = x.rows;
  const p = x.cols;
  const TK = a.cols;
  const T = trials.length;
  const nc = cols.length;
  const model = linearModelWithBasis(x, rho, rank);
  const basis = model.basis!.data;
  const pinv = model.calcBeta.data;
  const N = model.normCov.data;
  const r = model.basis!.rows;
  const aw = rho.length ? whitenDesign(a, rho) : a;
  const rows = nc + r + TK;
  const stack = new Float64Array(rows * n);
  for (let i = 0; i < nc; i++) stack.set(pinv.subarray(cols[i] * n, (cols[i] + 1) * n), i * n);
  stack.set(basis, nc * n);
  const w = wX.slice();
  const v = new Float64Array(TK);
  const sInv = new Float64Array(TK * K);
  const vconst = new Float64Array(T);
  const den = new Float64Array(T);
  const zOf: ((t: number) => number)[] = [];
  const projAll = new Float64Array(TK * r);
  const norms = new Float64Array(K);
  const s = new Float64Array(K * K);
  const m = new Float64Array(K);
  for (let k = 0; k < T; k++) {
    const cc = trials[k].columns;
    const wk = w.subarray(k * K, (k + 1) * K);
    // w_Xᵀ·N_cc·w_X: the condition model's part of the variance
    let hN = 0;
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) hN += wk[i] * N[cc[i] * p + cc[j]] * wk[j];
    const inestimable = () => {
      estimable[k] = false;
      stack.fill(0, (nc + r + k * K) * n, (nc + r + (k + 1) * K) * n);
      vconst[k] = Infinity; den[k] = 1;
      zOf.push(() => 0);
    };
    if (!estimable[k]) { inestimable(); continue; }
    if (trials[k].alone) {
      vconst[k] = hN; den[k] = model.dispersionDenominator;
      zOf.push(table(n - rank));
      continue;
    }
    // u_j = (I - BᵀB)·a_wj, S = UᵀU, G[i][j] = pinv(W)[c_i]·a_wj
    for (let j = 0; j < K; j++) {
      const col = k * K + j;
      const proj = projAll.subarray(col * r, (col + 1) * r);
      let norm = 0;
      for (let t = 0; t < n; t++) {
        const val = aw.data[t * TK + col];
        norm += val * val;
        for (let l = 0; l < r; l++) proj[l] += basis[l * n + t] * val;
      }
      norms[j] = norm;
      const u = stack.subarray((nc + r + col) * n, (nc + r + col + 1) * n);
      for (let t = 0; t < n; t++) {
        let h = 0;
        for (let l = 0; l < r; l++) h += basis[l * n + t] * proj[l];
        u[t] = aw.data[t * TK + col] - h;
      }
    }
    for (let i = 0; i < K; i++) {
      const ui = (nc + r + k * K + i) * n;
      for (let j = 0; j <= i; j++) {
        const uj = (nc + r + k * K + j) * n;
        let acc = 0;
        for (let t = 0; t < n; t++) acc += stack[ui + t] * stack[uj + t];
        s[i * K + j] = acc;
        s[j * K + i] = acc;
      }
    }
    const l = gramCholesky(s, K, norms, COLLINEAR);
    if (!l) { inestimable(); continue; }
    // m = c_A - Gᵀ·w_X, v = S⁻¹·m, variance factor w_XᵀN_cc·w_X + mᵀS⁻¹m
    for (let j = 0; j < K; j++) {
      let gw = 0;
      for (let i = 0; i < K; i++) {
        let g = 0;
        for (let t = 0; t < n; t++) g += pinv[cc[i] * n + t] * aw.data[t * TK + k * K + j];
        gw += g * wk[i];
      }
      m[j] = cA[j] - gw;
    }
    const vk = cholSolve(l, K, m.slice());
    v.set(vk, k * K);
    sInv.set(cholInverse(l, K), k * K * K);
    let mv = 0;
    for (let j = 0; j < K; j++) mv += m[j] * vk[j];
    vconst[k] = hN + mv;
    den[k] = n - p - K;
    zOf.push(table(n - rank - K));
  }
  const trial: TrialTerms = { w, v, sInv, vconst, den, zOf };
  return { model, basis, r, rows, stack, proj: projAll, trial };
}

/**
 * Each trial's effect and z at the group's voxels from the stacked products: with β_c the
 * condition rows and q_j = u_jᵀy the trial's rows, effect = w_Xᵀβ_c + vᵀq and
 * SSE = SSE_X - qᵀS⁻¹q.
 */
function writeTrials(
  r: number, terms: TrialTerms, T: number, K: number, condRow: Int32Array, nc: number, prod: Float64Array, cs: number, cnt: number,
  ss: Float64Array, idx: Int32Array, v0: number, nVox: number, effect: SeriesArray, z: SeriesArray,
): void {
  const { w, v, sInv, vconst, den, zOf } = terms;
  const sse = new Float64Array(cnt);
  for (let i = 0; i < cnt; i++) {
    let zz = 0;
    for (let l = 0, o = nc * cs + i; l < r; l++, o += cs) zz += prod[o] * prod[o];
    sse[i] = ss[i] - zz;
  }
  const q = new Float64Array(K);
  for (let k = 0; k < T; k++) {
    const out = k * nVox + v0;
    const vc = vconst[k];
    const dk = den[k];
    const zk = zOf[k];
    if (vc === Infinity) {
      for (let i = 0; i < cnt; i++) { effect[out + idx[i]] = 0; z[out + idx[i]] = 0; }
      continue;
    }
    if (K === 1) {
      const cRow = condRow[k] * cs;
      const uRow = (nc + r + k) * cs;
      const wk = w[k];
      const vk = v[k];
      const is = sInv[k];
      for (let i = 0; i < cnt; i++) {
        const qq = prod[uRow + i];
        const b = wk * prod[cRow + i] + vk * qq;
        const e = (sse[i] - qq * qq * is) / dk;
        const o = out + idx[i];
        effect[o] = b;
        z[o] = zk(b / Math.sqrt(Math.max(e * vc, TINY)));
      }
      continue;
    }
    for (let i = 0; i < cnt; i++) {
      let b = 0;
      for (let j = 0; j < K; j++) {
        q[j] = prod[(nc + r + k * K + j) * cs + i];
        b += w[k * K + j] * prod[condRow[k * K + j] * cs + i] + v[k * K + j] * q[j];
      }
      const e = (sse[i] - quadratic(sInv, k * K * K, q, K)) / dk;
      const o = out + idx[i];
      effect[o] = b;
      z[o] = zk(b / Math.sqrt(Math.max(e * vc, TINY)));
    }
  }
}

/**
 * The reference procedure: one GLM per trial (runGlm on nilearn's trial model, X with the
 * condition columns replaced by the rest's and the trial's columns appended), nilearn's
 * beta-series loop; for validation and for designs the closed form does not cover.
 */
export function lssRefit(y: TimeSeriesData, x: Mat, trials: LssTrial[], opts: SingleTrialOptions = {}): BetaSeries {
  const n = x.rows;
  const p = x.cols;
  const nVox = y.length / n;
  const T = trials.length;
  const effect = new Float32Array(T * nVox);
  const z = new Float32Array(T * nVox);
  const estimable = new Array<boolean>(T).fill(true);
  const cA = trialWeights(trials, opts.weights);
  const K = cA.length;
  trials.forEach((tr, k) => {
    let design: Mat;
    let weights: Float64Array;
    if (tr.alone) {
      // the rest of the condition vanishes on the kept scans: the trial model is X with the
      // condition's columns replaced by the trial's own (the same when nothing was orthogonalised)
      design = x;
      if (tr.rest) {
        design = { rows: n, cols: p, data: x.data.slice() };
        for (let t = 0; t < n; t++) tr.columns.forEach((c, j) => (design.data[t * p + c] = tr.regressors[j][t]));
      }
      weights = new Float64Array(p);
      tr.columns.forEach((c, j) => (weights[c] += cA[j]));
    } else {
      const q = p + K;
      design = { rows: n, cols: q, data: new Float64Array(n * q) };
      for (let t = 0; t < n; t++) {
        for (let j = 0; j < p; j++) design.data[t * q + j] = x.data[t * p + j];
        tr.columns.forEach((c, j) => {
          const a = tr.regressors[j][t];
          design.data[t * q + c] = tr.rest ? tr.rest[j][t] : design.data[t * q + c] - a;
          design.data[t * q + p + j] = a;
        });
      }
      weights = new Float64Array(q);
      weights.set(cA, p);
      if (designRank(design) < designRank(x) + K) estimable[k] = false;
    }
    // an inestimable trial keeps its zero volume (as in lssFast), not pinv's minimum-norm value
    if (!estimable[k]) return;
    const fit = runGlm(y, design, { noiseModel: opts.noiseModel ?? 'ar1', bins: opts.bins ?? 100 });
    writeContrast(fit, weights, k, effect, z);
  });
  return { effect, z, estimable };
}

/** Effect and z of the t contrast `weights` (over the design columns) of a fit, into row k of the series. */
function writeContrast(fit: ReturnType<typeof runGlm>, weights: Float64Array, k: number, effect: Float32Array, z: Float32Array): void {
  const nVox = fit.nVoxels;
  const p = fit.nRegressors;
  const zOf = tToZTable(fit.models[fit.models.length - 1].dfResid);
  const nz = [...weights.keys()].filter((j) => weights[j] !== 0);
  const scale = fit.models.map((m) => {
    let s = 0;
    for (const i of nz) for (const j of nz) s += weights[i] * m.normCov.data[i * p + j] * weights[j];
    return s;
  });
  for (let v = 0; v < nVox; v++) {
    let b = 0;
    for (const j of nz) b += weights[j] * fit.theta[j * nVox + v];
    const t = b / Math.sqrt(Math.max(fit.dispersion[v] * scale[fit.labels[v]], TINY));
    effect[k * nVox + v] = b;
    z[k * nVox + v] = zOf(t);
  }
}

/**
 * LSA: one fit of the design with K columns per trial; `columns` are each trial's columns
 * (in the order of the series; K per trial, the HRF columns in nilearn's order) and the
 * trial's estimate is the contrast `opts.weights` on them. A trial with a column that is zero
 * (no kept scan) or in the span of the other columns is flagged inestimable and its volume
 * left at zero (nilearn's pinv would give it a minimum-norm estimate, a number that does not
 * estimate the trial's response).
 */
export function lsa(y: TimeSeriesData, x: Mat, columns: number[][], opts: SingleTrialOptions = {}): BetaSeries {
  const lap = clock(opts.timings);
  const K = columns.length ? columns[0].length : 1;
  const cA = opts.weights ?? Array.from({ length: K }, (_, j) => (j === 0 ? 1 : 0));
  if (cA.length !== K || columns.some((c) => c.length !== K)) throw new Error(`lsa: ${cA.length} weights for ${K} columns per trial`);
  const fit = runGlm(y, x, { noiseModel: opts.noiseModel ?? 'ar1', bins: opts.bins ?? 100, timings: opts.timings });
  lap('glm');
  const nVox = fit.nVoxels;
  const effect = new Float32Array(columns.length * nVox);
  const z = new Float32Array(columns.length * nVox);
  const fullRank = designRank(x);
  const estimable = columns.map((cs) => {
    const drop = new Set(cs);
    const rest = { rows: x.rows, cols: x.cols - drop.size, data: new Float64Array(x.rows * (x.cols - drop.size)) };
    const any = new Array<boolean>(x.cols).fill(false);
    for (let t = 0; t < x.rows; t++) {
      for (let j = 0, o = 0; j < x.cols; j++) {
        if (drop.has(j)) { any[j] ||= x.data[t * x.cols + j] !== 0; continue; }
        rest.data[t * rest.cols + o++] = x.data[t * x.cols + j];
      }
    }
    return cs.every((c) => any[c]) && designRank(rest) <= fullRank - drop.size;
  });
  columns.forEach((cs, k) => {
    // an inestimable trial keeps its zero volume, not pinv's minimum-norm value (as LSS)
    if (!estimable[k]) return;
    const weights = new Float64Array(x.cols);
    cs.forEach((c, j) => (weights[c] += cA[j]));
    writeContrast(fit, weights, k, effect, z);
  });
  lap('trial maps');
  return { effect, z, estimable };
}
