/**
 * Contrasts of a fitted GLM, as nilearn 0.10.4 (`nilearn.glm.contrasts`:
 * compute_contrast, _compute_fixed_effect_contrast, Contrast; padding as
 * `nilearn.glm._utils.pad_contrast`):
 *
 * t contrast c (1 x p), per voxel with label model L:
 *   effect   = c · theta
 *   variance = dispersion · (c · normCov_L · cᵀ)
 *   stat     = effect / sqrt(max(variance, 1e-50))
 *   p        = t.sf(stat, dof),  1 - p = t.cdf(stat, dof),  dof = min(df_resid, 1e10)
 * F contrast C (q x p):
 *   effect   = sqrtm(inv(C · normCov_L · Cᵀ)) · (C · theta)      (q values per voxel)
 *   variance = dispersion
 *   stat     = Σ effect² / q / max(variance, 1e-50)
 *   p        = F.sf(stat, q, dof)
 * z = nilearn z_score(p, 1 - p) (see distributions.zFromP).
 *
 * Fixed effects over runs (FirstLevelModel.compute_contrast): the per-run
 * contrasts are added (effects and variances summed, dofs summed) and the sum
 * is multiplied by 1/n_runs, which divides the effect by n and the variance by
 * n²; runs whose contrast is all zeros are skipped.
 */
import type { GlmResult } from './glm.js';
import { type Mat, symFunction } from '../core/matrix.js';
import { fCdf, fSf, tTails, zFromP, type Tails } from '../core/distributions.js';

export type StatType = 't' | 'F';

const DEF_TINY = 1e-50;
const DEF_DOFMAX = 1e10;

/** A contrast definition in numbers: a vector (t, or 1-row F) or a matrix (F). */
export type ContrastDefinition = Float64Array | readonly number[] | readonly (readonly number[])[] | Mat;

export type WarningSink = (message: string) => void;

/** nilearn's `Contrast` object before the statistics: what fixed effects combine. */
export interface ContrastEffects {
  statType: StatType;
  /** Number of rows of the contrast (1 for t). */
  dim: number;
  /** Degrees of freedom of the residuals (summed over runs for fixed effects). */
  dof: number;
  nVoxels: number;
  /** dim x nVoxels row-major. */
  effect: Float64Array;
  /** nVoxels. */
  variance: Float64Array;
}

export interface ContrastResult extends ContrastEffects {
  /** nilearn effect_size: the effect (dim x nVoxels; for F the whitened effect sqrtm(inv(C cov Cᵀ)) C theta). */
  effectSize: Float64Array;
  /** nilearn effect_variance. */
  effectVariance: Float64Array;
  /** t or F statistic. */
  stat: Float64Array;
  pValue: Float64Array;
  /** 1 - p computed from the cdf (kept for accurate lower tails). */
  oneMinusPValue: Float64Array;
  zScore: Float64Array;
}

interface ConMatrix {
  /** True when the definition was a 1-D vector (nilearn ndim == 1). */
  isVector: boolean;
  m: Mat;
}

function toConMatrix(def: ContrastDefinition): ConMatrix {
  if (def instanceof Float64Array) return { isVector: true, m: { rows: 1, cols: def.length, data: def.slice() } };
  if (!Array.isArray(def)) {
    const m = def as Mat;
    return { isVector: false, m: { rows: m.rows, cols: m.cols, data: m.data.slice() } };
  }
  const arr = def as readonly (number | readonly number[])[];
  if (arr.length > 0 && Array.isArray(arr[0])) {
    const rows = arr as readonly (readonly number[])[];
    const cols = rows[0].length;
    const data = new Float64Array(rows.length * cols);
    rows.forEach((r, i) => {
      if (r.length !== cols) throw new Error(`Contrast matrix rows have different lengths (${cols} and ${r.length})`);
      for (let j = 0; j < cols; j++) data[i * cols + j] = r[j];
    });
    return { isVector: false, m: { rows: rows.length, cols, data } };
  }
  return { isVector: true, m: { rows: 1, cols: arr.length, data: Float64Array.from(arr as readonly number[]) } };
}

