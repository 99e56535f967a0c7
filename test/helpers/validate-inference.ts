/**
 * Statistical validation of glmflow's group-level inference on simulated data, shared by
 * test/stats/validation.test.ts (which asserts the figures) and usable as a script that prints
 * them and times 10 000 permutations on the reference group data:
 *
 *     npx tsc -p tsconfig.json && node dist/test/helpers/validate-inference.js [--datasets N]
 *
 * What is measured:
 *  - family-wise error of max-t permutation inference (nonParametricInference) on null data:
 *    the fraction of null datasets in which any voxel has FWE p < alpha. A valid test makes
 *    that count Binomial(n, alpha') with alpha' <= alpha (the Monte-Carlo p (b+1)/(m+1) has
 *    size floor(alpha (m+1)) / (m+1), 0.04995 for m = 1000); it must lie in the central 95 %
 *    range of Binomial(n, alpha).
 *  - Bonferroni and Benjamini-Hochberg (thresholdStats) on the same null data (FWER <= alpha).
 *  - FDR on data with a known 10 % of true effects: mean false discovery proportion (BH
 *    guarantees E[FDP] = pi0 alpha <= alpha under independence / positive dependence) and power.
 *
 * All randomness comes from the small seeded generator below, so every figure is a fixed
 * number for fixed parameters: a test built on it always passes or always fails.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import {
  combinePermutationChunks,
  nonParametricInference,
  permutationChunk,
  preparePermutation,
  type PermutationChunk,
  type PermutationProblem,
} from '../../src/stats/second-level/permutation.js';
import { computeSecondLevelContrast, fitSecondLevel, type GroupDesign } from '../../src/stats/second-level/second-level.js';
import { smoothVolumes } from '../../src/stats/image/smooth.js';
import { Rng } from '../../src/stats/core/prng.js';
import { thresholdStats } from '../../src/stats/inference/thresholding.js';

// ---------------------------------------------------------------- random numbers

/** Seeded Gaussian noise for the simulated data: the project's generator, on its own stream. */
export class SimRng extends Rng {
  constructor(seed: number) {
    super(seed, 'validate-inference/noise');
  }
}

// ---------------------------------------------------------------- binomial figures

function logChoose(n: number, k: number): number {
  let s = 0;
  const m = Math.min(k, n - k);
  for (let i = 1; i <= m; i++) s += Math.log(n - m + i) - Math.log(i);
  return s;
}

/** P(X = k) for X ~ Binomial(n, p). */
export function binomPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return 0;
  if (p <= 0) return k === 0 ? 1 : 0;
  if (p >= 1) return k === n ? 1 : 0;
  return Math.exp(logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/** P(X <= k). */
export function binomCdf(k: number, n: number, p: number): number {
  let s = 0;
  for (let i = 0; i <= Math.min(k, n); i++) s += binomPmf(i, n, p);
  return Math.min(1, s);
}

/** Smallest k with P(X <= k) >= q (scipy binom.ppf). */
export function binomQuantile(q: number, n: number, p: number): number {
  let s = 0;
  for (let k = 0; k <= n; k++) {
    s += binomPmf(k, n, p);
    if (s >= q * (1 - 1e-12)) return k;
  }
  return n;
}

/**
 * Central acceptance range [lo, hi] of Binomial(n, p) at level `level` (default 95 %): the
 * (1-level)/2 and (1+level)/2 quantiles (scipy binom.interval). A count outside it rejects
 * "the true rate is p" at (about) 1 - level, two-sided.
 */
export function binomialInterval(n: number, p: number, level = 0.95): [number, number] {
  return [binomQuantile((1 - level) / 2, n, p), binomQuantile((1 + level) / 2, n, p)];
}

/** Exact (Clopper-Pearson) confidence interval of a binomial rate k/n, by bisection on the cdf. */
export function clopperPearson(k: number, n: number, level = 0.95): [number, number] {
  const a = (1 - level) / 2;
  const solve = (f: (p: number) => number) => {
    // f increasing in p, find f(p) = 0
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 200; i++) {
      const mid = 0.5 * (lo + hi);
      if (f(mid) < 0) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  };
  // lower: P(X >= k; p) = a  (increasing in p); upper: P(X <= k; p) = a (decreasing in p)
  const lower = k === 0 ? 0 : solve((p) => 1 - binomCdf(k - 1, n, p) - a);
  const upper = k === n ? 1 : solve((p) => a - binomCdf(k, n, p));
  return [lower, upper];
}

// ---------------------------------------------------------------- simulated group data

export interface GridSpec {
  dims: [number, number, number];
  /** FWHM of the Gaussian smoothing of each subject's noise, in voxels (1 mm voxels). */
  fwhm: number;
}

const IDENTITY: number[][] = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 1],
];

