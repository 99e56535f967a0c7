/**
 * The single-trial reference cases (test/fixtures/reference/single_trial: nilearn's
 * beta-series procedure with FirstLevelModel, LSA with AR(1) and LSS with OLS and AR(1) on
 * synth run 1, with the spm HRF and with multi-column HRFs: spm + derivative (LSA AR(1), LSS
 * OLS and AR(1)), glover + derivative + dispersion (LSS OLS), FIR (LSA OLS, LSS AR(1); the
 * estimate is the mean over the delays)) through the whole pipeline: every volume of the 4D effect and z maps against nilearn's,
 * with the README's parity rule (inside the mask: corr >= 0.9999, z maps 99.9th percentile
 * |diff| <= 1e-3), and the trial table against trials.tsv.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { fixture, referenceDir } from '../helpers/paths.js';
import { compareValues } from '../helpers/compare.js';
import { readNifti } from '../../src/io/nifti.js';
import { compilePipeline } from '../../src/spec/compile.js';
import { runPipeline } from '../../src/engine/index.js';
import { registry } from '../../nodes/index.js';

interface Case {
  name: string;
  method: 'lsa' | 'lss';
  run: { bold: string; mask: string; confounds: string; events: string };
  confound_columns: string[];
  params: { t_r: number; hrf_model: string; fir_delays?: number[]; drift_model: string; high_pass: number; signal_scaling: number; noise_model: string };
  outputs: { effect_size: string; z_score: string; trials: string };
}

const manifest = JSON.parse(readFileSync(fixture('single_trial', 'manifest.json'), 'utf8')) as { cases: Case[] };

const SYNTH_EVENTS = 'synth/sub-01/func/sub-01_task-faces_run-1_events.tsv';

/**
 * The raw BIDS folder of a case: synth itself, or (a case with its own events file, e.g. run 1
 * without its near-simultaneous trials) a copy of synth's raw part (events only) with that
 * file as run 1's events; the BOLD stays in synth's derivatives.
 */
function bidsFor(c: Case, dir: string): string {
  if (c.run.events === SYNTH_EVENTS) return join(referenceDir, 'synth');
  const bids = join(dir, 'bids');
  mkdirSync(join(bids, 'sub-01', 'func'), { recursive: true });
  for (const f of ['dataset_description.json', 'participants.tsv']) copyFileSync(join(referenceDir, 'synth', f), join(bids, f));
  copyFileSync(join(referenceDir, c.run.events), join(bids, 'sub-01', 'func', 'sub-01_task-faces_run-1_events.tsv'));
  return bids;
}

function specFor(c: Case, dir: string): string {
  const spec = {
    glmflow: 1,
    name: c.name,
    data: {
      bids: bidsFor(c, dir),
      derivatives: join(referenceDir, 'synth', 'derivatives', 'fmriprep'),
      task: 'faces',
      space: 'MNI152NLin2009cAsym',
      runs: ['1'],
    },
    output: join(dir, 'out'),
    first_level: {
      t_r: c.params.t_r, hrf_model: c.params.hrf_model, ...(c.params.fir_delays ? { fir_delays: c.params.fir_delays } : {}), drift_model: c.params.drift_model, high_pass: c.params.high_pass,
      noise_model: c.params.noise_model, signal_scaling: c.params.signal_scaling, mask: join(referenceDir, c.run.mask),
      confounds: c.confound_columns,
    },
    single_trial: { method: c.method },
    report: false,
  };
  const file = join(dir, `${c.name}.yaml`);
  writeFileSync(file, stringify(spec));
  return file;
}

const rowsOf = (tsv: string) => readFileSync(tsv, 'utf8').trim().split('\n').map((l) => l.split('\t'));

for (const c of manifest.cases) {
  test(`single-trial parity through the pipeline: ${c.name}`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `glmflow-st-${c.name}-`));
    const compiled = await compilePipeline(specFor(c, dir), {});
    const summary = await runPipeline(compiled.graph, { registry, cacheRoot: join(dir, 'cache'), useCache: false, jobs: 2, emit: () => {} });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    const out = join(dir, 'out', 'first_level', 'sub-01');
    const base = join(out, `sub-01_run-1_desc-${c.method}`);
    // the trial table: nilearn's trials.tsv columns, in events order, plus volume and estimable
    const ours = rowsOf(`${base}_betaseries.tsv`);
    const ref = rowsOf(join(referenceDir, c.outputs.trials));
    assert.deepEqual(ours[0], ['onset', 'duration', 'trial_type', 'trial_name', 'volume', 'estimable']);
    assert.equal(ours.length, ref.length);
    for (let i = 1; i < ref.length; i++) {
      assert.deepEqual(ours[i].slice(0, 4).map((v, j) => (j < 2 ? Number(v) : v)), ref[i].map((v, j) => (j < 2 ? Number(v) : v)));
      assert.deepEqual(ours[i].slice(4), [String(i - 1), 'true']);
    }
    const mask = await readNifti(join(referenceDir, c.run.mask));
    const vol = mask.dims[0] * mask.dims[1] * mask.dims[2];
    for (const [output, stat] of [['effect_size', 'effect'], ['z_score', 'z']] as const) {
      const a = await readNifti(`${base}_stat-${stat}_betaseries.nii.gz`);
      const b = await readNifti(join(referenceDir, c.outputs[output]));
      assert.deepEqual(a.dims, b.dims);
      // every volume's values against nilearn's with the README tolerance of the map kind
      let worst = { maxAbs: -1, text: '', v: -1 };
      for (let v = 0; v < b.dims[3]; v++) {
        const cmp = compareValues(a.data.subarray(v * vol, (v + 1) * vol), b.data.subarray(v * vol, (v + 1) * vol), mask.data, stat === 'z' ? 'z' : 'effect');
        if (cmp.maxAbs > worst.maxAbs) worst = { maxAbs: cmp.maxAbs, text: cmp.text, v };
        assert.ok(cmp.ok, `${output} volume ${v}: ${cmp.text}`);
      }
      t.diagnostic(`${output}, worst of ${b.dims[3]} volumes (volume ${worst.v}): ${worst.text}`);
    }
    rmSync(dir, { recursive: true, force: true });
  });
}
