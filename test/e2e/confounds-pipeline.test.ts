/**
 * fMRIPrep confound strategies through the pipeline: the selected regressors enter the
 * design, and scrubbed volumes are removed from data and design alike (sample mask), as
 * FirstLevelModel.fit(..., sample_masks=...) does. The expected maps are computed here
 * directly from the statistics modules on the kept volumes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { fixture } from '../helpers/paths.js';
import { glmflow } from '../helpers/cli.js';
import { compilePipeline } from '../../src/spec/compile.js';
import { runPipeline } from '../../src/engine/index.js';
import { registry } from '../../nodes/index.js';
import { readNifti } from '../../src/io/nifti.js';
import { readTsv } from '../../src/io/tsv.js';
import { readEvents } from '../../src/pipeline/events-file.js';
import { loadConfounds } from '../../src/stats/confounds/confounds.js';
import { confoundTableFromTsv } from '../../src/pipeline/confound-table.js';
import { buildRunDesign } from '../../src/pipeline/first-level-design.js';
import { meanScaling } from '../../src/stats/first-level/scaling.js';
import { runGlm } from '../../src/stats/first-level/glm.js';
import { computeContrast } from '../../src/stats/first-level/contrast.js';
import { expressionToContrastVector } from '../../src/stats/first-level/contrast-expr.js';

function dataset() {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-conf-'));
  const bids = join(dir, 'bids');
  cpSync(fixture('synth'), bids, { recursive: true });
  // add std_dvars and two high-motion volumes so that scrubbing removes volumes 40 and 41
  const conf = join(bids, 'derivatives', 'fmriprep', 'sub-01', 'func', 'sub-01_task-faces_run-1_desc-confounds_timeseries.tsv');
  const lines = readFileSync(conf, 'utf8').trim().split('\n');
  const fd = lines[0].split('\t').indexOf('framewise_displacement');
  const out = [lines[0] + '\tstd_dvars'];
  lines.slice(1).forEach((l, i) => {
    const c = l.split('\t');
    if (i === 40 || i === 41) c[fd] = '0.9';
    out.push(c.join('\t') + '\t' + (i === 0 ? 'n/a' : '1.0'));
  });
  writeFileSync(conf, out.join('\n') + '\n');
  const spec = (confounds: unknown) => {
    const file = join(dir, 'conf.yaml');
    writeFileSync(file, stringify({
      glmflow: 1, name: 'conf',
      data: { bids, derivatives: join(bids, 'derivatives', 'fmriprep'), task: 'faces', space: 'MNI152NLin2009cAsym', runs: ['1'] },
      output: join(dir, 'out'),
      first_level: { t_r: 2, hrf_model: 'spm', noise_model: 'ols', mask: 'derivatives', confounds, contrasts: { faceVsScene: 'face - scene' } },
      report: false,
    }));
    return file;
  };
  return { dir, bids, conf, spec };
}

test('a scrubbing strategy removes volumes from data and design alike', async () => {
  const d = dataset();
  const strategy = { strategy: ['motion', 'scrub'], motion: 'basic', scrub: 0, fd_threshold: 0.5, std_dvars_threshold: 3 };
  const compiled = await compilePipeline(d.spec(strategy), {});
  const summary = await runPipeline(compiled.graph, { registry, cacheRoot: join(d.dir, 'cache'), useCache: false, jobs: 2, emit: () => {} });
  assert.equal(summary.ok, true, JSON.stringify(summary.failures));

  // expected: confounds and sample mask from load_confounds, design on all volumes, rows kept
  const sel = loadConfounds(confoundTableFromTsv(await readTsv(d.conf)), undefined, strategy as any);
  assert.deepEqual(sel.names, ['rot_x', 'rot_y', 'rot_z', 'trans_x', 'trans_y', 'trans_z']);
  assert.equal(sel.sampleMask!.length, 110 - 2);
  assert.ok(!Array.from(sel.sampleMask!).includes(40) && !Array.from(sel.sampleMask!).includes(41));
  const bold = await readNifti(join(d.bids, 'derivatives/fmriprep/sub-01/func/sub-01_task-faces_run-1_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz'));
  const mask = await readNifti(join(d.bids, 'derivatives/fmriprep/sub-01/func/sub-01_task-faces_run-1_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz'));
  const nt = bold.dims[3];
  const { table: events } = await readEvents(join(d.bids, 'sub-01/func/sub-01_task-faces_run-1_events.tsv'));
  const dm = buildRunDesign({ run: 'run-1', n_scans: nt, t_r: 2, slice_time_ref: 0, hrf_model: 'spm', fir_delays: [0], drift_model: 'cosine', high_pass: 0.01, drift_order: 1, min_onset: -24, oversampling: 50 }, events, sel);
  const keep = Array.from(sel.sampleMask!);
  const nv = mask.data.length;
  const idx: number[] = [];
  for (let i = 0; i < nv; i++) if (mask.data[i] > 0) idx.push(i);
  const y = new Float32Array(keep.length * idx.length);
  keep.forEach((t, r) => idx.forEach((v, k) => (y[r * idx.length + k] = bold.data[t * nv + v])));
  const p = dm.columns.length;
  const x = { rows: keep.length, cols: p, data: new Float64Array(keep.length * p) };
  keep.forEach((t, r) => x.data.set(dm.matrix.data.subarray(t * p, (t + 1) * p), r * p));
  const fit = runGlm(meanScaling(y, keep.length).scaled, x, { noiseModel: 'ols' });
  const expected = computeContrast(fit, expressionToContrastVector('face - scene', dm.columns));
  const ours = await readNifti(join(d.dir, 'out/first_level/sub-01/sub-01_contrast-faceVsScene_stat-t.nii.gz'));
  let worst = 0;
  idx.forEach((v, k) => (worst = Math.max(worst, Math.abs(ours.data[v] - expected.stat[k]))));
  assert.ok(worst < 1e-4, `worst |t diff| ${worst}`);
  // the saved design keeps every volume and the confound columns
  const design = await readTsv(join(d.dir, 'out/first_level/sub-01/sub-01_run-1_design.tsv'));
  assert.equal(design.nRows, nt);
  assert.ok(design.has('trans_x') && design.has('constant'));
  rmSync(d.dir, { recursive: true, force: true });
});

test('a strategy that needs a column the file lacks is an input error naming the file (exit 2)', async () => {
  const d = dataset();
  const r = await glmflow(['validate', d.spec({ strategy: ['motion', 'global_signal'], global_signal: 'derivatives' })]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /desc-confounds_timeseries\.tsv/);
  assert.match(r.stderr, /global_signal_derivative1/);
  rmSync(d.dir, { recursive: true, force: true });
});