/**
 * Standard deviation of white noise after smoothing, at the centre of the grid (sqrt of the
 * sum of squared weights of the smoothing of a unit impulse), used to give the smoothed noise
 * unit variance (away from the borders, where the reflecting filter changes it a little).
 */
function smoothedNoiseSd(grid: GridSpec): number {
  const [nx, ny, nz] = grid.dims;
  const imp = new Float64Array(nx * ny * nz);
  imp[(nx >> 1) + nx * ((ny >> 1) + ny * (nz >> 1))] = 1;
  const out = smoothVolumes(imp, grid.dims, IDENTITY, grid.fwhm);
  let ss = 0;
  for (let i = 0; i < out.length; i++) ss += out[i] * out[i];
  return Math.sqrt(ss);
}

/**
 * n subjects' maps of spatially smoothed, unit-variance Gaussian noise, returned as an
 * n x V subject-major matrix (V = all voxels of the grid).
 */
export function simulateNoise(rng: SimRng, nSubjects: number, grid: GridSpec, sd = smoothedNoiseSd(grid)): Float64Array {
  const V = grid.dims[0] * grid.dims[1] * grid.dims[2];
  const raw = new Float64Array(nSubjects * V);
  for (let i = 0; i < raw.length; i++) raw[i] = rng.normal();
  // 4-D volume (x, y, z, subject): every subject's volume is smoothed on its own
  const sm = grid.fwhm > 0 ? smoothVolumes(raw, [...grid.dims, nSubjects], IDENTITY, grid.fwhm) : raw;
  for (let i = 0; i < sm.length; i++) sm[i] /= sd;
  return sm;
}

function interceptDesign(n: number): GroupDesign {
  return { columns: ['intercept'], matrix: { rows: n, cols: 1, data: new Float64Array(n).fill(1) } };
}

// ---------------------------------------------------------------- FWE on null data

export interface FweConfig {
  nDatasets: number;
  nSubjects: number;
  grid: GridSpec;
  nPerm: number;
  alpha: number;
  /**
   * 'one-sample': intercept alone, sign flipping. 'covariate': the covariate alone in the
   * permutation design, nilearn adds the intercept as a confound and permutes rows.
   * 'covariate-in-design': [covariate, intercept] both in the design, for which nilearn's rules
   * select sign flipping (an intercept among the confounds).
   */
  model: 'one-sample' | 'covariate' | 'covariate-in-design';
  seed: number;
}

export interface FweResult {
  config: FweConfig;
  nVoxels: number;
  /** datasets with any voxel at permutation FWE p < alpha. */
  permRejections: number;
  /** datasets with any voxel above the Bonferroni threshold (thresholdStats, one-sided). */
  bonferroniRejections: number;
  /** datasets with any BH discovery (thresholdStats fdr, one-sided): on null data FDR = FWER. */
  fdrRejections: number;
  /** mean over datasets of the permutation 95th percentile of max t. */
  meanMaxTThreshold: number;
  ms: number;
}

