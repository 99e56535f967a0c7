import type { Artifact, NodeDefinition, NodeRunContext } from '../src/engine/types.js';
import type { EventsTable } from '../src/stats/design/events.js';
import { buildRunDesign, type DesignParams } from '../src/pipeline/first-level-design.js';
import { regressorNames, type HrfModel } from '../src/stats/design/hrf.js';
import { signalScaling, type SignalScalingAxis } from '../src/stats/first-level/signal-scaling.js';
import { lsa, lssFast, lssFastApplies, lssRefit, type BetaSeries, type LssTrial } from '../src/stats/first-level/single-trial.js';
import { single, type DesignMeta, type MaskMeta } from './lib/artifacts.js';
import { confoundsFromArtifact, eventsFromArtifact } from './design.js';
import { readMaskedRun, selectRows } from './lib/masked-bold.js';

export interface SingleTrialParams {
  run: string;
  method: 'lss' | 'lsa';
  /** Conditions whose trials are split (LSS: one node per condition; LSA: all of them). */
  conditions: string[];
  design: DesignParams;
  noise_model: string;
  smoothing_fwhm: number | [number, number, number] | null;
  /** as the first level: 0 (per voxel), 1 (per scan), [0, 1] (grand mean) or false. */
  signal_scaling: SignalScalingAxis | false;
  bins: number;
}

/** One estimated trial (a row of the beta-series table). */
export interface TrialRow {
  /** Row of the events file. */
  row: number;
  onset: number;
  duration: number;
  trialType: string;
  /** `<condition>__<k>` (k: index within its condition in events order, 3 digits as nilearn's example). */
  name: string;
  estimable: boolean;
}

export interface SingleTrialMeta {
  run: string; method: 'lss' | 'lsa'; conditions: string[]; trials: TrialRow[]; nVoxels: number; warnings: string[];
  /** Columns of `design`: the all-scans design with these trials split (LSA: the LSA design), for the report. */
  designColumns: string[];
  /** HRF columns per trial (spm, glover: 1; derivatives: 2 or 3; FIR: the delays) and the HRF model. */
  columnsPerTrial?: number;
  hrfModel?: string;
}

/** Params of single-trial-bold: the masked BOLD of one run as the first level prepares it. */
export interface SingleTrialBoldParams {
  run: string;
  smoothing_fwhm: number | [number, number, number] | null;
  signal_scaling: SignalScalingAxis | false;
}

interface BoldMeta { run: string; warnings: string[]; timings: Record<string, number> }

/** Read, mask, smooth (as nilearn's masker) and scale (as the fit node) one run's kept volumes. */
async function prepareBold(
  ctx: NodeRunContext, bold: string, mask: MaskMeta, indices: Int32Array, dm: DesignMeta,
  params: Pick<SingleTrialBoldParams, 'smoothing_fwhm' | 'signal_scaling'>,
): Promise<{ y: Float32Array; warnings: string[]; timings: Record<string, number> }> {
  ctx.progress(0.02, params.smoothing_fwhm ? 'reading + smoothing BOLD' : 'reading BOLD');
  const started = performance.now();
  const masked = await readMaskedRun(bold, mask, indices, dm, params.smoothing_fwhm, (f) => ctx.progress(0.02 + 0.4 * f));
  const timings: Record<string, number> = { ...masked.timings, 'read + smooth': (performance.now() - started) / 1000 };
  const warnings: string[] = [];
  let y = masked.y;
  // every signal_scaling the first level accepts, as the fit node scales
  if (params.signal_scaling !== false) {
    const t0 = performance.now();
    const scaled = signalScaling(y, masked.keep.length, params.signal_scaling, { inPlace: true });
    if (scaled.warning) warnings.push(scaled.warning);
    y = scaled.scaled as Float32Array;
    timings.scale = (performance.now() - t0) / 1000;
  }
  return { y, warnings, timings };
}

/**
 * single-trial-bold: one run's masked, smoothed and scaled BOLD (n_kept x n_mask float32),
 * computed once and shared through the cache by the run's LSS condition nodes (a node runs
 * from its inputs alone), so that each condition does not read and smooth the image again.
 */
export const singleTrialBold: NodeDefinition<SingleTrialBoldParams> = {
  type: 'single-trial-bold',
  version: '1',
  description: "one run's masked, smoothed and scaled BOLD for its single-trial nodes",
  async run(ctx, params, inputs) {
    const design = single(inputs.nodes, 'design');
    const maskArt = single(inputs.nodes, 'mask');
    const prepared = await prepareBold(ctx, inputs.files.bold as string, maskArt.meta as unknown as MaskMeta, maskArt.arrays.indices as Int32Array, design.meta as unknown as DesignMeta, params);
    ctx.progress(1, `timings: ${Object.entries(prepared.timings).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}`);
    const meta: BoldMeta = { run: params.run, warnings: prepared.warnings, timings: prepared.timings };
    return { meta: meta as any, arrays: { y: prepared.y } };
  },
};

