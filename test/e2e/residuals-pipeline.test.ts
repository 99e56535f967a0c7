/**
 * Residual diagnostics through the pipeline (SPEC: `…_run-N_stat-residvar.nii.gz` always,
 * `…_run-N_stat-errorts.nii.gz` with save_residuals: true), compared with nilearn's
 * FirstLevelModel(minimize_memory=False).residuals of the diagnostics reference (AR(1),
 * synth run 1) by value (test/helpers/compare.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { fixture, referenceDir } from '../helpers/paths.js';
import { compareMapFiles } from '../helpers/compare.js';
import { compilePipeline } from '../../src/spec/compile.js';
import { runPipeline } from '../../src/engine/index.js';
import { registry } from '../../nodes/index.js';
import { readNiftiHeader } from '../../src/io/nifti.js';

const manifest = JSON.parse(readFileSync(fixture('diagnostics', 'manifest.json'), 'utf8'));
const ar1 = manifest.cases.find((c: any) => c.name === 'ar1_run1');

async function run(dir: string, firstLevel: Record<string, unknown>, runs: string[]) {
  const file = join(dir, `spec-${runs.join('')}.yaml`);
  writeFileSync(file, stringify({
    glmflow: 1, name: 'residuals',
    data: { bids: join(referenceDir, 'synth'), derivatives: join(referenceDir, 'synth', 'derivatives', 'fmriprep'), task: 'faces', space: 'MNI152NLin2009cAsym', runs },
    output: join(dir, 'out'),
    first_level: {
      t_r: ar1.params.t_r, hrf_model: ar1.params.hrf_model, drift_model: ar1.params.drift_model, high_pass: ar1.params.high_pass,
      noise_model: ar1.params.noise_model, signal_scaling: ar1.params.signal_scaling, mask: 'derivatives', confounds: ar1.confound_columns,
      contrasts: { face: 'face' }, outputs: ['z_score'], ...firstLevel,
    },
    report: false,
  }));
  const compiled = await compilePipeline(file, {});
  const summary = await runPipeline(compiled.graph, { registry, cacheRoot: join(dir, 'cache'), useCache: true, jobs: 2, emit: () => {} });
  assert.equal(summary.ok, true, JSON.stringify(summary.failures));
  return { graph: compiled.graph, sub: join(dir, 'out', 'first_level', 'sub-01') };
}

test('residvar is written for every run, errorts only with save_residuals; both match nilearn', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-resid-'));
  const mask = fixture('synth', ar1.run.mask.replace(/^synth\//, ''));
  const bold = await readNiftiHeader(fixture('synth', ar1.run.bold.replace(/^synth\//, '')));

  const a = await run(dir, { save_residuals: true }, ['1']);
  const errorts = join(a.sub, 'sub-01_run-1_stat-errorts.nii.gz');
  const residvar = join(a.sub, 'sub-01_run-1_stat-residvar.nii.gz');
  const hv = await readNiftiHeader(residvar);
  const he = await readNiftiHeader(errorts);
  assert.deepEqual(hv.dims.slice(0, 3), bold.dims.slice(0, 3));
  assert.ok(hv.dims.length === 3 || hv.dims[3] === 1, `residvar is 3D: ${hv.dims}`);
  assert.deepEqual(he.dims, bold.dims, 'errorts: one volume per scan on the BOLD grid');
  assert.equal(he.pixdim[3], 2, 'errorts carries the TR');
  const s = await compareMapFiles(errorts, fixture(ar1.outputs.residuals), mask, 'residuals');
  const v = await compareMapFiles(residvar, fixture(ar1.outputs.residvar), mask, 'residvar');
  t.diagnostic(`errorts: ${s.text}`);
  t.diagnostic(`residvar: ${v.text}`);
  assert.ok(s.ok && v.ok);
  // the fit node asks for the series only with save_residuals
  const fit = a.graph.nodes.find((n) => n.type === 'fit')!;
  assert.equal((fit.params as any).save_residuals, true);

  // without save_residuals (two runs): residvar per run, no errorts, run 1's residvar unchanged
  const before = readFileSync(residvar);
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  const b = await run(dir, {}, ['1', '2']);
  const files = readdirSync(b.sub).filter((f) => /residvar|errorts/.test(f)).sort();
  assert.deepEqual(files, ['sub-01_run-1_stat-residvar.nii.gz', 'sub-01_run-2_stat-residvar.nii.gz']);
  assert.ok(!existsSync(errorts));
  assert.ok(readFileSync(residvar).equals(before), 'same residual variance with or without the series');
  for (const n of b.graph.nodes.filter((x) => x.type === 'fit')) assert.equal((n.params as any).save_residuals, undefined);
  rmSync(dir, { recursive: true, force: true });
});

test('signal_scaling [0, 1] (grand mean) scales effects by 100 / grand mean and leaves z unchanged, as nilearn', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-scaling-'));
  const maps: Record<string, { z: Float32Array; effect: Float32Array }> = {};
  const { readNifti } = await import('../../src/io/nifti.js');
  for (const [name, scaling] of [['none', false], ['grand', [0, 1]], ['scan', 1]] as const) {
    const out = join(dir, name);
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, stringify({
      glmflow: 1, name,
      data: { bids: join(referenceDir, 'synth'), derivatives: join(referenceDir, 'synth', 'derivatives', 'fmriprep'), task: 'faces', space: 'MNI152NLin2009cAsym', runs: ['1'] },
      output: out,
      first_level: { t_r: 2, hrf_model: 'spm', noise_model: 'ols', signal_scaling: scaling, mask: 'derivatives', contrasts: { face: 'face' }, outputs: ['z_score', 'effect_size'] },
      report: false,
    }));
    const compiled = await compilePipeline(file, {});
    const summary = await runPipeline(compiled.graph, { registry, cacheRoot: join(dir, 'cache'), useCache: false, jobs: 2, emit: () => {} });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    const sub = join(out, 'first_level', 'sub-01');
    maps[name] = { z: (await readNifti(join(sub, 'sub-01_contrast-face_stat-z.nii.gz'))).data, effect: (await readNifti(join(sub, 'sub-01_contrast-face_stat-effect.nii.gz'))).data };
  }
  // grand mean of the masked BOLD
  const bold = await readNifti(fixture('synth', ar1.run.bold.replace(/^synth\//, '')));
  const mask = await readNifti(fixture('synth', ar1.run.mask.replace(/^synth\//, '')));
  const nxyz = mask.data.length;
  let sum = 0, count = 0;
  for (let t = 0; t < bold.dims[3]; t++) for (let i = 0; i < nxyz; i++) if (mask.data[i]) { sum += bold.data[t * nxyz + i]; count++; }
  const factor = 100 / (sum / count);
  // (float32 data: 100 * (Y / g - 1) cancels digits, so effects are compared relative to their rms)
  let zDiff = 0, effDiff = 0, effRms = 0, scanDiff = 0, nIn = 0;
  for (let i = 0; i < nxyz; i++) {
    if (!mask.data[i]) continue;
    zDiff = Math.max(zDiff, Math.abs(maps.grand.z[i] - maps.none.z[i]));
    effDiff = Math.max(effDiff, Math.abs(maps.grand.effect[i] - factor * maps.none.effect[i]));
    effRms += (factor * maps.none.effect[i]) ** 2;
    nIn++;
    scanDiff = Math.max(scanDiff, Math.abs(maps.scan.z[i] - maps.none.z[i]));
  }
  effRms = Math.sqrt(effRms / nIn);
  assert.ok(zDiff < 1e-3, `z differs by ${zDiff}`);
  assert.ok(effDiff / effRms < 1e-3, `effect vs effect(unscaled) x 100 / grand mean: max |d| / rms ${effDiff / effRms}`);
  // per-scan scaling changes the model (each scan has its own divisor): the maps differ
  assert.ok(scanDiff > 1e-3, 'signal_scaling 1 is applied');
  rmSync(dir, { recursive: true, force: true });
});
