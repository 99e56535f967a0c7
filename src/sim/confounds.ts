/**
 * An fMRIPrep (>= 21) style `desc-confounds_timeseries.tsv` (+ JSON sidecar) computed from the
 * simulated BOLD itself, with fMRIPrep's column names and order:
 *
 *   global_signal, csf, white_matter (+ _derivative1, _derivative1_power2, _power2), csf_wm,
 *   tcompcor, std_dvars, dvars, framewise_displacement, t_comp_cor_XX, c_comp_cor_XX,
 *   w_comp_cor_XX, a_comp_cor_XX, cosineXX, non_steady_state_outlier00,
 *   trans_x .. rot_z (+ the same three expansions), motion_outlierXX.
 *
 * First rows of derivative / FD / DVARS columns are n/a (NaN here), as in fMRIPrep.
 * How each column is computed (simplified where fMRIPrep's exact pipeline is not needed):
 * - global_signal / csf / white_matter / csf_wm: mean over the brain / CSF / WM / CSF+WM masks;
 * - framewise_displacement: Power et al. (timeseries.ts);
 * - dvars: RMS over brain voxels of the backward difference (after scaling the data so the
 *   median voxel mean is 1000); std_dvars: dvars divided by its expected value under
 *   stationarity, mean over voxels of sqrt(2 (1 - ar1_v)) * sd_v, with sd_v the robust
 *   (IQR / 1.349) standard deviation and ar1_v the lag-1 autocorrelation of voxel v
 *   (Nichols' standardised DVARS, as nipype's ComputeDVARS);
 * - cosineXX: the DCT-II high-pass basis with a 128 s cut-off over the steady-state volumes,
 *   sqrt(2/m) cos(pi (t + 1/2) k / m), k = 1 .. floor(2 m TR / 128) - 1, 0 in the dummy rows;
 * - CompCor: each voxel's steady-state series minus its mean and its projection on the cosines,
 *   scaled to unit variance; the components are the left singular vectors of this
 *   (time x voxel) matrix (via the eigen-decomposition of M M^T), sign fixed so the entry of
 *   largest magnitude is positive, 0 in the dummy rows. a_comp_cor: CSF+WM ("combined"),
 *   c_comp_cor: CSF, w_comp_cor: WM, t_comp_cor: the 2 % brain voxels of highest variance;
 * - non_steady_state_outlier00: 1 at volume 0;
 * - motion_outlierXX: one-hot volumes with FD > 0.5 mm or std_dvars > 1.5 (fMRIPrep defaults).
 */
import { symEig } from '../stats/core/matrix.js';
import { TISSUE, type Phantom } from './phantom.js';
import { derivative1, framewiseDisplacement, MOTION_COLUMNS, power2 } from './timeseries.js';

export const N_DUMMY = 1;
export const COSINE_CUTOFF_S = 128;
export const COMPCOR_COUNTS = { t: 3, c: 3, w: 3, a: 5 } as const;
export const FD_OUTLIER = 0.5;
export const DVARS_OUTLIER = 1.5;

export interface ConfoundsOutput {
  columns: string[];
  values: Float64Array[];
  /** The JSON sidecar (CompCor metadata, mean-signal methods). */
  sidecar: Record<string, Record<string, unknown>>;
}

/** fMRIPrep's cosine regressors (see the module comment); each has one entry per volume. */
export function fmriprepCosines(nScans: number, tr: number, nDummy = N_DUMMY, cutoff = COSINE_CUTOFF_S): Float64Array[] {
  const m = nScans - nDummy;
  const order = Math.floor((2 * m * tr) / cutoff);
  const out: Float64Array[] = [];
  for (let k = 1; k < order; k++) {
    const c = new Float64Array(nScans);
    for (let t = 0; t < m; t++) c[t + nDummy] = Math.sqrt(2 / m) * Math.cos((Math.PI / m) * (t + 0.5) * k);
    out.push(c);
  }
  return out;
}

/** Mean over the voxels where `sel` is true, per volume. */
function maskMean(data: Float32Array, nv: number, n: number, sel: (v: number) => boolean): Float64Array {
  const idx: number[] = [];
  for (let v = 0; v < nv; v++) if (sel(v)) idx.push(v);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let s = 0;
    const off = nv * t;
    for (const v of idx) s += data[off + v];
    out[t] = idx.length ? s / idx.length : NaN;
  }
  return out;
}

