/**
 * Models that cannot estimate what was asked are refused before anything is computed
 * (issue 8, items 5, 6, 12, 14 and their siblings), through the CLI as a user runs it:
 * exit 2, a message naming the spec key and line, the run or test and the numbers, no stack
 * trace, no output folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { glmflow, type CliResult } from '../helpers/cli.js';
import { examplesDir, fixture } from '../helpers/paths.js';

const noStack = (s: string) => assert.ok(!/\n\s+at .+:\d+:\d+/.test(s), `stack trace in: ${s}`);

function refused(r: CliResult, out: string): void {
  assert.equal(r.code, 2, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /^glmflow: /);
  noStack(r.stderr);
  assert.doesNotMatch(r.stderr, /Invalid typed array length|internal error/);
  assert.equal(existsSync(out), false, 'nothing is written before the refusal');
}

/** Line (1-based) of the first line of `text` containing `needle`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

/** A temp folder with a spec file written from YAML text; returns paths. */
function specFile(prefix: string, yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), `glmflow-${prefix}-`));
  const file = join(dir, 'spec.yaml');
  writeFileSync(file, yaml.replaceAll('$DIR', dir));
  return { dir, file, out: join(dir, 'out'), cache: join(dir, 'cache'), text: readFileSync(file, 'utf8') };
}

const localizer = (firstLevelExtra: string) => `glmflow: 1
name: refusal
data:
  bids: ${join(examplesDir, 'studyforrest-localizer')}
  task: localizer
output: $DIR/out
first_level:
  t_r: auto
  hrf_model: spm
  noise_model: ar1
  mask: auto
${firstLevelExtra}  contrasts:
    faceVsScene: face - scene
report: false
`;

test('group: a constant covariate, uncentred or centred, is refused naming the test and the column', async () => {
  const inputs = fixture('second_level', 'inputs');
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-constcov-'));
  const bids = join(dir, 'bids');
  // the 14 subjects of the reference inputs, all aged 38
  const ids = Array.from({ length: 14 }, (_, i) => `sub-${String(i + 1).padStart(2, '0')}`);
  mkdirSync(bids);
  writeFileSync(join(bids, 'participants.tsv'), ['participant_id\tage\tsex', ...ids.map((s, i) => `${s}\t38\t${i % 2}`)].join('\n') + '\n');
  writeFileSync(join(bids, 'dataset_description.json'), JSON.stringify({ Name: 'x', BIDSVersion: '1.8.0' }));
  for (const center of [false, true]) {
    const file = join(dir, `group-${center}.yaml`);
    const out = join(dir, `out-${center}`);
    writeFileSync(file, stringify({
      glmflow: 1, name: 'constcov', data: { bids }, output: out,
      group: {
        contrasts: ['faceVsScene'],
        inputs: { faceVsScene: join(inputs, 'sub-*_contrast-faceVsScene_stat-effect.nii.gz') },
        mask: join(inputs, 'group_mask.nii.gz'),
        covariates: ['age'], center_covariates: center,
        tests: { faceVsScene: 'intercept', ageEffect: 'age' },
      },
      report: false,
    }));
    const text = readFileSync(file, 'utf8');
    const r = await glmflow(['run', file, '--cache', join(dir, 'cache'), '--ui', 'plain']);
    refused(r, out);
    const ageLine = lineOf(text, 'ageEffect: age');
    assert.match(r.stderr, new RegExp(`group-${center}\\.yaml:${ageLine}:\\d+: group\\.tests\\.ageEffect: test 'ageEffect' \\(age\\) cannot be estimated`));
    assert.match(r.stderr, /covariate 'age' is 38 for all 14 subjects of 'faceVsScene'/);
    // uncentred, the intercept is confounded with age too; centred, the intercept test is fine
    const interceptRefused = /test 'faceVsScene' \(intercept\) cannot be estimated/.test(r.stderr);
    assert.equal(interceptRefused, !center, r.stderr);
  }

  // a covariate that varies is accepted (the same spec with 'sex'), so the check is not blanket
  const file = join(dir, 'ok.yaml');
  writeFileSync(file, stringify({
    glmflow: 1, name: 'ok', data: { bids }, output: join(dir, 'out-ok'),
    group: {
      contrasts: ['faceVsScene'], inputs: { faceVsScene: join(inputs, 'sub-*_contrast-faceVsScene_stat-effect.nii.gz') },
      mask: join(inputs, 'group_mask.nii.gz'), covariates: ['sex'], tests: { faceVsScene: 'intercept', sexEffect: 'sex' },
    },
    report: false,
  }));
  const ok = await glmflow(['validate', file]);
  assert.equal(ok.code, 0, ok.stderr);
  rmSync(dir, { recursive: true, force: true });
});