/** One-sided tests at `alpha`; returns the counts of datasets with a false positive. */
export function fweSimulation(cfg: FweConfig): FweResult {
  const t0 = performance.now();
  const { nSubjects: n, grid } = cfg;
  const V = grid.dims[0] * grid.dims[1] * grid.dims[2];
  const sd = smoothedNoiseSd(grid);
  const rng = new SimRng(cfg.seed);
  const logAlpha = -Math.log10(cfg.alpha);
  const mask = new Uint8Array(V).fill(1);
  let permRejections = 0;
  let bonferroniRejections = 0;
  let fdrRejections = 0;
  let thrSum = 0;
  for (let d = 0; d < cfg.nDatasets; d++) {
    const Y = simulateNoise(rng, n, grid, sd);
    let design: GroupDesign;
    let tested: string;
    let contrast: number[];
    if (cfg.model === 'one-sample') {
      // a null group mean of 0 (sign flipping assumes symmetric errors around 0)
      design = interceptDesign(n);
      tested = 'intercept';
      contrast = [1];
    } else {
      // a nuisance mean the intercept must absorb, and a covariate unrelated to the data
      const mean = 2 * rng.normal();
      for (let i = 0; i < Y.length; i++) Y[i] += mean;
      const cov = Float64Array.from({ length: n }, () => rng.normal());
      const data = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) (data[2 * i] = cov[i]), (data[2 * i + 1] = 1);
      design = { columns: ['covariate', 'intercept'], matrix: { rows: n, cols: 2, data } };
      tested = 'covariate';
      contrast = [1, 0];
    }
    // permutation: with only the covariate in the design nilearn adds the intercept as a
    // confound and permutes rows (with the intercept inside the design it would sign-flip)
    const permDesign: GroupDesign =
      cfg.model !== 'covariate'
        ? design
        : {
            columns: ['covariate'],
            matrix: { rows: n, cols: 1, data: Float64Array.from({ length: n }, (_, i) => design.matrix.data[2 * i]) },
          };
    const res = nonParametricInference(Y, permDesign, {
      tested,
      modelIntercept: true,
      twoSided: false,
      nPerm: cfg.nPerm,
      seed: cfg.seed * 100003 + d,
    });
    let hit = false;
    for (let v = 0; v < V; v++) if (res.logpMaxT[v] > logAlpha) hit = true;
    if (hit) permRejections++;
    const sorted = Float64Array.from(res.h0MaxT).sort();
    thrSum += sorted[Math.floor((1 - cfg.alpha) * sorted.length)];

    // parametric thresholds on the OLS z map
    const z = Float32Array.from(computeSecondLevelContrast(fitSecondLevel(Y, design), contrast).z_score);
    const bonf = thresholdStats(z, mask, grid.dims, null, { heightControl: 'bonferroni', alpha: cfg.alpha, twoSided: false });
    if (bonf.thresholded.some((x) => x !== 0)) bonferroniRejections++;
    const fdr = thresholdStats(z, mask, grid.dims, null, { heightControl: 'fdr', alpha: cfg.alpha, twoSided: false });
    if (fdr.thresholded.some((x) => x !== 0)) fdrRejections++;
  }
  return {
    config: cfg,
    nVoxels: V,
    permRejections,
    bonferroniRejections,
    fdrRejections,
    meanMaxTThreshold: thrSum / cfg.nDatasets,
    ms: performance.now() - t0,
  };
}

// ---------------------------------------------------------------- FDR with true effects

export interface FdrConfig {
  nDatasets: number;
  nSubjects: number;
  grid: GridSpec;
  /** box [lo, hi) per axis holding the true effect (the rest of the grid is null). */
  effectBox: [[number, number], [number, number], [number, number]];
  /** true group mean (in units of the noise sd) inside the box. */
  effect: number;
  alpha: number;
  seed: number;
}

