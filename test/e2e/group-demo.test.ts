/**
 * The README's group demo: `glmflow simulate` + pipelines/group-demo.yaml, end to end
 * through first level -> group (intercept and age) -> every inference method ->
 * cluster tables (with atlas labels) -> ROI tables; checked against the known truth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { glmflow } from '../helpers/cli.js';
import { projectRoot } from '../helpers/paths.js';
import { readTsv } from '../../src/io/tsv.js';
import { checkReportInBrowser } from '../helpers/report-browser.js';

test('group demo on simulated data finds the face region (mean and age effect) and both scene regions', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-groupdemo-'));
  const sim = await glmflow(['simulate', join(dir, 'sim')]);
  assert.equal(sim.code, 0, sim.stderr);
  const spec = join(dir, 'group-demo.yaml');
  writeFileSync(spec, readFileSync(join(projectRoot, 'pipelines', 'group-demo.yaml'), 'utf8').replaceAll('../examples/sim', 'sim').replace('../derivatives/group-demo', 'out'));
  const r = await glmflow(['run', spec, '--cache', join(dir, 'cache'), '--ui', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const done = r.events.find((e) => e.event === 'done') as any;
  t.diagnostic(`${done.computed} nodes in ${done.seconds.toFixed(1)} s`);
  const g = join(dir, 'out', 'group_level');

  const mean = await readTsv(join(g, 'group_contrast-faceVsScene_clusters.tsv'));
  const labels = mean.raw('Label');
  const peaks = mean.numeric('Peak Stat');
  const main = (name: string) => labels.findIndex((l, i) => l === name && !/[a-z]/.test(mean.raw('Cluster ID')[i]!));
  assert.ok(main('face_region') >= 0 && peaks[main('face_region')] > 4, 'positive face cluster');
  assert.ok(main('scene_left') >= 0 && peaks[main('scene_left')] < -4, 'negative left scene cluster');
  assert.ok(main('scene_right') >= 0 && peaks[main('scene_right')] < -4, 'negative right scene cluster');
  assert.ok(!labels.includes('control'));

  const age = await readTsv(join(g, 'group_contrast-ageEffect_clusters.tsv'));
  assert.ok(age.nRows > 0);
  assert.ok(age.raw('Label').every((l) => l === 'face_region'), `age clusters: ${age.raw('Label').join(', ')}`);

  for (const method of ['fdr', 'bonferroni', 'permutation', 'cluster']) {
    const side = JSON.parse(readFileSync(join(g, `group_contrast-faceVsScene_stat-z_${method}-corrected.json`), 'utf8'));
    t.diagnostic(`faceVsScene ${method}: ${side.SignificantVoxels} voxels, threshold ${side.Threshold}`);
    assert.ok(side.SignificantVoxels > 0, method);
  }
  for (const m of ['maxt', 'size', 'mass', 'tfce']) assert.ok(existsSync(join(g, `group_contrast-faceVsScene_stat-logp_permutation-${m}.nii.gz`)), m);

  const roi = await readTsv(join(dir, 'out', 'roi', 'sub-01_contrast-faceVsScene_roi.tsv'));
  const names = roi.raw('name');
  const z = roi.numeric('z_score');
  assert.ok(z[names.indexOf('face_region')] > 5);
  assert.ok(z[names.indexOf('scene_left')] < -5 && z[names.indexOf('scene_right')] < -5);
  assert.ok(Math.abs(z[names.indexOf('control')]) < 3.1);
  assert.ok(existsSync(join(dir, 'out', 'report.html')));
  // the report in Chromium, on the group faceVsScene map
  await checkReportInBrowser(t, join(dir, 'out'), { name: 'group-demo', slot: '#viewer-group-faceVsScene-faceVsScene-z' });
  rmSync(dir, { recursive: true, force: true });
});
