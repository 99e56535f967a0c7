/**
 * single_trial applies every signal_scaling the first level accepts: with grand-mean scaling
 * ([0, 1]) the LSA beta series are the unscaled ones times 100 / grand mean (a linear model),
 * z unchanged; per-scan scaling (1) changes the model, so z differs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { fixture, referenceDir } from '../helpers/paths.js';
import { compilePipeline } from '../../src/spec/compile.js';
import { runPipeline } from '../../src/engine/index.js';
import { registry } from '../../nodes/index.js';
import { readNifti } from '../../src/io/nifti.js';

const manifest = JSON.parse(readFileSync(fixture('diagnostics', 'manifest.json'), 'utf8'));
const ar1 = manifest.cases.find((c: any) => c.name === 'ar1_run1');

test('single_trial: signal_scaling [0, 1] scales the beta series by 100 / grand mean, z unchanged; 1 is applied', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-st-scaling-'));
  const maps: Record<string, { z: Float32Array; effect: Float32Array }> = {};
  for (const [name, scaling] of [['none', false], ['grand', [0, 1]], ['scan', 1]] as const) {
    const out = join(dir, name);
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, stringify({
      glmflow: 1, name,
      data: { bids: join(referenceDir, 'synth'), derivatives: join(referenceDir, 'synth', 'derivatives', 'fmriprep'), task: 'faces', space: 'MNI152NLin2009cAsym', runs: ['1'] },
      output: out,
      first_level: { t_r: 2, hrf_model: 'spm', noise_model: 'ols', signal_scaling: scaling, mask: 'derivatives' },
      single_trial: { method: 'lsa', outputs: ['effect_size', 'z_score'] },
      report: false,
    }));
    const compiled = await compilePipeline(file, {});
    const summary = await runPipeline(compiled.graph, { registry, cacheRoot: join(dir, 'cache'), useCache: false, jobs: 2, emit: () => {} });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    const base = join(out, 'first_level', 'sub-01', 'sub-01_run-1_desc-lsa_stat');
    maps[name] = { z: (await readNifti(`${base}-z_betaseries.nii.gz`)).data, effect: (await readNifti(`${base}-effect_betaseries.nii.gz`)).data };
  }
  const bold = await readNifti(fixture('synth', ar1.run.bold.replace(/^synth\//, '')));
  const mask = await readNifti(fixture('synth', ar1.run.mask.replace(/^synth\//, '')));
  const nxyz = mask.data.length;
  let sum = 0, count = 0;
  for (let t = 0; t < bold.dims[3]; t++) for (let i = 0; i < nxyz; i++) if (mask.data[i]) { sum += bold.data[t * nxyz + i]; count++; }
  const factor = 100 / (sum / count);
  const volumes = maps.none.effect.length / nxyz;
  assert.ok(volumes > 1, 'one volume per trial');
  let zDiff = 0, effDiff = 0, effRms = 0, scanDiff = 0, n = 0;
  for (let v = 0; v < volumes; v++) {
    for (let i = 0; i < nxyz; i++) {
      if (!mask.data[i]) continue;
      const k = v * nxyz + i;
      zDiff = Math.max(zDiff, Math.abs(maps.grand.z[k] - maps.none.z[k]));
      effDiff = Math.max(effDiff, Math.abs(maps.grand.effect[k] - factor * maps.none.effect[k]));
      effRms += (factor * maps.none.effect[k]) ** 2;
      scanDiff = Math.max(scanDiff, Math.abs(maps.scan.z[k] - maps.none.z[k]));
      n++;
    }
  }
  effRms = Math.sqrt(effRms / n);
  assert.ok(zDiff < 1e-3, `z differs by ${zDiff}`);
  assert.ok(effDiff / effRms < 1e-3, `effect vs unscaled x 100 / grand mean: max |d| / rms ${effDiff / effRms}`);
  assert.ok(scanDiff > 1e-3, 'signal_scaling 1 is applied');
  rmSync(dir, { recursive: true, force: true });
});
