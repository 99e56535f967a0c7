/**
 * runGlm with residuals: 'variance' for data read one block of voxels at a time (a very long
 * run spilled to a voxel-major file: nilearn #5588, 6 804 volumes x 150k-311k voxels, 4-8.5 GB
 * as float32). The passes are those of runGlm, each over the blocks:
 *
 *   1. OLS fit + Yule-Walker sums of every voxel (OlsArAccumulator), then the global mean and
 *      the AR coefficients, binned (AR(1)) or clustered (AR(N)) over all voxels as runGlm does;
 *   2. refit of every voxel with its group's ARModel (fitLabelled) and the variance of its
 *      residuals (in fitLabelled's refit), with the voxels of each group gathered from the block.
 *      AR(1) bins of a well-conditioned design whose refit sums fit in memory are refitted
 *      from the sums the first pass kept (refit-sums.ts, chosen as runGlm chooses): no pass.
 *
 * A model of a design with n_t rows costs ~6 n_t·p doubles while fitted (whitened design,
 * pseudo-inverse, range basis and their copies in the kernels' memory: ~38 MB each for
 * 6 804 x 118), so the groups are refitted a few at a time, within `modelBytes`, one pass
 * over the blocks per set of groups; afterwards each model keeps only what contrasts need.
 *
 * Every per-voxel result is computed by the same kernels, voxel by voxel, as runGlm and
 * runGlm(…, {residuals: 'variance'}) on the whole Y (their results do not depend on the chunking or on which
 * voxels share a product), and the only cross-voxel quantity, Yule-Walker's global mean, is
 * summed over all voxels in order: the results are bit-identical to the in-memory path
 * (test/stats/glm-blocked.test.ts, test/nodes/fit-spill.test.ts).
 */
import type { Mat } from '../core/matrix.js';
import { designRank, linearModelWithBasis, type LinearModel } from './regression.js';
import { OlsArAccumulator } from './ar-estimate.js';
import { binAr1, clusterArN } from './ar-groups.js';
import { fitLabelled } from './fit-labelled.js';
import { refitFromSums, sumsRefitFits, sumsRefitTerms, type BinTerms } from './refit-sums.js';
import { parseNoiseModel, stageClock, type GlmLabelModel, type GlmResult } from './glm.js';

/** The data Y (n_scans x n_voxels) as blocks of consecutive voxels. */
export interface VoxelBlockSource {
  readonly nScans: number;
  readonly nVoxels: number;
  readonly nBlocks: number;
  /**
   * Block b: its first voxel, its voxel count and its data (nScans x len, time-major), ready
   * for the GLM (e.g. signal-scaled). The array may be reused by the next call.
   */
  read(b: number): { v0: number; len: number; y: Float32Array };
}

export interface BlockedGlmOptions {
  noiseModel?: string;
  bins?: number;
  chunkSize?: number;
  randomState?: number;
  /** Bytes the fitted models of one refit pass may take (default 512 MiB; at least one model per pass). */
  modelBytes?: number;
  timings?: Record<string, number>;
  /** Called after each block of each pass with the fraction of all passes done. */
  onProgress?: (fraction: number) => void;
}

export interface BlockedGlmResult {
  fit: GlmResult;
  /** Per voxel: variance over time of nilearn's residuals (in fitLabelled's refit). */
  residualVariance: Float64Array;
  /** Number of passes over the blocks (1 + the refit passes). */
  passes: number;
}

const EMPTY: Mat = { rows: 0, cols: 0, data: new Float64Array(0) };

