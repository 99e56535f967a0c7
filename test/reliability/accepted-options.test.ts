/**
 * Every option the schema accepts either works as nilearn's does or is refused before
 * computing (exit 2, naming the key with file:line:col); none is silently ignored.
 * Issue 8 item 20: signal_scaling 1 / [0, 1], confounds_fill_na with a strategy, ica_aroma
 * full, save_residuals; and the siblings found while fixing them (load_confounds parameters
 * without their component, cluster_threshold with permutation, per-scan / grand-mean
 * scaling with the ROI-level GLM).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { fixture, referenceDir } from '../helpers/paths.js';
import { compilePipeline } from '../../src/spec/compile.js';
import { specSchema } from '../../src/spec/schema.js';
import { AROMA_DESC, boldDesc, optionProblems } from '../../src/spec/option-checks.js';
import type { AnalysisSpec } from '../../src/spec/types.js';

const CONFOUNDS = ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z', 'global_signal', 'csf', 'white_matter'];
const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'glmflow-options-')); dirs.push(d); return d; };
test.after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function specFile(dir: string, firstLevel: Record<string, unknown>, extra: Record<string, unknown> = {}, bids = join(referenceDir, 'synth')): string {
  const file = join(dir, `spec-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({
    glmflow: 1, name: 'options',
    data: { bids, derivatives: join(bids, 'derivatives', 'fmriprep'), task: 'faces', space: 'MNI152NLin2009cAsym', runs: ['1'] },
    output: join(dir, 'out'),
    first_level: { t_r: 2, hrf_model: 'spm', mask: 'derivatives', contrasts: { face: 'face' }, ...firstLevel },
    report: false,
    ...extra,
  }));
  return file;
}

/** The problems of a refused spec (UserError: exit 2, nothing computed). */
async function refused(file: string): Promise<string[]> {
  let problems: string[] | undefined;
  await assert.rejects(compilePipeline(file, {}), (e: any) => {
    assert.equal(e.name, 'UserError');
    problems = [e.message, ...(e.problems ?? [])];
    return true;
  });
  return problems!;
}

const keyAt = (file: string, key: string) => new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: ${key.replace(/\./g, '\\.')}: `);

test('signal_scaling 1 and [0, 1] and save_residuals: true are accepted and reach the fit node', async () => {
  const dir = tmp();
  for (const scaling of [0, 1, [0, 1], false]) {
    const c = await compilePipeline(specFile(dir, { signal_scaling: scaling, save_residuals: true }), {});
    const fit = c.graph.nodes.find((n) => n.type === 'fit')!;
    assert.deepEqual((fit.params as any).signal_scaling, scaling);
    assert.equal((fit.params as any).save_residuals, true);
    const save = c.graph.nodes.find((n) => n.id.endsWith('/residuals'))!;
    assert.deepEqual(save.params, { kind: 'residuals', dir: join(dir, 'out', 'first_level', 'sub-01'), prefix: 'sub-01_run-1', t_r: 2, series: true });
  }
});

test('confounds_fill_na with a confound strategy is refused, naming the key', async () => {
  const dir = tmp();
  const file = specFile(dir, { confounds: { strategy: ['motion'] }, confounds_fill_na: 'zero' });
  const problems = await refused(file);
  assert.ok(problems.some((p) => keyAt(file, 'first_level.confounds_fill_na').test(p) && /strategy/.test(p)), problems.join('\n'));
  // with a column list it works (and changes the confounds node)
  const ok = await compilePipeline(specFile(dir, { confounds: CONFOUNDS, confounds_fill_na: 'mean' }), {});
  assert.equal((ok.graph.nodes.find((n) => n.type === 'confounds')!.params as any).fill_na, 'mean');
});

test('load_confounds parameters without their component are refused, each naming its key', async () => {
  const dir = tmp();
  const file = specFile(dir, { confounds: { strategy: ['motion'], fd_threshold: 0.5, n_compcor: 3, wm_csf: 'full', ica_aroma: 'basic' } });
  const problems = await refused(file);
  for (const [key, component] of [['fd_threshold', 'scrub'], ['n_compcor', 'compcor'], ['wm_csf', 'wm_csf'], ['ica_aroma', 'ica_aroma']]) {
    assert.ok(problems.some((p) => keyAt(file, `first_level.confounds.${key}`).test(p) && p.includes(`'${component}'`)), `${key}:\n${problems.join('\n')}`);
  }
  // motion: basic with motion in the strategy is fine
  await compilePipeline(specFile(dir, { confounds: { strategy: ['motion'], motion: 'basic' } }), {});
});

test('cluster_threshold with permutation inference is refused; with the other methods it applies', async () => {
  const dir = tmp();
  const inputs = fixture('second_level', 'inputs');
  const groupSpec = (inference: unknown[]) => {
    const file = join(dir, `group-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, stringify({
      glmflow: 1, name: 'g', data: { bids: inputs }, output: join(dir, 'gout'), report: false,
      group: { contrasts: ['faceVsScene'], inputs: { faceVsScene: join(inputs, 'sub-*_contrast-faceVsScene_stat-effect.nii.gz') }, inference },
    }));
    return file;
  };
  const file = groupSpec([{ method: 'permutation', n_perm: 100, cluster_threshold: 10 }]);
  const problems = await refused(file);
  assert.ok(problems.some((p) => keyAt(file, 'group.inference.0.cluster_threshold').test(p)), problems.join('\n'));
  const ok = await compilePipeline(groupSpec([{ method: 'fdr', cluster_threshold: 10 }]), {});
  assert.equal((ok.graph.nodes.find((n) => n.type === 'correct')!.params as any).cluster_threshold, 10);
});

