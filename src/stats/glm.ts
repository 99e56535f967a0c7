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
 * Per-voxel results are typed arrays (no per-voxel objects). Y is processed in
 * chunks of voxels copied into a time-major float64 buffer.
 */
import type { Mat } from './matrix.js';
import { solveInPlace } from './matrix.js';
import { chunkWork, designRank, fitChunk, linearModel, type LinearModel } from './regression.js';

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
  /** Voxels per processing chunk. Default 1024. */
  chunkSize?: number;
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
  const chunk = Math.max(1, opts.chunkSize ?? 1024);
  const n = x.rows;
  const p = x.cols;
  if (n === 0 || y.length % n !== 0) {
    throw new Error(`The number of rows of Y should match the number of rows of X: Y has ${y.length} values, X is ${n} x ${p}.`);
  }
  const nVox = y.length / n;
  const rank = designRank(x);
  const theta = new Float64Array(p * nVox);
  const dispersion = new Float64Array(nVox);
  const rSquare = new Float64Array(nVox);
  const residuals = opts.keepResiduals ? new Float64Array(n * nVox) : undefined;
  const ols = linearModel(x, [], rank);

  const result: GlmResult = {
    nScans: n, nRegressors: p, nVoxels: nVox, noiseModel, arOrder: order,
    labels: new Int32Array(nVox), models: [], theta, dispersion, rSquare, residuals,
  };

  if (order === 0) {
    fitRange(ols, y, nVox, chunk, theta, dispersion, rSquare, residuals);
    result.models = [{ ...ols, key: '0.0', nVoxels: nVox }];
    return result;
  }

  const arCoef = yuleWalkerOfOlsResiduals(ols, y, nVox, order, chunk);
  result.arCoef = arCoef;
  const groups = order === 1 ? binAr1(arCoef, bins) : clusterArN(arCoef, order, bins, opts.randomState ?? 0);
  result.labels = groups.labels;

  // voxel indices grouped by label (counting sort keeps ascending order)
  const nGroups = groups.rho.length;
  const start = new Int32Array(nGroups + 1);
  for (let v = 0; v < nVox; v++) start[groups.labels[v] + 1]++;
  for (let g = 0; g < nGroups; g++) start[g + 1] += start[g];
  const fillPos = start.slice(0, nGroups);
  const idx = new Int32Array(nVox);
  for (let v = 0; v < nVox; v++) idx[fillPos[groups.labels[v]]++] = v;

  // Voxels of one label are scattered over the volume and a direct gather from
  // the time-major data misses the cache on nearly every read; permuting each
  // time row into label order first (row by row, so within a cache-friendly
  // window) makes every group a contiguous column range. Costs one copy of Y.
  const z = permuteColumns(y, n, nVox, idx);
  const thetaP = new Float64Array(p * nVox);
  const residualsP = residuals ? new Float64Array(n * nVox) : undefined;
  const dispP = new Float64Array(nVox);
  const r2P = new Float64Array(nVox);
  const work = chunkWork(n, p, chunk);
  const wy = new Float64Array(n * chunk);
  for (let g = 0; g < nGroups; g++) {
    const model = linearModel(x, groups.rho[g], rank);
    result.models.push({ ...model, key: groups.keys[g], nVoxels: start[g + 1] - start[g] });
    const rho = model.rho;
    const den = model.dispersionDenominator;
    for (let s = start[g]; s < start[g + 1]; s += chunk) {
      const c = Math.min(chunk, start[g + 1] - s);
      for (let t = 0; t < n; t++) {
        const zo = t * nVox + s;
        const wo = t * c;
        for (let i = 0; i < c; i++) wy[wo + i] = z[zo + i];
      }
      // whiten in place, last row first so that the lags are still raw values
      for (let t = n - 1; t >= 1; t--) {
        const wo = t * c;
        const kmax = Math.min(rho.length, t);
        for (let k = 1; k <= kmax; k++) {
          const r = rho[k - 1];
          if (r === 0) continue;
          const lo = (t - k) * c;
          for (let i = 0; i < c; i++) wy[wo + i] -= r * wy[lo + i];
        }
      }
      fitChunk(model, wy, c, work);
      if (residualsP) {
        for (let t = 0; t < n; t++) {
          const zo = t * nVox + s;
          const po = t * c;
          for (let i = 0; i < c; i++) residualsP[zo + i] = z[zo + i] - work.pred[po + i];
        }
      }
      for (let j = 0; j < p; j++) thetaP.set(work.theta.subarray(j * c, j * c + c), j * nVox + s);
      for (let i = 0; i < c; i++) {
        dispP[s + i] = work.sse[i] / den;
        r2P[s + i] = work.rSquare[i];
      }
    }
  }
  unpermuteRows(thetaP, p, nVox, idx, theta);
  unpermuteRows(dispP, 1, nVox, idx, dispersion);
  unpermuteRows(r2P, 1, nVox, idx, rSquare);
  if (residualsP && residuals) unpermuteRows(residualsP, n, nVox, idx, residuals);
  return result;
}