export function runGlmBlocked(source: VoxelBlockSource, x: Mat, opts: BlockedGlmOptions = {}): BlockedGlmResult {
  const noiseModel = opts.noiseModel ?? 'ar1';
  const order = parseNoiseModel(noiseModel);
  const bins = opts.bins ?? 100;
  const n = x.rows;
  const p = x.cols;
  const nVox = source.nVoxels;
  if (source.nScans !== n) throw new Error(`runGlmBlocked: the data have ${source.nScans} scans, the design ${n} rows`);
  // the kernels' chunk buffers hold n x chunk values: fewer voxels per chunk for long runs
  // (per-voxel results do not depend on the chunk)
  const defaultChunk = Math.max(64, Math.min(1024, Math.floor(2 ** 22 / Math.max(1, n))));
  const chunk = (Math.max(1, Math.min(opts.chunkSize ?? defaultChunk, nVox)) + 3) & ~3;
  const chunk2 = (Math.max(1, Math.min(2 * chunk, nVox)) + 3) & ~3;
  const clock = stageClock(opts.timings);
  const rank = designRank(x);
  const theta = new Float64Array(p * nVox);
  const dispersion = new Float64Array(nVox);
  const rSquare = new Float64Array(nVox);
  const residualVariance = new Float64Array(nVox);
  const ols = linearModelWithBasis(x, [], rank);

  let labels: Int32Array = new Int32Array(nVox);
  let rhos: Float64Array[] = [new Float64Array(0)];
  let keys = ['0.0'];
  let arCoef: Float64Array | undefined;
  // passes: 1 for the AR estimate (AR models), then the refit sets
  const perModel = 8 * (6 * n * p + 4 * n) + 1;
  const perPass = Math.max(1, Math.floor((opts.modelBytes ?? 512 * 2 ** 20) / perModel));
  let passesDone = 0;
  let totalPasses = order === 0 ? 1 : 1 + Math.ceil(Math.max(1, bins) / perPass);
  const progress = (b: number) => opts.onProgress?.((passesDone + (b + 1) / source.nBlocks) / totalPasses);

  // AR(1): the bins that suit it are refitted from the sums of the first pass (refit-sums.ts),
  // chosen as runGlm chooses them
  const withSums = order === 1 && sumsRefitFits(x, nVox);
  let sums: Float64Array | undefined;
  if (order > 0) {
    const acc = new OlsArAccumulator(ols, nVox, order, chunk, withSums);
    for (let b = 0; b < source.nBlocks; b++) {
      const { v0, len, y } = source.read(b);
      acc.add(y, len, v0);
      progress(b);
    }
    passesDone++;
    arCoef = acc.finish();
    sums = acc.sums;
    clock('ols + ar estimate');
    const groups = order === 1 ? binAr1(arCoef, bins) : clusterArN(arCoef, order, bins, opts.randomState ?? 0);
    labels = groups.labels;
    rhos = groups.rho;
    keys = groups.keys;
    clock('ar bins');
  }
  const nm = rhos.length;
  const counts = new Int32Array(nm);
  for (let v = 0; v < nVox; v++) counts[labels[v]]++;
  const models: GlmLabelModel[] = new Array(nm);
  /** What contrasts need of a model: the big n x p matrices are dropped. */
  const slim = (m: LinearModel, g: number) => ({ rho: m.rho, normCov: m.normCov, dfResid: m.dfResid, dfModel: m.dfModel, dfTotal: m.dfTotal,
    dispersionDenominator: m.dispersionDenominator, whitenedDesign: EMPTY, calcBeta: EMPTY, key: keys[g], nVoxels: counts[g] }) as GlmLabelModel;
  // the groups refitted from the data, in passes
  let rest = Array.from({ length: nm }, (_, g) => g);
  if (sums) {
    const terms: (BinTerms | undefined)[] = new Array(nm);
    for (let g = 0; g < nm; g++) {
      const m = linearModelWithBasis(x, rhos[g], rank, false);
      terms[g] = sumsRefitTerms(m);
      if (terms[g]) models[g] = slim(m, g);
    }
    refitFromSums(sums, x, terms, labels, { theta, dispersion, rSquare, residualVariance });
    rest = rest.filter((g) => !terms[g]);
  }
  totalPasses = passesDone + Math.ceil(rest.length / perPass);

  for (let r0 = 0; r0 < rest.length; r0 += perPass) {
    const group = rest.slice(r0, r0 + perPass);
    // the models of this pass (OLS: the one already built)
    const fitted: (LinearModel & { basis?: Mat })[] = group.map((g) => (order === 0 ? ols : linearModelWithBasis(x, rhos[g], rank)));
    const localOf = new Int32Array(nm).fill(-1);
    group.forEach((g, i) => { localOf[g] = i; });
    // local label of every voxel of this pass (-1: another pass)
    const local = new Int32Array(nVox).fill(-1);
    let inPass = 0;
    for (let v = 0; v < nVox; v++) {
      const l = localOf[labels[v]];
      if (l >= 0) {
        local[v] = l;
        inPass++;
      }
    }
    if (inPass > 0) {
      let yc = new Float32Array(0);
      for (let b = 0; b < source.nBlocks; b++) {
        const { v0, len, y } = source.read(b);
        // the voxels of this pass in the block, gathered (all of them: no copy)
        const members: number[] = [];
        for (let i = 0; i < len; i++) if (local[v0 + i] >= 0) members.push(i);
        const cnt = members.length;
        if (cnt > 0) {
          let data: Float32Array = y;
          if (cnt < len) {
            if (yc.length < n * cnt) yc = new Float32Array(n * Math.min(len, 2 * cnt));
            data = yc.subarray(0, n * cnt);
            for (let t = 0; t < n; t++) {
              const src = t * len;
              const dst = t * cnt;
              for (let i = 0; i < cnt; i++) data[dst + i] = y[src + members[i]];
            }
          }
          refitBlock(data, cnt, members, v0, fitted, local, chunk, chunk2, { theta, dispersion, rSquare, residualVariance, nVox, p, n });
        }
        progress(b);
      }
      passesDone++;
    }
    // keep what contrasts need: the big n x p matrices go with this pass
    group.forEach((g, i) => { models[g] = slim(fitted[i], g); });
  }
  clock(order === 0 ? 'ols fit + residuals' : 'ar refit per bin + residuals');

  const fit: GlmResult = {
    nScans: n, nRegressors: p, nVoxels: nVox, noiseModel, arOrder: order,
    labels, models, theta, dispersion, rSquare, arCoef,
  };
  return { fit, residualVariance, passes: passesDone };
}

