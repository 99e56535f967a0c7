import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isUserError } from '../../src/errors.js';
import { loadSpec } from '../../src/spec/load.js';
import { specSchema, subschemaAt } from '../../src/spec/schema.js';
import { semanticProblems } from '../../src/spec/semantic.js';
import { projectRoot } from '../helpers/paths.js';
import { problemsOf, tempDir, writeFile, yaml } from './helpers.js';

const MINIMAL = yaml(`
  glmflow: 1
  data:
    bids: bids
    task: localizer
  first_level:
    contrasts:
      faceVsScene: face - scene
`);

test('a spec with five mistakes gives exactly five precise messages', async () => {
  const dir = tempDir();
  const file = writeFile(dir, 'five.yaml', yaml(`
    glmflow: 1
    name: five-mistakes
    data:
      bids: .
      task: localizer
    first_level:
      hrf_modle: spm
      high_pass: fast
      slice_time_ref: 1.5
      noise_model: arr1
      contrasts:
        faceVsScene: face - scene
    author: me
  `));
  const problems = await problemsOf(() => loadSpec(file, []));
  assert.deepEqual(problems, [
    `${file}:7:3: first_level: unknown key 'hrf_modle' — did you mean 'hrf_model'?`,
    `${file}:8:14: first_level.high_pass: got the text 'fast'; expected a frequency in Hz > 0`,
    `${file}:9:19: first_level.slice_time_ref: 1.5 is out of range; expected a number from 0 to 1`,
    `${file}:10:16: first_level.noise_model: invalid value 'arr1' (did you mean 'ar1'?); expected 'ols' or 'arN' with N from 1 to 99 (e.g. 'ar1')`,
    `${file}:13:1: unknown top-level key 'author'; expected one of: glmflow, name, data, output, first_level, single_trial, group, roi, report, execution`,
  ]);
  // The error message itself summarises, the problems carry the detail.
  await assert.rejects(loadSpec(file, []), (e: unknown) => isUserError(e) && e.message === `${file}: 5 problems in the spec`);
});

test('enum typos, unions and names get one useful message each, with suggestions', async () => {
  const dir = tempDir();
  const file = writeFile(dir, 'unions.yaml', yaml(`
    glmflow: 1
    data:
      bids: .
      task: localizer
      subjects: al
    first_level:
      t_r: -2
      hrf_model: glover+derivative
      drift_model: cosin
      smoothing_fwhm: [5, 5]
      signal_scaling: 2
      confounds: {strategy: [motion, scrb], motoin: full}
      contrasts:
        face-vs-scene: face - scene
        weird: {a: 1}
      outputs: [z_score, z_score]
      high_pass: 0.01
    group:
      inference:
        - {method: fdrr}
      mask: 3
      smoothing_fwhm: 5
  `));
  const problems = await problemsOf(() => loadSpec(file, []));
  assert.deepEqual(problems, [
    `${file}:5:13: data.subjects: invalid value 'al' (did you mean 'all'?); expected 'all' or a list of subject labels such as ["01", "02"]`,
    `${file}:7:8: first_level.t_r: -2 is out of range; expected a number of seconds from 0.001 to 100`,
    `${file}:8:14: first_level.hrf_model: invalid value 'glover+derivative' (did you mean 'glover + derivative'?); expected one of 'spm', 'spm + derivative', 'spm + derivative + dispersion', 'glover', 'glover + derivative', 'glover + derivative + dispersion', 'fir', 'none'`,
    `${file}:9:16: first_level.drift_model: invalid value 'cosin' (did you mean 'cosine'?); expected one of 'cosine', 'polynomial', 'none'`,
    `${file}:10:19: first_level.smoothing_fwhm: has 2 items; expected a list [x, y, z] of FWHM in mm`,
    `${file}:11:19: first_level.signal_scaling: invalid value 2; expected 0, 1, [0, 1] or false`,
    `${file}:12:34: first_level.confounds.strategy.1: invalid value 'scrb' (did you mean 'scrub'?); expected one of 'motion', 'high_pass', 'wm_csf', 'global_signal', 'compcor', 'ica_aroma', 'scrub', 'non_steady_state'`,
    `${file}:12:41: first_level.confounds: unknown key 'motoin' — did you mean 'motion'?`,
    `${file}:14:5: first_level.contrasts: invalid name 'face-vs-scene'; expected a contrast name of letters and digits starting with a letter (it becomes the BIDS contrast- label)`,
    `${file}:15:12: first_level.contrasts.weird: got a mapping; expected an expression over design columns (e.g. 'face - scene'), a weight vector or a matrix of weight rows`,
    `${file}:16:12: first_level.outputs: 'z_score' is listed twice (items 0 and 1); expected each item once`,
    `${file}:20:16: group.inference.0.method: invalid value 'fdrr' (did you mean 'fdr'?); expected one of 'fpr', 'fdr', 'bonferroni', 'permutation', 'cluster', 'none'`,
    `${file}:21:9: group.mask: got the number 3; expected 'auto' or a path to a mask image`,
  ]);
});

