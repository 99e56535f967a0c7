import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadSpec } from '../../src/spec/load.js';
import { positionOf, problemAt, semanticProblems } from '../../src/spec/semantic.js';
import { tempDir, writeFile, yaml } from './helpers.js';

test('cross-section and per-option problems, each at the offending key', async () => {
  const dir = tempDir();
  const file = writeFile(dir, 'sem.yaml', yaml(`
    glmflow: 1
    data:
      bids: .
      task: localizer
    first_level:
      hrf_model: fir
      drift_model: polynomial
      mask: derivatives
      confounds: [trans_x]
      contrasts:
        faceVsScene: face - scene
        FaceVsScene: face
        ragged: [[1, 0], [0, 1, 0]]
        mixed: [1, [0, 1]]
        zero: [0, 0]
    group:
      contrasts: [faceVsScen, faceVsScene]
      covariates: [age, intercept]
      tests: {m: intercept, a: agee, c: 2*age + 1, d: "age +", e: age*age}
      inference:
        - {method: fdr, n_perm: 5}
        - {method: cluster, stat_threshold: 3.1, height_control: fdr}
        - {method: fdr}
        - {method: none, alpha: 0.01}
    roi:
      atlas: atlas.nii.gz
      contrasts: [faceVsScene, nope]
  `));
  const l = await loadSpec(file, []);
  const f = file;
  assert.deepEqual(semanticProblems(l, { checkPaths: false }), [
    `${f}:6:14: first_level.hrf_model: hrf_model 'fir' needs fir_delays; expected e.g. fir_delays: [0, 1, 2, 3] (delays in scans)`,
    `${f}:7:16: first_level.drift_model: drift_model 'polynomial' needs drift_order; expected e.g. drift_order: 1`,
    `${f}:8:9: first_level.mask: 'derivatives' uses the brain mask beside the preprocessed BOLD; expected data.derivatives to be set`,
    `${f}:9:3: first_level.confounds: confounds are read from the fMRIPrep confounds files; expected data.derivatives to be set`,
    `${f}:12:5: first_level.contrasts.FaceVsScene: contrast names 'faceVsScene' and 'FaceVsScene' differ only in case; expected distinct names (output files would collide on case-insensitive file systems)`,
    `${f}:13:13: first_level.contrasts.ragged: rows have different lengths (2, 3); expected a matrix with rows of equal length`,
    `${f}:14:12: first_level.contrasts.mixed: mixes numbers and rows; expected a weight vector [1, -1, ...] or a matrix [[1, 0], [0, 1]]`,
    `${f}:15:11: first_level.contrasts.zero: all weights are zero; expected at least one non-zero weight`,
    `${f}:17:15: group.contrasts.0: unknown contrast 'faceVsScen' (did you mean 'faceVsScene'?); expected one of the first_level contrasts: faceVsScene, FaceVsScene, ragged, mixed, zero`,
    `${f}:18:21: group.covariates.1: 'intercept' is added automatically; expected participants.tsv columns only`,
    `${f}:19:28: group.tests.a: unknown name 'agee' in 'agee' (did you mean 'age'?); expected 'intercept' or a covariate listed in group.covariates (age, intercept)`,
    `${f}:19:37: group.tests.c: '2*age + 1' has a constant term; expected a combination of intercept and covariates`,
    `${f}:19:51: group.tests.d: cannot read the expression 'age +': Expected a column name, a number or '(' but found end of expression at column 6 of contrast "age +"; expected e.g. intercept, age, or 0.5*intercept + age`,
    `${f}:19:63: group.tests.e: cannot read the expression 'age*age': The contrast must be a linear combination of design columns (product of two columns) at column 4 of contrast "age*age"; expected e.g. intercept, age, or 0.5*intercept + age`,
    `${f}:21:21: group.inference.0.n_perm: n_perm does not apply to method 'fdr'; expected it only with method permutation`,
    `${f}:22:46: group.inference.1.height_control: height_control 'fdr' conflicts with stat_threshold; expected one of them (stat_threshold means height_control: none)`,
    `${f}:23:16: group.inference.2.method: method 'fdr' is already used by group.inference.0; expected each method once (they write the same output files)`,
    `${f}:24:22: group.inference.3.alpha: alpha does not apply to method 'none' (it thresholds at stat_threshold); expected no alpha`,
    `${f}:27:28: roi.contrasts.1: unknown contrast 'nope'; expected one of the first_level contrasts: faceVsScene, FaceVsScene, ragged, mixed, zero`,
  ]);
});