test('first level: polynomial drift of order 200 on the 156-scan localizer is refused at once, naming run, scans and columns', async () => {
  const s = specFile('drift', localizer('  drift_model: polynomial\n  drift_order: 200\n'));
  const start = performance.now();
  const r = await glmflow(['run', s.file, '--cache', s.cache, '--ui', 'plain']);
  const seconds = (performance.now() - start) / 1000;
  refused(r, s.out);
  assert.match(r.stderr, new RegExp(`spec\\.yaml:${lineOf(s.text, 'drift_order')}:\\d+: first_level\\.drift_order: sub-01 run-1: the design has 207 columns .*201 drift columns.* but the run has 156 scans`));
  assert.ok(seconds < 30, `refused after ${seconds.toFixed(1)} s`);
  rmSync(s.dir, { recursive: true, force: true });
});

test('first level: few residual dof warn; an AR order the residual dof cannot carry is refused', async () => {
  // 6 conditions + cosine drift up to 0.226 Hz (floor(2 * 156 * 0.226 * 2) = 141 cosines and the
  // constant) = 148 orthogonal-enough columns on 156 scans: 8 residual dof
  const warn = specFile('fewdof', localizer('  drift_model: cosine\n  high_pass: 0.226\n'));
  const w = await glmflow(['validate', warn.file]);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stderr, /glmflow: warning: sub-01 run-1: only 8 residual degrees of freedom \(156 scans, 148 columns, rank 148\)/);
  const ar = specFile('ardof', localizer('  drift_model: cosine\n  high_pass: 0.226\n').replace('noise_model: ar1', 'noise_model: ar9'));
  const r = await glmflow(['validate', ar.file]);
  refused(r, ar.out);
  assert.match(r.stderr, new RegExp(`spec\\.yaml:${lineOf(ar.text, 'noise_model')}:\\d+: first_level\\.noise_model: sub-01 run-1: ar9 needs more residual degrees of freedom than its order, the design leaves 8`));
  for (const d of [warn, ar]) rmSync(d.dir, { recursive: true, force: true });
});

test('first level: a contrast on a regressor that is zero in the run is refused naming the contrast, run and column', async () => {
  // FIR delay 150 scans: the face events all start before scan 6, so face_delay_150 is 0 throughout
  const s = specFile('fir', localizer('  hrf_model: fir\n  fir_delays: [0, 150]\n').replace('  hrf_model: spm\n', '').replace('face - scene', 'face_delay_150 - scene_delay_0'));
  const r = await glmflow(['validate', s.file]);
  refused(r, s.out);
  assert.match(r.stderr, new RegExp(`spec\\.yaml:${lineOf(s.text, 'faceVsScene:')}:\\d+: first_level\\.contrasts\\.faceVsScene: contrast 'faceVsScene' cannot be estimated .* sub-01 run-1: column 'face_delay_150' is zero for every scan used`));
  rmSync(s.dir, { recursive: true, force: true });
});

