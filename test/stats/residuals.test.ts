/**
 * Residuals of the first-level GLM against nilearn 0.10.4
 * (test/fixtures/reference/diagnostics: FirstLevelModel(minimize_memory=False).residuals[0]
 * and numpy.var(residuals, axis=0) for OLS and AR(1) fits of synth run 1), with the
 * tolerances of test/helpers/compare.ts (residuals: |d| / rms(ref), variance: |d| / |ref|;
 * corr >= 0.9999 and 99.9th percentile <= 1e-3 inside the mask).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths.js';
import { compareValues } from '../helpers/compare.js';
import { readNifti } from '../../src/io/nifti.js';
import { readTsv } from '../../src/io/tsv.js';
import type { Mat } from '../../src/stats/core/matrix.js';
import { meanScaling } from '../../src/stats/first-level/scaling.js';
import { runGlm } from '../../src/stats/first-level/glm.js';

interface Case { name: string; run: { bold: string; mask: string }; params: { noise_model: string; signal_scaling: number }; outputs: { residuals: string; residvar: string } }
const manifest = JSON.parse(readFileSync(fixture('diagnostics', 'manifest.json'), 'utf8')) as { cases: Case[] };

async function load(c: Case) {
  const bold = await readNifti(fixture('synth', c.run.bold.replace(/^synth\//, '')));
  const mask = await readNifti(fixture('synth', c.run.mask.replace(/^synth\//, '')));
  const [nx, ny, nz, n] = bold.dims;
  const nxyz = nx * ny * nz;
  const inMask: number[] = [];
  for (let i = 0; i < nxyz; i++) if (mask.data[i] !== 0) inMask.push(i);
  const y = new Float32Array(n * inMask.length);
  for (let t = 0; t < n; t++) for (let i = 0; i < inMask.length; i++) y[t * inMask.length + i] = bold.data[t * nxyz + inMask[i]];
  // the design is the same for both cases (nilearn's own, copied once)
  const tsv = await readTsv(fixture('diagnostics', 'ols_run1', 'design.tsv'));
  const p = tsv.columns.length;
  const x: Mat = { rows: tsv.nRows, cols: p, data: new Float64Array(tsv.nRows * p) };
  tsv.columns.forEach((col, j) => tsv.numeric(col).forEach((v, t) => (x.data[t * p + j] = v)));
  assert.equal(x.rows, n);
  return { y: meanScaling(y, n).scaled, x, n, nxyz, inMask, mask };
}

/** In-mask values back on the grid (time-major 4D for series). */
function onGrid(values: ArrayLike<number>, inMask: number[], nxyz: number, volumes: number): Float32Array {
  const out = new Float32Array(nxyz * volumes);
  const nv = inMask.length;
  for (let t = 0; t < volumes; t++) for (let i = 0; i < nv; i++) out[t * nxyz + inMask[i]] = values[t * nv + i];
  return out;
}

