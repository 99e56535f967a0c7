/**
 * Permutation inference with max-statistic family-wise error control, following nilearn 0.10.4
 * `non_parametric_inference` -> `mass_univariate.permuted_ols`:
 *
 *  - the tested variable is one design column; the other columns are confounds. If the tested
 *    column is constant (intercept test), or the confounds hold the only constant column, the
 *    scheme is sign flipping; otherwise rows of the tested variable and confounds are permuted
 *    jointly. With model_intercept an intercept is added to the confounds unless one of the
 *    above holds (nilearn's constant-column rules are reproduced in `preparePermutation`).
 *  - confounds are orthonormalised (SVD, singular values > 1e-12); targets and tested variable
 *    are scaled to unit norm, residualised on the confounds and scaled to unit norm again.
 *  - t = b * sqrt((dof - 1) / (1 - a2 - b^2)) with b = y.x, a2 = |y.Q|^2, dof = n - n_confounds
 *    (t_score_with_covars_and_normalized_design).
 *  - each permutation gives max_v t (one-sided) or max_v |t| (two-sided), NaN ignored;
 *    p_v = (n_perm + 1 - #{h0 < t_v}) / (n_perm + 1), output -log10 p (the identity is not
 *    added to the null, as nilearn).
 *  - optional cluster-size / cluster-mass FWE (cluster-forming threshold given in p,
 *    t = t.isf(p[/2], n - n_regressors - n_covars), 6-connectivity, mass = sum(|t| - thr))
 *    with nilearn's null_to_p, and optional TFCE (see tfce.ts).
 *
 * Randomness (not numpy's Mersenne Twister, so the permutations differ from nilearn's; the
 * results agree statistically): permutation k uses its own stream of the project's generator
 * (core/prng.ts), named by k. Any split of 0..n_perm-1 into chunks (workers) therefore gives
 * identical results; `permutationChunk` runs a range, `combinePermutationChunks` reduces.
 */
import { tIsf } from '../core/distributions.js';
import { searchsortedLeft } from '../core/numpy-grid.js';
import { svd } from '../core/matrix.js';
import { Rng } from '../core/prng.js';
import type { GroupDesign } from './second-level.js';
import type { Dims } from '../inference/thresholding.js';
import { labelComponents } from '../image/connected-components.js';
import { tfceMap, tfceMax } from '../inference/tfce.js';
import { signFlipMaxT } from './sign-flip-max.js';

// ---------------------------------------------------------------- random numbers

/** The generator of permutation `index` under `seed` (its own stream: independent of any chunking). */
export function permutationRng(seed: number, index: number): Rng {
  return new Rng(seed, `permutation/${index}`);
}

// ---------------------------------------------------------------- problem set-up

export interface PermutationOptions {
  /** index or name of the tested design column (nilearn second_level_contrast). */
  tested: number | string;
  /** default true (nilearn). */
  modelIntercept?: boolean;
  /** default false (non_parametric_inference's default). */
  twoSided?: boolean;
  /** cluster-forming threshold in p (nilearn `threshold`); enables cluster size / mass FWE. */
  clusterFormingP?: number | null;
  /** enables TFCE FWE. */
  tfce?: boolean;
  /** grid of the voxels (needed for clusters and TFCE): dims and each column's volume index. */
  geometry?: { dims: Dims; voxelIndex: Int32Array };
}

/** Everything a worker needs; plain numbers and typed arrays (structured-cloneable). */
export interface PermutationProblem {
  nSamples: number;
  nVoxels: number;
  nCovars: number;
  interceptTest: boolean;
  twoSided: boolean;
  /** residualised unit-norm targets, voxel-major (V x n). */
  target: Float64Array;
  /** residualised unit-norm tested variable (n). */
  tested: Float64Array;
  /** orthonormalised confounds, row-major n x k (k = nCovars). */
  covars: Float64Array;
  /** dof used by the t formula: n - nCovars. */
  dof: number;
  /** t of the original data (V). */
  t: Float64Array;
  thresholdT: number | null;
  tfce: boolean;
  dims: number[] | null;
  voxelIndex: Int32Array | null;
}

function isConstant(col: ArrayLike<number>): boolean {
  for (let i = 1; i < col.length; i++) if (col[i] !== col[0]) return false;
  return true;
}