test('missing keys, keys in the wrong section, non-mapping spec, empty file', async () => {
  const dir = tempDir();
  const f1 = writeFile(dir, 'a.yaml', yaml(`
    glmflow: 1
    data:
      bids: .
      high_pass: 0.01
    first_level:
      contrasts: {}
  `));
  // (a missing data.task is a semantic problem: group-only pipelines need no task; see semantic.test)
  assert.deepEqual(await problemsOf(() => loadSpec(f1, [])), [
    `${f1}:4:3: data: unknown key 'high_pass' — it belongs under first_level`,
    `${f1}:6:14: first_level.contrasts: must not be empty; expected a mapping of contrast name -> expression, vector or matrix`,
  ]);
  const f2 = writeFile(dir, 'b.yaml', '- a\n- b\n');
  assert.deepEqual(await problemsOf(() => loadSpec(f2, [])), [
    `${f2}:1:1: got a list ['a', 'b']; expected a mapping of spec sections (glmflow: 1, name, data, output, first_level, single_trial, group, roi, report)`,
  ]);
  const f3 = writeFile(dir, 'c.yaml', '# nothing\n');
  assert.deepEqual(await problemsOf(() => loadSpec(f3, [])), [`${f3}:1:1: the spec is empty; expected a mapping starting with 'glmflow: 1'`]);
  const f4 = writeFile(dir, 'd.yaml', 'glmflow: 2\nname: x\n');
  assert.deepEqual(await problemsOf(() => loadSpec(f4, [])), [`${f4}:1:10: glmflow: invalid value 2; expected 1 (the spec format version)`]);
});

test('YAML syntax errors are reported with line and column', async () => {
  const dir = tempDir();
  const dup = writeFile(dir, 'dup.yaml', 'glmflow: 1\ndata:\n  bids: .\n  task: x\n  bids: y\n');
  assert.deepEqual(await problemsOf(() => loadSpec(dup, [])), [
    `${dup}:5:3: YAML syntax error: duplicate key 'bids' (each key may appear once in a mapping)`,
  ]);
  const flow = writeFile(dir, 'flow.yaml', 'glmflow: 1\nfirst_level:\n  contrasts: {a: b\n  outputs: [z_score]\n');
  const ps = await problemsOf(() => loadSpec(flow, []));
  assert.ok(ps.length >= 1);
  assert.match(ps[0], new RegExp(`^${flow.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: YAML syntax error: .*\\}`));
  const tab = writeFile(dir, 'tab.yaml', 'glmflow: 1\ndata:\n\tbids: .\n');
  const pt = await problemsOf(() => loadSpec(tab, []));
  assert.match(pt[0], /tab\.yaml:3:1: YAML syntax error: /);
});

test('a missing spec file is a UserError naming it', async () => {
  const dir = tempDir();
  await assert.rejects(loadSpec(join(dir, 'nope.yaml'), []), (e: unknown) => isUserError(e) && e.message.includes('nope.yaml') && e.message.startsWith('spec file not found'));
  await assert.rejects(loadSpec(dir, []), (e: unknown) => isUserError(e) && e.message.includes('is a folder'));
});