/** The synthetic fMRIPrep dataset with std_dvars added and framewise displacement set by `fd(t)`. */
function scrubDataset(fd: (t: number) => number) {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-scrub-'));
  const bids = join(dir, 'bids');
  cpSync(fixture('synth'), bids, { recursive: true });
  const conf = join(bids, 'derivatives', 'fmriprep', 'sub-01', 'func', 'sub-01_task-faces_run-1_desc-confounds_timeseries.tsv');
  const lines = readFileSync(conf, 'utf8').trim().split('\n');
  const col = lines[0].split('\t').indexOf('framewise_displacement');
  const out = [lines[0] + '\tstd_dvars'];
  lines.slice(1).forEach((l, t) => {
    const c = l.split('\t');
    if (t > 0) c[col] = String(fd(t));
    out.push(c.join('\t') + '\t' + (t === 0 ? 'n/a' : '1.0'));
  });
  writeFileSync(conf, out.join('\n') + '\n');
  return { dir, bids };
}

function scrubSpec(d: { dir: string; bids: string }, strategy: Record<string, unknown>) {
  const file = join(d.dir, 'scrub.yaml');
  writeFileSync(file, stringify({
    glmflow: 1, name: 'scrub',
    data: { bids: d.bids, derivatives: join(d.bids, 'derivatives', 'fmriprep'), task: 'faces', space: 'MNI152NLin2009cAsym', runs: ['1'] },
    output: join(d.dir, 'out'),
    first_level: { t_r: 2, hrf_model: 'spm', noise_model: 'ols', mask: 'derivatives', confounds: strategy, contrasts: { faceVsScene: 'face - scene' } },
    report: false,
  }));
  return { file, text: readFileSync(file, 'utf8'), out: join(d.dir, 'out') };
}

test('scrubbing that removes every volume, or leaves fewer scans than columns, is refused naming the run and the thresholds', async () => {
  // every FD above 0.1 mm: all volumes but the first are outliers, and the first is a segment shorter than 5
  const all = scrubDataset(() => 0.3);
  const s = scrubSpec(all, { strategy: ['motion', 'scrub'], motion: 'basic', fd_threshold: 0.1, std_dvars_threshold: 3, scrub: 5 });
  const r = await glmflow(['run', s.file, '--cache', join(all.dir, 'cache'), '--ui', 'plain']);
  refused(r, s.out);
  assert.match(r.stderr, new RegExp(`scrub\\.yaml:${lineOf(s.text, 'confounds:')}:\\d+: first_level\\.confounds: sub-01 run-1: the confounds strategy removes all 110 volumes of .*sub-01_task-faces_run-1_space-MNI152NLin2009cAsym_desc-preproc_bold\\.nii\\.gz \\(fd_threshold 0\\.1 mm, std_dvars_threshold 3, scrub 5\\)`));
  assert.doesNotMatch(r.stderr, /meanScaling/);

  // only volumes 1..12 below threshold (and volume 0, whose FD is n/a): 13 kept scans for
  // 3 conditions + 6 motion + 5 drift columns
  const few = scrubDataset((t) => (t <= 12 ? 0.05 : 0.3));
  const f = scrubSpec(few, { strategy: ['motion', 'scrub'], motion: 'basic', fd_threshold: 0.1, std_dvars_threshold: 3, scrub: 0 });
  const rf = await glmflow(['validate', f.file]);
  refused(rf, f.out);
  assert.match(rf.stderr, /first_level\.confounds: sub-01 run-1: the design has 14 columns \(3 event regressors, 6 confounds, 5 drift columns \(cosine, constant included\)\) but the run has 13 scans left after censoring 97 of 110 \(fd_threshold 0\.1 mm, std_dvars_threshold 3, scrub 0\)/);
  for (const d of [all, few]) rmSync(d.dir, { recursive: true, force: true });
});

