/**
 * Mass-univariate first-level GLM fit, equivalent to nilearn 0.10.4
 * `nilearn.glm.first_level.run_glm(Y, X, noise_model, bins)`:
 *
 * 1. OLS fit of every voxel.
 * 2. For 'arN': Yule-Walker AR(N) coefficients of the OLS residuals, per voxel
 *    (nilearn's `_yule_walker`, including its quirk of centering all residuals
 *    with one *global* mean over every voxel and time point).
 * 3. Quantization of the coefficients so voxels share models:
 *    - AR(1): nilearn truncates toward zero at 1/bins: rho = int(rho * bins) / bins
 *      (`(ar * bins).astype(int) * 1.0 / bins` — truncation, not rounding).
 *    - AR(N>1): nilearn clusters the coefficient vectors with sklearn KMeans
 *      (n_clusters = min(bins, n_voxels), n_init=10, random seed). We run a
 *      deterministic k-means (seeded k-means++ on a subsample, then Lloyd on all
 *      voxels, one init): the clusters are of the same nature but not
 *      identical to sklearn's, so AR(N>1) results match nilearn only
 *      approximately (nilearn itself is not reproducible without random_state).
 * 4. One ARModel fit (whitened design, pinv) per distinct quantized value.
 *
 * Per-voxel results are typed arrays (no per-voxel objects). Y is never copied
 * or modified: it is read in chunks of consecutive voxels (one memcpy per time
 * row into the kernels' memory), two passes (OLS + AR estimate, then one refit
 * per bin with the voxels of each bin gathered within the chunk). The products
 * against the pseudo-inverse run in WebAssembly SIMD kernels (wasm-kernels.ts);
 * residuals and predictions are never formed (see refitTerms and
 * yuleWalkerOfOlsResiduals), except with keepResiduals.
 * `models` are ordered by AR coefficient (AR(1)) or by key (AR(N)); nilearn's
 * dict is ordered by the label strings. Numerically the results match nilearn
 * to the float32 rounding of its output maps (test/stats/first-level-parity).
 */
import type { Mat } from '../core/matrix.js';
import { solveInPlace } from '../core/matrix.js';
import { kernels } from '../wasm/kernels.js';
import { designRank, linearModelWithBasis, type LinearModel } from './regression.js';

export type TimeSeriesData = Float32Array | Float64Array;

/** 'ols', 'ar1', 'ar2', ... as nilearn's noise_model. */
export type NoiseModel = 'ols' | `ar${number}`;

/** One fitted model shared by all the voxels with the same label. */
export interface GlmLabelModel extends LinearModel {
  /**
   * nilearn's label for this model: '0.0' for OLS, the AR(1) coefficient as
   * Python prints it (e.g. '0.37'), or the rounded AR(N) centre joined by '_'.
   */
  key: string;
  /** Number of voxels fitted with this model. */
  nVoxels: number;
}

export interface GlmResult {
  nScans: number;
  nRegressors: number;
  nVoxels: number;
  noiseModel: string;
  /** 0 for OLS, N for ar(N). */
  arOrder: number;
  /** Per voxel: index into `models`. */
  labels: Int32Array;
  models: GlmLabelModel[];
  /** Parameter estimates, nRegressors x nVoxels row-major: theta[j * nVoxels + v]. */
  theta: Float64Array;
  /** Residual variance per voxel: SSE / (n_scans - n_regressors), whitened for AR models. */
  dispersion: Float64Array;
  /** nilearn's r_square: var(whitened design · theta) / var(whitened Y) (pseudo-R² for AR). */
  rSquare: Float64Array;
  /** AR models only: the unquantized Yule-Walker coefficients, nVoxels x arOrder row-major. */
  arCoef?: Float64Array;
  /**
   * Only with keepResiduals: nilearn's `RegressionResults.residuals`, n_scans x
   * nVoxels time-major. Note that nilearn defines them as Y - (whitened design ·
   * theta), i.e. the *unwhitened* data minus the *whitened* prediction for AR
   * models; this is reproduced as is.
   */
  residuals?: Float64Array;
}