export interface FdrResult {
  config: FdrConfig;
  nVoxels: number;
  nTrue: number;
  meanFdp: number;
  /** standard error of meanFdp across datasets. */
  seFdp: number;
  /** mean fraction of true effects discovered. */
  meanPower: number;
  meanDiscoveries: number;
  /** datasets with at least one false discovery. */
  anyFalse: number;
  ms: number;
}

export function fdrSimulation(cfg: FdrConfig): FdrResult {
  const t0 = performance.now();
  const { nSubjects: n, grid } = cfg;
  const [nx, ny, nz] = grid.dims;
  const V = nx * ny * nz;
  const truth = new Uint8Array(V);
  const [[x0, x1], [y0, y1], [z0, z1]] = cfg.effectBox;
  for (let z = z0; z < z1; z++) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) truth[x + nx * (y + ny * z)] = 1;
  const nTrue = truth.reduce((a, b) => a + b, 0);
  const sd = smoothedNoiseSd(grid);
  const rng = new SimRng(cfg.seed);
  const mask = new Uint8Array(V).fill(1);
  const design = interceptDesign(n);
  let fdpSum = 0;
  let fdpSq = 0;
  let powerSum = 0;
  let discSum = 0;
  let anyFalse = 0;
  for (let d = 0; d < cfg.nDatasets; d++) {
    const Y = simulateNoise(rng, n, grid, sd);
    // the effect is added after smoothing, so its support (the truth) is exactly the box
    for (let s = 0; s < n; s++) for (let v = 0; v < V; v++) if (truth[v]) Y[s * V + v] += cfg.effect;
    const z = Float32Array.from(computeSecondLevelContrast(fitSecondLevel(Y, design), 'intercept').z_score);
    const { thresholded } = thresholdStats(z, mask, grid.dims, null, { heightControl: 'fdr', alpha: cfg.alpha, twoSided: false });
    let disc = 0;
    let falseDisc = 0;
    let trueDisc = 0;
    for (let v = 0; v < V; v++) {
      if (thresholded[v] === 0) continue;
      disc++;
      if (truth[v]) trueDisc++;
      else falseDisc++;
    }
    const fdp = falseDisc / Math.max(disc, 1);
    fdpSum += fdp;
    fdpSq += fdp * fdp;
    powerSum += trueDisc / nTrue;
    discSum += disc;
    if (falseDisc > 0) anyFalse++;
  }
  const m = cfg.nDatasets;
  const meanFdp = fdpSum / m;
  return {
    config: cfg,
    nVoxels: V,
    nTrue,
    meanFdp,
    seFdp: Math.sqrt(Math.max(0, fdpSq / m - meanFdp * meanFdp) / (m - 1)),
    meanPower: powerSum / m,
    meanDiscoveries: discSum / m,
    anyFalse,
    ms: performance.now() - t0,
  };
}

// ---------------------------------------------------------------- the configurations the test uses

/** 8 x 8 x 6 = 384 voxels, noise smoothed with FWHM 2 voxels, 12 subjects. */
export const FWE_GRID: GridSpec = { dims: [8, 8, 6], fwhm: 2 };

export function oneSampleFweConfig(nDatasets = 300): FweConfig {
  return { nDatasets, nSubjects: 12, grid: FWE_GRID, nPerm: 1000, alpha: 0.05, model: 'one-sample', seed: 20240611 };
}

/** 500 permutations (the generic, non-blocked path is slower): Monte-Carlo size 25/501. */
export function covariateFweConfig(nDatasets = 200): FweConfig {
  return { nDatasets, nSubjects: 12, grid: FWE_GRID, nPerm: 500, alpha: 0.05, model: 'covariate', seed: 777 };
}

export function covariateInDesignFweConfig(nDatasets = 200): FweConfig {
  return { nDatasets, nSubjects: 12, grid: FWE_GRID, nPerm: 500, alpha: 0.05, model: 'covariate-in-design', seed: 31337 };
}