test('sections that need each other', async () => {
  const dir = tempDir();
  const f1 = writeFile(dir, 'a.yaml', 'glmflow: 1\nname: empty\n');
  assert.deepEqual(semanticProblems(await loadSpec(f1, []), { checkPaths: false }), [
    `${f1}:1:1: nothing to compute; expected a first_level section (or group with inputs)`,
  ]);
  const f2 = writeFile(dir, 'b.yaml', yaml(`
    glmflow: 1
    first_level:
      contrasts: {a: face}
    group:
      covariates: [age]
    roi:
      atlas: x.nii.gz
  `));
  assert.deepEqual(semanticProblems(await loadSpec(f2, []), { checkPaths: false }), [
    `${f2}:2:1: first_level: needs the data section; expected data: {bids: <BIDS folder>, task: <task label>}`,
    `${f2}:5:3: group.covariates: covariates are read from participants.tsv; expected data.bids to be set`,
  ]);
  const f3 = writeFile(dir, 'c.yaml', 'glmflow: 1\ngroup:\n  smoothing_fwhm: 4\nroi:\n  atlas: x.nii.gz\n');
  assert.deepEqual(semanticProblems(await loadSpec(f3, []), { checkPaths: false }), [
    `${f3}:2:1: group: needs first_level (or group.inputs pointing at existing maps)`,
    `${f3}:4:1: roi: needs first_level (the ROI analysis summarises first-level maps)`,
  ]);
  // group-only pipeline over existing maps: fine without data/first_level
  const f4 = writeFile(dir, 'd.yaml', 'glmflow: 1\ngroup:\n  inputs: {faceVsScene: "maps/*.nii.gz"}\n  tests: {faceVsScene: intercept}\n');
  const l4 = await loadSpec(f4, []);
  assert.deepEqual(semanticProblems(l4, { checkPaths: false }), []);
  assert.deepEqual(l4.spec.group!.contrasts, ['faceVsScene']);
  // compcor needs high_pass (nilearn load_confounds)
  const f5 = writeFile(dir, 'e.yaml', yaml(`
    glmflow: 1
    data: {bids: ., task: x, derivatives: .}
    first_level:
      confounds: {strategy: [motion, compcor]}
      contrasts: {a: face}
  `));
  assert.deepEqual(semanticProblems(await loadSpec(f5, []), { checkPaths: false }), [
    `${f5}:4:25: first_level.confounds.strategy: 'compcor' needs 'high_pass' in the strategy (as nilearn load_confounds requires)`,
  ]);
});

test('paths that must exist; globs must match', async () => {
  const dir = tempDir();
  writeFile(dir, 'bids/participants.tsv', 'participant_id\tage\nsub-01\t30\n');
  writeFile(dir, 'maps/sub-01_effect.nii.gz', 'x');
  writeFile(dir, 'atlas.nii.gz', 'x');
  const spec = yaml(`
    glmflow: 1
    data:
      bids: bids
      derivatives: derivs
      task: localizer
    first_level:
      mask: mask.nii.gz
      contrasts: {a: face}
    group:
      inputs: {b: "maps/sub-*_effect.nii.gz", c: "maps/sub-*_nothing.nii.gz"}
      contrasts: [a, b, c]
      covariates: [age]
      mask: bids
    roi:
      atlas: atlas.nii.gz
      labels: labels.tsv
  `);
  const file = writeFile(dir, 'spec.yaml', spec);
  const l = await loadSpec(file, []);
  const f = file;
  assert.deepEqual(semanticProblems(l), [
    `${f}:4:16: data.derivatives: folder not found: ${join(dir, 'derivs')}; expected an existing folder ('derivs' is resolved against the spec's folder ${dir})`,
    `${f}:7:9: first_level.mask: file not found: ${join(dir, 'mask.nii.gz')}; expected an existing file ('mask.nii.gz' is resolved against the spec's folder ${dir})`,
    `${f}:10:46: group.inputs.c: no file matches ${join(dir, 'maps/sub-*_nothing.nii.gz')}; expected a glob matching one map per subject ('maps/sub-*_nothing.nii.gz' is resolved against the spec's folder ${dir})`,
    `${f}:13:9: group.mask: file is not a file: ${join(dir, 'bids')}; expected an existing file ('bids' is resolved against the spec's folder ${dir})`,
    `${f}:16:11: roi.labels: file not found: ${join(dir, 'labels.tsv')}; expected an existing file ('labels.tsv' is resolved against the spec's folder ${dir})`,
  ]);
  // the same problem from a --set value names the argument
  const o = await loadSpec(file, ['roi.labels=/no/labels.tsv', 'data.derivatives=bids', 'first_level.mask=auto', 'group.mask=auto', 'group.inputs.c=maps/*.nii.gz'], { cwd: dir });
  assert.deepEqual(semanticProblems(o), ['--set roi.labels=/no/labels.tsv: file not found: /no/labels.tsv; expected an existing file']);
  // participants.tsv is needed for covariates
  const p = writeFile(dir, 'p/spec.yaml', spec.replace('bids: bids', 'bids: ../maps').replace('derivatives: derivs', 'derivatives: ../maps'));
  const lp = await loadSpec(p, ['first_level.mask=auto', 'group.mask=auto', 'roi=null', 'group.inputs=null', 'group.contrasts=[a]']);
  assert.deepEqual(semanticProblems(lp), [
    `${p}:12:3: group.covariates: covariates are read from ${join(dir, 'maps', 'participants.tsv')}, which does not exist; expected a participants.tsv in the BIDS folder`,
  ]);
});