function unitNorm(v: Float64Array): void {
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += v[i] * v[i];
  const norm = Math.sqrt(ss);
  for (let i = 0; i < v.length; i++) v[i] /= norm; // 0/0 -> NaN as numpy
}

/** u - Q Q^T u for orthonormal Q (n x k row-major). */
function residualise(u: Float64Array, Q: Float64Array, k: number): void {
  const n = u.length;
  for (let c = 0; c < k; c++) {
    let b = 0;
    for (let i = 0; i < n; i++) b += u[i] * Q[i * k + c];
    for (let i = 0; i < n; i++) u[i] -= b * Q[i * k + c];
  }
}

/**
 * nilearn's intercept bookkeeping in permuted_ols: whether the test is an "intercept test" (then
 * the scheme is sign flipping, not row permutation), and the confounds after constant columns are
 * dropped or an intercept added.
 */
function interceptBookkeeping(tested: Float64Array, confounds: Float64Array[], modelIntercept: boolean): { interceptTest: boolean; confounds: Float64Array[] } {
  let interceptTest = isConstant(tested);
  let kept = confounds;
  if (kept.length) {
    const constants = kept.map((c, j) => (isConstant(c) ? j : -1)).filter((j) => j >= 0);
    if ((interceptTest && constants.length === 1) || constants.length > 1) {
      kept = kept.filter((_, j) => !constants.includes(j));
      modelIntercept = true;
    }
    if (!interceptTest && constants.length === 1) interceptTest = true;
  }
  if (modelIntercept && !interceptTest) kept = [...kept, new Float64Array(tested.length).fill(1)];
  return { interceptTest, confounds: kept };
}

/**
 * How many different null maps the permutation scheme can draw for a design (rows: subjects)
 * testing column `tested`: 2^n sign flips (2^(n-1) two-sided, where s and -s give the same
 * |t|), or n! row orders. Random draws beyond that repeat them, so no permutation p-value
 * (FWE included) can go much below 1 / this count.
 */
export function distinctPermutations(design: readonly (readonly number[])[], tested: number, twoSided: boolean): { scheme: 'sign flips' | 'row permutations'; count: number } {
  const n = design.length;
  const col = (j: number) => Float64Array.from(design, (row) => row[j]);
  const confounds = design[0].map((_, j) => j).filter((j) => j !== tested).map(col);
  if (interceptBookkeeping(col(tested), confounds, true).interceptTest) return { scheme: 'sign flips', count: 2 ** (twoSided ? n - 1 : n) };
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return { scheme: 'row permutations', count: f };
}

/**
 * Set up the model as permuted_ols does. `Y` is n_subjects x n_voxels, subject-major.
 */
