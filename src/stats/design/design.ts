/**
 * First-level design matrices with nilearn 0.10.4 parity
 * (`make_first_level_design_matrix`, `compute_regressor`, `_sample_condition`,
 * `_resample_regressor` from nilearn.glm.first_level).
 *
 * Column order: per condition (sorted like numpy.unique) its 1..3 HRF regressors or FIR
 * delays; then added regressors; then drifts (drift_1..drift_k) and 'constant'.
 */
import { cosineDrift, noDrift, polynomialDrift, type DriftBasis } from './drift.js';
import { conditionNames, mergeDuplicateEvents, validateEvents, eventsWarnings, type EventsTable } from './events.js';
import { fullRank } from './fullrank.js';
import { interpLinear, linspace, rint, searchsortedLeft } from '../core/numpy-grid.js';
import { hrfKernels, isHrfModel, regressorNames, type HrfModel } from './hrf.js';
import type { Mat } from '../core/matrix.js';
import { orthogonalizeColumns } from './orthogonalize.js';

export type { Mat };

export interface DesignMatrix {
  columns: string[];
  frameTimes: Float64Array;
  /** n_scans x n_regressors, row-major. */
  matrix: Mat;
}

export type DriftModel = 'cosine' | 'polynomial' | null;

export interface DesignOptions {
  /** Default 'glover' (nilearn's default for make_first_level_design_matrix). The string 'none' is accepted as null. */
  hrfModel?: HrfModel;
  /** Default 'cosine'. The string 'none' is accepted as null. */
  driftModel?: DriftModel;
  /** Hz, cosine drift. Default 0.01. */
  highPass?: number;
  /** Polynomial drift order. Default 1. */
  driftOrder?: number;
  /** FIR delays in scans. Default [0]. */
  firDelays?: number[];
  /** Extra regressors (e.g. confounds), n_scans x k, placed after the conditions. Names default to reg0..reg{k-1}. */
  addRegs?: { names?: string[]; values: Mat };
  /** Events starting before frameTimes[0] + minOnset are warned about. Default -24 s. */
  minOnset?: number;
  /** Default 50. */
  oversampling?: number;
  /** Receives nilearn's warnings (null durations, duplicates, early onsets, high-pass saturation, rank). */
  onWarning?: (message: string) => void;
}

/**
 * Frame times as FirstLevelModel computes them:
 * linspace(sliceTimeRef * tr, (nScans - 1 + sliceTimeRef) * tr, nScans).
 */
export function frameTimesFor(nScans: number, tr: number, sliceTimeRef = 0): Float64Array {
  return linspace(sliceTimeRef * tr, (nScans - 1 + sliceTimeRef) * tr, nScans);
}

/** The smallest step between frame times (nilearn `_calculate_tr`). */
export function minFrameStep(frameTimes: ArrayLike<number>): number {
  let tr = Infinity;
  for (let i = 1; i < frameTimes.length; i++) tr = Math.min(tr, frameTimes[i] - frameTimes[i - 1]);
  return tr;
}

/** One condition's events: onsets, durations and amplitudes (nilearn's exp_condition). */
export interface ConditionEvents {
  onset: ArrayLike<number>;
  duration: ArrayLike<number>;
  amplitude: ArrayLike<number>;
}

/**
 * The block-wise event train on the oversampled grid (nilearn `_sample_condition`).
 * Grid: linspace(t_min + minOnset, t_max * (1 + 1/(n-1)), rint(n_hr)) with
 * n_hr = (n-1)/(t_max - t_min) * (t_max (1 + 1/(n-1)) - t_min - minOnset) * oversampling + 1.
 * Each event adds its amplitude from the first grid point >= onset up to (excluding) the first
 * grid point >= onset + duration (both clipped to the last point); a zero-length event lasts one
 * grid step. Overlapping events add up. (nilearn's warning says onsets before
 * frameTimes[0] + minOnset are not considered, but they are in fact clipped to the grid start.)
 */
export function sampleCondition(
  cond: ConditionEvents,
  frameTimes: ArrayLike<number>,
  oversampling = 50,
  minOnset = -24,
  onWarning?: (m: string) => void,
): { regressor: Float64Array; hrFrameTimes: Float64Array } {
  const { increments, hrFrameTimes } = eventTrainIncrements(cond, frameTimes, oversampling, minOnset, onWarning);
  const reg = increments;
  for (let i = 1; i < reg.length; i++) reg[i] += reg[i - 1];
  return { regressor: reg, hrFrameTimes };
}