export interface RunGlmOptions {
  /** Default 'ar1' like nilearn. */
  noiseModel?: NoiseModel | string;
  /** Number of AR(1) bins per unit / number of AR(N) clusters. Default 100. */
  bins?: number;
  /** Voxels per processing chunk (rounded up to a multiple of 4). Default 1024. */
  chunkSize?: number;
  /** When given, seconds spent per stage are added to it ('ols + ar estimate', ...). */
  timings?: Record<string, number>;
  /** Keep nilearn's residuals (n_scans x n_voxels float64). Default false. */
  keepResiduals?: boolean;
  /** Seed of the AR(N>1) k-means. Default 0. */
  randomState?: number;
}

/** Parse nilearn's noise_model string: 0 for 'ols', N for 'arN'. */
export function parseNoiseModel(noiseModel: string): number {
  if (noiseModel === 'ols') return 0;
  const m = /^ar(\d+)$/.exec(noiseModel);
  if (!m) {
    throw new Error(`Acceptable noise models are 'ols' and 'arN' (e.g. 'ar1', 'ar3'). You provided noise_model='${noiseModel}'.`);
  }
  const order = Number(m[1]);
  if (!(order >= 1)) throw new Error(`AR order must be a positive integer specified as arN; you provided ${noiseModel}.`);
  return order;
}

/** Python's str() of a float for the label keys ('0.0', '-0.05', '1.0'). */
function pyFloatStr(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  if (Number.isInteger(x)) return x.toFixed(1);
  return String(x);
}

/** numpy.round(x, 2): round half to even on x * 100. */
function npRound2(x: number): number {
  const y = x * 100;
  let r = Math.round(y);
  if (Math.abs(y - Math.trunc(y)) === 0.5 && r % 2 !== 0) r -= 1; // half to even
  return r / 100;
}

export function runGlm(y: TimeSeriesData, x: Mat, opts: RunGlmOptions = {}): GlmResult {
  const noiseModel = opts.noiseModel ?? 'ar1';
  const order = parseNoiseModel(noiseModel);
  const bins = opts.bins ?? 100;
  const n = x.rows;
  const p = x.cols;
  if (n === 0 || y.length % n !== 0) {
    throw new Error(`The number of rows of Y should match the number of rows of X: Y has ${y.length} values, X is ${n} x ${p}.`);
  }
  const nVox = y.length / n;
  // chunk capacity: a multiple of 4 (the kernels' column block); the refit pass takes twice
  // as many voxels per chunk, so that each AR bin has more voxels per kernel call
  const chunk = (Math.max(1, Math.min(opts.chunkSize ?? 1024, nVox)) + 3) & ~3;
  const chunk2 = (Math.max(1, Math.min(2 * chunk, nVox)) + 3) & ~3;
  const clock = stageClock(opts.timings);
  const rank = designRank(x);
  const theta = new Float64Array(p * nVox);
  const dispersion = new Float64Array(nVox);
  const rSquare = new Float64Array(nVox);
  const residuals = opts.keepResiduals ? new Float64Array(n * nVox) : undefined;
  const ols = linearModelWithBasis(x, [], rank);
  const out: FitOutputs = { theta, dispersion, rSquare, residuals };

  const result: GlmResult = {
    nScans: n, nRegressors: p, nVoxels: nVox, noiseModel, arOrder: order,
    labels: new Int32Array(nVox), models: [], theta, dispersion, rSquare, residuals,
  };

  if (order === 0) {
    fitLabelled(y, nVox, [ols], result.labels, chunk, out);
    result.models = [{ ...withoutBasis(ols), key: '0.0', nVoxels: nVox }];
    clock('ols fit');
    return result;
  }

  const arCoef = yuleWalkerOfOlsResiduals(ols, y, nVox, order, chunk);
  result.arCoef = arCoef;
  clock('ols + ar estimate');
  const groups = order === 1 ? binAr1(arCoef, bins) : clusterArN(arCoef, order, bins, opts.randomState ?? 0);
  result.labels = groups.labels;
  const counts = new Int32Array(groups.rho.length);
  for (let v = 0; v < nVox; v++) counts[groups.labels[v]]++;
  const models = groups.rho.map((rho) => linearModelWithBasis(x, rho, rank));
  result.models = models.map((m, g) => ({ ...withoutBasis(m), key: groups.keys[g], nVoxels: counts[g] }));
  clock('ar bins');
  fitLabelled(y, nVox, models, groups.labels, chunk2, out);
  clock('ar refit per bin');
  return result;
}