export function preparePermutation(
  Y: Float32Array | Float64Array,
  design: GroupDesign,
  options: PermutationOptions,
): PermutationProblem {
  const X = design.matrix;
  const n = X.rows;
  const p = X.cols;
  const V = Y.length / n;
  if (!Number.isInteger(V)) throw new Error(`Y has ${Y.length} values, not a multiple of ${n} subjects`);
  const testedIdx = typeof options.tested === 'string' ? design.columns.indexOf(options.tested) : options.tested;
  if (testedIdx < 0 || testedIdx >= p) throw new Error(`tested column ${String(options.tested)} is not in the design`);
  const col = (j: number) => Float64Array.from({ length: n }, (_, i) => X.data[i * p + j]);
  const tested = col(testedIdx);
  let confounds: Float64Array[] = [];
  for (let j = 0; j < p; j++) if (j !== testedIdx) confounds.push(col(j));
  const bookkeeping = interceptBookkeeping(tested, confounds, options.modelIntercept ?? true);
  const interceptTest = bookkeeping.interceptTest;
  confounds = bookkeeping.confounds;

  // orthonormalise confounds: U[:, s > 1e-12] of the thin SVD
  let k = 0;
  let Q = new Float64Array(0);
  if (confounds.length) {
    const C = new Float64Array(n * confounds.length);
    confounds.forEach((c, j) => c.forEach((x, i) => (C[i * confounds.length + j] = x)));
    const { u, s } = svd({ rows: n, cols: confounds.length, data: C });
    const keep = Array.from(s.keys()).filter((j) => s[j] > 1e-12);
    k = keep.length;
    Q = new Float64Array(n * k);
    for (let i = 0; i < n; i++) keep.forEach((j, c) => (Q[i * k + c] = u.data[i * u.cols + j]));
  }
  const nCovars = confounds.length; // nilearn uses confounding_vars.shape[1] for the cluster dof

  const target = new Float64Array(V * n);
  const y = new Float64Array(n);
  for (let v = 0; v < V; v++) {
    for (let i = 0; i < n; i++) y[i] = Y[i * V + v];
    unitNorm(y);
    if (k) {
      residualise(y, Q, k);
      unitNorm(y);
    }
    target.set(y, v * n);
  }
  const x = Float64Array.from(tested);
  unitNorm(x);
  if (k) {
    residualise(x, Q, k);
    unitNorm(x);
  }
  const twoSided = options.twoSided ?? false;
  let observed: Float64Array | null = null;
  const problem: PermutationProblem = {
    nSamples: n,
    nVoxels: V,
    nCovars: k,
    interceptTest,
    twoSided,
    target,
    tested: x,
    covars: Q,
    dof: n - k,
    // the observed t map, computed when first read: the permutation blocks never read it
    get t() {
      if (!observed) {
        observed = new Float64Array(V);
        tScores(problem, x, Q, observed);
      }
      return observed;
    },
    thresholdT: null,
    tfce: options.tfce ?? false,
    dims: options.geometry ? Array.from(options.geometry.dims) : null,
    voxelIndex: options.geometry ? options.geometry.voxelIndex : null,
  };
  const cfp = options.clusterFormingP ?? null;
  if (cfp !== null) {
    const dofCluster = n - (1 + nCovars);
    problem.thresholdT = tIsf(twoSided ? cfp / 2 : cfp, dofCluster);
  }
  if ((problem.thresholdT !== null || problem.tfce) && !problem.voxelIndex)
    throw new Error('cluster-level and TFCE inference need options.geometry');
  return problem;
}

/** t of every voxel for design vector u and confound block U (both already permuted/flipped). */
function tScores(pb: PermutationProblem, u: Float64Array, U: Float64Array, out: Float64Array): void {
  const n = pb.nSamples;
  const k = pb.nCovars;
  const T = pb.target;
  const f = pb.dof - 1;
  for (let v = 0; v < pb.nVoxels; v++) {
    const off = v * n;
    let b = 0;
    for (let i = 0; i < n; i++) b += T[off + i] * u[i];
    let a2 = 0;
    for (let c = 0; c < k; c++) {
      let a = 0;
      for (let i = 0; i < n; i++) a += T[off + i] * U[i * k + c];
      a2 += a * a;
    }
    out[v] = b * Math.sqrt(f / (1 - a2 - b * b));
  }
}

/** The sign flips (+1 / -1 per sample) of permutation `index` in the sign-flipping scheme. */
export function permutationSigns(seed: number, index: number, n: number): Int8Array {
  const rng = permutationRng(seed, index);
  const out = new Int8Array(n);
  let bits = 0;
  for (let i = 0; i < n; i++) {
    if (i % 32 === 0) bits = rng.nextU32();
    out[i] = bits & 1 ? 1 : -1;
    bits >>>= 1;
  }
  return out;
}

/** The row order of permutation `index` in the permutation scheme (Fisher-Yates shuffle). */
export function permutationOrder(seed: number, index: number, n: number): Int32Array {
  const rng = permutationRng(seed, index);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
  }
  return perm;
}

/** Draw permutation `index`: the tested vector and confounds as seen by the t formula. */
function drawDesign(pb: PermutationProblem, seed: number, index: number, u: Float64Array, U: Float64Array): void {
  const n = pb.nSamples;
  const k = pb.nCovars;
  if (pb.interceptTest) {
    // sign flip of the targets == sign flip of the design rows: (s*y).x = y.(s*x)
    const signs = permutationSigns(seed, index, n);
    for (let i = 0; i < n; i++) {
      u[i] = signs[i] * pb.tested[i];
      for (let c = 0; c < k; c++) U[i * k + c] = signs[i] * pb.covars[i * k + c];
    }
  } else {
    // joint row permutation of the tested variable and the confounds
    const perm = permutationOrder(seed, index, n);
    for (let i = 0; i < n; i++) {
      u[i] = pb.tested[perm[i]];
      for (let c = 0; c < k; c++) U[i * k + c] = pb.covars[perm[i] * k + c];
    }
  }
}

// ---------------------------------------------------------------- cluster measures