test('signal_scaling 1 or [0, 1] with the roi section is refused (the ROI GLM has no voxel mean)', async () => {
  const dir = tmp();
  for (const scaling of [1, [0, 1]]) {
    const file = specFile(dir, { signal_scaling: scaling }, { roi: { atlas: fixture('roi', 'labels.nii.gz') } });
    const problems = await refused(file);
    assert.ok(problems.some((p) => keyAt(file, 'first_level.signal_scaling').test(p) && /roi/.test(p)), problems.join('\n'));
  }
});

test("ica_aroma: full models fMRIPrep's desc-smoothAROMAnonaggr BOLD; without it the desc-preproc one", async () => {
  const dir = tmp();
  const bids = join(dir, 'synth');
  cpSync(join(referenceDir, 'synth'), bids, { recursive: true });
  const func = join(bids, 'derivatives', 'fmriprep', 'sub-01', 'func');
  const base = 'sub-01_task-faces_run-1_space-MNI152NLin2009cAsym';
  cpSync(join(func, `${base}_desc-preproc_bold.nii.gz`), join(func, `${base}_desc-${AROMA_DESC}_bold.nii.gz`));
  const boldOf = async (confounds: unknown) => {
    const c = await compilePipeline(specFile(dir, { confounds }, {}, bids), {});
    return c.graph.nodes.find((n) => n.type === 'fit')!.files.bold as string;
  };
  assert.match(await boldOf({ strategy: ['ica_aroma', 'high_pass', 'wm_csf'] }), new RegExp(`_desc-${AROMA_DESC}_bold\\.nii\\.gz$`));
  assert.match(await boldOf({ strategy: ['ica_aroma'], ica_aroma: 'full' }), new RegExp(`_desc-${AROMA_DESC}_bold\\.nii\\.gz$`));
  assert.match(await boldOf({ strategy: ['motion', 'wm_csf'], motion: 'basic' }), /_desc-preproc_bold\.nii\.gz$/);
  assert.match(await boldOf(CONFOUNDS), /_desc-preproc_bold\.nii\.gz$/);
  // no AROMA output in the derivatives: exit 2 naming the files looked for
  const problems = await refused(specFile(dir, { confounds: { strategy: ['ica_aroma'] } }));
  assert.ok(problems.some((p) => p.includes(`desc-${AROMA_DESC}_bold`)), problems.join('\n'));
});