test('absurd sizes are refused by the schema naming the key and line, never "Invalid typed array length"', async () => {
  // all in one spec: every schema problem is reported at once
  const s = specFile('sizes', localizer([
    '  drift_model: polynomial', '  drift_order: 1000000000', '  hrf_model: fir', '  fir_delays: [0, 100000000]',
    '  smoothing_fwhm: 1000000000', '  min_onset: -1000000000', '',
  ].join('\n')).replace('  t_r: auto\n', '  t_r: 0.000000001\n').replace('  hrf_model: spm\n', ''));
  const r0 = await glmflow(['validate', s.file]);
  refused(r0, s.out);
  const expected: [string, RegExp][] = [
    ['drift_order', /first_level\.drift_order: 1000000000 is out of range; expected an integer from 0 to 1000$/m],
    ['fir_delays', /first_level\.fir_delays\.1: 100000000 is out of range; expected an integer number of scans from 0 to 1000$/m],
    ['smoothing_fwhm', /first_level\.smoothing_fwhm: 1000000000 is out of range; expected a FWHM in mm from 0 to 200$/m],
    ['min_onset', /first_level\.min_onset: -1000000000 is out of range; expected a number of seconds from -3600 to 0$/m],
    ['t_r', /first_level\.t_r: 1e-9 is out of range; expected a number of seconds from 0\.001 to 100$/m],
  ];
  for (const [key, message] of expected) {
    assert.match(r0.stderr, message);
    const line = r0.stderr.split('\n').find((l) => message.test(l))!;
    assert.match(line, new RegExp(`spec\\.yaml:${lineOf(s.text, `${key}:`)}:\\d+: `), line);
  }
  rmSync(s.dir, { recursive: true, force: true });
  // n_perm of a group permutation test
  const inputs = fixture('second_level', 'inputs');
  const g = specFile('nperm', stringify({
    glmflow: 1, name: 'nperm', output: '$DIR/out',
    group: {
      contrasts: ['faceVsScene'], inputs: { faceVsScene: join(inputs, 'sub-*_contrast-faceVsScene_stat-effect.nii.gz') },
      inference: [{ method: 'permutation', n_perm: 1000000000 }],
    },
    report: false,
  }));
  const r = await glmflow(['validate', g.file]);
  refused(r, g.out);
  assert.match(r.stderr, new RegExp(`spec\\.yaml:${lineOf(g.text, 'n_perm')}:\\d+: group\\.inference\\.0\\.n_perm: 1000000000 is out of range; expected an integer from 1 to 1000000`));
  rmSync(g.dir, { recursive: true, force: true });
});

test("an absurd t_r from the sidecar ('auto') gets the schema's limits too", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-tr-'));
  const src = join(examplesDir, 'studyforrest-localizer');
  const func = join(dir, 'bids', 'sub-01', 'func');
  mkdirSync(func, { recursive: true });
  cpSync(join(src, 'dataset_description.json'), join(dir, 'bids', 'dataset_description.json'));
  symlinkSync(join(src, 'sub-01', 'func', 'sub-01_task-localizer_run-1_bold.nii.gz'), join(func, 'sub-01_task-localizer_run-1_bold.nii.gz'));
  cpSync(join(src, 'sub-01', 'func', 'sub-01_task-localizer_run-1_events.tsv'), join(func, 'sub-01_task-localizer_run-1_events.tsv'));
  writeFileSync(join(func, 'sub-01_task-localizer_run-1_bold.json'), JSON.stringify({ RepetitionTime: 1e-7, TaskName: 'localizer' }));
  const file = join(dir, 'spec.yaml');
  writeFileSync(file, localizer('').replace(`bids: ${src}`, `bids: ${join(dir, 'bids')}`).replaceAll('$DIR', dir));
  const r = await glmflow(['validate', file]);
  refused(r, join(dir, 'out'));
  assert.match(r.stderr, /first_level\.t_r: sub-01 run-1: the repetition time of .*sub-01_task-localizer_run-1_bold\.nii\.gz is 1e-7 s; expected 0\.001 to 100 s/);
  rmSync(dir, { recursive: true, force: true });
});
