/**
 * ROI stage through the pipeline against nilearn's roi reference: NiftiLabelsMasker
 * time series (raw, and z-scored with confounds regressed) and the ROI-level AR(1) GLM
 * (run_glm on the ROI means + compute_contrast).
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
import { readTsv } from '../../src/io/tsv.js';

const manifest = JSON.parse(readFileSync(fixture('roi', 'manifest.json'), 'utf8'));
const CONFOUNDS = ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z', 'global_signal', 'csf', 'white_matter'];

async function run(firstLevel: Record<string, unknown>, roi: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-roi-'));
  const file = join(dir, 'roi.yaml');
  writeFileSync(file, stringify({
    glmflow: 1, name: 'roi',
    data: { bids: join(referenceDir, 'synth'), derivatives: join(referenceDir, 'synth', 'derivatives', 'fmriprep'), task: 'faces', space: 'MNI152NLin2009cAsym', runs: ['1'] },
    output: join(dir, 'out'),
    first_level: { t_r: 2, hrf_model: 'spm', drift_model: 'cosine', high_pass: 0.01, mask: 'derivatives', contrasts: { faceVsScene: 'face - scene' }, ...firstLevel },
    roi: { atlas: fixture('roi', 'labels.nii.gz'), contrasts: ['faceVsScene'], ...roi },
    report: false,
  }));
  const compiled = await compilePipeline(file, {});
  const summary = await runPipeline(compiled.graph, { registry, cacheRoot: join(dir, 'cache'), useCache: false, jobs: 2, emit: () => {} });
  assert.equal(summary.ok, true, JSON.stringify(summary.failures));
  return { dir, roi: join(dir, 'out', 'roi') };
}

async function assertSignals(t: any, ours: string, ref: string, tol: number) {
  const a = await readTsv(ours);
  const b = await readTsv(ref);
  assert.deepEqual(a.columns, b.columns);
  assert.equal(a.nRows, b.nRows);
  let worst = 0;
  for (const c of a.columns) {
    const x = a.numeric(c);
    const y = b.numeric(c);
    x.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y[i]) / Math.max(1, Math.abs(y[i])))));
  }
  t.diagnostic(`${ref.split('/').pop()}: worst relative difference ${worst.toExponential(2)}`);
  assert.ok(worst <= tol);
}

test('ROI time series: raw means and z-scored with confounds regressed, as NiftiLabelsMasker', async (t) => {
  const raw = await run({ noise_model: 'ols', confounds: [] }, { standardize: false, confounds: false });
  await assertSignals(t, join(raw.roi, 'sub-01_run-1_timeseries.tsv'), fixture(manifest.cases[0].signals), 1e-6);
  const z = await run({ noise_model: 'ols', confounds: CONFOUNDS }, { standardize: 'zscore_sample', confounds: true });
  await assertSignals(t, join(z.roi, 'sub-01_run-1_timeseries.tsv'), fixture(manifest.cases[1].signals), 1e-6);
  for (const d of [raw, z]) rmSync(d.dir, { recursive: true, force: true });
});

test('ROI-level AR(1) GLM reproduces nilearn run_glm + compute_contrast on the ROI means', async (t) => {
  const c = manifest.cases.find((x: any) => x.name === 'roi_glm_ar1');
  const r = await run({ noise_model: 'ar1', signal_scaling: false, confounds: [] }, {});
  const tsv = await readTsv(join(r.roi, 'sub-01_contrast-faceVsScene_roi.tsv'));
  const pairs: [string, number[]][] = [['effect', c.effect[0]], ['variance', c.variance], ['stat', c.stat], ['z_score', c.z_score]];
  for (const [col, ref] of pairs) {
    const ours = tsv.numeric(col);
    const worst = Math.max(...ref.map((v: number, i: number) => Math.abs(ours[i] - v) / Math.max(1e-12, Math.abs(v))));
    t.diagnostic(`${col}: worst relative difference ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-6, `${col}: ${worst}`);
  }
  rmSync(r.dir, { recursive: true, force: true });
});