test('data.desc and ica_aroma must agree (one place decides the BOLD variant)', () => {
  const spec = (desc: string | undefined, aroma: 'full' | 'basic', strategy = ['ica_aroma']) => ({
    glmflow: 1, name: 'x', output: '/o', report: false,
    data: { bids: '/b', derivatives: '/d', task: 't', subjects: 'all', runs: 'all', sessions: 'all', ...(desc ? { desc } : {}) },
    first_level: { confounds: { strategy, ica_aroma: aroma, motion: 'full', wm_csf: 'basic', global_signal: 'basic', compcor: 'anat_combined', n_compcor: 'all', scrub: 5, fd_threshold: 0.2, std_dvars_threshold: 3, demean: true }, signal_scaling: 0 },
  }) as unknown as AnalysisSpec;
  // the spec as written: only strategy and ica_aroma (the rest above are the filled-in defaults)
  const raw = (s: AnalysisSpec) => {
    const c = s.first_level!.confounds as { strategy: string[]; ica_aroma: string };
    return { ...s, data: { ...s.data }, first_level: { confounds: { strategy: c.strategy, ica_aroma: c.ica_aroma } } } as unknown as Record<string, any>;
  };
  const check = (s: AnalysisSpec) => optionProblems(s, raw(s)).map((p) => `${p.path.join('.')}: ${p.message}`);
  const desc = (s: AnalysisSpec) => boldDesc(s, raw(s));
  assert.equal(desc(spec(undefined, 'full')), AROMA_DESC);
  assert.equal(desc(spec(undefined, 'basic')), 'preproc');
  assert.equal(desc(spec(undefined, 'full', ['motion'])), 'preproc');
  assert.equal(desc(spec(AROMA_DESC, 'full')), AROMA_DESC);
  // a filled-in default data.desc: preproc is not a user choice, only what the spec says counts
  const filled = spec(undefined, 'full');
  (filled.data as any).desc = 'preproc';
  assert.equal(boldDesc(filled, raw(spec(undefined, 'full'))), AROMA_DESC);
  assert.deepEqual(check(spec(AROMA_DESC, 'full')), []);
  assert.deepEqual(check(spec('preproc', 'basic')), []);
  assert.match(check(spec('preproc', 'full')).join('\n'), /^data\.desc: ica_aroma 'full' models .*desc-smoothAROMAnonaggr/);
  assert.match(check(spec(AROMA_DESC, 'basic')).join('\n'), /^data\.desc: ica_aroma 'basic' .*already denoised/);
});

/**
 * The sweep: each first_level key of the schema, set to a valid non-default value, must
 * change the compiled graph (some node's parameters, inputs or outputs) or be refused.
 * A key that compiles to the same graph as the default would be accepted and ignored.
 */
test('every first_level key of the schema changes the compiled graph or is refused', async () => {
  const dir = tmp();
  const base = { noise_model: 'ar1', confounds: CONFOUNDS };
  const values: Record<string, Record<string, unknown>> = {
    t_r: { t_r: 2.5 },
    slice_time_ref: { slice_time_ref: 0.5 },
    hrf_model: { hrf_model: 'glover' },
    fir_delays: { hrf_model: 'fir', fir_delays: [0, 1, 2], contrasts: { face: 'face_delay_0' } },
    drift_model: { drift_model: 'polynomial', drift_order: 1 },
    high_pass: { high_pass: 0.02 },
    drift_order: { drift_model: 'polynomial', drift_order: 2 },
    noise_model: { noise_model: 'ols' },
    smoothing_fwhm: { smoothing_fwhm: 6 },
    signal_scaling: { signal_scaling: 1 },
    mask: { mask: 'auto' },
    confounds: { confounds: { strategy: ['motion'], motion: 'basic' } },
    confounds_fill_na: { confounds_fill_na: 'zero' },
    min_onset: { min_onset: -5 },
    contrasts: { contrasts: { scene: 'scene' } },
    outputs: { outputs: ['z_score'] },
    save_residuals: { save_residuals: true },
    r_square: { r_square: true },
  };
  const keys = Object.keys(specSchema.properties.first_level.properties);
  assert.deepEqual(keys.filter((k) => !(k in values)), [], 'a schema key without a sweep value');
  const snapshot = async (fl: Record<string, unknown>) => {
    const c = await compilePipeline(specFile(dir, { ...base, ...fl }), {});
    return c.graph.nodes.map((n) => JSON.stringify([n.id, n.type, n.params, n.files, n.deps])).sort().join('\n').replaceAll(dir, '');
  };
  const reference = await snapshot({});
  const ignored: string[] = [];
  for (const key of keys) {
    try {
      if ((await snapshot(values[key])) === reference) ignored.push(key);
    } catch (e) {
      if ((e as Error).name !== 'UserError') throw e; // refused is an acceptable answer
    }
  }
  assert.deepEqual(ignored, []);
});
