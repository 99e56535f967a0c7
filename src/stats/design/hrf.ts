/**
 * Hemodynamic response kernels, as nilearn 0.10.4
 * (nilearn.glm.first_level.hemodynamic_models) samples them on the oversampled grid
 * dt = tr / oversampling.
 */
import { gammaPdfArray } from '../core/gamma.js';
import { linspace, rint } from '../core/numpy-grid.js';

export type HrfModel =
  | 'spm'
  | 'spm + derivative'
  | 'spm + derivative + dispersion'
  | 'glover'
  | 'glover + derivative'
  | 'glover + derivative + dispersion'
  | 'fir'
  | null;

export const HRF_MODELS: readonly HrfModel[] = [
  'spm',
  'spm + derivative',
  'spm + derivative + dispersion',
  'glover',
  'glover + derivative',
  'glover + derivative + dispersion',
  'fir',
  null,
];

/** Shape parameters of a difference of two gamma densities. */
export interface GammaDifferenceParams {
  delay: number;
  undershoot: number;
  dispersion: number;
  uDispersion: number;
  ratio: number;
}

export const SPM_PARAMS: GammaDifferenceParams = { delay: 6, undershoot: 16, dispersion: 1, uDispersion: 1, ratio: 0.167 };
export const GLOVER_PARAMS: GammaDifferenceParams = { delay: 6, undershoot: 12, dispersion: 0.9, uDispersion: 0.9, ratio: 0.35 };

/** Finite-difference steps used by nilearn for the derivative kernels. */
const TIME_DELTA = 0.1; // s
const DISPERSION_DELTA = 0.01;

/**
 * Difference of two gamma pdfs sampled at linspace(0, timeLength, rint(timeLength/dt)) - onset,
 * both shifted by loc = dt, normalised to sum 1 (nilearn `_gamma_difference_hrf`).
 */
export function gammaDifferenceHrf(
  tr: number,
  oversampling = 50,
  timeLength = 32,
  onset = 0,
  p: GammaDifferenceParams = SPM_PARAMS,
): Float64Array {
  const dt = tr / oversampling;
  const t = linspace(0, timeLength, rint(timeLength / dt));
  for (let i = 0; i < t.length; i++) t[i] -= onset;
  const peak = gammaPdfArray(t, p.delay / p.dispersion, dt, p.dispersion);
  const under = gammaPdfArray(t, p.undershoot / p.uDispersion, dt, p.uDispersion);
  const h = new Float64Array(t.length);
  let sum = 0;
  for (let i = 0; i < h.length; i++) {
    h[i] = peak[i] - p.ratio * under[i];
    sum += h[i];
  }
  for (let i = 0; i < h.length; i++) h[i] /= sum;
  return h;
}

export function spmHrf(tr: number, oversampling = 50, timeLength = 32, onset = 0): Float64Array {
  return gammaDifferenceHrf(tr, oversampling, timeLength, onset, SPM_PARAMS);
}

export function gloverHrf(tr: number, oversampling = 50, timeLength = 32, onset = 0): Float64Array {
  return gammaDifferenceHrf(tr, oversampling, timeLength, onset, GLOVER_PARAMS);
}

/** (h(onset) - h(onset + 0.1)) / 0.1 */
function timeDerivative(base: GammaDifferenceParams, tr: number, oversampling: number, timeLength: number, onset: number) {
  const a = gammaDifferenceHrf(tr, oversampling, timeLength, onset, base);
  const b = gammaDifferenceHrf(tr, oversampling, timeLength, onset + TIME_DELTA, base);
  const d = new Float64Array(a.length);
  for (let i = 0; i < d.length; i++) d[i] = (1 / TIME_DELTA) * (a[i] - b[i]);
  return d;
}

/** (h(dispersion) - h(dispersion + 0.01)) / 0.01, written as nilearn does: 1/dd * (-h(disp+dd) + h(disp)). */
function dispersionDerivative(
  base: GammaDifferenceParams,
  tr: number,
  oversampling: number,
  timeLength: number,
  onset: number,
) {
  const a = gammaDifferenceHrf(tr, oversampling, timeLength, onset, { ...base, dispersion: base.dispersion + DISPERSION_DELTA });
  const b = gammaDifferenceHrf(tr, oversampling, timeLength, onset, base);
  const d = new Float64Array(a.length);
  for (let i = 0; i < d.length; i++) d[i] = (1 / DISPERSION_DELTA) * (-a[i] + b[i]);
  return d;
}