interface ClusterStats {
  labels: Int32Array; // volume labels (positive and negative clusters)
  size: Float64Array; // per label
  mass: Float64Array; // per label
}

function clusterStats(pb: PermutationProblem, t: Float64Array, thr: number): ClusterStats {
  const dims = pb.dims as number[];
  const idx = pb.voxelIndex as Int32Array;
  const total = dims[0] * dims[1] * dims[2];
  const labels = new Int32Array(total);
  const sizes: number[] = [0];
  const masses: number[] = [0];
  for (const sign of pb.twoSided ? [1, -1] : [1]) {
    const bin = new Uint8Array(total);
    for (let v = 0; v < t.length; v++) if (t[v] * sign > thr) bin[idx[v]] = 1;
    const lab = labelComponents(bin, dims, 6);
    const base = sizes.length - 1;
    for (let l = 1; l <= lab.count; l++) {
      sizes.push(lab.sizes[l]);
      masses.push(0);
    }
    for (let v = 0; v < t.length; v++) {
      const l = lab.labels[idx[v]];
      if (l) {
        labels[idx[v]] = base + l;
        masses[base + l] += Math.abs(t[v]) - thr;
      }
    }
  }
  return { labels, size: Float64Array.from(sizes), mass: Float64Array.from(masses) };
}

function scatter(pb: PermutationProblem, values: Float64Array): Float64Array {
  const dims = pb.dims as number[];
  const vol = new Float64Array(dims[0] * dims[1] * dims[2]);
  const idx = pb.voxelIndex as Int32Array;
  for (let v = 0; v < values.length; v++) vol[idx[v]] = values[v];
  return vol;
}

/** min and max over voxels of b = y.u for four design vectors at once (NaN ignored). */
function blockMinMax(T: Float64Array, V: number, n: number, U4: Float64Array, lo: Float64Array, hi: Float64Array): void {
  const a = 0, b = n, c = 2 * n, d = 3 * n;
  let h0 = -Infinity, h1 = -Infinity, h2 = -Infinity, h3 = -Infinity;
  let l0 = Infinity, l1 = Infinity, l2 = Infinity, l3 = Infinity;
  for (let v = 0; v < V; v++) {
    const off = v * n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 0; i < n; i++) {
      const y = T[off + i];
      s0 += y * U4[a + i];
      s1 += y * U4[b + i];
      s2 += y * U4[c + i];
      s3 += y * U4[d + i];
    }
    if (s0 > h0) h0 = s0;
    if (s0 < l0) l0 = s0;
    if (s1 > h1) h1 = s1;
    if (s1 < l1) l1 = s1;
    if (s2 > h2) h2 = s2;
    if (s2 < l2) l2 = s2;
    if (s3 > h3) h3 = s3;
    if (s3 < l3) l3 = s3;
  }
  hi[0] = h0; hi[1] = h1; hi[2] = h2; hi[3] = h3;
  lo[0] = l0; lo[1] = l1; lo[2] = l2; lo[3] = l3;
}

// ---------------------------------------------------------------- chunks

export interface PermutationChunk {
  start: number;
  count: number;
  /** max t (or max |t| two-sided) of each permutation start..start+count-1. */
  maxT: Float64Array;
  maxSize?: Float64Array;
  maxMass?: Float64Array;
  maxTfce?: Float64Array;
}

/**
 * Run permutations start..start+count-1. Deterministic in (seed, permutation index), so
 * results do not depend on how the range is split between workers.
 */