function quantileSorted(s: Float64Array, q: number): number {
  // numpy's default (linear) interpolation
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** dvars and std_dvars (NaN at volume 0). */
export function dvars(data: Float32Array, mask: Uint8Array, n: number): { dvars: Float64Array; std: Float64Array } {
  const nv = mask.length;
  const idx: number[] = [];
  for (let v = 0; v < nv; v++) if (mask[v]) idx.push(v);
  const means = new Float64Array(idx.length);
  idx.forEach((v, q) => {
    let s = 0;
    for (let t = 0; t < n; t++) s += data[v + nv * t];
    means[q] = s / n;
  });
  const scale = 1000 / quantileSorted(Float64Array.from(means).sort(), 0.5);
  let expected = 0;
  const series = new Float64Array(n);
  idx.forEach((v, q) => {
    for (let t = 0; t < n; t++) series[t] = (data[v + nv * t] - means[q]) * scale;
    const sorted = Float64Array.from(series).sort();
    const sd = (quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25)) / 1.349;
    let num = 0;
    let den = 0;
    for (let t = 0; t < n; t++) {
      den += series[t] * series[t];
      if (t > 0) num += series[t] * series[t - 1];
    }
    const ar1 = den > 0 ? num / den : 0;
    expected += Math.sqrt(Math.max(0, 2 * (1 - ar1))) * sd;
  });
  expected /= idx.length;
  const dv = new Float64Array(n);
  const std = new Float64Array(n);
  dv[0] = NaN;
  std[0] = NaN;
  for (let t = 1; t < n; t++) {
    let s = 0;
    for (const v of idx) {
      const d = (data[v + nv * t] - data[v + nv * (t - 1)]) * scale;
      s += d * d;
    }
    dv[t] = Math.sqrt(s / idx.length);
    std[t] = expected > 0 ? dv[t] / expected : NaN;
  }
  return { dvars: dv, std };
}

export interface CompcorResult {
  components: Float64Array[];
  singular: number[];
  explained: number[];
}

/** Each voxel's steady-state series minus its mean and its projection on the cosines (which are orthonormal). */
function highPassed(data: Float32Array, nv: number, n: number, v: number, cosines: readonly Float64Array[], nDummy: number): Float64Array {
  const m = n - nDummy;
  const x = new Float64Array(m);
  let mean = 0;
  for (let t = 0; t < m; t++) mean += (x[t] = data[v + nv * (t + nDummy)]);
  mean /= m;
  for (let t = 0; t < m; t++) x[t] -= mean;
  for (const c of cosines) {
    let dot = 0;
    for (let t = 0; t < m; t++) dot += x[t] * c[t + nDummy];
    for (let t = 0; t < m; t++) x[t] -= dot * c[t + nDummy];
  }
  return x;
}

/**
 * Gram matrix M M^T (m x m) of the high-passed, unit-variance series of `voxels` (M is time x
 * voxel); voxels without variance are left out.
 */