/** 12 x 12 x 10 = 1440 voxels, 10 % (a 6 x 6 x 4 box) with a true effect of 1 sd. */
export function fdrConfig(nDatasets = 500): FdrConfig {
  return {
    nDatasets,
    nSubjects: 12,
    grid: { dims: [12, 12, 10], fwhm: 2 },
    effectBox: [[3, 9], [3, 9], [3, 7]],
    effect: 1,
    alpha: 0.05,
    seed: 4242,
  };
}

export function describeFwe(label: string, r: FweResult): string {
  const n = r.config.nDatasets;
  const [lo, hi] = binomialInterval(n, r.config.alpha);
  const line = (what: string, k: number) => {
    const [a, b] = clopperPearson(k, n);
    return `${what} ${k}/${n} = ${(k / n).toFixed(4)} (95% CI ${a.toFixed(4)}-${b.toFixed(4)})`;
  };
  return (
    `${label}: ${r.config.nSubjects} subjects x ${r.nVoxels} voxels, FWHM ${r.config.grid.fwhm} vox, ` +
    `${r.config.nPerm} perms; accepted range for Binomial(${n}, ${r.config.alpha}): [${lo}, ${hi}]; ` +
    `${line('max-t FWE', r.permRejections)}; ${line('Bonferroni', r.bonferroniRejections)}; ` +
    `${line('BH-FDR any', r.fdrRejections)}; mean 95th pct of max t ${r.meanMaxTThreshold.toFixed(3)}; ` +
    `${(r.ms / 1000).toFixed(1)} s`
  );
}

export function describeFdr(r: FdrResult): string {
  const c = r.config;
  return (
    `FDR (BH q=${c.alpha}, one-sided): ${c.nDatasets} datasets, ${c.nSubjects} subjects x ${r.nVoxels} voxels, ` +
    `${r.nTrue} true (${((100 * r.nTrue) / r.nVoxels).toFixed(1)}%, effect ${c.effect} sd), FWHM ${c.grid.fwhm} vox; ` +
    `mean FDP ${r.meanFdp.toFixed(4)} (SE ${r.seFdp.toFixed(4)}), mean power ${r.meanPower.toFixed(4)}, ` +
    `mean discoveries ${r.meanDiscoveries.toFixed(1)}, datasets with >=1 false discovery ${r.anyFalse}; ` +
    `${(r.ms / 1000).toFixed(1)} s`
  );
}

// ---------------------------------------------------------------- reference-data timing (script)

interface WorkerJob {
  kind: 'validate-inference-chunks';
  problem: PermutationProblem;
  seed: number;
  ranges: [number, number][];
}

interface WorkerReply {
  chunks: PermutationChunk[];
  /** time spent in permutationChunk inside the worker (ms). */
  ms: number;
}

function runWorker(job: WorkerJob): Promise<WorkerReply> {
  return new Promise((res, rej) => {
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    w.once('message', (m: WorkerReply) => res(m));
    w.once('error', rej);
    w.once('exit', (code) => code !== 0 && rej(new Error(`worker exited with ${code}`)));
  });
}