/** The event train before its cumulative sum: +amplitude at each onset, -amplitude at each offset. */
function eventTrainIncrements(
  cond: ConditionEvents,
  frameTimes: ArrayLike<number>,
  oversampling: number,
  minOnset: number,
  onWarning?: (m: string) => void,
): { increments: Float64Array; hrFrameTimes: Float64Array } {
  const n = frameTimes.length;
  let tmin = Infinity;
  let tmax = -Infinity;
  for (let i = 0; i < n; i++) {
    tmin = Math.min(tmin, frameTimes[i]);
    tmax = Math.max(tmax, frameTimes[i]);
  }
  const end = tmax * (1 + 1 / (n - 1));
  const nHr = (((n - 1) * 1) / (tmax - tmin)) * (end - tmin - minOnset) * oversampling + 1;
  const hr = linspace(tmin + minOnset, end, rint(nHr));
  const size = hr.length;
  const inc = new Float64Array(size);
  const first = frameTimes[0] + minOnset;
  let early = false;
  for (let e = 0; e < cond.onset.length; e++) {
    const on = cond.onset[e];
    const v = cond.amplitude[e];
    if (on < first) early = true;
    const tOn = Math.min(searchsortedLeft(hr, on), size - 1);
    let tOff = Math.min(searchsortedLeft(hr, on + cond.duration[e]), size - 1);
    if (tOff < size - 1 && tOff === tOn) tOff += 1;
    inc[tOn] += v;
    inc[tOff] -= v;
  }
  if (early && onWarning) {
    onWarning(
      `Some stimulus onsets are earlier than ${first} in the experiment and are thus not considered in the model`,
    );
  }
  return { increments: inc, hrFrameTimes: hr };
}

/**
 * np.convolve(cumsum(inc), h)[:n], computed as cumsum(np.convolve(inc, h)[:n]): the same sum
 * in another order (equal up to rounding), but the increments are sparse (two per event), so
 * this costs O(events * kernel + n) instead of O(n * kernel).
 */
function convolveEventTrain(inc: Float64Array, h: Float64Array): Float64Array {
  const n = inc.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xi = inc[i];
    if (xi === 0) continue;
    const lim = Math.min(h.length, n - i);
    for (let j = 0; j < lim; j++) out[i + j] += xi * h[j];
  }
  for (let i = 1; i < n; i++) out[i] += out[i - 1];
  return out;
}

/**
 * The regressors of one condition sampled at the frame times (nilearn `compute_regressor`):
 * n_scans x n_kernels, row-major, with their names.
 */
export function computeRegressor(
  cond: ConditionEvents,
  hrfModel: HrfModel,
  frameTimes: Float64Array,
  conId = 'cond',
  oversampling = 50,
  firDelays: number[] = [0],
  minOnset = -24,
  onWarning?: (m: string) => void,
  /** hrfKernels(hrfModel, minFrameStep(frameTimes), oversampling, firDelays), when already computed. */
  kernels?: Float64Array[],
): { names: string[]; rows: number; cols: number; data: Float64Array } {
  const os = Math.trunc(oversampling);
  const delays = firDelays.map((d) => Math.trunc(d));
  const { increments, hrFrameTimes } = eventTrainIncrements(cond, frameTimes, os, minOnset, onWarning);
  // nilearn uses the smallest frame step as "tr" for the kernels
  kernels ??= hrfKernels(hrfModel, minFrameStep(frameTimes), os, delays);
  const n = frameTimes.length;
  const p = kernels.length;
  const data = new Float64Array(n * p);
  for (let c = 0; c < p; c++) {
    const conv = convolveEventTrain(increments, kernels[c]);
    let col: Float64Array;
    if (hrfModel === 'fir' && os > 1) {
      // FIR boxes are read (os - 1) samples later: conv[os-1:] against hr_frame_times[:1-os]
      const len = hrFrameTimes.length - (os - 1);
      col = interpLinear(hrFrameTimes, conv, frameTimes, 0, os - 1, len);
    } else {
      col = interpLinear(hrFrameTimes, conv, frameTimes);
    }
    for (let r = 0; r < n; r++) data[r * p + c] = col[r];
  }
  if (hrfModel !== 'fir') orthogonalizeColumns(data, n, p);
  return { names: regressorNames(conId, hrfModel, delays), rows: n, cols: p, data };
}