export function compcorGram(
  data: Float32Array,
  nv: number,
  n: number,
  voxels: readonly number[],
  cosines: readonly Float64Array[],
  nDummy = N_DUMMY,
): Float64Array {
  const m = n - nDummy;
  const g = new Float64Array(m * m);
  for (const v of voxels) {
    const x = highPassed(data, nv, n, v, cosines, nDummy);
    let ss = 0;
    for (let t = 0; t < m; t++) ss += x[t] * x[t];
    const sd = Math.sqrt(ss / m);
    if (!(sd > 0)) continue;
    for (let t = 0; t < m; t++) x[t] /= sd;
    for (let i = 0; i < m; i++) {
      const xi = x[i];
      const row = i * m;
      for (let j = i; j < m; j++) g[row + j] += xi * x[j];
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) g[i * m + j] = g[j * m + i];
  return g;
}

/**
 * The first `count` principal components from a CompCor Gram matrix: its leading eigenvectors
 * (the left singular vectors of M), singular values sqrt(lambda) and explained variance
 * lambda / sum(lambda); each component's largest-magnitude entry is made positive; rows
 * 0..nDummy-1 are 0.
 */
export function compcorFromGram(g: Float64Array, n: number, count: number, nDummy = N_DUMMY): CompcorResult {
  const m = n - nDummy;
  const { values, vectors: { data: vectors } } = symEig({ rows: m, cols: m, data: g });
  let total = 0;
  for (const l of values) total += Math.max(0, l);
  const k = Math.min(count, m);
  const components: Float64Array[] = [];
  const singular: number[] = [];
  const explained: number[] = [];
  for (let r = 0; r < k; r++) {
    const e = m - 1 - r; // values are ascending
    const comp = new Float64Array(n);
    let big = 0;
    for (let t = 0; t < m; t++) {
      const val = vectors[t * m + e];
      comp[t + nDummy] = val;
      if (Math.abs(val) > Math.abs(big)) big = val;
    }
    if (big < 0) for (let t = nDummy; t < n; t++) comp[t] = -comp[t];
    components.push(comp);
    singular.push(Math.sqrt(Math.max(0, values[e])));
    explained.push(total > 0 ? Math.max(0, values[e]) / total : 0);
  }
  return { components, singular, explained };
}

/** The 2 % brain voxels with the highest variance of the high-passed series (at least 10). */
function highVarianceVoxels(data: Float32Array, mask: Uint8Array, n: number, cosines: readonly Float64Array[]): number[] {
  const nv = mask.length;
  const scored: { v: number; s: number }[] = [];
  for (let v = 0; v < nv; v++) {
    if (!mask[v]) continue;
    const x = highPassed(data, nv, n, v, cosines, N_DUMMY);
    let ss = 0;
    for (let t = 0; t < x.length; t++) ss += x[t] * x[t];
    scored.push({ v, s: ss });
  }
  scored.sort((a, b) => b.s - a.s || a.v - b.v);
  const k = Math.min(scored.length, Math.max(10, Math.ceil(0.02 * scored.length)));
  return scored.slice(0, k).map((e) => e.v).sort((a, b) => a - b);
}

/** All confound columns of one run. */
export function computeConfounds(data: Float32Array, ph: Phantom, n: number, tr: number, motion: readonly Float64Array[]): ConfoundsOutput {
  const nv = ph.nVoxels;
  const columns: string[] = [];
  const values: Float64Array[] = [];
  const sidecar: Record<string, Record<string, unknown>> = {};
  const add = (name: string, v: Float64Array) => {
    columns.push(name);
    values.push(v);
  };
  const addExpanded = (name: string, v: Float64Array) => {
    const d = derivative1(v);
    add(name, v);
    add(`${name}_derivative1`, d);
    add(`${name}_derivative1_power2`, power2(d));
    add(`${name}_power2`, power2(v));
  };

  const isCsf = (v: number) => ph.tissue[v] === TISSUE.csf;
  const isWm = (v: number) => ph.tissue[v] === TISSUE.wm;
  addExpanded('global_signal', maskMean(data, nv, n, (v) => ph.mask[v] === 1));
  addExpanded('csf', maskMean(data, nv, n, isCsf));
  addExpanded('white_matter', maskMean(data, nv, n, isWm));
  add('csf_wm', maskMean(data, nv, n, (v) => isCsf(v) || isWm(v)));
  for (const c of ['global_signal', 'csf', 'white_matter', 'csf_wm', 'tcompcor']) sidecar[c] = { Method: 'Mean' };

  const cosines = fmriprepCosines(n, tr);
  const tVoxels = highVarianceVoxels(data, ph.mask, n, cosines);
  const tSet = new Set(tVoxels);
  add('tcompcor', maskMean(data, nv, n, (v) => tSet.has(v)));
  const dv = dvars(data, ph.mask, n);
  add('std_dvars', dv.std);
  add('dvars', dv.dvars);
  const fd = framewiseDisplacement(motion);
  add('framewise_displacement', fd);

  const voxelsWhere = (sel: (v: number) => boolean) => {
    const out: number[] = [];
    for (let v = 0; v < nv; v++) if (sel(v)) out.push(v);
    return out;
  };
  // The combined (CSF + WM) Gram matrix is the sum of the two: every voxel is normalised on its own.
  const gramT = compcorGram(data, nv, n, tVoxels, cosines);
  const gramC = compcorGram(data, nv, n, voxelsWhere(isCsf), cosines);
  const gramW = compcorGram(data, nv, n, voxelsWhere(isWm), cosines);
  const gramA = gramC.map((x, i) => x + gramW[i]);
  const sets: { prefix: 't' | 'c' | 'w' | 'a'; gram: Float64Array; method: string; mask?: string }[] = [
    { prefix: 't', gram: gramT, method: 'tCompCor' },
    { prefix: 'c', gram: gramC, method: 'aCompCor', mask: 'CSF' },
    { prefix: 'w', gram: gramW, method: 'aCompCor', mask: 'WM' },
    { prefix: 'a', gram: gramA, method: 'aCompCor', mask: 'combined' },
  ];
  for (const s of sets) {
    const r = compcorFromGram(s.gram, n, COMPCOR_COUNTS[s.prefix]);
    let cum = 0;
    r.components.forEach((comp, k) => {
      const name = `${s.prefix}_comp_cor_${String(k).padStart(2, '0')}`;
      add(name, comp);
      cum += r.explained[k];
      const meta: Record<string, unknown> = {
        CumulativeVarianceExplained: round10(cum),
        Method: s.method,
        Retained: true,
        SingularValue: round10(r.singular[k]),
        VarianceExplained: round10(r.explained[k]),
      };
      if (s.mask) meta.Mask = s.mask;
      sidecar[name] = sortKeys(meta);
    });
  }
  cosines.forEach((c, k) => add(`cosine${String(k).padStart(2, '0')}`, c));
  for (let d = 0; d < N_DUMMY; d++) {
    const col = new Float64Array(n);
    col[d] = 1;
    add(`non_steady_state_outlier${String(d).padStart(2, '0')}`, col);
  }
  MOTION_COLUMNS.forEach((name, a) => {
    const v = motion[a];
    const d = derivative1(v);
    add(name, v);
    add(`${name}_derivative1`, d);
    add(`${name}_power2`, power2(v));
    add(`${name}_derivative1_power2`, power2(d));
  });
  let k = 0;
  for (let t = N_DUMMY; t < n; t++) {
    if (fd[t] > FD_OUTLIER || dv.std[t] > DVARS_OUTLIER) {
      const col = new Float64Array(n);
      col[t] = 1;
      add(`motion_outlier${String(k++).padStart(2, '0')}`, col);
    }
  }
  const sortedSidecar: Record<string, Record<string, unknown>> = {};
  for (const key of Object.keys(sidecar).sort()) sortedSidecar[key] = sidecar[key];
  return { columns, values, sidecar: sortedSidecar };
}

function round10(x: number): number {
  return Number(x.toFixed(10));
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}