/**
 * The voxel groups runGlm fits with one AR model each (OLS fit, Yule-Walker coefficients of
 * its residuals, AR(1) binning or AR(N) clustering), without the refit: for stages that reuse
 * the run's AR estimate with other designs (single-trial LSS). OLS: one group, rho = [].
 */
export function arGroups(y: TimeSeriesData, x: Mat, opts: RunGlmOptions = {}): Groups {
  const order = parseNoiseModel(opts.noiseModel ?? 'ar1');
  const n = x.rows;
  const nVox = y.length / n;
  if (order === 0) return { labels: new Int32Array(nVox), rho: [new Float64Array(0)], keys: ['0.0'] };
  const chunk = (Math.max(1, Math.min(opts.chunkSize ?? 1024, nVox)) + 3) & ~3;
  const ols = linearModelWithBasis(x, [], designRank(x));
  const arCoef = yuleWalkerOfOlsResiduals(ols, y, nVox, order, chunk);
  const bins = opts.bins ?? 100;
  return order === 1 ? binAr1(arCoef, bins) : clusterArN(arCoef, order, bins, opts.randomState ?? 0);
}

function withoutBasis(m: LinearModel & { basis?: Mat }): LinearModel {
  const { basis: _basis, ...rest } = m;
  return rest;
}

/** Calls back with the seconds since the previous call, per stage name (no-op without a sink). */
function stageClock(sink?: Record<string, number>): (stage: string) => void {
  if (!sink) return () => undefined;
  let last = performance.now();
  return (stage) => {
    const now = performance.now();
    sink[stage] = (sink[stage] ?? 0) + (now - last) / 1000;
    last = now;
  };
}

/**
 * The n x c block of y's columns [v0, v0 + c) as float32 rows of stride C in the kernels'
 * memory (a memcpy per row), for whitenCols. Float64 data is not staged (it would lose
 * precision): `loadF64` does the load in plain code instead.
 */
export function stageRows(y: Float32Array, nVox: number, n: number, v0: number, c: number, stage: Float32Array, C: number): void {
  for (let t = 0; t < n; t++) stage.set(y.subarray(t * nVox + v0, t * nVox + v0 + c), t * C);
}

/** whitenCols reading float64 y directly, columns v0 + idx[i] (same arithmetic as the kernel). */
function loadF64(
  y: Float64Array, nVox: number, n: number, v0: number, idx: Int32Array, cnt: number,
  rho: ArrayLike<number>, order: number, shift: Float64Array, dst: Float64Array,
): void {
  const cs = (cnt + 3) & ~3;
  for (let i = 0; i < cnt; i++) shift[i] = y[v0 + idx[i]];
  for (let i = cnt; i < cs; i++) shift[i] = 0;
  for (let t = 0; t < n; t++) {
    const kmax = Math.min(order, t);
    const pd = t * cs;
    for (let i = 0; i < cnt; i++) {
      const col = v0 + idx[i];
      const sh = shift[i];
      let v = y[t * nVox + col] - sh;
      for (let k = 1; k <= kmax; k++) v = v - rho[k - 1] * (y[(t - k) * nVox + col] - sh);
      dst[pd + i] = v;
    }
    for (let i = cnt; i < cs; i++) dst[pd + i] = 0;
  }
}

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

interface FitOutputs { theta: Float64Array; dispersion: Float64Array; rSquare: Float64Array; residuals?: Float64Array }

