/**
 * End to end on pipelines/synth-fmriprep.yaml (fMRIPrep-style derivatives, 2 runs,
 * AR(1), 6 mm smoothing, confounds): the maps must match nilearn's reference case
 * `ar1_2runs_smooth6`, and the cache promise must hold on a 2-subject copy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { glmflow, nodesWith } from '../helpers/cli.js';
import { fixture, projectRoot } from '../helpers/paths.js';
import { compareMapFiles, compareMaskFiles, kindOfStat } from '../helpers/compare.js';

const SPEC = join(projectRoot, 'pipelines', 'synth-fmriprep.yaml');
const REF = fixture('first_level', 'ar1_2runs_smooth6');
const OUTPUT_NAMES: Record<string, string> = { z_score: 'z', stat: 't', effect_size: 'effect', effect_variance: 'variance', p_value: 'p' };

test('synth pipeline reproduces nilearn ar1_2runs_smooth6 (every contrast, every output)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-e2e-'));
  const out = join(dir, 'out');
  const r = await glmflow(['run', SPEC, '--out', out, '--cache', join(dir, 'cache'), '--ui', 'json', '--jobs', '2']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.find((e) => e.event === 'done') as any;
  assert.equal(done.ok, true);
  const failures: string[] = [];
  for (const contrast of ['face', 'faceVsScene', 'avgFaceObject']) {
    for (const [output, label] of Object.entries(OUTPUT_NAMES)) {
      const ours = join(out, 'first_level', 'sub-01', `sub-01_contrast-${contrast}_stat-${label}.nii.gz`);
      const c = await compareMapFiles(ours, join(REF, `${contrast}_${output}.nii.gz`), join(REF, 'mask.nii.gz'), kindOfStat(label));
      t.diagnostic(`${contrast} ${output}: ${c.text}`);
      if (!c.ok) failures.push(`${contrast} ${output}: ${c.text}`);
    }
  }
  assert.deepEqual(failures, []);
  const m = await compareMaskFiles(join(out, 'first_level', 'sub-01', 'sub-01_mask.nii.gz'), join(REF, 'mask.nii.gz'));
  assert.ok(m.same, `mask: ${m.extra} voxels more, ${m.missing} fewer than nilearn's`);
  for (const f of ['dataset_description.json', 'report.html', 'first_level/sub-01/sub-01_run-1_design.tsv', 'first_level/sub-01/sub-01_run-2_design.png', 'first_level/sub-01/sub-01_mask.nii.gz']) {
    assert.ok(existsSync(join(out, f)), `missing ${f}`);
  }
  const desc = JSON.parse(readFileSync(join(out, 'dataset_description.json'), 'utf8'));
  assert.equal(desc.DatasetType, 'derivative');
  assert.equal(desc.GeneratedBy[0].Name, 'glmflow');
  // the design TSV holds nilearn's columns
  const header = readFileSync(join(out, 'first_level/sub-01/sub-01_run-1_design.tsv'), 'utf8').split('\n')[0].split('\t');
  const refHeader = readFileSync(join(REF, 'design_run1.tsv'), 'utf8').split('\n')[0].split('\t').filter(Boolean);
  assert.deepEqual(header, refHeader.slice(refHeader.length - header.length));
  rmSync(dir, { recursive: true, force: true });
});

/** A 2-subject copy of the synthetic dataset (sub-02 with shifted onsets) and a spec over it. */
function twoSubjectDataset() {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-cache-'));
  const bids = join(dir, 'bids');
  cpSync(fixture('synth'), bids, { recursive: true });
  const deriv = join(bids, 'derivatives', 'fmriprep');
  cpSync(join(bids, 'sub-01'), join(bids, 'sub-02'), { recursive: true });
  cpSync(join(deriv, 'sub-01'), join(deriv, 'sub-02'), { recursive: true });
  const rename = (folder: string) => {
    for (const f of readdirSync(folder)) if (f.startsWith('sub-01')) cpSync(join(folder, f), join(folder, f.replace('sub-01', 'sub-02'))), rmSync(join(folder, f));
  };
  rename(join(bids, 'sub-02', 'func'));
  rename(join(deriv, 'sub-02', 'func'));
  for (const run of [1, 2]) {
    const ev = join(bids, 'sub-02', 'func', `sub-02_task-faces_run-${run}_events.tsv`);
    const lines = readFileSync(ev, 'utf8').trim().split('\n');
    writeFileSync(ev, [lines[0], ...lines.slice(1).map((l) => { const c = l.split('\t'); c[0] = String(Number(c[0]) + 1.5); return c.join('\t'); })].join('\n') + '\n');
  }
  writeFileSync(join(bids, 'participants.tsv'), 'participant_id\tage\nsub-01\t38\nsub-02\t41\n');
  const spec = join(dir, 'analysis.yaml');
  const text = readFileSync(SPEC, 'utf8')
    .replace('../test/fixtures/reference/synth/derivatives/fmriprep', 'bids/derivatives/fmriprep')
    .replace('../test/fixtures/reference/synth', 'bids')
    .replace('../derivatives/synth', 'out');
  writeFileSync(spec, text);
  return { dir, bids, spec, cache: join(dir, 'cache'), out: join(dir, 'out') };
}

