/**
 * Parity of the first-level fit + contrasts with nilearn 0.10.4
 * (test/fixtures/reference/first_level/manifest.json).
 *
 * For each single-run case without smoothing: the BOLD is masked with the
 * mask nilearn used (the case's mask.nii.gz), the design matrix is nilearn's own
 * (design_run1.tsv), signal scaling follows the params, then run_glm + every
 * contrast output is compared with nilearn's map inside the mask:
 *   z_score, stat:        correlation >= 0.9999 and 99.9th pct |diff| <= 1e-3 (README rule)
 *   effect_size:          correlation >= 0.9999 and 99.9th pct |diff| / rms(ref) <= 1e-3
 *   effect_variance:      correlation >= 0.9999 and 99.9th pct relative diff <= 1e-3
 *   p_value:              99.9th pct |diff| of -log10 p <= 1e-3 (p floored at float32's smallest
 *                         normal, 1.18e-38: the reference stores smaller p as float32 subnormals)
 *   r_square:             correlation >= 0.9999 and 99.9th pct |diff| <= 1e-3
 * and, for z / stat, max |diff| <= 1e-5 over all voxels.
 * epi_mask_ols is included: its mask.nii.gz is the mask nilearn computed, the fit does
 * not depend on how it was obtained.
 * ar1_2runs_smooth6 (two runs, fixed effects) is checked in a second test with the
 * project's smoothing (src/stats/smooth.ts, smoothVolumes of the whole 4D image before
 * masking, as NiftiMasker does), with the same rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fixture } from '../helpers/paths.js';
import { readNifti } from '../../src/io/nifti.js';
import { readTsv } from '../../src/io/tsv.js';
import type { Mat } from '../../src/stats/core/matrix.js';
import { meanScaling } from '../../src/stats/first-level/scaling.js';
import { smoothVolumes } from '../../src/stats/image/smooth.js';
import { runGlm } from '../../src/stats/first-level/glm.js';
import { computeContrast, type ContrastResult } from '../../src/stats/first-level/contrast.js';
import { expressionToContrastVector } from '../../src/stats/first-level/contrast-expr.js';

interface Output {
  definition: string | number[][];
  stat_type: 't' | 'F';
  z_score: string; stat: string; p_value: string; effect_size: string; effect_variance: string;
}
interface Case {
  name: string;
  runs: { bold: string }[];
  params: { noise_model: string; signal_scaling: number | false; smoothing_fwhm?: number };
  outputs: Record<string, Output>;
  mask: string;
  design_matrices: string[];
  r_square?: string;
}

const FLT_MIN = 1.1754943508222875e-38;
const CASES = ['ols_run1', 'ols_run1_F', 'ar1_run1', 'glover_deriv_poly3_noscale', 'fir_ols', 'epi_mask_ols'];

function percentile(values: Float64Array, q: number): number {
  const s = Float64Array.from(values).sort();
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo); // numpy's linear interpolation
}
function correlation(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { const x = a[i] - ma, y = b[i] - mb; sab += x * y; saa += x * x; sbb += y * y; }
  return sab / Math.sqrt(saa * sbb);
}

interface Metric { corr: number; p999: number; max: number }
function compare(ours: Float64Array, ref: Float64Array, kind: 'abs' | 'relRms' | 'rel' | 'log10'): Metric {
  const n = ref.length;
  const d = new Float64Array(n);
  let rms = 0;
  for (let i = 0; i < n; i++) rms += ref[i] * ref[i];
  rms = Math.sqrt(rms / n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (kind === 'log10') {
      // below float32's smallest normal number the reference map itself has lost its
      // precision (subnormal storage), so both sides are floored there
      a[i] = -Math.log10(Math.max(ours[i], FLT_MIN));
      b[i] = -Math.log10(Math.max(ref[i], FLT_MIN));
      d[i] = Math.abs(a[i] - b[i]);
    } else {
      a[i] = ours[i];
      b[i] = ref[i];
      const diff = Math.abs(ours[i] - ref[i]);
      d[i] = kind === 'abs' ? diff : kind === 'relRms' ? diff / rms : diff / Math.max(Math.abs(ref[i]), 1e-30);
    }
  }
  let max = 0;
  for (let i = 0; i < n; i++) max = Math.max(max, d[i]);
  return { corr: correlation(a, b), p999: percentile(d, 0.999), max };
}

async function designMatrix(path: string): Promise<{ columns: string[]; x: Mat }> {
  const t = await readTsv(path);
  const p = t.columns.length;
  const x: Mat = { rows: t.nRows, cols: p, data: new Float64Array(t.nRows * p) };
  t.columns.forEach((c, j) => {
    const col = t.numeric(c);
    for (let s = 0; s < t.nRows; s++) x.data[s * p + j] = col[s];
  });
  return { columns: t.columns, x };
}

test('first-level GLM + contrasts match nilearn 0.10.4 inside the mask', async (t) => {
  const manifest = JSON.parse(await readFile(fixture('first_level', 'manifest.json'), 'utf8')) as { cases: Case[] };
  const failures: string[] = [];
  const boldCache = new Map<string, Awaited<ReturnType<typeof readNifti>>>();
  for (const name of CASES) {
    const c = manifest.cases.find((k) => k.name === name);
    assert.ok(c, `case ${name} in the manifest`);
    assert.equal(c.runs.length, 1);
    assert.ok(!c.params.smoothing_fwhm);
    let bold = boldCache.get(c.runs[0].bold);
    if (!bold) { bold = await readNifti(fixture(c.runs[0].bold)); boldCache.set(c.runs[0].bold, bold); }
    const mask = await readNifti(fixture(c.mask));
    const [nx, ny, nz, nScans] = bold.dims; // [nx, ny, nz, nt]
    const nxyz = nx * ny * nz;
    const inMask: number[] = [];
    for (let i = 0; i < nxyz; i++) if (mask.data[i] !== 0) inMask.push(i);
    const nVox = inMask.length;
    const y = new Float32Array(nScans * nVox);
    for (let s = 0; s < nScans; s++) for (let i = 0; i < nVox; i++) y[s * nVox + i] = bold.data[s * nxyz + inMask[i]];
    const { columns, x } = await designMatrix(fixture(c.design_matrices[0]));
    assert.equal(x.rows, nScans);

    const t0 = performance.now();
    const data = c.params.signal_scaling === false ? y : meanScaling(y, nScans).scaled;
    const fit = runGlm(data, x, { noiseModel: c.params.noise_model });
    const fitMs = performance.now() - t0;

    const refValues = async (path: string, volumes = 1): Promise<Float64Array> => {
      const img = await readNifti(fixture(path));
      const out = new Float64Array(volumes * nVox);
      for (let k = 0; k < volumes; k++) for (let i = 0; i < nVox; i++) out[k * nVox + i] = img.data[k * nxyz + inMask[i]];
      return out;
    };
    const check = (label: string, m: Metric, corrMin: number, p999Max: number, maxMax = Infinity) => {
      t.diagnostic(`${name} ${label}: corr ${m.corr.toFixed(9)}  p99.9 ${m.p999.toExponential(2)}  max ${m.max.toExponential(2)}`);
      if (!(m.corr >= corrMin) || !(m.p999 <= p999Max) || !(m.max <= maxMax)) {
        failures.push(`${name} ${label}: corr ${m.corr}, p99.9 ${m.p999}, max ${m.max}`);
      }
    };
    t.diagnostic(`${name}: ${nVox} voxels x ${nScans} scans x ${x.cols} regressors, ${c.params.noise_model}, ${fit.models.length} model(s), fit ${fitMs.toFixed(0)} ms`);

    for (const [outName, o] of Object.entries(c.outputs)) {
      const con = typeof o.definition === 'string' ? expressionToContrastVector(o.definition, columns) : o.definition;
      const r: ContrastResult = computeContrast(fit, con, { statType: o.stat_type });
      // README rule, plus: every voxel within 1e-5 (we are at the float32 rounding of the reference maps,
      // ~2.4e-7, because the scaling reproduces numpy's float32 arithmetic and the AR bins all agree)
      check(`${outName} z_score`, compare(r.zScore, await refValues(o.z_score), 'abs'), 0.9999, 1e-3, 1e-5);
      check(`${outName} stat`, compare(r.stat, await refValues(o.stat), 'abs'), 0.9999, 1e-3, 1e-5);
      check(`${outName} p_value (-log10)`, compare(r.pValue, await refValues(o.p_value), 'log10'), 0.9999, 1e-3);
      check(`${outName} effect_size (|d|/rms)`, compare(r.effectSize, await refValues(o.effect_size, r.dim), 'relRms'), 0.9999, 1e-3);
      check(`${outName} effect_variance (rel)`, compare(r.effectVariance, await refValues(o.effect_variance), 'rel'), 0.9999, 1e-3);
    }
    if (c.r_square) check('r_square', compare(fit.rSquare, await refValues(c.r_square), 'abs'), 0.9999, 1e-3);
  }
  assert.deepEqual(failures, []);
});

test('two-run AR(1) fixed effects with 6 mm smoothing match nilearn (ar1_2runs_smooth6)', async (t) => {
  const manifest = JSON.parse(await readFile(fixture('first_level', 'manifest.json'), 'utf8')) as { cases: Case[] };
  const c = manifest.cases.find((k) => k.name === 'ar1_2runs_smooth6');
  assert.ok(c && c.runs.length === 2 && c.params.smoothing_fwhm === 6);
  const mask = await readNifti(fixture(c.mask));
  const fits = [];
  let columns: string[] = [];
  let inMask: number[] = [];
  let nxyz = 0;
  for (let r = 0; r < c.runs.length; r++) {
    const bold = await readNifti(fixture(c.runs[r].bold));
    const [nx, ny, nz, nScans] = bold.dims;
    nxyz = nx * ny * nz;
    const smoothed = smoothVolumes(bold.data, bold.dims, bold.affine, c.params.smoothing_fwhm!);
    inMask = [];
    for (let i = 0; i < nxyz; i++) if (mask.data[i] !== 0) inMask.push(i);
    const y = new Float32Array(nScans * inMask.length);
    for (let s = 0; s < nScans; s++) for (let i = 0; i < inMask.length; i++) y[s * inMask.length + i] = smoothed[s * nxyz + inMask[i]];
    const d = await designMatrix(fixture(c.design_matrices[r]));
    columns = d.columns;
    fits.push(runGlm(meanScaling(y, nScans).scaled, d.x, { noiseModel: c.params.noise_model }));
  }
  const nVox = inMask.length;
  const refValues = async (path: string): Promise<Float64Array> => {
    const img = await readNifti(fixture(path));
    return Float64Array.from(inMask, (i) => img.data[i]);
  };
  const failures: string[] = [];
  const check = (label: string, m: Metric, p999Max: number, maxMax = Infinity) => {
    t.diagnostic(`ar1_2runs_smooth6 ${label}: corr ${m.corr.toFixed(9)}  p99.9 ${m.p999.toExponential(2)}  max ${m.max.toExponential(2)}`);
    if (!(m.corr >= 0.9999) || !(m.p999 <= p999Max) || !(m.max <= maxMax)) failures.push(`${label}: corr ${m.corr}, p99.9 ${m.p999}, max ${m.max}`);
  };
  for (const [outName, o] of Object.entries(c.outputs)) {
    const warnings: string[] = [];
    const r = computeContrast(fits, expressionToContrastVector(o.definition as string, columns), { onWarning: (w) => warnings.push(w) });
    assert.deepEqual(warnings, ['One contrast given, assuming it for all 2 runs']);
    assert.equal(r.dof, 2 * fits[0].models[0].dfResid);
    assert.equal(r.effectSize.length, nVox);
    check(`${outName} z_score`, compare(r.zScore, await refValues(o.z_score), 'abs'), 1e-3, 1e-5);
    check(`${outName} stat`, compare(r.stat, await refValues(o.stat), 'abs'), 1e-3, 1e-5);
    check(`${outName} p_value (-log10)`, compare(r.pValue, await refValues(o.p_value), 'log10'), 1e-3);
    check(`${outName} effect_size (|d|/rms)`, compare(r.effectSize, await refValues(o.effect_size), 'relRms'), 1e-3);
    check(`${outName} effect_variance (rel)`, compare(r.effectVariance, await refValues(o.effect_variance), 'rel'), 1e-3);
  }
  assert.deepEqual(failures, []);
});