async function timeReference(nPerm: number, seed: number): Promise<void> {
  const { fixture } = await import('./paths.js');
  const { readNifti } = await import('../../src/io/nifti.js');
  const { readdirSync } = await import('node:fs');
  const dir = fixture('second_level', 'inputs');
  const mask = await readNifti(fixture('second_level', 'inputs', 'group_mask.nii.gz'));
  const files = readdirSync(dir).filter((f) => /^sub-.*_stat-effect\.nii\.gz$/.test(f)).sort();
  const idx: number[] = [];
  for (let v = 0; v < mask.data.length; v++) if (mask.data[v] !== 0) idx.push(v);
  const n = files.length;
  const V = idx.length;
  const Y = new Float32Array(n * V);
  for (let s = 0; s < n; s++) {
    const im = await readNifti(`${dir}/${files[s]}`);
    idx.forEach((v, k) => (Y[s * V + k] = im.data[v]));
  }
  const design = interceptDesign(n);
  const opts = { tested: 'intercept', twoSided: false, modelIntercept: true };
  const { loadavg, availableParallelism } = await import('node:os');
  console.log(
    `reference group data: ${n} subjects x ${V} voxels in group_mask, one-sample, ${nPerm} permutations ` +
      `(${availableParallelism()} cores, load average ${loadavg()[0].toFixed(2)}: wall times include other processes' load)`,
  );

  let t0 = performance.now();
  const single = nonParametricInference(Y, design, { ...opts, nPerm, seed });
  const tSingle = performance.now() - t0;
  console.log(`  single thread (nonParametricInference): ${(tSingle / 1000).toFixed(2)} s`);

  t0 = performance.now();
  const pb = preparePermutation(Y, design, opts);
  const q = Math.floor(nPerm / 4);
  const ranges: [number, number][] = [0, 1, 2, 3].map((i) => [i * q, i === 3 ? nPerm - 3 * q : q]);
  const parts = await Promise.all([
    runWorker({ kind: 'validate-inference-chunks', problem: pb, seed, ranges: [ranges[0], ranges[2]] }),
    runWorker({ kind: 'validate-inference-chunks', problem: pb, seed, ranges: [ranges[1], ranges[3]] }),
  ]);
  const split = combinePermutationChunks(pb, parts.flatMap((p) => p.chunks));
  const tSplit = performance.now() - t0;
  const same =
    single.h0MaxT.length === split.h0MaxT.length &&
    single.h0MaxT.every((x, i) => Object.is(x, split.h0MaxT[i])) &&
    single.logpMaxT.every((x, i) => Object.is(x, split.logpMaxT[i])) &&
    single.t.every((x, i) => Object.is(x, split.t[i]));
  console.log(
    `  4 chunks of ~${q} on 2 worker_threads + combinePermutationChunks: ${(tSplit / 1000).toFixed(2)} s ` +
      `(speed-up ${(tSingle / tSplit).toFixed(2)}x; time inside the workers' permutationChunk calls ` +
      `${parts.map((p) => (p.ms / 1000).toFixed(2)).join(' s, ')} s, the rest is thread start-up, module loading ` +
      `and copying the problem); results identical to single thread: ${same ? 'yes' : 'NO'}`,
  );
  const sig = single.logpMaxT.filter((x) => x > -Math.log10(0.05)).length;
  console.log(`  voxels with FWE p < 0.05: ${sig}`);
  if (!same) process.exitCode = 1;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const get = (name: string, def: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const nFwe = get('--datasets', 300);
  const nCov = get('--cov-datasets', 200);
  const nFdr = get('--fdr-datasets', 500);
  const nPerm = get('--perm', 10000);
  console.log('glmflow inference validation (seeded, deterministic; defaults = the test\'s figures)');
  if (nFwe > 0) console.log(describeFwe('one-sample, sign flipping', fweSimulation(oneSampleFweConfig(nFwe))));
  if (nCov > 0) {
    console.log(describeFwe('covariate + intercept confound, row permutation', fweSimulation(covariateFweConfig(nCov))));
    console.log(describeFwe('[covariate, intercept] design, sign flipping', fweSimulation(covariateInDesignFweConfig(nCov))));
  }
  if (nFdr > 0) console.log(describeFdr(fdrSimulation(fdrConfig(nFdr))));
  if (nPerm > 0) await timeReference(nPerm, 0);
}

if (!isMainThread && (workerData as WorkerJob | undefined)?.kind === 'validate-inference-chunks') {
  const job = workerData as WorkerJob;
  const t0 = performance.now();
  const chunks = job.ranges.map(([start, count]) => permutationChunk(job.problem, job.seed, start, count));
  const reply: WorkerReply = { chunks, ms: performance.now() - t0 };
  parentPort!.postMessage(reply);
} else if (isMainThread && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