interface GlobalOut { theta: Float64Array; dispersion: Float64Array; rSquare: Float64Array; residualVariance: Float64Array; nVox: number; p: number; n: number }

/** Refit of `cnt` voxels (data n x cnt, global index v0 + members[i]) with their pass-local models, then the residual variance. */
function refitBlock(
  data: Float32Array, cnt: number, members: number[], v0: number, fitted: (LinearModel & { basis?: Mat })[],
  local: Int32Array, chunk: number, chunk2: number, out: GlobalOut,
): void {
  const { p, nVox } = out;
  const labels = new Int32Array(cnt);
  for (let i = 0; i < cnt; i++) labels[i] = local[v0 + members[i]];
  const lt = new Float64Array(p * cnt);
  const ld = new Float64Array(cnt);
  const lr = new Float64Array(cnt);
  const C = fitted.length === 1 && fitted[0].rho.length === 0 ? chunk : chunk2;
  // the refit forms nilearn's residuals in its chunk loop and keeps their variance
  const rv = new Float64Array(cnt);
  fitLabelled(data, cnt, fitted, labels, Math.min(C, (cnt + 3) & ~3), { theta: lt, dispersion: ld, rSquare: lr, residualVariance: rv });
  for (let i = 0; i < cnt; i++) {
    const v = v0 + members[i];
    for (let j = 0; j < p; j++) out.theta[j * nVox + v] = lt[j * cnt + i];
    out.dispersion[v] = ld[i];
    out.rSquare[v] = lr[i];
    out.residualVariance[v] = rv[i];
  }
}