export function permutationChunk(
  pb: PermutationProblem,
  seed: number,
  start: number,
  count: number,
  onProgress?: (done: number, total: number) => void,
): PermutationChunk {
  const n = pb.nSamples;
  const k = pb.nCovars;
  const u = new Float64Array(n);
  const U = new Float64Array(n * k);
  const needMap = pb.thresholdT !== null || pb.tfce;
  const out: PermutationChunk = { start, count, maxT: new Float64Array(count) };
  if (pb.thresholdT !== null) {
    out.maxSize = new Float64Array(count);
    out.maxMass = new Float64Array(count);
  }
  if (pb.tfce) out.maxTfce = new Float64Array(count);
  const step = Math.max(1, Math.floor(count / 100));
  let reported = 0;
  const report = (done: number) => {
    if (onProgress && (done - reported >= step || done === count)) {
      reported = done;
      onProgress(done, count);
    }
  };
  if (pb.interceptTest && !needMap) {
    // sign flips without cluster or TFCE maps: the max statistics by lookup tables
    const signs = new Int8Array(count * n);
    for (let c = 0; c < count; c++) signs.set(permutationSigns(seed, start + c, n), c * n);
    const weights = [pb.tested];
    for (let c = 0; c < k; c++) weights.push(Float64Array.from({ length: n }, (_, i) => pb.covars[i * k + c]));
    out.maxT.set(signFlipMaxT({
      nSamples: n, nVoxels: pb.nVoxels, target: pb.target, weights, signs, count, f: pb.dof - 1, twoSided: pb.twoSided,
    }));
    report(count);
    return out;
  }
  if (k === 0 && !needMap) {
    // Without confounds t = b sqrt((n-1)/(1-b^2)) is increasing in b, so max t = f(max b)
    // (and max |t| = max(|f(max b)|, |f(min b)|)). Four permutations share each pass over the
    // data; every b is still summed in sample order, so results do not depend on the blocking.
    const f = pb.dof - 1;
    const tOf = (b: number) => b * Math.sqrt(f / (1 - b * b));
    const T = pb.target;
    const U4 = new Float64Array(4 * n);
    const lo = new Float64Array(4);
    const hi = new Float64Array(4);
    for (let c0 = 0; c0 < count; c0 += 4) {
      const m = Math.min(4, count - c0);
      for (let q = 0; q < 4; q++) {
        drawDesign(pb, seed, start + c0 + Math.min(q, m - 1), u, U);
        U4.set(u, q * n);
      }
      blockMinMax(T, pb.nVoxels, n, U4, lo, hi);
      for (let q = 0; q < m; q++) {
        const best = pb.twoSided ? Math.max(Math.abs(tOf(hi[q])), Math.abs(tOf(lo[q]))) : tOf(hi[q]);
        out.maxT[c0 + q] = hi[q] === -Infinity ? NaN : best;
      }
      report(c0 + m);
    }
    return out;
  }
  const t = new Float64Array(pb.nVoxels);
  for (let c = 0; c < count; c++) {
    drawDesign(pb, seed, start + c, u, U);
    tScores(pb, u, U, t);
    let m = -Infinity;
    for (let v = 0; v < t.length; v++) {
      const x = pb.twoSided ? Math.abs(t[v]) : t[v];
      if (x > m) m = x; // NaN never wins (np.nanmax)
    }
    out.maxT[c] = m === -Infinity ? NaN : m;
    if (pb.thresholdT !== null) {
      const cs = clusterStats(pb, t, pb.thresholdT);
      let ms = 0;
      let mm = 0;
      for (let l = 1; l < cs.size.length; l++) {
        if (cs.size[l] > ms) ms = cs.size[l];
        if (cs.mass[l] > mm) mm = cs.mass[l];
      }
      out.maxSize![c] = ms;
      out.maxMass![c] = mm;
    }
    if (pb.tfce) out.maxTfce![c] = tfceMax(scatter(pb, t), pb.dims as number[], { twoSided: pb.twoSided });
    report(c + 1);
  }
  return out;
}

// ---------------------------------------------------------------- combine

export interface PermutationResult {
  nPerm: number;
  /** t of the original data (V). */
  t: Float64Array;
  /** -log10 voxel-level FWE p (V) — nilearn's non_parametric_inference output. */
  logpMaxT: Float64Array;
  /** null max statistics in permutation-index order. */
  h0MaxT: Float64Array;
  size?: Float64Array;
  logpMaxSize?: Float64Array;
  h0MaxSize?: Float64Array;
  mass?: Float64Array;
  logpMaxMass?: Float64Array;
  h0MaxMass?: Float64Array;
  tfce?: Float64Array;
  logpMaxTfce?: Float64Array;
  h0MaxTfce?: Float64Array;
}

function concat(chunks: PermutationChunk[], key: 'maxT' | 'maxSize' | 'maxMass' | 'maxTfce', nPerm: number): Float64Array {
  const out = new Float64Array(nPerm);
  for (const ch of chunks) out.set(ch[key] as Float64Array, ch.start);
  return out;
}

/** #{null < x} on an ascending array (searchsorted left); NaN x counts 0 like numpy's compare. */
function countBelow(sorted: Float64Array, x: number): number {
  return Number.isNaN(x) ? 0 : searchsortedLeft(sorted, x);
}

