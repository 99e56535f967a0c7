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
import { loadF64, stageRows } from './chunks.js';
import { ar1PassBytes, lssAr1Pass } from './single-trial-ar.js';
import { Ar1BinFitter } from './single-trial-ar-fit.js';
import { designRank, linearModelWithBasis, whitenDesign } from './regression.js';

/** One trial of an LSS model: its regressor and the column of its condition in X. */
export interface LssTrial {
  /** The trial's regressor (n values, the rows of X). */
  regressor: Float64Array;
  /** Index of the trial's condition column in X. */
  column: number;
  /** True when the trial is the only one of its condition (its model is X itself). */
  alone: boolean;
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

/** Whether lssFast applies: X has a constant column (nilearn's designs always do). */
export function lssFastApplies(x: Mat): boolean {
  return hasConstant(x);
}

/**
 * LSS estimates of every trial (see the module comment). y: n x nVox time-major (not
 * modified), x: the condition model (n x p).
 */
export function lssFast(y: TimeSeriesData, x: Mat, trials: LssTrial[], opts: SingleTrialOptions = {}): BetaSeries {
  const lap = clock(opts.timings);
  const n = x.rows;
  const p = x.cols;
  const nVox = y.length / n;
  const T = trials.length;
  if (!hasConstant(x)) throw new Error('lssFast needs a design with a constant column');
  const effect = new Float32Array(T * nVox);
  const z = new Float32Array(T * nVox);
  const estimable = new Array<boolean>(T).fill(true);
  if (T === 0 || nVox === 0) return { effect, z, estimable };
  const order = parseNoiseModel(opts.noiseModel ?? 'ar1');
  const bins = opts.bins ?? 100;
  const rank = designRank(x);
  const cols = [...new Set(trials.map((t) => t.column))];
  const colRow = new Map(cols.map((c, i) => [c, i]));
  const nc = cols.length;
  // trial regressors as an n x T matrix (whitened per group)
  const a: Mat = { rows: n, cols: T, data: new Float64Array(n * T) };
  trials.forEach((tr, k) => {
    for (let t = 0; t < n; t++) a.data[t * T + k] = tr.regressor[t];
  });
  const tables = new Map<number, (t: number) => number>();
  const table = (dof: number) => tables.get(dof) ?? tables.set(dof, tToZTable(dof)).get(dof)!;
  const terms = (rho: Float64Array) => groupTerms(x, a, rho, rank, trials, cols, estimable, table);
  const K = kernels();
  const C = (Math.max(4, Math.min(opts.chunkSize ?? 2048, nVox)) + 3) & ~3;

  if (order === 1) {
    // AR(1): each trial model's own bin at each voxel (exact, single-trial-ar.ts), found and
    // fitted in one pass over the data (single-trial-ar-fit.ts)
    const ws = K.workspace(ar1PassBytes(n, p, T, C) + Ar1BinFitter.bytes(n, p, T, nc, C, bins));
    const condRow = Int32Array.from(trials, (t) => colRow.get(t.column)!);
    const fitter = new Ar1BinFitter(ws, x, a, nc, condRow, C, bins, nVox, (rho) => {
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
      return { rho, m, r, nCov, proj: g.proj, beta: g.beta, invS: g.invS, vconst: g.vconst, den: g.den, zOf: g.zOf };
    }, effect, z);
    lap('setup');
    lssAr1Pass(ws, y, x, a, trials.map((t) => t.alone), bins, C, (ch) => fitter.fit(ch));
    lap(`ar bins + trial fits (${fitter.binCount} bins)`);
    return { effect, z, estimable };
  }

  // OLS and AR(N > 1): the condition model's groups, one per voxel
  const groups = arGroups(y, x, { noiseModel: opts.noiseModel ?? 'ar1', bins });
  lap(order === 0 ? 'setup' : 'ols + ar estimate');
  const f32 = y instanceof Float32Array;
  const nm = groups.rho.length;
  // per group: stacked operator [pinv(W) rows of the condition columns; basis; Uᵀ] and per-trial terms
  interface Group { stack: Float64Array; rows: number; r: number; rho: Float64Array; w1: Float64Array; r1: Float64Array; beta: Float64Array; invS: Float64Array; vconst: Float64Array; den: Float64Array; zOf: ((t: number) => number)[] }
  const built = groups.rho.map(terms);
  lap('trial terms');

  const maxRows = Math.max(...built.map((b) => b.rows));
  const ws = K.workspace(8 * (built.reduce((s, b) => s + b.stack.length, 0) + nm * (3 * n + 2) + n * C + maxRows * C + 6 * C) + (f32 ? 8 * (n * C + 8) : 0) + 4 * (C + 4) + 16 * (5 * nm + 16));
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
  const fill = new Int32Array(nm);
  const y64 = f32 ? undefined : (y as Float64Array);
  const labels = groups.labels;
  for (let v0 = 0; v0 < nVox; v0 += C) {
    const c = Math.min(C, nVox - v0);
    chunkPairs(labels, v0, c, nm, count, fill, pairs);
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
        if (raw) K.gatherCols(raw, stage, C, n, idx, cnt);
        K.whitenCols(stage, C, n, 0, cnt, grp.rho, ord, shift, wy);
      } else loadF64(y64!, nVox, n, v0, idx, cnt, groups.rho[g], ord, shift, wy);
      K.gemm(grp.stack, grp.rows, n, wy, cs, prod);
      K.colStats(wy, n, cs, grp.r1, grp.w1, shift, ss, sr, sy, sy2);
      writeTrials(grp, trials, colRow, nc, prod, cs, cnt, ss, idx, v0, nVox, effect, z);
    }
  }
  lap('trial fits');
  return { effect, z, estimable };
}

