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
 * 4. One ARModel fit (whitened design, pinv) per distinct quantized value. For AR(1) with a
 *    well-conditioned design the refit needs no second pass over Y: the OLS pass keeps a few
 *    sums per voxel from which every bin's θ, SSE, r² and residual variance follow
 *    (refit-sums.ts); AR(N>1), the residual series and poorly conditioned designs or bins
 *    are refitted from the data (fit-labelled.ts).
 *
 * Per-voxel results are typed arrays (no per-voxel objects). Y is never copied
 * or modified: it is read in chunks of consecutive voxels (one memcpy per time
 * row into the kernels' memory), two passes (OLS + AR estimate, then one refit
 * per bin with the voxels of each bin gathered within the chunk). The products
 * against the pseudo-inverse run in WebAssembly SIMD kernels (wasm-kernels.ts);
 * residuals and predictions are never formed (see refitTerms and
 * yuleWalkerOfOlsResiduals), except when nilearn's residuals are asked for (keepResiduals,
 * residuals: formed in the refit's chunk loop, residuals.ts).
 * `models` are ordered by AR coefficient (AR(1)) or by key (AR(N)); nilearn's
 * dict is ordered by the label strings. Numerically the results match nilearn
 * to the float32 rounding of its output maps (test/stats/first-level-parity).
 */
import type { Mat } from '../core/matrix.js';
import { designRank, linearModel, type LinearModel } from './regression.js';
import { OlsArAccumulator, yuleWalkerOfOlsResiduals } from './ar-estimate.js';
import { refitFromSums, sumsRefitFits, sumsRefitTerms } from './refit-sums.js';
import { binAr1, clusterArN, type Groups } from './ar-groups.js';
import { fitLabelled, type FitOutputs } from './fit-labelled.js';
import type { TimeSeriesData } from './chunks.js';

export type { TimeSeriesData };

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
  /** With opts.residuals: numpy.var of nilearn's residuals over time per voxel (ddof 0). */
  residualVariance?: Float64Array;
  /** With opts.residuals 'series': nilearn's residuals as float32, n_scans x nVoxels time-major. */
  residualSeries?: Float32Array;
}

export interface RunGlmOptions {
  /** Default 'ar1' like nilearn. */
  noiseModel?: NoiseModel | string;
  /** Number of AR(1) bins per unit / number of AR(N) clusters. Default 100. */
  bins?: number;
  /**
   * Voxels per processing chunk (rounded up to a multiple of 4). Default 1020: not a power of
   * two, so that the rows of a chunk's float64 blocks (8 KB apart at 1024) do not all fall in
   * the same L1 cache sets for the kernels that walk down a column.
   */
  chunkSize?: number;
  /** When given, seconds spent per stage are added to it ('ols + ar estimate', ...). */
  timings?: Record<string, number>;
  /** Keep nilearn's residuals (n_scans x n_voxels float64). Default false. */
  keepResiduals?: boolean;
  /**
   * nilearn's residuals computed within the refit (residuals.ts): their variance over time
   * ('variance'), or the variance and the float32 series ('series'). Default none.
   */
  residuals?: 'variance' | 'series';
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
  const chunk = (Math.max(1, Math.min(opts.chunkSize ?? 1020, nVox)) + 3) & ~3;
  const chunk2 = (Math.max(1, Math.min(2 * chunk, nVox)) + 3) & ~3;
  const clock = stageClock(opts.timings);
  const rank = designRank(x);
  const theta = new Float64Array(p * nVox);
  const dispersion = new Float64Array(nVox);
  const rSquare = new Float64Array(nVox);
  const residuals = opts.keepResiduals ? new Float64Array(n * nVox) : undefined;
  const residualVariance = opts.residuals ? new Float64Array(nVox) : undefined;
  const residualSeries = opts.residuals === 'series' ? new Float32Array(n * nVox) : undefined;
  const ols = linearModel(x, [], rank);
  const out: FitOutputs = { theta, dispersion, rSquare, residuals, residualVariance, residualSeries };

  const result: GlmResult = {
    nScans: n, nRegressors: p, nVoxels: nVox, noiseModel, arOrder: order,
    labels: new Int32Array(nVox), models: [], theta, dispersion, rSquare, residuals, residualVariance, residualSeries,
  };

  if (order === 0) {
    fitLabelled(y, nVox, [ols], result.labels, chunk, out);
    result.models = [{ ...ols, key: '0.0', nVoxels: nVox }];
    clock(opts.residuals || opts.keepResiduals ? 'ols fit + residuals' : 'ols fit');
    return result;
  }

  // AR(1) bins are refitted from sums the OLS pass keeps (refit-sums.ts) unless the residual
  // series are asked for or the sums would take too much memory
  const withSums = order === 1 && !residuals && !residualSeries && sumsRefitFits(x, nVox);
  const acc = new OlsArAccumulator(ols, nVox, order, chunk, withSums);
  acc.add(y, nVox, 0);
  const arCoef = acc.finish();
  result.arCoef = arCoef;
  clock('ols + ar estimate');
  const groups = order === 1 ? binAr1(arCoef, bins) : clusterArN(arCoef, order, bins, opts.randomState ?? 0);
  result.labels = groups.labels;
  const counts = new Int32Array(groups.rho.length);
  for (let v = 0; v < nVox; v++) counts[groups.labels[v]]++;
  const models = groups.rho.map((rho) => linearModel(x, rho, rank));
  result.models = models.map((m, g) => ({ ...m, key: groups.keys[g], nVoxels: counts[g] }));
  const terms = withSums ? models.map(sumsRefitTerms) : [];
  clock('ar bins');
  if (withSums) refitFromSums(acc.sums!, x, terms, groups.labels, out);
  // the other bins (all of them without sums) are refitted from the data
  if (!withSums || terms.some((t) => !t)) fitLabelled(y, nVox, models, groups.labels, chunk2, out, terms.map(Boolean));
  clock(opts.residuals || opts.keepResiduals ? 'ar refit + residuals' : 'ar refit per bin');
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
  const chunk = (Math.max(1, Math.min(opts.chunkSize ?? 1020, nVox)) + 3) & ~3;
  const ols = linearModel(x, [], designRank(x));
  const arCoef = yuleWalkerOfOlsResiduals(ols, y, nVox, order, chunk);
  const bins = opts.bins ?? 100;
  return order === 1 ? binAr1(arCoef, bins) : clusterArN(arCoef, order, bins, opts.randomState ?? 0);
}

/** Calls back with the seconds since the previous call, per stage name (no-op without a sink). */
export function stageClock(sink?: Record<string, number>): (stage: string) => void {
  if (!sink) return () => undefined;
  let last = performance.now();
  return (stage) => {
    const now = performance.now();
    sink[stage] = (sink[stage] ?? 0) + (now - last) / 1000;
    last = now;
  };
}