test('--set overrides: scalars, new contrasts, label lists, list items, new list items', async () => {
  const dir = tempDir();
  const file = writeFile(dir, 'spec.yaml', MINIMAL + yaml(`
    group:
      inference:
        - {method: fdr, alpha: 0.05}
  `));
  const l = await loadSpec(file, [
    'first_level.noise_model=ols',
    'first_level.contrasts.faceVsBaseline=face',
    'first_level.contrasts.faceObject=[1, -1]',
    'data.subjects=[01,02]',
    'group.inference.0.alpha=0.01',
    'group.inference.1.method=permutation',
    'group.inference.1.n_perm=500',
    'first_level.smoothing_fwhm=[4, 4, 6]',
    'roi.atlas=/atlas.nii.gz',
  ]);
  const fl = l.spec.first_level!;
  assert.equal(fl.noise_model, 'ols');
  assert.deepEqual(fl.contrasts, { faceVsScene: 'face - scene', faceVsBaseline: 'face', faceObject: [1, -1] });
  assert.deepEqual(Object.keys(fl.contrasts), ['faceVsScene', 'faceVsBaseline', 'faceObject']);
  assert.deepEqual(l.spec.data!.subjects, ['01', '02']);
  assert.deepEqual(fl.smoothing_fwhm, [4, 4, 6]);
  const inf = l.spec.group!.inference;
  assert.equal(inf.length, 2);
  assert.deepEqual([inf[0].method, inf[0].alpha], ['fdr', 0.01]);
  assert.deepEqual([inf[1].method, inf[1].n_perm, inf[1].two_sided], ['permutation', 500, false]);
  assert.equal(l.spec.roi!.atlas, '/atlas.nii.gz');
  assert.deepEqual(l.spec.roi!.contrasts, ['faceVsScene', 'faceVsBaseline', 'faceObject']);
  // KEY=null removes a key (its default applies) or a list item
  const r = await loadSpec(file, ['group.inference.0=null', 'first_level.noise_model=ols', 'first_level.noise_model=', 'roi=~']);
  assert.deepEqual(r.spec.group!.inference, []);
  assert.equal(r.spec.first_level!.noise_model, 'ar1');
  assert.equal(r.spec.roi, undefined);
  // the value is YAML: a quoted string stays a string
  const q = await loadSpec(file, ['name="123"']);
  assert.equal(q.spec.name, '123');
});

test('--set problems name the --set argument', async () => {
  const dir = tempDir();
  const file = writeFile(dir, 'spec.yaml', MINIMAL + 'group:\n  inference:\n    - {method: fdr}\n');
  assert.deepEqual(await problemsOf(() => loadSpec(file, ['first_level.nois_model=ols'])), [
    "--set first_level.nois_model=ols: unknown key 'nois_model' — did you mean 'noise_model'?",
  ]);
  assert.deepEqual(await problemsOf(() => loadSpec(file, ['first_level.high_pass=-1', 'frist_level.x=1', 'group.inference=[{method: fdr, alpah: 0.1}]'])), [
    '--set first_level.high_pass=-1: -1 is out of range; expected a frequency in Hz > 0',
    "--set frist_level.x=1: unknown top-level key 'frist_level' — did you mean 'first_level'?",
    "--set group.inference=[{method: fdr, alpah: 0.1}]: group.inference.0: unknown key 'alpah' — did you mean 'alpha'?",
  ]);
  // Problems in the file and in --set values are all reported, file first.
  const bad = writeFile(dir, 'bad.yaml', MINIMAL.replace('task: localizer', 'task: local-izer'));
  assert.deepEqual(await problemsOf(() => loadSpec(bad, ['first_level.t_r=fast'])), [
    `${bad}:4:9: data.task: invalid value 'local-izer'; expected a BIDS task label (letters and digits only, without 'task-')`,
    "--set first_level.t_r=fast: invalid value 'fast'; expected a number of seconds from 0.001 to 100, or 'auto'",
  ]);
  // Structural problems of the arguments themselves.
  assert.deepEqual(await problemsOf(() => loadSpec(file, ['noequals', 'group.inference.3.alpha=0.1', 'data.task.x=1', 'a=[1', 'a..b=1'])), [
    '--set noequals: expected KEY=VALUE with a dotted key path, e.g. first_level.noise_model=ols',
    "--set group.inference.3.alpha=0.1: 'group.inference' has 1 item(s); expected an index from 0 to 1 (1 adds an item)",
    `--set data.task.x=1: 'data.task' is the value "localizer", so it has no key 'x'`,
    `--set a=[1: the value is not valid YAML: Flow sequence must end with a ] (quote it, e.g. --set 'a="..."')`,
    "--set a..b=1: empty part in key path 'a..b'; expected keys separated by single dots",
  ]);
});