/**
 * nilearn's pad_contrast: a contrast with fewer columns than regressors is
 * padded with zeros (with a warning), one with more columns is an error.
 */
export function padContrast(con: Mat, nRegressors: number, statType: StatType, warn?: WarningSink): Mat {
  const nb = con.cols;
  if (nb > nRegressors) {
    throw new Error(statType === 't'
      ? `t contrasts should be of length P=${nRegressors}, but it has length ${nb}.`
      : `F contrasts should have ${nRegressors} columns, but it has ${nb}.`);
  }
  if (nb === nRegressors) return con;
  warn?.(statType === 't'
    ? `t contrasts should be of length P=${nRegressors}, but it has length ${nb}. The rest of the contrast was padded with zeros.`
    : `F contrasts should have ${nRegressors} colmuns, but it has only ${nb}. The rest of the contrast was padded with zeros.`);
  const out = new Float64Array(con.rows * nRegressors);
  for (let i = 0; i < con.rows; i++) out.set(con.data.subarray(i * nb, i * nb + nb), i * nRegressors);
  return { rows: con.rows, cols: nRegressors, data: out };
}

function quadForm(c: Mat, cov: Mat): Mat {
  // C cov Cᵀ (q x q)
  const q = c.rows;
  const p = c.cols;
  const tmp = new Float64Array(q * p);
  for (let i = 0; i < q; i++) {
    for (let k = 0; k < p; k++) {
      const cik = c.data[i * p + k];
      if (cik === 0) continue;
      for (let j = 0; j < p; j++) tmp[i * p + j] += cik * cov.data[k * p + j];
    }
  }
  const out = new Float64Array(q * q);
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < q; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += tmp[i * p + k] * c.data[j * p + k];
      out[i * q + j] = s;
    }
  }
  return { rows: q, cols: q, data: out };
}

/**
 * nilearn `compute_contrast(labels, results, con_val, stat_type)` for one run.
 * statType defaults to 't' for a vector / 1-row matrix and 'F' otherwise.
 */
export function contrastEffects(fit: GlmResult, contrast: ContrastDefinition, statType?: StatType, warn?: WarningSink): ContrastEffects {
  const { m: raw, isVector } = toConMatrix(contrast);
  const dim = isVector ? 1 : raw.rows;
  const type: StatType = statType ?? (dim === 1 ? 't' : 'F');
  if (type !== 't' && type !== 'F') throw new Error(`'${String(statType)}' is not a known contrast type. Allowed types are ['t', 'F'].`);
  if (raw.cols === 0 || raw.rows === 0) throw new Error(`${type} contrasts cannot be empty`);
  if (type === 't' && raw.rows !== 1) throw new Error(`t contrasts should have only one row: got ${raw.rows} rows.`);
  const c = padContrast(raw, fit.nRegressors, type, warn);
  const nVox = fit.nVoxels;
  const q = c.rows;
  // The loops over voxels are functions of their own: V8 optimises each loop on the stack
  // while it runs, and that code was thrown away at the statements after it (no type feedback
  // yet), once per worker and contrast.
  const ctheta = weightedRows(c, fit.theta, nVox);
  const labels = fit.labels;
  if (type === 't') {
    const scale = Float64Array.from(fit.models, (mdl) => quadForm(c, mdl.normCov).data[0]);
    return { statType: 't', dim: 1, dof: lastDof(fit), nVoxels: nVox, effect: ctheta, variance: scaledByLabel(fit.dispersion, scale, labels) };
  }
  // F: whiten the effect by sqrtm(inv(C normCov Cᵀ)) of the voxel's model
  const wmats = fit.models.map((mdl) => symFunction(quadForm(c, mdl.normCov), (x) => 1 / Math.sqrt(x)).data);
  return { statType: 'F', dim: q, dof: lastDof(fit), nVoxels: nVox, effect: whitenedEffects(ctheta, wmats, labels, q, nVox), variance: fit.dispersion.slice() };
}