/** The trials of `conditions` in events order, named `<condition>__<k>`. */
export function trialsOf(events: EventsTable, conditions: string[]): TrialRow[] {
  const counts = new Map<string, number>();
  const total = new Map<string, number>();
  for (const t of events.trialType) total.set(t, (total.get(t) ?? 0) + 1);
  const rows: TrialRow[] = [];
  events.trialType.forEach((t, i) => {
    if (!conditions.includes(t)) return;
    const k = counts.get(t) ?? 0;
    counts.set(t, k + 1);
    const width = Math.max(3, String(total.get(t)! - 1).length);
    rows.push({ row: i, onset: events.onset[i], duration: events.duration[i], trialType: t, name: `${t}__${String(k).padStart(width, '0')}`, estimable: true });
  });
  return rows;
}

/** Events with each listed trial renamed to its own trial type. */
function renamed(events: EventsTable, trials: TrialRow[]): EventsTable {
  const trialType = events.trialType.slice();
  for (const t of trials) trialType[t.row] = t.name;
  return { ...events, trialType };
}

/** The events table restricted to `rows`. */
function eventRows(events: EventsTable, rows: number[]): EventsTable {
  return {
    onset: Float64Array.from(rows, (i) => events.onset[i]),
    duration: Float64Array.from(rows, (i) => events.duration[i]),
    trialType: rows.map((i) => events.trialType[i]),
    ...(events.modulation ? { modulation: Float64Array.from(rows, (i) => events.modulation![i]) } : {}),
  };
}

/** Index of design column `name`. */
function columnIndex(columns: string[], name: string): number {
  const j = columns.indexOf(name);
  if (j < 0) throw new Error(`design has no column '${name}'`);
  return j;
}

/** The HRF model of the design params as the design code names it ('none': null). */
function hrfModelOf(model: string): HrfModel {
  return (model === 'none' ? null : model.toLowerCase()) as HrfModel;
}

/** Column `name` of a row-major n x p matrix, at the kept rows. */
function column(data: Float64Array, columns: string[], name: string, keep: ArrayLike<number>): Float64Array {
  const j = columnIndex(columns, name);
  const p = columns.length;
  return Float64Array.from({ length: keep.length }, (_, r) => data[keep[r] * p + j]);
}

/**
 * single-trial: the beta series of one run (LSA: all trials of the selected conditions in one
 * model; LSS: the trials of one condition, one model per trial by the closed form of
 * single-trial.ts), with the first level's smoothing, scaling, confounds, scrubbing and noise
 * model. Trials whose regressor has no support in the kept scans (scrubbing) or is collinear
 * with the others are kept in the series (zero maps) and flagged inestimable.
 */