test('relative paths resolve against the spec folder; --set paths against the working directory', async () => {
  const dir = tempDir();
  const file = writeFile(dir, 'specs/spec.yaml', yaml(`
    glmflow: 1
    data:
      bids: ../data/bids
      derivatives: /abs/derivs
      task: localizer
    output: out
    first_level:
      mask: masks/brain.nii.gz
      contrasts: {a: face}
    group:
      inputs: {a: "../maps/sub-*_effect.nii.gz"}
      mask: ~/group_mask.nii.gz
    roi:
      atlas: ../atlas.nii.gz
      labels: ../atlas.tsv
  `));
  const l = await loadSpec(file, []);
  const specDir = join(dir, 'specs');
  assert.equal(l.dir, specDir);
  assert.equal(l.file, file);
  assert.equal(l.spec.data!.bids, resolve(dir, 'data/bids'));
  assert.equal(l.spec.data!.derivatives, '/abs/derivs');
  assert.equal(l.spec.output, join(specDir, 'out'));
  assert.equal(l.spec.first_level!.mask, join(specDir, 'masks/brain.nii.gz'));
  assert.equal(l.spec.group!.inputs!.a, join(dir, 'maps/sub-*_effect.nii.gz'));
  assert.equal(l.spec.group!.mask, join(homedir(), 'group_mask.nii.gz'));
  assert.equal(l.spec.roi!.atlas, join(dir, 'atlas.nii.gz'));
  assert.equal(l.spec.roi!.labels, join(dir, 'atlas.tsv'));

  const cwd = join(dir, 'elsewhere');
  mkdirSync(cwd);
  const o = await loadSpec('../specs/spec.yaml', ['output=results', 'data.bids=bids2'], { cwd });
  assert.equal(o.file, file);
  assert.equal(o.spec.output, join(cwd, 'results'));
  assert.equal(o.spec.data!.bids, join(cwd, 'bids2'));
  assert.equal(o.spec.first_level!.mask, join(specDir, 'masks/brain.nii.gz'));
  // messages name the spec as the user wrote it
  assert.deepEqual(await problemsOf(() => loadSpec('../specs/spec.yaml', ['report=yes'], { cwd })), [
    "--set report=yes: got the text 'yes'; expected true or false",
  ]);
});

test('defaults are filled in and match the schema documentation', async () => {
  const dir = tempDir();
  const file = writeFile(dir, 'minimal.yaml', MINIMAL + 'group: {}\nroi: {atlas: a.nii.gz}\n');
  const { spec } = await loadSpec(file, []);
  assert.equal(spec.name, 'minimal');
  assert.equal(spec.output, join(dir, 'derivatives/glmflow'));
  assert.equal(spec.report, true);
  assert.deepEqual(spec.data, { bids: join(dir, 'bids'), task: 'localizer', subjects: 'all', runs: 'all', sessions: 'all' });
  assert.deepEqual(spec.first_level, {
    t_r: 'auto',
    slice_time_ref: 0,
    hrf_model: 'glover',
    fir_delays: [0],
    drift_model: 'cosine',
    high_pass: 0.01,
    drift_order: 1,
    noise_model: 'ar1',
    smoothing_fwhm: null,
    signal_scaling: 0,
    mask: 'auto',
    confounds: [],
    confounds_fill_na: false,
    min_onset: -24,
    contrasts: { faceVsScene: 'face - scene' },
    outputs: ['z_score', 'stat', 'effect_size', 'effect_variance', 'p_value'],
    save_residuals: false,
    r_square: false,
  });
  assert.deepEqual(spec.group, {
    contrasts: ['faceVsScene'],
    input: 'effect_size',
    mask: 'auto',
    smoothing_fwhm: null,
    covariates: [],
    center_covariates: false,
    inference: [],
  });
  assert.deepEqual(spec.roi, { atlas: join(dir, 'a.nii.gz'), resample: 'none', contrasts: ['faceVsScene'], input: 'effect_size', strategy: 'mean', standardize: false, confounds: true });
  // Every documented default of these sections is what the loader filled in.
  for (const section of ['first_level', 'group', 'roi'] as const) {
    const props = subschemaAt([section])!.properties as Record<string, { default?: unknown }>;
    for (const [k, s] of Object.entries(props)) {
      if (s.default !== undefined) assert.deepEqual((spec[section] as any)[k], s.default, `${section}.${k}`);
    }
  }
  // Confound strategy defaults are nilearn 0.10.4's load_confounds defaults.
  const s2 = await loadSpec(file, ['first_level.confounds={strategy: [motion, scrub]}']);
  assert.deepEqual(s2.spec.first_level!.confounds, {
    strategy: ['motion', 'scrub'],
    motion: 'full',
    wm_csf: 'basic',
    global_signal: 'basic',
    compcor: 'anat_combined',
    n_compcor: 'all',
    ica_aroma: 'full',
    scrub: 5,
    fd_threshold: 0.2,
    std_dvars_threshold: 3,
    demean: true,
  });
  // Per-method inference defaults (nilearn threshold_stats_img / non_parametric_inference).
  const s3 = await loadSpec(file, [
    'group.inference=[{method: fpr}, {method: fdr}, {method: none}, {method: cluster}, {method: cluster, stat_threshold: 3.1}, {method: permutation}]',
  ]);
  const brief = s3.spec.group!.inference.map((i) => [i.method, i.height_control, i.alpha, i.stat_threshold, i.two_sided]);
  assert.deepEqual(brief, [
    ['fpr', 'fpr', 0.001, null, true],
    ['fdr', 'fdr', 0.05, null, true],
    ['none', 'none', 0.05, 3, true],
    ['cluster', 'fpr', 0.001, null, true],
    ['cluster', 'none', 0.05, 3.1, true],
    ['permutation', null, 0.05, null, false],
  ]);
  assert.deepEqual([s3.spec.group!.inference[5].n_perm, s3.spec.group!.inference[5].seed, s3.spec.group!.inference[5].tfce], [10000, 0, false]);
  assert.equal(specSchema.properties.glmflow.const, 1);
});

