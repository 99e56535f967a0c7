/**
 * Synthesis of one preprocessed BOLD run with known effects.
 *
 * For a brain voxel v with baseline B_v (tissue value x bias field) and scan t:
 *
 *   Y(v,t) = B_v * (1 + [sum_c A_c(v) x_c(t) + w_tissue(v) p(t) + drift_v(t)] / 100)
 *            - dB/dx(v) * trans_x(t)                               (motion: the image shifts along x)
 *            + NOISE_PCT/100 * B_v * e_v(t)                        (AR(1) noise, rho = NOISE_AR)
 *
 * - x_c: the condition regressors of nilearn's design matrix for these events (SPM HRF, TR,
 *   oversampling 50), so a model with hrf_model spm recovers A_c in percent signal change;
 * - A_c(v): the region amplitudes of the subject (subjects.ts), 0 outside the regions;
 * - p(t): a physiological fluctuation (AR(1), rho 0.7, sd 1) weighted per tissue
 *   (PHYSIO_PCT: strongest in CSF, so the csf / white_matter / CompCor confounds capture it);
 * - drift_v(t) = a_v r(t) + b_v cos(pi t / (n - 1)), r(t) a ramp from -1 to 1, with
 *   a_v, b_v = run-wide N(0, 0.8^2) + voxel N(0, 0.3^2) percent (slow: inside a 0.01 Hz cosine basis);
 * - the first volume is not at steady state: the whole brain is NONSTEADY_GAIN brighter (fMRIPrep
 *   flags it as non_steady_state_outlier00).
 * Outside the brain: background |15 + 5 N(0, 1)|, no signal.
 */
import { makeFirstLevelDesignMatrix } from '../stats/design/design.js';
import { frameTimesFor } from '../stats/design/design.js';
import { CONDITIONS, type Block } from './paradigm.js';
import { TISSUE, type Phantom } from './phantom.js';
import type { Rng } from '../stats/core/prng.js';
import type { Amplitudes } from './subjects.js';
import { ar1Series } from './timeseries.js';

export const NOISE_PCT = 0.6;
export const NOISE_AR = 0.3;
export const PHYSIO_PCT = { gm: 0.3, wm: 0.5, csf: 1.5 } as const;
export const DRIFT_PCT = { run: 0.8, voxel: 0.3 } as const;
export const NONSTEADY_GAIN = 1.02;
export const BACKGROUND = { mean: 15, sd: 5 } as const;

export interface RunSynthesisInput {
  phantom: Phantom;
  nScans: number;
  tr: number;
  blocks: Block[];
  /** Amplitudes per region name. */
  amplitudes: Record<string, Amplitudes>;
  /** Realignment parameters (trans_x first). */
  motion: Float64Array[];
}

export interface RunStreams {
  physio: Rng;
  drift: Rng;
  noise: Rng;
}

/** Condition regressors x_c(t) (columns of nilearn's design matrix for the blocks, SPM HRF, no drift). */
export function conditionRegressors(blocks: Block[], nScans: number, tr: number): Record<string, Float64Array> {
  const dm = makeFirstLevelDesignMatrix(
    frameTimesFor(nScans, tr),
    {
      onset: Float64Array.from(blocks, (b) => b.onset),
      duration: Float64Array.from(blocks, (b) => b.duration),
      trialType: blocks.map((b) => b.trialType),
    },
    { hrfModel: 'spm', driftModel: null },
  );
  const out: Record<string, Float64Array> = {};
  for (const c of CONDITIONS) {
    const j = dm.columns.indexOf(c);
    const col = new Float64Array(nScans);
    if (j >= 0) for (let t = 0; t < nScans; t++) col[t] = dm.matrix.data[t * dm.matrix.cols + j];
    out[c] = col;
  }
  return out;
}

/** One regressor per block (its own condition in nilearn's design, SPM HRF), in block order. */
export function trialRegressors(blocks: Block[], nScans: number, tr: number): Float64Array[] {
  const names = blocks.map((_, i) => `trial${String(i).padStart(4, '0')}`);
  const dm = makeFirstLevelDesignMatrix(
    frameTimesFor(nScans, tr),
    { onset: Float64Array.from(blocks, (b) => b.onset), duration: Float64Array.from(blocks, (b) => b.duration), trialType: names },
    { hrfModel: 'spm', driftModel: null },
  );
  return names.map((name) => {
    const j = dm.columns.indexOf(name);
    return Float64Array.from({ length: nScans }, (_, t) => dm.matrix.data[t * dm.matrix.cols + j]);
  });
}