for (const name of ['ols_run1', 'ar1_run1']) {
  test(`residuals and their variance match nilearn (${name})`, async (t) => {
    const c = manifest.cases.find((k) => k.name === name)!;
    assert.ok(c && c.params.signal_scaling === 0);
    const d = await load(c);
    const fit = runGlm(d.y, d.x, { noiseModel: c.params.noise_model, keepResiduals: true, residuals: 'series', chunkSize: 36 });
    const r = { series: fit.residualSeries, variance: fit.residualVariance! };
    const refSeries = await readNifti(fixture(c.outputs.residuals));
    const refVar = await readNifti(fixture(c.outputs.residvar));
    const s = compareValues(onGrid(r.series!, d.inMask, d.nxyz, d.n), refSeries.data, d.mask.data, 'residuals', d.n);
    const v = compareValues(onGrid(r.variance, d.inMask, d.nxyz, 1), refVar.data, d.mask.data, 'residvar');
    t.diagnostic(`${name} residuals: ${s.text}`);
    t.diagnostic(`${name} residvar: ${v.text}`);
    assert.ok(s.ok, s.text);
    assert.ok(v.ok, v.text);
    // the float32 series is the float64 one rounded
    let worst = 0;
    for (let i = 0; i < fit.residuals!.length; i++) worst = Math.max(worst, Math.abs(Math.fround(fit.residuals![i]) - r.series![i]));
    assert.equal(worst, 0, `vs runGlm keepResiduals: ${worst}`);
    // the variance is numpy.var of the float64 series
    const n = d.n, nv = d.inMask.length;
    for (const v of [0, 17, nv >> 1, nv - 1]) {
      let m = 0;
      for (let t = 0; t < n; t++) m += fit.residuals![t * nv + v];
      m /= n;
      let ss = 0;
      for (let t = 0; t < n; t++) ss += (fit.residuals![t * nv + v] - m) ** 2;
      assert.ok(Math.abs(r.variance[v] - ss / n) <= 1e-12 * Math.max(1e-300, ss / n), `voxel ${v}: ${r.variance[v]} vs ${ss / n}`);
    }
    // variance only (the fit node's default), other chunking: the same variance, no series
    const lean = runGlm(d.y, d.x, { noiseModel: c.params.noise_model, residuals: 'variance' });
    assert.equal(lean.residualSeries, undefined);
    assert.equal(lean.residuals, undefined);
    let worstVar = 0;
    for (let v = 0; v < nv; v++) worstVar = Math.max(worstVar, Math.abs(lean.residualVariance![v] - r.variance[v]) / Math.max(1e-12, r.variance[v]));
    assert.ok(worstVar <= 1e-9, `chunking changes the variance by ${worstVar}`);
  });
}

test('OLS: residual variance is SSE / n (the design has a constant, so residuals have mean 0) and residuals are orthogonal to X', () => {
  // 3 voxels, 8 scans, design [t, 1]
  const n = 8;
  const x: Mat = { rows: n, cols: 2, data: new Float64Array(2 * n) };
  for (let t = 0; t < n; t++) { x.data[2 * t] = t; x.data[2 * t + 1] = 1; }
  const y = new Float64Array(3 * n);
  const noise = [0.5, -1, 0.25, 2, -0.75, 0, 1.5, -2.5];
  for (let t = 0; t < n; t++) {
    y[t * 3] = 2 * t + 1;                 // exactly linear: residuals 0
    y[t * 3 + 1] = 10 + noise[t];         // constant + noise
    y[t * 3 + 2] = -t + noise[(t + 3) % n];
  }
  const fit = runGlm(y, x, { noiseModel: 'ols', residuals: 'series' });
  const r = { series: fit.residualSeries, variance: fit.residualVariance! };
  assert.ok(r.variance[0] < 1e-20);
  for (let v = 0; v < 3; v++) {
    let sse = 0, sx = 0, s1 = 0;
    for (let t = 0; t < n; t++) { const e = r.series![t * 3 + v]; sse += e * e; sx += e * t; s1 += e; }
    assert.ok(Math.abs(sx) < 1e-5 && Math.abs(s1) < 1e-5, `voxel ${v}: X'e = ${sx}, ${s1}`);
    assert.ok(Math.abs(r.variance[v] - sse / n) <= 1e-6 * Math.max(1, sse / n));
    // runGlm's dispersion is SSE / (n - p)
    assert.ok(Math.abs(r.variance[v] - (fit.dispersion[v] * (n - 2)) / n) <= 1e-6 * Math.max(1, r.variance[v]));
  }
  // voxel 1: residuals of noise around a constant after removing the best line, by hand
  const tm = 3.5;
  const nm = noise.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  for (let t = 0; t < n; t++) { sxy += (t - tm) * (noise[t] - nm); sxx += (t - tm) ** 2; }
  const slope = sxy / sxx;
  let sse = 0;
  for (let t = 0; t < n; t++) sse += (noise[t] - nm - slope * (t - tm)) ** 2;
  assert.ok(Math.abs(r.variance[1] - sse / n) < 1e-6);
});