/** C · theta (q x nVox), streaming over contiguous rows of theta; rows with weight 0 are not read. */
function weightedRows(c: Mat, theta: Float64Array, nVox: number): Float64Array {
  const p = c.cols;
  const q = c.rows;
  const ctheta = new Float64Array(q * nVox);
  for (let i = 0; i < q; i++) {
    const o = i * nVox;
    for (let j = 0; j < p; j++) {
      const w = c.data[i * p + j];
      if (w === 0) continue;
      const to = j * nVox;
      for (let v = 0; v < nVox; v++) ctheta[o + v] += w * theta[to + v];
    }
  }
  return ctheta;
}

/** dispersion[v] · scale[labels[v]]: the t contrast's variance, c·normCov·cᵀ of the voxel's model. */
function scaledByLabel(dispersion: Float64Array, scale: Float64Array, labels: Int32Array): Float64Array {
  const variance = new Float64Array(dispersion.length);
  for (let v = 0; v < variance.length; v++) variance[v] = dispersion[v] * scale[labels[v]];
  return variance;
}

/** The F contrast's effects, each voxel's C·theta whitened by its model's matrix. */
function whitenedEffects(ctheta: Float64Array, wmats: Float64Array[], labels: Int32Array, q: number, nVox: number): Float64Array {
  const effect = new Float64Array(q * nVox);
  for (let v = 0; v < nVox; v++) {
    const w = wmats[labels[v]];
    for (let i = 0; i < q; i++) {
      let s = 0;
      for (let k = 0; k < q; k++) s += w[i * q + k] * ctheta[k * nVox + v];
      effect[i * nVox + v] = s;
    }
  }
  return effect;
}

/** nilearn takes df_residuals of the last label's results (all labels share it). */
function lastDof(fit: GlmResult): number {
  return fit.models.length ? fit.models[fit.models.length - 1].dfResid : fit.nScans;
}

/** Contrast.__add__: effects and variances summed, dofs summed. */
export function addContrasts(a: ContrastEffects, b: ContrastEffects, warn?: WarningSink): ContrastEffects {
  if (a.statType !== b.statType) throw new Error('The two contrasts do not have consistent type dimensions');
  if (a.dim !== b.dim) throw new Error('The two contrasts do not have compatible dimensions');
  if (a.nVoxels !== b.nVoxels) throw new Error(`The two contrasts have different numbers of voxels (${a.nVoxels} and ${b.nVoxels})`);
  if (a.statType === 'F') warn?.('Running approximate fixed effects on F statistics.');
  return { statType: a.statType, dim: a.dim, dof: a.dof + b.dof, nVoxels: a.nVoxels, effect: sum(a.effect, b.effect), variance: sum(a.variance, b.variance) };
}

// Plain loops rather than TypedArray.prototype.map (a call of the callback per element): these
// run once per contrast on whole maps, mostly before the code is optimized.
function sum(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
  return out;
}

function scaled(a: Float64Array, s: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < out.length; i++) out[i] = a[i] * s;
  return out;
}

/** Contrast.__mul__: effect · s, variance · s², dof unchanged. */
export function scaleContrast(a: ContrastEffects, s: number): ContrastEffects {
  // nilearn: variance * scalar**2 (the square first)
  return { ...a, effect: scaled(a.effect, s), variance: scaled(a.variance, s * s) };
}

/**
 * nilearn `_compute_fixed_effect_contrast(labels, results, con_vals, stat_type)`:
 * one contrast per run, null contrasts skipped, sum scaled by 1/n_contrasts.
 */
export function fixedEffectContrast(fits: readonly GlmResult[], contrasts: readonly ContrastDefinition[], statType?: StatType, warn?: WarningSink): ContrastEffects {
  let acc: ContrastEffects | null = null;
  let n = 0;
  fits.forEach((fit, i) => {
    const con = toConMatrix(contrasts[i]).m;
    if (con.data.every((x) => x === 0)) {
      warn?.(`Contrast for run ${i} is null`);
      return;
    }
    const c = contrastEffects(fit, contrasts[i], statType, warn);
    acc = acc === null ? c : addContrasts(acc, c, warn);
    n++;
  });
  if (acc === null) throw new Error('all contrasts provided were null contrasts');
  return scaleContrast(acc, 1 / n);
}