test('cache: rerun computes 0 nodes, touching inputs computes 0, one changed contrast recomputes only its nodes', async () => {
  const d = twoSubjectDataset();
  const run = (...extra: string[]) => glmflow(['run', d.spec, '--cache', d.cache, '--ui', 'json', ...extra]);
  const first = await run();
  assert.equal(first.code, 0, first.stderr);
  const all = nodesWith(first, 'node-done');
  assert.ok(all.includes('fit/sub-02/run-2') && all.includes('contrast/sub-02/faceVsScene'));
  assert.equal(nodesWith(first, 'node-cached').length, 0);

  const second = await run();
  assert.equal(second.code, 0);
  assert.deepEqual(nodesWith(second, 'node-done'), []);
  assert.equal(nodesWith(second, 'node-cached').length, all.length);

  // touch every input file: new mtimes, same bytes
  const future = new Date(Date.now() + 3600_000);
  const touch = (folder: string) => {
    for (const f of readdirSync(folder, { recursive: true }) as string[]) {
      const p = join(folder, f);
      if (statSync(p).isFile()) utimesSync(p, future, future);
    }
  };
  touch(d.bids);
  const third = await run();
  assert.equal(third.code, 0);
  assert.deepEqual(nodesWith(third, 'node-done'), []);

  // change one contrast: only that contrast, its saved maps and the report run
  const plan = await glmflow(['plan', d.spec, '--cache', d.cache, '--ui', 'json', '--set', 'first_level.contrasts.faceVsScene=scene - face']);
  assert.equal(plan.code, 0, plan.stderr);
  const planned = plan.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const toRun = planned.filter((p) => p.status === 'run');
  // (dataset_description.json records the spec hash, so it is rewritten too)
  assert.deepEqual(toRun.map((p) => p.node).sort(), ['contrast/sub-01/faceVsScene', 'contrast/sub-02/faceVsScene', 'report', 'save/dataset', 'save/sub-01/faceVsScene', 'save/sub-01/faceVsScene/matrix', 'save/sub-02/faceVsScene', 'save/sub-02/faceVsScene/matrix']);
  const why = Object.fromEntries(toRun.map((p) => [p.node, p.reason]));
  assert.equal(why['contrast/sub-01/faceVsScene'].kind, 'params-changed');
  assert.match(why['contrast/sub-01/faceVsScene'].detail, /definition/);
  assert.equal(why['save/sub-01/faceVsScene'].kind, 'input-changed');
  assert.match(why['save/sub-01/faceVsScene'].detail, /contrast\/sub-01\/faceVsScene/);

  const fourth = await run('--set', 'first_level.contrasts.faceVsScene=scene - face');
  assert.equal(fourth.code, 0);
  assert.deepEqual(nodesWith(fourth, 'node-done'), toRun.map((p) => p.node).sort());

  // a deleted output is written again, nothing else runs
  rmSync(join(d.out, 'first_level', 'sub-02', 'sub-02_contrast-face_stat-z.nii.gz'));
  const fifth = await run('--set', 'first_level.contrasts.faceVsScene=scene - face');
  assert.deepEqual(nodesWith(fifth, 'node-done'), ['save/sub-02/face']);
  assert.ok(existsSync(join(d.out, 'first_level', 'sub-02', 'sub-02_contrast-face_stat-z.nii.gz')));
  rmSync(d.dir, { recursive: true, force: true });
});

test('a failing run fails only its dependents; the other subject finishes and stays cached (exit 1)', async () => {
  const d = twoSubjectDataset();
  const bold = join(d.bids, 'derivatives', 'fmriprep', 'sub-02', 'func', 'sub-02_task-faces_run-1_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz');
  const good = readFileSync(bold);
  truncateSync(bold, Math.floor(good.length / 2));
  const r = await glmflow(['run', d.spec, '--cache', d.cache, '--ui', 'json']);
  assert.equal(r.code, 1);
  const failed = r.events.filter((e) => e.event === 'node-failed') as any[];
  assert.deepEqual(failed.map((e) => e.node), ['fit/sub-02/run-1']);
  assert.match(failed[0].error, /sub-02_task-faces_run-1_space-MNI152NLin2009cAsym_desc-preproc_bold\.nii\.gz/);
  assert.ok(!/\n\s+at /.test(failed[0].error), 'no stack trace for a user error');
  const skipped = nodesWith(r, 'node-skipped');
  assert.ok(skipped.includes('contrast/sub-02/face') && skipped.includes('report'));
  assert.ok(existsSync(join(d.out, 'first_level', 'sub-01', 'sub-01_contrast-faceVsScene_stat-z.nii.gz')));
  assert.ok(!existsSync(join(d.out, 'first_level', 'sub-02', 'sub-02_contrast-faceVsScene_stat-z.nii.gz')));
  // repair the file: only sub-02's fit of run 1 and what depends on it run
  writeFileSync(bold, good);
  const again = await glmflow(['run', d.spec, '--cache', d.cache, '--ui', 'json']);
  assert.equal(again.code, 0);
  const ran = nodesWith(again, 'node-done');
  assert.ok(ran.includes('fit/sub-02/run-1'));
  assert.ok(ran.every((id) => id.includes('sub-02') || id === 'report'), ran.join(', '));
  rmSync(d.dir, { recursive: true, force: true });
});