test('label lists keep what was written: 01 stays "01"', async () => {
  const dir = tempDir();
  const file = writeFile(dir, 's.yaml', MINIMAL.replace('task: localizer', 'task: localizer\n  subjects: [01, 2, "03", abc]\n  runs: [1, 02]'));
  const { spec } = await loadSpec(file, []);
  assert.deepEqual(spec.data!.subjects, ['01', '2', '03', 'abc']);
  assert.deepEqual(spec.data!.runs, ['1', '02']);
  const bad = writeFile(dir, 't.yaml', MINIMAL.replace('task: localizer', 'task: localizer\n  subjects: [sub-01, 1.5]'));
  assert.deepEqual(await problemsOf(() => loadSpec(bad, [])), [
    `${bad}:5:14: data.subjects.0: invalid value 'sub-01'; expected a subject label (letters and digits only, without 'sub-')`,
    `${bad}:5:22: data.subjects.1: invalid value '1.5'; expected a subject label (letters and digits only, without 'sub-')`,
  ]);
});

test('the hash depends on content only: key order and comments do not change it', async () => {
  const dir = tempDir();
  const a = writeFile(dir, 'a/spec.yaml', yaml(`
    glmflow: 1
    name: h
    data: {bids: bids, task: loc}
    first_level:
      noise_model: ols
      contrasts: {faceVsScene: face - scene}
  `));
  const b = writeFile(dir, 'b/spec.yaml', yaml(`
    # the same analysis, written differently
    first_level:
      contrasts:
        faceVsScene: "face - scene"   # quoted
      noise_model: ols
    data:
      task: loc
      bids: ../a/bids                 # same folder
    name: h
    glmflow: 1
    output: ../a/derivatives/glmflow  # the default output of a/spec.yaml
  `));
  const la = await loadSpec(a, []);
  const lb = await loadSpec(b, []);
  assert.match(la.hash, /^[0-9a-f]{64}$/);
  assert.equal(la.hash, lb.hash);
  // Spelling out a default does not change the hash either.
  const lc = await loadSpec(a, ['first_level.hrf_model=glover']);
  assert.equal(lc.hash, la.hash);
  const ld = await loadSpec(a, ['first_level.noise_model=ar1']);
  assert.notEqual(ld.hash, la.hash);
});