/** out[t, q] = y[t, idx[q]] for every row t (same element type as y). */
function permuteColumns(y: TimeSeriesData, rows: number, cols: number, idx: Int32Array): TimeSeriesData {
  const out = y instanceof Float32Array ? new Float32Array(y.length) : new Float64Array(y.length);
  for (let t = 0; t < rows; t++) {
    const o = t * cols;
    for (let q = 0; q < cols; q++) out[o + q] = y[o + idx[q]];
  }
  return out;
}

/** out[t, idx[q]] = a[t, q] for every row t. */
function unpermuteRows(a: Float64Array, rows: number, cols: number, idx: Int32Array, out: Float64Array): void {
  for (let t = 0; t < rows; t++) {
    const o = t * cols;
    for (let q = 0; q < cols; q++) out[o + idx[q]] = a[o + q];
  }
}

/** Fit one model to all voxels (contiguous chunks), writing the per-voxel outputs. */
function fitRange(
  model: LinearModel, y: TimeSeriesData, nVox: number, chunk: number,
  theta: Float64Array, dispersion: Float64Array, rSquare: Float64Array, residuals?: Float64Array,
): void {
  const n = model.dfTotal;
  const p = model.whitenedDesign.cols;
  const work = chunkWork(n, p, chunk);
  const wy = new Float64Array(n * chunk);
  const den = model.dispersionDenominator;
  for (let v0 = 0; v0 < nVox; v0 += chunk) {
    const c = Math.min(chunk, nVox - v0);
    for (let t = 0; t < n; t++) {
      const yo = t * nVox + v0;
      const wo = t * c;
      for (let i = 0; i < c; i++) wy[wo + i] = y[yo + i];
    }
    fitChunk(model, wy, c, work);
    if (residuals) {
      for (let t = 0; t < n; t++) {
        const o = t * nVox + v0;
        const wo = t * c;
        for (let i = 0; i < c; i++) residuals[o + i] = wy[wo + i] - work.pred[wo + i];
      }
    }
    for (let j = 0; j < p; j++) theta.set(work.theta.subarray(j * c, j * c + c), j * nVox + v0);
    for (let i = 0; i < c; i++) {
      dispersion[v0 + i] = work.sse[i] / den;
      rSquare[v0 + i] = work.rSquare[i];
    }
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
 * The global mean is only known after all voxels are fitted, so one streaming
 * pass keeps, per voxel, Σe, the raw lag products Σ e_t e_{t+k} and the sums of
 * the first / last `order` residuals; the centred products follow exactly:
 *   Σ_{t<n-k} (e_t - m)(e_{t+k} - m) = L_k - m (A_k + B_k) + (n - k) m²
 * with A_k = Σ_{t<n-k} e_t and B_k = Σ_{t>=k} e_t.
 * A voxel whose Toeplitz system is singular (all-zero residuals) gets rho = 0
 * (numpy would raise LinAlgError for the whole image).
 */
function yuleWalkerOfOlsResiduals(ols: LinearModel, y: TimeSeriesData, nVox: number, order: number, chunk: number): Float64Array {
  const n = ols.dfTotal;
  const p = ols.whitenedDesign.cols;
  const S = new Float64Array(nVox);
  const L = new Float64Array((order + 1) * nVox); // L[k * nVox + v]
  const H = new Float64Array((order + 1) * nVox); // H[k]: Σ_{t<k} e_t
  const T = new Float64Array((order + 1) * nVox); // T[k]: Σ_{t>=n-k} e_t
  const work = chunkWork(n, p, chunk);
  const wy = new Float64Array(n * chunk);
  const ring = new Float64Array((order + 1) * chunk); // residual rows t mod (order+1)
  let total = 0;
  for (let v0 = 0; v0 < nVox; v0 += chunk) {
    const c = Math.min(chunk, nVox - v0);
    for (let t = 0; t < n; t++) {
      const yo = t * nVox + v0;
      const wo = t * c;
      for (let i = 0; i < c; i++) wy[wo + i] = y[yo + i];
    }
    fitChunk(ols, wy, c, work);
    const pred = work.pred;
    for (let t = 0; t < n; t++) {
      const slot = (t % (order + 1)) * c;
      const wo = t * c;
      for (let i = 0; i < c; i++) {
        const e = wy[wo + i] - pred[wo + i];
        ring[slot + i] = e;
        S[v0 + i] += e;
        L[v0 + i] += e * e;
      }
      for (let k = 1; k <= order && k <= t; k++) {
        const lag = ((t - k) % (order + 1)) * c;
        const lo = k * nVox + v0;
        for (let i = 0; i < c; i++) L[lo + i] += ring[slot + i] * ring[lag + i];
      }
      for (let k = t + 1; k <= order; k++) {
        const ho = k * nVox + v0;
        for (let i = 0; i < c; i++) H[ho + i] += ring[slot + i];
      }
      for (let k = Math.max(1, n - t); k <= order; k++) {
        const to = k * nVox + v0;
        for (let i = 0; i < c; i++) T[to + i] += ring[slot + i];
      }
    }
  }
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

interface Groups {
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