test('invalid data is reported before computing, naming the file, with exit 2', async () => {
  const d = twoSubjectDataset();
  const missing = await glmflow(['run', d.spec, '--cache', d.cache, '--set', 'data.subjects=["01", "07"]']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /07/);
  assert.ok(!existsSync(d.cache + '/objects') || readdirSync(d.cache + '/objects').length === 0);

  const badSet = await glmflow(['validate', d.spec, '--set', 'first_level.contrasts.faceVsHouse=face - house']);
  assert.equal(badSet.code, 2);
  assert.match(badSet.stderr, /--set first_level\.contrasts\.faceVsHouse=face - house: .*house/);
  // the same mistake written in the spec file is reported at its line and column
  const specText = readFileSync(d.spec, 'utf8');
  writeFileSync(d.spec, specText.replace('    avgFaceObject:', '    faceVsHouse: face - house\n    avgFaceObject:'));
  const line = specText.split('\n').findIndex((l) => l.includes('avgFaceObject:')) + 1;
  const badColumn = await glmflow(['validate', d.spec]);
  assert.equal(badColumn.code, 2);
  assert.match(badColumn.stderr, new RegExp(`analysis\\.yaml:${line}:5: first_level\\.contrasts\\.faceVsHouse: .*"house"`));
  assert.match(badColumn.stderr, /columns: face, object, scene, trans_x/, 'lists the design columns');
  writeFileSync(d.spec, specText);

  const naColumn = await glmflow(['validate', d.spec, '--set', 'first_level.confounds=[trans_x, trans_x_derivative1]']);
  assert.equal(naColumn.code, 2);
  assert.match(naColumn.stderr, /trans_x_derivative1/);
  assert.match(naColumn.stderr, /desc-confounds_timeseries\.tsv/);
  assert.ok(!/\n\s+at /.test(naColumn.stderr), 'no stack trace');
  rmSync(d.dir, { recursive: true, force: true });
});

test('sessions: runs of every session are found, named with ses- and combined; data.sessions selects', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-ses-'));
  const bids = join(dir, 'bids');
  const src = fixture('synth');
  const deriv = join(bids, 'derivatives', 'fmriprep');
  for (const ses of ['a', 'b']) {
    for (const [from, to] of [[join(src, 'sub-01', 'func'), join(bids, 'sub-01', `ses-${ses}`, 'func')], [join(src, 'derivatives', 'fmriprep', 'sub-01', 'func'), join(deriv, 'sub-01', `ses-${ses}`, 'func')]]) {
      for (const f of readdirSync(from)) {
        if (!f.includes('run-1')) continue;
        cpSync(join(from, f), join(to, f.replace('sub-01_', `sub-01_ses-${ses}_`)));
      }
    }
  }
  cpSync(join(src, 'dataset_description.json'), join(bids, 'dataset_description.json'));
  cpSync(join(src, 'derivatives', 'fmriprep', 'dataset_description.json'), join(deriv, 'dataset_description.json'));
  const spec = join(dir, 'ses.yaml');
  writeFileSync(spec, readFileSync(SPEC, 'utf8')
    .replace('../test/fixtures/reference/synth/derivatives/fmriprep', 'bids/derivatives/fmriprep')
    .replace('../test/fixtures/reference/synth', 'bids')
    .replace('../derivatives/synth', 'out'));
  const graph = await glmflow(['graph', spec]);
  assert.equal(graph.code, 0, graph.stderr);
  assert.match(graph.stdout, /fit\/sub-01\/ses-a\/run-1/);
  assert.match(graph.stdout, /fit\/sub-01\/ses-b\/run-1/);
  const r = await glmflow(['run', spec, '--cache', join(dir, 'cache'), '--ui', 'json', '--set', 'report=false']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'out', 'first_level', 'sub-01', 'sub-01_ses-b_run-1_design.tsv')));
  assert.ok(existsSync(join(dir, 'out', 'first_level', 'sub-01', 'sub-01_contrast-faceVsScene_stat-z.nii.gz')));
  const one = await glmflow(['graph', spec, '--set', 'data.sessions=[b]']);
  assert.equal(one.code, 0, one.stderr);
  assert.ok(!one.stdout.includes('ses-a') && one.stdout.includes('ses-b'));
  const bad = await glmflow(['validate', spec, '--set', 'data.sessions=[c]']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /session 'c' not found .*sessions: a, b/);
  rmSync(dir, { recursive: true, force: true });
});
