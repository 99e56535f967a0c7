/**
 * Single-trial estimates on a simulated dataset with trial-wise responses
 * (simulate --trial-sd): the ROI-mean beta series of the face region (written with `roi`
 * set) must correlate with the true trial amplitudes of ground_truth.json, for LSS and LSA;
 * and the cache: adding a condition computes only that condition's LSS node of each run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { simulateDataset } from '../../src/sim/dataset.js';
import { compilePipeline } from '../../src/spec/compile.js';
import { runPipeline } from '../../src/engine/index.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { registry } from '../../nodes/index.js';
import { readNifti } from '../../src/io/nifti.js';
import { writeNifti } from '../../src/io/nifti-write.js';

const dir = mkdtempSync(join(tmpdir(), 'glmflow-st-sim-'));
const data = join(dir, 'data');
const ready = simulateDataset(data, { subjects: 1, runs: 2, volumes: 160, trialSd: 0.5, seed: 3 });

function spec(name: string, singleTrial: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({
    glmflow: 1, name,
    data: { bids: data, derivatives: join(data, 'derivatives', 'fmriprep'), task: 'faces', space: 'MNI152NLin2009cAsym' },
    output: join(dir, `out-${name}`),
    first_level: { hrf_model: 'spm', noise_model: 'ar1', smoothing_fwhm: 4, mask: 'derivatives', confounds: ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z'] },
    single_trial: singleTrial,
    report: false,
    ...extra,
  }));
  return file;
}

async function run(file: string, cache: string): Promise<EngineEvent[]> {
  const events: EngineEvent[] = [];
  const compiled = await compilePipeline(file, {});
  const summary = await runPipeline(compiled.graph, { registry, cacheRoot: cache, useCache: true, jobs: 2, emit: (e) => events.push(e) });
  assert.equal(summary.ok, true, JSON.stringify(summary.failures));
  return events;
}

const pearson = (a: number[], b: number[]) => {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; }
  return sab / Math.sqrt(saa * sbb);
};

for (const method of ['lss', 'lsa'] as const) {
  test(`${method}: ROI-mean single-trial betas follow the simulated trial amplitudes`, async (t) => {
    await ready;
    // the face region also as a mask file (roi.masks, as LAION ships ROIs): its series must be
    // the atlas label's, value for value
    const labelsTsv = readFileSync(join(data, 'atlas', 'labels.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
    const faceLabel = Number(labelsTsv.find((row) => row[1] === 'face_region')![0]);
    const atlas = await readNifti(join(data, 'atlas', 'labels.nii.gz'));
    const faceMask = join(dir, `face-mask-${method}.nii.gz`);
    await writeNifti(faceMask, { dims: atlas.dims.slice(0, 3), affine: atlas.affine, data: Float32Array.from(atlas.data, (v) => (Math.round(v) === faceLabel ? 1 : 0)) });
    const roi = { atlas: join(data, 'atlas', 'labels.nii.gz'), labels: join(data, 'atlas', 'labels.tsv'), masks: { FFA: faceMask } };
    const file = spec(`recovery-${method}`, { method }, { roi, report: true });
    await run(file, join(dir, `cache-${method}`));
    // the report shows each run's trial design and beta-series heat map
    const out = join(dir, `out-recovery-${method}`);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.match(html, /Single-trial estimates/);
    for (const r of ['1', '2']) {
      for (const fig of [`figures/sub-01_run-${r}_desc-${method}_design.png`, `figures/sub-01_run-${r}_desc-${method}_betaseries.png`]) {
        assert.ok(html.includes(fig), fig);
        assert.ok(readFileSync(join(out, fig)).subarray(1, 4).toString() === 'PNG', fig);
      }
    }
    const truth = JSON.parse(readFileSync(join(data, 'ground_truth.json'), 'utf8'));
    const r = [];
    for (const runTruth of truth.subjects[0].runs) {
      const tsv = readFileSync(join(dir, `out-recovery-${method}`, 'roi', `sub-01_run-${runTruth.run}_desc-${method}_betaseries.tsv`), 'utf8').trim().split('\n').map((l) => l.split('\t'));
      const col = tsv[0].indexOf('face_region');
      assert.ok(col > 0, `columns ${tsv[0].join(', ')}`);
      assert.equal(tsv[0][tsv[0].length - 1], 'FFA', 'the roi.masks column follows the atlas labels');
      for (const row of tsv.slice(1)) assert.equal(row[row.length - 1], row[col], `trial ${row[0]}: mask FFA vs atlas face_region`);
      const byName = new Map(tsv.slice(1).map((row) => [row[0], Number(row[col])]));
      const trials = runTruth.trials as { trial_name: string; amplitudes: Record<string, number> }[];
      assert.equal(byName.size, trials.length);
      const est = trials.map((x) => byName.get(x.trial_name)!);
      const tru = trials.map((x) => x.amplitudes.face_region);
      r.push(pearson(est, tru));
    }
    t.diagnostic(`${method}: correlation of the face-region beta series with the true amplitudes, per run: ${r.map((x) => x.toFixed(3)).join(', ')}`);
    for (const x of r) assert.ok(x > 0.7, `correlation ${x}`);
  });
}

test('LSS: adding a condition computes only its nodes (one per run), the rest comes from the cache', async () => {
  await ready;
  const cache = join(dir, 'cache-add');
  const first = await run(spec('add', { method: 'lss', conditions: ['face'] }), cache);
  const computed = (ev: EngineEvent[]) => ev.filter((e) => e.event === 'node-done' && (e as { type?: string }).type === 'single-trial').map((e) => (e as { node: string }).node).sort();
  assert.deepEqual(computed(first), ['single-trial/sub-01/run-1/lss/face', 'single-trial/sub-01/run-2/lss/face']);
  const second = await run(spec('add', { method: 'lss', conditions: ['face', 'scene'] }), cache);
  assert.deepEqual(computed(second), ['single-trial/sub-01/run-1/lss/scene', 'single-trial/sub-01/run-2/lss/scene']);
  // nor the runs' shared BOLD (single-trial-bold), read once per run for all conditions
  const fits = second.filter((e) => e.event === 'node-done' && ['design', 'mask', 'load', 'confounds', 'single-trial-bold'].includes((e as { type?: string }).type ?? ''));
  assert.equal(fits.length, 0);
  // the run's table lists both conditions' trials in events order
  const tsv = readFileSync(join(dir, 'out-add', 'first_level', 'sub-01', 'sub-01_run-1_desc-lss_betaseries.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const onsets = tsv.map((row) => Number(row[0]));
  assert.deepEqual(onsets, [...onsets].sort((a, b) => a - b));
  assert.deepEqual([...new Set(tsv.map((row) => row[2]))].sort(), ['face', 'scene']);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