/** Contrast.stat / p_value / z_score (baseline 0) of combined effects. */
export function contrastStatistics(c: ContrastEffects): ContrastResult {
  const nVox = c.nVoxels;
  const stat = new Float64Array(nVox);
  const pValue = new Float64Array(nVox);
  const oneMinusPValue = new Float64Array(nVox);
  const zScore = new Float64Array(nVox);
  const dof = Math.min(c.dof, DEF_DOFMAX);
  if (c.statType === 't') {
    const tails: Tails = { sf: 0, cdf: 0 };
    for (let v = 0; v < nVox; v++) {
      const s = c.effect[v] / Math.sqrt(Math.max(c.variance[v], DEF_TINY));
      stat[v] = s;
      tTails(s, dof, tails);
      pValue[v] = tails.sf;
      oneMinusPValue[v] = tails.cdf;
      zScore[v] = zFromP(pValue[v], oneMinusPValue[v]);
    }
  } else {
    const q = c.dim;
    for (let v = 0; v < nVox; v++) {
      let ss = 0;
      for (let i = 0; i < q; i++) { const e = c.effect[i * nVox + v]; ss += e * e; }
      const s = ss / q / Math.max(c.variance[v], DEF_TINY);
      stat[v] = s;
      // 1 - p from the cdf only where it is the small, precision-critical side
      const sf = fSf(s, q, dof);
      pValue[v] = sf;
      oneMinusPValue[v] = sf < 0.5 ? 1 - sf : fCdf(s, q, dof);
      zScore[v] = zFromP(pValue[v], oneMinusPValue[v]);
    }
  }
  return { ...c, effectSize: c.effect, effectVariance: c.variance, stat, pValue, oneMinusPValue, zScore };
}

export interface ComputeContrastOptions {
  /** 't' or 'F'; default 't' for a vector, 'F' for a matrix with several rows. */
  statType?: StatType;
  /** Receives nilearn's warnings (padding, null run contrast, one contrast for several runs, F fixed effects). */
  onWarning?: WarningSink;
}

/**
 * FirstLevelModel.compute_contrast for numeric contrasts: one fit (a run) or
 * several (fixed effects), and one contrast for all runs or one per run.
 * String expressions are turned into vectors beforehand (contrast-expr.ts).
 */
export function computeContrast(
  fit: GlmResult | readonly GlmResult[],
  contrast: ContrastDefinition | readonly ContrastDefinition[],
  opts: ComputeContrastOptions = {},
): ContrastResult {
  const fits = Array.isArray(fit) ? (fit as readonly GlmResult[]) : [fit as GlmResult];
  let cons: readonly ContrastDefinition[];
  if (isContrastList(contrast)) cons = contrast;
  else cons = [contrast as ContrastDefinition];
  if (cons.length === 1 && fits.length > 1) {
    opts.onWarning?.(`One contrast given, assuming it for all ${fits.length} runs`);
    cons = fits.map(() => cons[0]);
  } else if (cons.length !== fits.length) {
    throw new Error(`${cons.length} contrasts given, while there are ${fits.length} runs.`);
  }
  return contrastStatistics(fixedEffectContrast(fits, cons, opts.statType, opts.onWarning));
}

/** A list of per-run definitions, as opposed to one vector (number[]) or matrix (number[][]). */
function isContrastList(x: ContrastDefinition | readonly ContrastDefinition[]): x is readonly ContrastDefinition[] {
  if (!Array.isArray(x) || x.length === 0) return false;
  const first = x[0];
  if (typeof first === 'number') return false; // a vector
  if (Array.isArray(first)) {
    // number[][] is a matrix (F); number[][][] is a list of matrices
    return Array.isArray((first as unknown[])[0]);
  }
  return true; // Float64Array / Mat elements
}