/** voxel-level FWE like permuted_ols: p = (n_perm + 1 - #{h0 < score}) / (n_perm + 1). */
function fweLogP(scores: Float64Array, h0: Float64Array, abs: boolean): Float64Array {
  // NaN entries of h0 (all-NaN permutation) compare false, as numpy: push them to the top
  const sorted = Float64Array.from(h0).sort();
  const nPerm = h0.length;
  const out = new Float64Array(scores.length);
  for (let v = 0; v < scores.length; v++) {
    const s = abs ? Math.abs(scores[v]) : scores[v];
    const rank = countBelow(sorted, s);
    out[v] = -Math.log10((nPerm + 1 - rank) / (nPerm + 1));
  }
  return out;
}

/** nilearn null_to_p(values, null, 'larger') with its clipping to [1/n, 1 - 1/n]. */
export function nullToPLarger(values: Float64Array, nullDist: Float64Array): Float64Array {
  const sorted = Float64Array.from(nullDist).sort();
  const n = sorted.length;
  const smallest = Math.max(2.220446049250313e-16, 1 / n);
  return values.map((x) => {
    const p = 1 - countBelow(sorted, x) / n;
    return Math.max(smallest, Math.min(p, 1 - smallest));
  });
}

/** Reduce chunks (any order, must cover 0..n_perm-1 exactly once) to nilearn's outputs. */
export function combinePermutationChunks(pb: PermutationProblem, chunks: PermutationChunk[]): PermutationResult {
  const nPerm = chunks.reduce((a, ch) => a + ch.count, 0);
  const seen = new Uint8Array(nPerm);
  for (const ch of chunks)
    for (let i = ch.start; i < ch.start + ch.count; i++) {
      if (i >= nPerm || seen[i]) throw new Error('permutation chunks overlap or leave gaps');
      seen[i] = 1;
    }
  const h0MaxT = concat(chunks, 'maxT', nPerm);
  const res: PermutationResult = {
    nPerm,
    t: Float64Array.from(pb.t),
    logpMaxT: fweLogP(pb.t, h0MaxT, pb.twoSided),
    h0MaxT,
  };
  if (pb.thresholdT !== null) {
    const h0Size = concat(chunks, 'maxSize', nPerm);
    const h0Mass = concat(chunks, 'maxMass', nPerm);
    const cs = clusterStats(pb, pb.t, pb.thresholdT);
    const pSize = nullToPLarger(cs.size, h0Size);
    const pMass = nullToPLarger(cs.mass, h0Mass);
    const idx = pb.voxelIndex as Int32Array;
    const V = pb.nVoxels;
    res.size = new Float64Array(V);
    res.mass = new Float64Array(V);
    res.logpMaxSize = new Float64Array(V);
    res.logpMaxMass = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      const l = cs.labels[idx[v]];
      res.size[v] = cs.size[l];
      res.mass[v] = cs.mass[l];
      res.logpMaxSize[v] = -Math.log10(pSize[l]);
      res.logpMaxMass[v] = -Math.log10(pMass[l]);
    }
    res.h0MaxSize = h0Size;
    res.h0MaxMass = h0Mass;
  }
  if (pb.tfce) {
    const h0Tfce = concat(chunks, 'maxTfce', nPerm);
    const map = tfceMap(scatter(pb, pb.t), pb.dims as number[], { twoSided: pb.twoSided });
    const idx = pb.voxelIndex as Int32Array;
    const tf = Float64Array.from({ length: pb.nVoxels }, (_, v) => map[idx[v]]);
    res.tfce = tf;
    res.logpMaxTfce = fweLogP(tf, h0Tfce, true);
    res.h0MaxTfce = h0Tfce;
  }
  return res;
}

export interface NonParametricOptions extends PermutationOptions {
  nPerm?: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Single-thread convenience: prepare, run all permutations, combine. */
export function nonParametricInference(
  Y: Float32Array | Float64Array,
  design: GroupDesign,
  options: NonParametricOptions,
): PermutationResult {
  const pb = preparePermutation(Y, design, options);
  const nPerm = options.nPerm ?? 10000;
  const chunk = permutationChunk(pb, options.seed ?? 0, 0, nPerm, options.onProgress);
  return combinePermutationChunks(pb, [chunk]);
}