/**
 * The closed form's terms of one whitening (rho; empty: OLS): the model of WX, the stacked
 * operator [pinv(WX) rows of the condition columns; basis; Uᵀ] (nc + r + T rows of n) and per
 * trial (see the module comment) 1/s, 1 - g_c, the variance factor, the dispersion denominator,
 * the t-to-z map and B·W·a_k (T x r). A trial collinear with X under this whitening is marked
 * in `estimable`.
 */
function groupTerms(
  x: Mat, a: Mat, rho: Float64Array, rank: number, trials: LssTrial[], cols: number[], estimable: boolean[],
  table: (dof: number) => (t: number) => number,
) {
  const n = x.rows;
  const p = x.cols;
  const T = a.cols;
  const nc = cols.length;
  const model = linearModelWithBasis(x, rho, rank);
  const basis = model.basis!.data;
  const r = model.basis!.rows;
  const aw = rho.length ? whitenDesign(a, rho) : a;
  const rows = nc + r + T;
  const stack = new Float64Array(rows * n);
  for (let i = 0; i < nc; i++) stack.set(model.calcBeta.data.subarray(cols[i] * n, (cols[i] + 1) * n), i * n);
  stack.set(basis, nc * n);
  const invS = new Float64Array(T);
  const beta = new Float64Array(T);
  const vconst = new Float64Array(T);
  const den = new Float64Array(T);
  const zOf: ((t: number) => number)[] = [];
  const projAll = new Float64Array(T * r);
  for (let k = 0; k < T; k++) {
    const proj = projAll.subarray(k * r, (k + 1) * r);
    const c = trials[k].column;
    const hcc = model.normCov.data[c * p + c];
    if (trials[k].alone) {
      invS[k] = 0; beta[k] = 0; vconst[k] = hcc; den[k] = model.dispersionDenominator;
      zOf.push(table(n - rank));
      continue;
    }
    // u = (I - BᵀB)·a_w, s = |u|², g_c = pinv(W)[c]·a_w
    let norm = 0;
    for (let t = 0; t < n; t++) {
      const v = aw.data[t * T + k];
      norm += v * v;
      for (let l = 0; l < r; l++) proj[l] += basis[l * n + t] * v;
    }
    const u = stack.subarray((nc + r + k) * n, (nc + r + k + 1) * n);
    let s = 0;
    let gc = 0;
    for (let t = 0; t < n; t++) {
      const v = aw.data[t * T + k];
      let h = 0;
      for (let l = 0; l < r; l++) h += basis[l * n + t] * proj[l];
      u[t] = v - h;
      s += u[t] * u[t];
      gc += model.calcBeta.data[c * n + t] * v;
    }
    if (!(norm > 0) || s <= COLLINEAR * norm) {
      estimable[k] = false;
      u.fill(0);
      invS[k] = 0; beta[k] = 0; vconst[k] = Infinity; den[k] = 1;
      zOf.push(() => 0);
      continue;
    }
    invS[k] = 1 / s;
    beta[k] = 1 - gc;
    vconst[k] = hcc + (1 - gc) * (1 - gc) / s;
    den[k] = n - p - 1;
    zOf.push(table(n - rank - 1));
  }
  return { model, basis, r, rows, stack, proj: projAll, beta, invS, vconst, den, zOf };
}

/**
 * The voxels of chunk [v0, v0 + c) sorted by group (a counting sort): group g's chunk indices
 * are pairs[start[g] .. start[g + 1]), in voxel order.
 */
function chunkPairs(labels: Int32Array, v0: number, c: number, nm: number, start: Int32Array, fill: Int32Array, pairs: Int32Array): void {
  start.fill(0, 0, nm + 1);
  for (let i = 0; i < c; i++) start[labels[v0 + i] + 1]++;
  for (let g = 0; g < nm; g++) start[g + 1] += start[g];
  fill.set(start.subarray(0, nm));
  for (let i = 0; i < c; i++) pairs[fill[labels[v0 + i]]++] = i;
}