test('positionOf and problemAt locate keys and values for data-dependent checks', async () => {
  const dir = tempDir();
  const file = writeFile(dir, 'spec.yaml', yaml(`
    glmflow: 1
    data:
      bids: .
      task: localizer
      subjects: ["01", "03"]
    first_level:
      contrasts: {a: face}
  `));
  const l = await loadSpec(file, ['first_level.noise_model=ols']);
  assert.deepEqual(positionOf(l, ['data', 'subjects']), { line: 5, col: 3 });
  assert.deepEqual(positionOf(l, ['data', 'subjects'], 'value'), { line: 5, col: 13 });
  assert.deepEqual(positionOf(l, ['data', 'subjects', 1]), { line: 5, col: 20 });
  assert.deepEqual(positionOf(l, ['first_level', 'contrasts', 'a'], 'value'), { line: 7, col: 18 });
  // a path that does not exist falls back to its deepest existing ancestor
  assert.deepEqual(positionOf(l, ['first_level', 't_r']), { line: 6, col: 1 });
  assert.deepEqual(positionOf(l, ['first_level', 'noise_model']), { line: 0, col: 0, override: '--set first_level.noise_model=ols' });
  assert.equal(
    problemAt(l, ['data', 'subjects', 1], "subject '03' has no folder sub-03; expected one of: 01", 'value'),
    `${file}:5:20: data.subjects.1: subject '03' has no folder sub-03; expected one of: 01`,
  );
  assert.equal(problemAt(l, ['first_level', 'noise_model'], 'x'), '--set first_level.noise_model=ols: x');
});

test('first_level needs data.task; a group-only pipeline does not', async () => {
  const dir = tempDir();
  const f1 = writeFile(dir, 'a.yaml', yaml(`
    glmflow: 1
    data:
      bids: .
    first_level:
      contrasts: {a: face}
  `));
  assert.deepEqual(semanticProblems(await loadSpec(f1, []), { checkPaths: false }), [
    `${f1}:2:1: data: missing required key 'task' (needed by first_level); expected a BIDS task label (letters and digits only, without 'task-')`,
  ]);
});

test('roi: atlas or masks (or both); mask names, {subject} placeholders and fixed mask paths are checked', async () => {
  const dir = tempDir();
  const f = writeFile(dir, 'roi.yaml', yaml(`
    glmflow: 1
    data: {bids: ., task: x}
    first_level:
      contrasts: {a: face}
    roi:
      contrasts: [a]
  `));
  assert.deepEqual(semanticProblems(await loadSpec(f, []), { checkPaths: false }), [
    `${f}:5:1: roi: missing required key 'atlas' or 'masks'; expected a label image (atlas), a mapping of ROI name -> mask file (masks), or both`,
  ]);
  const g = writeFile(dir, 'masks.yaml', yaml(`
    glmflow: 1
    data: {bids: ., task: x}
    first_level:
      contrasts: {a: face}
    roi:
      masks:
        FFA: rois/sub-{subject}/sub-{subject}_roi-FFA_mask.nii.gz
        ffa: rois/sub-{session}_ffa.nii.gz
        V1: rois/V1.nii.gz
      resample: nearest
  `));
  const l = await loadSpec(g, []);
  assert.equal(l.spec.roi!.masks!.FFA, join(dir, 'rois/sub-{subject}/sub-{subject}_roi-FFA_mask.nii.gz'), 'relative to the spec folder, {subject} kept');
  assert.equal(l.spec.roi!.resample, 'nearest');
  assert.deepEqual(semanticProblems(l), [
    `${g}:8:5: roi.masks.ffa: ROI names 'FFA' and 'ffa' differ only in case; expected distinct names (output files would collide on case-insensitive file systems)`,
    `${g}:8:10: roi.masks.ffa: unknown placeholder {session} in ${join(dir, 'rois/sub-{session}_ffa.nii.gz')}; expected only {subject} (replaced by each subject's label, e.g. 01)`,
    `${g}:9:9: roi.masks.V1: file not found: ${join(dir, 'rois/V1.nii.gz')}; expected an existing file ('rois/V1.nii.gz' is resolved against the spec's folder ${dir})`,
  ]);
  // schema: names are labels, resample is none | nearest
  const h = writeFile(dir, 'bad.yaml', yaml(`
    glmflow: 1
    data: {bids: ., task: x}
    first_level:
      contrasts: {a: face}
    roi:
      masks: {"1x": a.nii.gz}
      resample: linear
  `));
  await assert.rejects(loadSpec(h, []), (e: unknown) => {
    const texts = ((e as { problems?: string[] }).problems ?? []).join('\n');
    assert.match(texts, /:6:11: roi\.masks: invalid name '1x'/);
    assert.match(texts, /:7:13: roi\.resample: invalid value 'linear'; expected 'none' or 'nearest'/);
    return true;
  });
});