export function spmTimeDerivative(tr: number, oversampling = 50, timeLength = 32, onset = 0): Float64Array {
  return timeDerivative(SPM_PARAMS, tr, oversampling, timeLength, onset);
}

export function gloverTimeDerivative(tr: number, oversampling = 50, timeLength = 32, onset = 0): Float64Array {
  return timeDerivative(GLOVER_PARAMS, tr, oversampling, timeLength, onset);
}

export function spmDispersionDerivative(tr: number, oversampling = 50, timeLength = 32, onset = 0): Float64Array {
  return dispersionDerivative(SPM_PARAMS, tr, oversampling, timeLength, onset);
}

/**
 * nilearn's glover dispersion derivative only overrides delay, undershoot, dispersion and ratio,
 * so the undershoot gamma keeps the default u_dispersion = 1 (not Glover's 0.9) in both terms.
 */
export function gloverDispersionDerivative(tr: number, oversampling = 50, timeLength = 32, onset = 0): Float64Array {
  return dispersionDerivative({ ...GLOVER_PARAMS, uDispersion: 1 }, tr, oversampling, timeLength, onset);
}

/** Is `m` one of the hrf model names nilearn accepts (after lower-casing)? */
export function isHrfModel(m: unknown): m is HrfModel {
  return m === null || (typeof m === 'string' && (HRF_MODELS as readonly unknown[]).includes(m));
}

/**
 * The kernels for a model (nilearn `_hrf_kernel`): 1 to 3 gamma kernels, one box of length
 * `oversampling` (height 1/oversampling) delayed by d*oversampling samples per FIR delay d,
 * or a unit impulse for null.
 */
export function hrfKernels(model: HrfModel, tr: number, oversampling = 50, firDelays: number[] = [0]): Float64Array[] {
  switch (model) {
    case 'spm':
      return [spmHrf(tr, oversampling)];
    case 'spm + derivative':
      return [spmHrf(tr, oversampling), spmTimeDerivative(tr, oversampling)];
    case 'spm + derivative + dispersion':
      return [spmHrf(tr, oversampling), spmTimeDerivative(tr, oversampling), spmDispersionDerivative(tr, oversampling)];
    case 'glover':
      return [gloverHrf(tr, oversampling)];
    case 'glover + derivative':
      return [gloverHrf(tr, oversampling), gloverTimeDerivative(tr, oversampling)];
    case 'glover + derivative + dispersion':
      return [gloverHrf(tr, oversampling), gloverTimeDerivative(tr, oversampling), gloverDispersionDerivative(tr, oversampling)];
    case 'fir':
      return firDelays.map((d) => {
        const delay = Math.trunc(d);
        if (delay < 0) throw new RangeError(`FIR delays must be >= 0, got ${d}`);
        const k = new Float64Array((delay + 1) * oversampling);
        k.fill(1 / oversampling, delay * oversampling);
        return k;
      });
    case null: {
      const k = new Float64Array(oversampling);
      k[0] = 1;
      return [k];
    }
    default:
      throw new Error(`"${String(model)}" is not a known hrf model. Use one of ${HRF_MODELS.map(String).join(', ')}`);
  }
}

/** Regressor names for one condition (nilearn `_regressor_names`). */
export function regressorNames(condition: string, model: HrfModel, firDelays: number[] = [0]): string[] {
  let names: string[];
  switch (model) {
    case 'spm + derivative':
    case 'glover + derivative':
      names = [condition, condition + '_derivative'];
      break;
    case 'spm + derivative + dispersion':
    case 'glover + derivative + dispersion':
      names = [condition, condition + '_derivative', condition + '_dispersion'];
      break;
    case 'fir':
      names = firDelays.map((d) => `${condition}_delay_${Math.trunc(d)}`);
      break;
    default:
      names = [condition];
  }
  if (new Set(names).size !== names.length) {
    throw new Error(`Computed regressor names are not unique: ${names.join(', ')}`);
  }
  return names;
}