function writeTrials(
  grp: { r: number; beta: Float64Array; invS: Float64Array; vconst: Float64Array; den: Float64Array; zOf: ((t: number) => number)[] },
  trials: LssTrial[], colRow: Map<number, number>, nc: number, prod: Float64Array, cs: number, cnt: number,
  ss: Float64Array, idx: Int32Array, v0: number, nVox: number, effect: Float32Array, z: Float32Array,
): void {
  const { r, beta, invS, vconst, den, zOf } = grp;
  const T = trials.length;
  const sse = new Float64Array(cnt);
  for (let i = 0; i < cnt; i++) {
    let zz = 0;
    for (let l = 0, o = nc * cs + i; l < r; l++, o += cs) zz += prod[o] * prod[o];
    sse[i] = ss[i] - zz;
  }
  for (let k = 0; k < T; k++) {
    const cRow = colRow.get(trials[k].column)! * cs;
    const uRow = (nc + r + k) * cs;
    const out = k * nVox + v0;
    const bk = beta[k];
    const is = invS[k];
    const vc = vconst[k];
    const dk = den[k];
    const zk = zOf[k];
    if (vc === Infinity) {
      for (let i = 0; i < cnt; i++) { effect[out + idx[i]] = 0; z[out + idx[i]] = 0; }
      continue;
    }
    for (let i = 0; i < cnt; i++) {
      const q = prod[uRow + i];
      const b = prod[cRow + i] + bk * q * is;
      const e = (sse[i] - q * q * is) / dk;
      const t = b / Math.sqrt(Math.max(e * vc, TINY));
      const o = out + idx[i];
      effect[o] = b;
      z[o] = zk(t);
    }
  }
}

/**
 * The reference procedure: one GLM per trial (runGlm on [X with the condition column
 * replaced by b, a]), nilearn's beta-series loop; for validation and for designs the closed
 * form does not cover.
 */
export function lssRefit(y: TimeSeriesData, x: Mat, trials: LssTrial[], opts: SingleTrialOptions = {}): BetaSeries {
  const n = x.rows;
  const p = x.cols;
  const nVox = y.length / n;
  const T = trials.length;
  const effect = new Float32Array(T * nVox);
  const z = new Float32Array(T * nVox);
  const estimable = new Array<boolean>(T).fill(true);
  trials.forEach((tr, k) => {
    let design: Mat;
    let col: number;
    if (tr.alone) {
      design = x;
      col = tr.column;
    } else {
      design = { rows: n, cols: p + 1, data: new Float64Array(n * (p + 1)) };
      for (let t = 0; t < n; t++) {
        for (let j = 0; j < p; j++) design.data[t * (p + 1) + j] = x.data[t * p + j];
        design.data[t * (p + 1) + tr.column] -= tr.regressor[t];
        design.data[t * (p + 1) + p] = tr.regressor[t];
      }
      col = p;
      if (designRank(design) <= designRank(x)) estimable[k] = false;
    }
    const fit = runGlm(y, design, { noiseModel: opts.noiseModel ?? 'ar1', bins: opts.bins ?? 100 });
    writeColumn(fit, col, k, effect, z);
  });
  return { effect, z, estimable };
}

/** Effect and z of one design column of a fit (t contrast e_col), into row k of the series. */
function writeColumn(fit: ReturnType<typeof runGlm>, col: number, k: number, effect: Float32Array, z: Float32Array): void {
  const nVox = fit.nVoxels;
  const p = fit.nRegressors;
  const zOf = tToZTable(fit.models[fit.models.length - 1].dfResid);
  const scale = fit.models.map((m) => m.normCov.data[col * p + col]);
  for (let v = 0; v < nVox; v++) {
    const b = fit.theta[col * nVox + v];
    const t = b / Math.sqrt(Math.max(fit.dispersion[v] * scale[fit.labels[v]], TINY));
    effect[k * nVox + v] = b;
    z[k * nVox + v] = zOf(t);
  }
}

/**
 * LSA: one fit of the design with one column per trial; `columns` are the trial columns in
 * the order of the series. A trial column that is zero (no kept scan) or in the span of the
 * others is flagged inestimable (nilearn's pinv gives it a minimum-norm estimate).
 */
export function lsa(y: TimeSeriesData, x: Mat, columns: number[], opts: SingleTrialOptions = {}): BetaSeries {
  const lap = clock(opts.timings);
  const fit = runGlm(y, x, { noiseModel: opts.noiseModel ?? 'ar1', bins: opts.bins ?? 100, timings: opts.timings });
  lap('glm');
  const nVox = fit.nVoxels;
  const effect = new Float32Array(columns.length * nVox);
  const z = new Float32Array(columns.length * nVox);
  const fullRank = designRank(x);
  const estimable = columns.map((c) => {
    const rest = { rows: x.rows, cols: x.cols - 1, data: new Float64Array(x.rows * (x.cols - 1)) };
    let any = false;
    for (let t = 0; t < x.rows; t++) {
      for (let j = 0, o = 0; j < x.cols; j++) {
        if (j === c) { any ||= x.data[t * x.cols + j] !== 0; continue; }
        rest.data[t * rest.cols + o++] = x.data[t * x.cols + j];
      }
    }
    return any && designRank(rest) < fullRank;
  });
  columns.forEach((c, k) => writeColumn(fit, c, k, effect, z));
  lap('trial maps');
  return { effect, z, estimable };
}