/** Derivative of the baseline along x (intensity per mm), central differences inside the grid. */
function baselineGradientX(ph: Phantom): Float64Array {
  const [nx] = ph.grid.dims;
  const g = new Float64Array(ph.nVoxels);
  const step = ph.grid.voxelSize;
  for (let v = 0; v < ph.nVoxels; v++) {
    const i = v % nx;
    const lo = i > 0 ? v - 1 : v;
    const hi = i < nx - 1 ? v + 1 : v;
    g[v] = (ph.baseline[hi] - ph.baseline[lo]) / (step * (hi - lo));
  }
  return g;
}

/** The BOLD series of one run, NIfTI order (x fastest, then y, z, t). */
export function synthesizeRun(inp: RunSynthesisInput, rng: RunStreams): Float32Array {
  const { phantom: ph, nScans: n } = inp;
  const nv = ph.nVoxels;
  const x = conditionRegressors(inp.blocks, n, inp.tr);

  // Activation time course per region, in percent; with trial gains, one regressor per block.
  const perTrial = inp.blocks.some((b) => b.gain !== undefined) ? trialRegressors(inp.blocks, n, inp.tr) : undefined;
  const regionCourse = new Map<number, Float64Array>();
  for (const r of ph.regions) {
    const amp = inp.amplitudes[r.name];
    const course = new Float64Array(n);
    if (amp && perTrial) {
      inp.blocks.forEach((b, i) => {
        const a = amp[b.trialType] * (b.gain ?? 1);
        for (let t = 0; t < n; t++) course[t] += a * perTrial[i][t];
      });
    } else if (amp) for (const c of CONDITIONS) for (let t = 0; t < n; t++) course[t] += amp[c] * x[c][t];
    regionCourse.set(r.label, course);
  }

  const physio = ar1Series(rng.physio, n, 0.7, 1);
  const runA = DRIFT_PCT.run * rng.drift.normal();
  const runB = DRIFT_PCT.run * rng.drift.normal();
  const ramp = new Float64Array(n);
  const halfCos = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    ramp[t] = n > 1 ? (2 * t) / (n - 1) - 1 : 0;
    halfCos[t] = n > 1 ? Math.cos((Math.PI * t) / (n - 1)) : 1;
  }
  const gradX = baselineGradientX(ph);
  const transX = inp.motion[0];

  const out = new Float32Array(nv * n);
  const innov = Math.sqrt(1 - NOISE_AR * NOISE_AR);
  for (let v = 0; v < nv; v++) {
    if (!ph.mask[v]) {
      for (let t = 0; t < n; t++) out[v + nv * t] = Math.abs(BACKGROUND.mean + BACKGROUND.sd * rng.noise.normal());
      continue;
    }
    const b = ph.baseline[v];
    const tissue = ph.tissue[v];
    const w = tissue === TISSUE.csf ? PHYSIO_PCT.csf : tissue === TISSUE.wm ? PHYSIO_PCT.wm : PHYSIO_PCT.gm;
    const a = runA + DRIFT_PCT.voxel * rng.drift.normal();
    const c = runB + DRIFT_PCT.voxel * rng.drift.normal();
    const act = ph.labels[v] ? regionCourse.get(ph.labels[v]) : undefined;
    const sd = (NOISE_PCT / 100) * b;
    let e = rng.noise.normal();
    for (let t = 0; t < n; t++) {
      if (t > 0) e = NOISE_AR * e + innov * rng.noise.normal();
      const pct = (act ? act[t] : 0) + w * physio[t] + a * ramp[t] + c * halfCos[t];
      let y = b * (1 + pct / 100) - gradX[v] * transX[t] + sd * e;
      if (t === 0) y *= NONSTEADY_GAIN;
      out[v + nv * t] = y;
    }
  }
  return out;
}