export const singleTrial: NodeDefinition<SingleTrialParams> = {
  type: 'single-trial',
  // 2: signal_scaling 1 and [0, 1] applied (version 1 left them unscaled)
  // 3: LSS AR(1) with each trial model's own AR(1) bins; LSS reads the shared BOLD node
  // 4: multi-column HRF models (derivatives, FIR): K columns per trial
  version: '4',
  description: "single-trial response estimates (beta series) of one run's trials",
  async run(ctx, params, inputs) {
    const design = single(inputs.nodes, 'design');
    const maskArt = single(inputs.nodes, 'mask');
    const dm = design.meta as unknown as DesignMeta;
    const mask = maskArt.meta as unknown as MaskMeta;
    const indices = maskArt.arrays.indices as Int32Array;
    const events = eventsFromArtifact(single(inputs.nodes, 'events'));
    const conf = confoundsFromArtifact(inputs.nodes.confounds as Artifact | undefined);
    const timings: Record<string, number> = {};
    let mark = performance.now();
    const lap = (stage: string) => {
      const now = performance.now();
      timings[stage] = (timings[stage] ?? 0) + (now - mark) / 1000;
      mark = now;
    };
    const trials = trialsOf(events, params.conditions);
    const warnings: string[] = [];
    const keep = dm.sampleMask ?? Array.from({ length: dm.nScans }, (_, t) => t);
    const trialDm = buildRunDesign(params.design, renamed(events, trials), conf);
    lap('designs');

    // LSS: the run's masked, smoothed, scaled BOLD comes from its single-trial-bold node (read
    // once for all conditions); LSA (one node per run) reads it itself
    const shared = inputs.nodes.bold as Artifact | undefined;
    let y: Float32Array;
    let readTimings: Record<string, number> = {};
    if (shared) {
      y = shared.arrays.y as Float32Array;
      warnings.push(...((shared.meta as unknown as BoldMeta).warnings ?? []));
      if (y.length !== keep.length * indices.length) throw new Error(`single-trial: the shared BOLD has ${y.length} values, expected ${keep.length} x ${indices.length}`);
    } else {
      const prepared = await prepareBold(ctx, inputs.files.bold as string, mask, indices, dm, params);
      y = prepared.y;
      warnings.push(...prepared.warnings);
      readTimings = prepared.timings;
    }
    lap('bold');
    ctx.progress(0.45, `${params.method} of ${trials.length} trials (${params.noise_model})`);
    // every trial gets all its HRF columns (nilearn's names for a condition '<name>'); its
    // estimate is the canonical column, or the mean over the delays for FIR (single-trial.ts)
    const hrf = hrfModelOf(params.design.hrf_model);
    const namesOf = (condition: string) => regressorNames(condition, hrf, params.design.fir_delays);
    const K = namesOf('c').length;
    const weights = hrf === 'fir' ? Array.from({ length: K }, () => 1 / K) : Array.from({ length: K }, (_, j) => (j === 0 ? 1 : 0));
    const opts = { noiseModel: params.noise_model, bins: params.bins, timings, weights };
    let series: BetaSeries;
    if (params.method === 'lsa') {
      const x = { rows: keep.length, cols: trialDm.columns.length, data: selectRows(trialDm.matrix.data, trialDm.columns.length, keep) };
      series = lsa(y, x, trials.map((t) => namesOf(t.name).map((c) => columnIndex(trialDm.columns, c))), opts);
    } else {
      const p = dm.columns.length;
      const xData = design.arrays.matrix as Float64Array;
      const x = { rows: keep.length, cols: p, data: dm.sampleMask ? selectRows(xData, p, keep) : xData };
      // nilearn orthogonalises a condition's derivative columns on its canonical one, so the
      // rest of the condition in a trial model is not the condition minus the trial: its
      // columns come from the trial model's own design (spm, glover, fir: the difference)
      const orthogonalised = K > 1 && hrf !== 'fir';
      const lss: LssTrial[] = trials.map((t) => {
        const names = namesOf(t.trialType);
        const regressors = namesOf(t.name).map((c) => column(trialDm.matrix.data, trialDm.columns, c, keep));
        const cond = names.map((c) => column(xData, dm.columns, c, keep));
        let rest: Float64Array[] | undefined;
        if (orthogonalised) {
          // a condition's columns depend on its own events only: the design of the other
          // trials of the condition alone (its K columns, the drift and the constant)
          const others = events.trialType.map((_, i) => i).filter((i) => i !== t.row && events.trialType[i] === t.trialType);
          const own = others.length ? buildRunDesign(params.design, eventRows(events, others), null) : undefined;
          rest = names.map((c) => (own ? column(own.matrix.data, own.columns, c, keep) : new Float64Array(keep.length)));
        }
        let left = 0;
        let all = 0;
        cond.forEach((c, j) => {
          for (let r = 0; r < c.length; r++) {
            left += (rest ? rest[j][r] : c[r] - regressors[j][r]) ** 2;
            all += c[r] * c[r];
          }
        });
        // the other trials of the condition vanish on the kept scans: the trial model is X itself
        return { regressors, columns: names.map((c) => dm.columns.indexOf(c)), alone: left <= 1e-20 * all, ...(rest ? { rest } : {}) };
      });
      series = lssFastApplies(x, lss, weights) ? lssFast(y, x, lss, opts) : lssRefit(y, x, lss, opts);
    }
    trials.forEach((t, k) => (t.estimable = series.estimable[k]));
    const bad = trials.filter((t) => !t.estimable);
    if (bad.length) {
      const w = `${params.run}: ${bad.length} trial${bad.length > 1 ? 's' : ''} without an estimable regressor (no kept scan after scrubbing, or collinear): ${bad.map((t) => t.name).join(', ')}; their volumes are 0 and the table marks them`;
      warnings.push(w);
      ctx.warn(w);
    }
    const meta: SingleTrialMeta = { run: params.run, method: params.method, conditions: params.conditions, trials, nVoxels: indices.length, warnings, designColumns: trialDm.columns, columnsPerTrial: K, hrfModel: params.design.hrf_model };
    ctx.progress(1, `timings: ${Object.entries({ ...readTimings, ...timings }).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}`);
    return { meta: meta as any, arrays: { effect: series.effect, z: series.z, design: trialDm.matrix.data } };
  },
};