test("SPEC.md's example spec is accepted with every key", async () => {
  const file = join(projectRoot, 'test', 'fixtures', 'specs', 'spec-md-example.yaml');
  const l = await loadSpec(file, []);
  assert.deepEqual(semanticProblems(l, { checkPaths: false }), []);
  const { spec } = l;
  const dir = join(projectRoot, 'test', 'fixtures', 'specs');
  assert.equal(spec.name, 'face-localizer');
  assert.equal(spec.data!.bids, resolve(dir, '../data/bids'));
  assert.equal(spec.data!.derivatives, resolve(dir, '../data/bids/derivatives/fmriprep'));
  assert.equal(spec.data!.space, 'MNI152NLin2009cAsym');
  assert.equal(spec.output, resolve(dir, '../derivatives/glm'));
  const fl = spec.first_level!;
  assert.deepEqual(
    [fl.t_r, fl.slice_time_ref, fl.hrf_model, fl.fir_delays, fl.drift_model, fl.high_pass, fl.drift_order, fl.noise_model, fl.smoothing_fwhm, fl.signal_scaling, fl.mask],
    ['auto', 0, 'spm', [0, 1, 2, 3], 'cosine', 0.01, 1, 'ar1', 5, 0, 'auto'],
  );
  assert.deepEqual(fl.confounds, ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z', 'global_signal', 'csf', 'white_matter']);
  assert.deepEqual(fl.contrasts, { faceVsBaseline: 'face', faceVsScene: 'face - scene', faceObjectAvg: '0.5*face + 0.5*object' });
  const g = spec.group!;
  assert.deepEqual([g.contrasts, g.input, g.mask, g.smoothing_fwhm, g.covariates], [['faceVsScene'], 'effect_size', 'auto', 5, ['age']]);
  assert.deepEqual(g.tests, { faceVsScene: 'intercept', ageEffect: 'age' });
  assert.deepEqual(
    g.inference.map((i) => [i.method, i.alpha, i.two_sided, i.n_perm, i.seed, i.stat_threshold, i.cluster_threshold]),
    [
      ['fdr', 0.05, true, 10000, 0, null, 0],
      ['bonferroni', 0.05, true, 10000, 0, null, 0],
      ['permutation', 0.05, false, 10000, 0, null, 0],
      ['cluster', 0.05, true, 10000, 0, 3.1, 20],
    ],
  );
  assert.deepEqual(spec.roi, { atlas: resolve(dir, '../atlases/labels.nii.gz'), labels: resolve(dir, '../atlases/labels.tsv'), resample: 'none', contrasts: ['faceVsScene'], input: 'effect_size', strategy: 'mean', standardize: false, confounds: true });
  assert.equal(spec.report, true);

  // The two commented-out alternatives of the example are accepted too.
  const alt = await loadSpec(file, [
    'first_level.confounds={strategy: [motion, wm_csf, scrub], motion: full, wm_csf: basic, fd_threshold: 0.5}',
    'group.inputs={faceVsScene: "../maps/sub-*_contrast-faceVsScene_stat-effect.nii.gz"}',
  ]);
  assert.deepEqual(semanticProblems(alt, { checkPaths: false }), []);
  const c = alt.spec.first_level!.confounds;
  assert.ok(!Array.isArray(c));
  assert.deepEqual([c.strategy, c.motion, c.wm_csf, c.fd_threshold, c.scrub], [['motion', 'wm_csf', 'scrub'], 'full', 'basic', 0.5, 5]);
  // a --set glob is relative to the working directory
  assert.equal(alt.spec.group!.inputs!.faceVsScene, resolve(process.cwd(), '../maps/sub-*_contrast-faceVsScene_stat-effect.nii.gz'));
});

test('anchors and aliases: problems are reported where the alias is used', async () => {
  const dir = tempDir();
  const file = writeFile(dir, 'alias.yaml', yaml(`
    glmflow: 1
    data: {bids: ., task: loc}
    first_level:
      contrasts: &con
        faceVsScene: face - scene
      smoothing_fwhm: &s 5
      noise_model: *s
    group:
      smoothing_fwhm: *s
      <<: {x: 1}
  `));
  assert.deepEqual(await problemsOf(() => loadSpec(file, [])), [
    `${file}:7:16: first_level.noise_model: got the number 5; expected 'ols' or 'arN' with N from 1 to 99 (e.g. 'ar1')`,
    `${file}:10:3: group: unknown key '<<'; expected one of: contrasts, input, inputs, mask, smoothing_fwhm, covariates, center_covariates, tests, inference`,
  ]);
  const ok = await loadSpec(file, ['first_level.noise_model=ar1', 'group.<<=null']);
  assert.equal(ok.spec.group!.smoothing_fwhm, 5);
});