/**
 * What the refit needs about one whitened design W (n x p) and its range basis B (r x n,
 * orthonormal rows, H = BᵀB = W·pinv(W)), so that the prediction W·θ and the residuals are
 * never formed: with z = B·wy, |H·wy|² = |z|² (a sum of squares of an orthogonal projection,
 * well conditioned even when WᵀW is not, e.g. with unscaled confounds), so
 *   |e|² = |wy|² - |z|²,   n·var(W·θ) = |z|² - (sᵀθ)²/n   (s = column sums of W).
 * Against cancellation with raw BOLD (a mean far above the noise), each voxel's series is
 * shifted by its first value c before whitening: wy' = wy - c·w1 (w1 the whitened constant
 * series), and by linearity, with b1 = pinv(W)·w1, z1 = B·w1, r1 = w1 - Bᵀz1 = (I - H)·w1
 * (r1 = 0 when the design has a constant column):
 *   θ = θ' + c·b1,  z = z' + c·z1
 *   |e|² = |wy'|² - |z'|² + 2c·r1ᵀwy' + c²|r1|²
 *   n·var(Wθ) = (|z'|² - (sᵀθ')²/n) + 2c·(z'ᵀz1 - (sᵀθ')(sᵀb1)/n) + c²·(|z1|² - (sᵀb1)²/n).
 */
interface RefitTerms {
  colSum: Float64Array; w1: Float64Array; b1: Float64Array; r1: Float64Array; r1sq: number;
  z1: Float64Array; z1sq: number; sb1: number; rank: number;
}
function refitTerms(model: LinearModel & { basis?: Mat }): RefitTerms {
  const w = model.whitenedDesign;
  const n = w.rows;
  const p = w.cols;
  const basis = model.basis!;
  const rank = basis.rows;
  const colSum = new Float64Array(p);
  for (let t = 0; t < n; t++) for (let j = 0; j < p; j++) colSum[j] += w.data[t * p + j];
  // whitened constant series, as ARModel.whiten transforms a column of ones
  const w1 = new Float64Array(n).fill(1);
  for (let t = n - 1; t >= 1; t--) for (let k = 1; k <= Math.min(model.rho.length, t); k++) w1[t] -= model.rho[k - 1];
  const b1 = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let acc = 0;
    for (let t = 0; t < n; t++) acc += model.calcBeta.data[j * n + t] * w1[t];
    b1[j] = acc;
  }
  const z1 = new Float64Array(rank);
  let z1sq = 0;
  for (let l = 0; l < rank; l++) {
    let acc = 0;
    for (let t = 0; t < n; t++) acc += basis.data[l * n + t] * w1[t];
    z1[l] = acc;
    z1sq += acc * acc;
  }
  const r1 = Float64Array.from(w1);
  for (let l = 0; l < rank; l++) for (let t = 0; t < n; t++) r1[t] -= basis.data[l * n + t] * z1[l];
  let r1sq = 0;
  for (let t = 0; t < n; t++) r1sq += r1[t] * r1[t];
  let sb1 = 0;
  for (let j = 0; j < p; j++) sb1 += colSum[j] * b1[j];
  return { colSum, w1, b1, r1, r1sq, z1, z1sq, sb1, rank };
}

/**
 * Fit every voxel with the model of its label, as nilearn's ARModel.fit (OLSModel.fit for
 * rho = []): whiten, θ = pinv(W)·wy, SSE and r² = var(Wθ) / var(wy) through `refitTerms`.
 * Voxels are taken in chunks of consecutive columns (contiguous in every time row: one
 * memcpy per row into the kernels' memory); within a chunk, the voxels of each label are
 * gathered and fitted together by one product of [pinv(W); B] with their data. Per-voxel
 * results do not depend on the chunking or on which voxels share a product.
 */
function fitLabelled(
  y: TimeSeriesData, nVox: number, models: (LinearModel & { basis?: Mat })[], labels: Int32Array, C: number, out: FitOutputs,
): void {
  if (nVox === 0) return;
  const n = models[0].dfTotal;
  const p = models[0].whitenedDesign.cols;
  const nm = models.length;
  const terms = models.map(refitTerms);
  const K = kernels();
  const f32 = y instanceof Float32Array;
  const withResiduals = Boolean(out.residuals);
  const maxOrder = Math.max(1, ...models.map((m) => m.rho.length));
  const doubles = nm * (2 * p * n + 2 * n + maxOrder + 4) + n * C + 2 * p * C + 5 * C + (withResiduals ? nm * n * p + n * C : 0);
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
  // chunk-local counting sort by label
  const count = new Int32Array(nm + 1);
  for (let v0 = 0; v0 < nVox; v0 += C) {
    const c = Math.min(C, nVox - v0);
    count.fill(0);
    for (let i = 0; i < c; i++) count[labels[v0 + i] + 1]++;
    for (let g = 0; g < nm; g++) count[g + 1] += count[g];
    const first = count.slice(0, nm);
    for (let i = 0; i < c; i++) order2[first[labels[v0 + i]]++] = i;
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
      if (pred && mg.design && out.residuals) {
        // nilearn's residuals: the unwhitened data minus the whitened prediction
        for (let j = 0; j < p; j++) for (let i = cnt; i < cs; i++) prod[j * cs + i] = 0;
        K.gemm(mg.design, n, p, prod, cs, pred);
        for (let t = 0; t < n; t++) {
          for (let i = 0; i < cnt; i++) {
            const v = v0 + idx[i];
            out.residuals[t * nVox + v] = y[t * nVox + v] - pred[t * cs + i];
          }
        }
      }
    }
  }
}