/** make_first_level_design_matrix(frame_times, events, ...) of nilearn 0.10.4. */
export function makeFirstLevelDesignMatrix(
  frameTimes: Float64Array,
  events: EventsTable | null,
  opts: DesignOptions = {},
): DesignMatrix {
  const hrfModelRaw = opts.hrfModel === undefined ? 'glover' : opts.hrfModel;
  // nilearn lower-cases the model name; the spec's 'none' means nilearn's None (unit impulse).
  const lowered = typeof hrfModelRaw === 'string' ? hrfModelRaw.toLowerCase() : hrfModelRaw;
  const hrfModel = (lowered === 'none' ? null : lowered) as HrfModel;
  if (!isHrfModel(hrfModel)) throw new Error(`"${String(hrfModelRaw)}" is not a known hrf model.`);
  const driftModelRaw = opts.driftModel === undefined ? 'cosine' : opts.driftModel;
  const driftModel = typeof driftModelRaw === 'string' ? driftModelRaw.toLowerCase() : driftModelRaw;
  const highPass = opts.highPass ?? 0.01;
  const driftOrder = opts.driftOrder ?? 1;
  const firDelays = opts.firDelays ?? [0];
  const minOnset = opts.minOnset ?? -24;
  const oversampling = opts.oversampling ?? 50;
  const warn = opts.onWarning ?? (() => {});
  const n = frameTimes.length;
  if (n < 2) throw new Error('A design matrix needs at least 2 frame times.');

  const blocks: { names: string[]; cols: number; data: Float64Array }[] = [];

  // step 1: condition regressors
  if (events) {
    const problems = validateEvents(events);
    if (problems.length) throw new Error('Invalid events: ' + problems.join(' '));
    eventsWarnings(events).forEach(warn);
    const kernels = hrfKernels(hrfModel, minFrameStep(frameTimes), Math.trunc(oversampling), firDelays.map(Math.trunc));
    const merged = mergeDuplicateEvents(events);
    merged.warnings.forEach(warn);
    const ev = merged.table;
    for (const condition of conditionNames(ev)) {
      const onset: number[] = [];
      const duration: number[] = [];
      const amplitude: number[] = [];
      for (let i = 0; i < ev.trialType.length; i++) {
        if (ev.trialType[i] !== condition) continue;
        onset.push(ev.onset[i]);
        duration.push(ev.duration[i]);
        amplitude.push(ev.modulation![i]);
      }
      const reg = computeRegressor(
        { onset, duration, amplitude },
        hrfModel,
        frameTimes,
        condition,
        oversampling,
        firDelays,
        minOnset,
        warn,
        kernels,
      );
      blocks.push({ names: reg.names, cols: reg.cols, data: reg.data });
    }
  }

  // step 2: added regressors
  if (opts.addRegs) {
    const { values } = opts.addRegs;
    if (values.rows !== n) {
      throw new Error(
        `Incorrect specification of additional regressors: length of regressors provided: ${values.rows}, number of time-frames: ${n}.`,
      );
    }
    const names = opts.addRegs.names ?? Array.from({ length: values.cols }, (_, k) => `reg${k}`);
    if (names.length !== values.cols) {
      throw new Error(
        `Incorrect number of additional regressor names was provided (${names.length} provided, ${values.cols} expected).`,
      );
    }
    blocks.push({ names, cols: values.cols, data: values.data });
  }

  // step 3: drifts
  let drift: DriftBasis;
  if (driftModel === 'cosine') drift = cosineDrift(highPass, frameTimes);
  else if (driftModel === 'polynomial') drift = polynomialDrift(driftOrder, frameTimes);
  else if (driftModel === null || driftModel === 'none') drift = noDrift(frameTimes);
  else throw new Error(`Unknown drift model '${String(driftModelRaw)}'`);
  drift.warnings.forEach(warn);
  blocks.push({ names: drift.columns, cols: drift.cols, data: drift.data });

  const columns = blocks.flatMap((b) => b.names);
  if (new Set(columns).size !== columns.length) {
    const seen = new Set<string>();
    const dup = columns.filter((c) => (seen.has(c) ? true : (seen.add(c), false)));
    throw new Error(`Design matrix columns do not have unique names: ${[...new Set(dup)].join(', ')}`);
  }
  const p = columns.length;
  let data: Float64Array = new Float64Array(n * p);
  let off = 0;
  for (const b of blocks) {
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < b.cols; c++) data[r * p + off + c] = b.data[r * b.cols + c];
    }
    off += b.cols;
  }

  // step 4: full rank at working precision
  const fr = fullRank(data, n, p);
  if (fr.regularized) {
    warn('Matrix is singular at working precision, regularizing...');
    data = fr.data;
  }
  return { columns, frameTimes: Float64Array.from(frameTimes), matrix: { rows: n, cols: p, data } };
}