/** θ = θ' + c·b1, SSE / den and r² of the cnt voxels of one label in a chunk, at their own index. */
function writeVoxelResults(
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
function yuleWalkerOfOlsResiduals(ols: LinearModel, y: TimeSeriesData, nVox: number, order: number, C: number): Float64Array {
  const n = ols.dfTotal;
  const x = ols.whitenedDesign; // the design itself for OLS
  const p = x.cols;
  const xd = x.data;
  const { g, r1 } = olsTerms(ols);
  const K = kernels();
  const f32 = y instanceof Float32Array;
  const q = (order + 1) * p + (order + 1);
  const ws = K.workspace(8 * (q * n + (order + 1) * p * p + n * C + q * C + (3 * (order + 1) + 3) * C) + (f32 ? 4 * (n * C + 8) : 0) + 16 * 32);
  // stacked operator and the lag matrices
  const stack = ws.f64(q * n);
  stack.set(ols.calcBeta.data, 0);
  const lagSym: Float64Array[] = [];
  const r1Lag = new Float64Array(order + 1);
  for (let k = 0; k <= order; k++) {
    const ck = ws.f64(p * p);
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
  const colSum = new Float64Array(p);
  const headSum = new Float64Array((order + 1) * p);
  const tailSum = new Float64Array((order + 1) * p);
  for (let t = 0; t < n; t++) for (let j = 0; j < p; j++) colSum[j] += xd[t * p + j];
  for (let k = 1; k <= order; k++)
    for (let j = 0; j < p; j++) {
      for (let t = 0; t < k && t < n; t++) headSum[k * p + j] += xd[t * p + j];
      for (let t = Math.max(0, n - k); t < n; t++) tailSum[k * p + j] += xd[t * p + j];
    }
  let r1Sum = 0;
  for (let t = 0; t < n; t++) r1Sum += r1[t];
  const r1Head = new Float64Array(order + 1);
  const r1Tail = new Float64Array(order + 1);
  for (let k = 1; k <= order; k++) {
    for (let t = 0; t < k && t < n; t++) r1Head[k] += r1[t];
    for (let t = Math.max(0, n - k); t < n; t++) r1Tail[k] += r1[t];
  }

  const S = new Float64Array(nVox);
  const L = new Float64Array((order + 1) * nVox); // L[k * nVox + v]
  const H = new Float64Array((order + 1) * nVox); // H[k]: Σ_{t<k} e_t
  const T = new Float64Array((order + 1) * nVox); // T[k]: Σ_{t>=n-k} e_t
  const stage = f32 ? ws.f32(n * C + 8) : undefined;
  const wy = ws.f64(n * C);
  const prod = ws.f64(q * C);
  const shift = ws.f64(C);
  const sum = ws.f64(C);
  const quad = ws.f64(C);
  const lagY = ws.f64((order + 1) * C);
  const headY = ws.f64((order + 1) * C);
  const tailY = ws.f64((order + 1) * C);
  const idx = new Int32Array(C);
  for (let i = 0; i < C; i++) idx[i] = i;
  const noRho = ws.f64(1);
  const aRow = (order + 1) * p; // first row of the a_kᵀ y' products
  for (let v0 = 0; v0 < nVox; v0 += C) {
    const c = Math.min(C, nVox - v0);
    const cs = (c + 3) & ~3;
    if (stage) {
      stageRows(y as Float32Array, nVox, n, v0, c, stage, C);
      K.whitenCols(stage, C, n, 0, c, noRho, 0, shift, wy);
    } else loadF64(y as Float64Array, nVox, n, v0, idx, c, [], 0, shift, wy);
    K.gemm(stack, q, n, wy, cs, prod); // θ' (rows 0..p-1), A_kᵀ y', a_kᵀ y'
    K.lagStats(wy, n, cs, order, sum, lagY, headY, tailY);
    for (let k = 0; k <= order; k++) {
      K.quadForm(lagSym[k], p, prod, cs, quad);
      const lo = k * nVox + v0;
      const ao = (aRow + k) * cs;
      const rl = r1Lag[k];
      for (let i = 0; i < c; i++) {
        let u = 0;
        if (k > 0) for (let j = 0; j < p; j++) u += prod[j * cs + i] * prod[(k * p + j) * cs + i];
        const yk = lagY[k * cs + i];
        const lk = k === 0 ? yk - quad[i] : yk - u + quad[i];
        const ci = shift[i];
        L[lo + i] = lk + ci * prod[ao + i] + ci * ci * rl;
      }
    }
    // Σ e over all scans, the first k and the last k scans
    for (let i = 0; i < c; i++) {
      let d = 0;
      for (let j = 0; j < p; j++) d += colSum[j] * prod[j * cs + i];
      S[v0 + i] = sum[i] - d + shift[i] * r1Sum;
    }
    for (let k = 1; k <= order; k++) {
      for (let i = 0; i < c; i++) {
        let h = headY[k * cs + i];
        let tl = tailY[k * cs + i];
        for (let j = 0; j < p; j++) {
          h -= headSum[k * p + j] * prod[j * cs + i];
          tl -= tailSum[k * p + j] * prod[j * cs + i];
        }
        H[k * nVox + v0 + i] = h + shift[i] * r1Head[k];
        T[k * nVox + v0 + i] = tl + shift[i] * r1Tail[k];
      }
    }
  }
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

export interface Groups {
  labels: Int32Array;
  rho: Float64Array[];
  keys: string[];
}

/** nilearn's AR(1) quantization: rho -> int(rho * bins) / bins (truncation toward 0). */
function binAr1(coef: Float64Array, bins: number): Groups {
  const nVox = coef.length;
  const k = new Float64Array(nVox);
  const distinct = new Set<number>();
  for (let v = 0; v < nVox; v++) {
    const q = coef[v] * bins;
    // astype(int) truncates; "+ 0" turns -0 into 0 (numpy ints have no -0)
    const kv = Number.isFinite(q) ? Math.trunc(q) + 0 : 0;
    k[v] = kv;
    distinct.add(kv);
  }
  const sorted = [...distinct].sort((a, b) => a - b);
  const index = new Map<number, number>();
  sorted.forEach((kv, i) => index.set(kv, i));
  const labels = new Int32Array(nVox);
  for (let v = 0; v < nVox; v++) labels[v] = index.get(k[v])!;
  const rho = sorted.map((kv) => Float64Array.of(kv / bins));
  const keys = sorted.map((kv) => pyFloatStr(kv / bins));
  return { labels, rho, keys };
}

/**
 * AR(N>1): cluster the coefficient vectors into min(bins, n_voxels) clusters,
 * label voxels by their centre rounded to 2 decimals joined with '_' (as
 * nilearn), and fit each label with the centre of the first voxel carrying it
 * (nilearn's `ar_coef_[labels == val][0]`).
 */
function clusterArN(coef: Float64Array, order: number, bins: number, seed: number): Groups {
  const nVox = coef.length / order;
  const k = Math.min(bins, nVox);
  const { centers, assign } = kmeans(coef, nVox, order, k, seed);
  const centerKey: string[] = [];
  for (let c = 0; c < k; c++) {
    const parts: string[] = [];
    for (let d = 0; d < order; d++) parts.push(pyFloatStr(npRound2(centers[c * order + d])));
    centerKey.push(parts.join('_'));
  }
  const keys = [...new Set(assign.length ? Array.from(assign, (a) => centerKey[a]) : [])].sort();
  const keyIndex = new Map<string, number>();
  keys.forEach((key, i) => keyIndex.set(key, i));
  const labels = new Int32Array(nVox);
  const rho: (Float64Array | null)[] = keys.map(() => null);
  for (let v = 0; v < nVox; v++) {
    const g = keyIndex.get(centerKey[assign[v]])!;
    labels[v] = g;
    if (!rho[g]) rho[g] = centers.slice(assign[v] * order, assign[v] * order + order);
  }
  return { labels, rho: rho as Float64Array[], keys };
}

/** mulberry32: small deterministic PRNG in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Deterministic k-means: k-means++ seeding on an evenly strided subsample of at
 * most 10 000 points, then Lloyd iterations on all points until no assignment
 * changes or the centre shift is below sklearn's tolerance (1e-4 x mean feature
 * variance), at most 300 iterations. Empty clusters keep their previous centre.
 */
function kmeans(data: Float64Array, nPts: number, dim: number, k: number, seed: number): { centers: Float64Array; assign: Int32Array } {
  const rand = prng(seed);
  const step = Math.max(1, Math.floor(nPts / 10000));
  const sample: number[] = [];
  for (let i = 0; i < nPts; i += step) sample.push(i);
  const centers = new Float64Array(k * dim);
  const d2 = new Float64Array(sample.length).fill(Infinity);
  let chosen = sample[Math.floor(rand() * sample.length)];
  for (let c = 0; c < k; c++) {
    for (let d = 0; d < dim; d++) centers[c * dim + d] = data[chosen * dim + d];
    let sum = 0;
    for (let s = 0; s < sample.length; s++) {
      let dist = 0;
      for (let d = 0; d < dim; d++) { const z = data[sample[s] * dim + d] - centers[c * dim + d]; dist += z * z; }
      if (dist < d2[s]) d2[s] = dist;
      sum += d2[s];
    }
    if (c + 1 === k) break;
    if (sum === 0) { chosen = sample[Math.floor(rand() * sample.length)]; continue; }
    let target = rand() * sum;
    let pick = sample.length - 1;
    for (let s = 0; s < sample.length; s++) { target -= d2[s]; if (target < 0) { pick = s; break; } }
    chosen = sample[pick];
  }
  // tolerance as sklearn: tol * mean of per-feature variances
  let varMean = 0;
  for (let d = 0; d < dim; d++) {
    let s = 0; let s2 = 0;
    for (let i = 0; i < nPts; i++) { const z = data[i * dim + d]; s += z; s2 += z * z; }
    varMean += s2 / nPts - (s / nPts) ** 2;
  }
  const tol = 1e-4 * (varMean / dim);
  const assign = new Int32Array(nPts).fill(-1);
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  for (let iter = 0; iter < 300; iter++) {
    let changed = 0;
    sums.fill(0); counts.fill(0);
    for (let i = 0; i < nPts; i++) {
      let best = 0; let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        let dist = 0;
        for (let d = 0; d < dim; d++) { const z = data[i * dim + d] - centers[c * dim + d]; dist += z * z; }
        if (dist < bestD) { bestD = dist; best = c; }
      }
      if (assign[i] !== best) { assign[i] = best; changed++; }
      counts[best]++;
      for (let d = 0; d < dim; d++) sums[best * dim + d] += data[i * dim + d];
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      for (let d = 0; d < dim; d++) {
        const nc = sums[c * dim + d] / counts[c];
        shift += (nc - centers[c * dim + d]) ** 2;
        centers[c * dim + d] = nc;
      }
    }
    if (changed === 0 || shift <= tol) {
      // final assignment consistent with the final centres
      if (shift > 0) {
        for (let i = 0; i < nPts; i++) {
          let best = 0; let bestD = Infinity;
          for (let c = 0; c < k; c++) {
            let dist = 0;
            for (let d = 0; d < dim; d++) { const z = data[i * dim + d] - centers[c * dim + d]; dist += z * z; }
            if (dist < bestD) { bestD = dist; best = c; }
          }
          assign[i] = best;
        }
      }
      break;
    }
  }
  return { centers, assign };
}
