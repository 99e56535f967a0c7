/**
 * Group-only pipelines (maps made elsewhere, found by glob, joined to participants.tsv)
 * against nilearn's second_level and thresholding references: SecondLevelModel maps,
 * threshold_stats_img corrected maps, get_clusters_table, and permutation FWE p-values
 * (stochastic: compared within Monte-Carlo error).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { fixture } from '../helpers/paths.js';
import { compareMapFiles, compareMaskFiles, kindOfStat } from '../helpers/compare.js';
import { compilePipeline } from '../../src/spec/compile.js';
import { runPipeline } from '../../src/engine/index.js';
import { registry } from '../../nodes/index.js';
import { readNifti } from '../../src/io/nifti.js';
import { readTsv } from '../../src/io/tsv.js';

const inputs = fixture('second_level', 'inputs');
const MAPS = { z_score: 'z', stat: 't', effect_size: 'effect', effect_variance: 'variance', p_value: 'p' } as const;

async function runGroupSpec(group: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-group-'));
  const spec = {
    glmflow: 1, name: 'group-only', data: { bids: inputs }, output: join(dir, 'out'),
    group: {
      contrasts: ['faceVsScene'],
      inputs: { faceVsScene: join(inputs, 'sub-*_contrast-faceVsScene_stat-effect.nii.gz') },
      mask: join(inputs, 'group_mask.nii.gz'),
      ...group,
    },
    report: true,
  };
  const file = join(dir, 'group.yaml');
  writeFileSync(file, stringify(spec));
  const compiled = await compilePipeline(file, {});
  const summary = await runPipeline(compiled.graph, { registry, cacheRoot: join(dir, 'cache'), useCache: true, jobs: 2, emit: () => {} });
  assert.equal(summary.ok, true, JSON.stringify(summary.failures));
  return { dir, out: join(dir, 'out', 'group_level') };
}

async function assertMaps(t: any, out: string, label: string, refFolder: string, refName: string) {
  const failures: string[] = [];
  for (const [output, stat] of Object.entries(MAPS)) {
    const c = await compareMapFiles(join(out, `group_contrast-${label}_stat-${stat}.nii.gz`), fixture('second_level', refFolder, `${refName}_${output}.nii.gz`), join(inputs, 'group_mask.nii.gz'), kindOfStat(stat));
    t.diagnostic(`${refFolder} ${refName} ${output}: ${c.text}`);
    if (!c.ok) failures.push(`${refFolder} ${refName} ${output}: ${c.text}`);
  }
  assert.deepEqual(failures, []);
  // the group mask written is the given mask, voxel for voxel over the grid
  // (runGroupSpec models the group contrast faceVsScene, whatever the tests are called)
  const m = await compareMaskFiles(join(out, 'group_contrast-faceVsScene_mask.nii.gz'), join(inputs, 'group_mask.nii.gz'));
  assert.ok(m.same, `group mask: ${m.extra} voxels more, ${m.missing} fewer`);
}

test('group one-sample, smoothed one-sample and age covariate match SecondLevelModel', async (t) => {
  const a = await runGroupSpec({ tests: { faceVsScene: 'intercept' } });
  await assertMaps(t, a.out, 'faceVsScene', 'one_sample', 'intercept');
  const b = await runGroupSpec({ smoothing_fwhm: 5, tests: { faceVsScene: 'intercept' } });
  await assertMaps(t, b.out, 'faceVsScene', 'one_sample_smooth5', 'intercept');
  const c = await runGroupSpec({ covariates: ['age'], tests: { intercept: 'intercept', age: 'age' } });
  await assertMaps(t, c.out, 'intercept', 'age_covariate', 'intercept');
  await assertMaps(t, c.out, 'age', 'age_covariate', 'age');
  for (const d of [a, b, c]) rmSync(d.dir, { recursive: true, force: true });
});

test('corrections and cluster tables match threshold_stats_img and get_clusters_table', async () => {
  const r = await runGroupSpec({
    tests: { faceVsScene: 'intercept' },
    inference: [
      { method: 'fdr', alpha: 0.05, two_sided: true },
      { method: 'bonferroni', alpha: 0.05, two_sided: false, cluster_threshold: 5 },
      { method: 'fpr', alpha: 0.001, two_sided: true },
      { method: 'cluster', stat_threshold: 3.1, cluster_threshold: 5, two_sided: true },
    ],
  });
  const manifest = JSON.parse(readFileSync(fixture('thresholding', 'manifest.json'), 'utf8'));
  const cases: Record<string, string> = { fdr: 'sl_fdr_c0_two', bonferroni: 'sl_bonferroni_c5_one', fpr: 'sl_fpr_c0_two' };
  for (const [method, name] of Object.entries(cases)) {
    const ref = manifest.cases.find((c: any) => c.name === name);
    const ours = await readNifti(join(r.out, `group_contrast-faceVsScene_stat-z_${method}-corrected.nii.gz`));
    const theirs = await readNifti(fixture(ref.output));
    let differ = 0;
    for (let i = 0; i < ours.data.length; i++) if (ours.data[i] !== theirs.data[i]) differ++;
    assert.equal(differ, 0, `${method}: ${differ} voxels differ from ${name}`);
    const sidecar = JSON.parse(readFileSync(join(r.out, `group_contrast-faceVsScene_stat-z_${method}-corrected.json`), 'utf8'));
    assert.ok(Math.abs(sidecar.Threshold - ref.threshold) <= 1e-9 * Math.abs(ref.threshold), `${method} threshold ${sidecar.Threshold} vs ${ref.threshold}`);
  }
  // the primary cluster table (the `cluster` entry) is get_clusters_table(z, 3.1, 5, two_sided)
  const ours = await readTsv(join(r.out, 'group_contrast-faceVsScene_clusters.tsv'));
  const theirs = await readTsv(fixture('thresholding', 'sl_clusters_3.1_5_two.tsv'));
  assert.equal(ours.nRows, theirs.nRows);
  assert.deepEqual(ours.raw('Cluster ID'), theirs.raw('Cluster ID'));
  for (const col of ['X', 'Y', 'Z']) assert.deepEqual([...ours.numeric(col)], [...theirs.numeric(col)]);
  const a = ours.numeric('Peak Stat');
  const b = theirs.numeric('Peak Stat');
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-5));
  rmSync(r.dir, { recursive: true, force: true });
});

test('permutation FWE p-values agree with non_parametric_inference within Monte-Carlo error (n_perm 2000)', async (t) => {
  const r = await runGroupSpec({ tests: { faceVsScene: 'intercept' }, inference: [{ method: 'permutation', n_perm: 2000, two_sided: false, seed: 0 }] });
  const ours = await readNifti(join(r.out, 'group_contrast-faceVsScene_stat-logp_permutation-maxt.nii.gz'));
  const theirs = await readNifti(fixture('second_level', 'permutation', 'intercept_logp_max_t.nii.gz'));
  const mask = await readNifti(join(inputs, 'group_mask.nii.gz'));
  let n = 0, within = 0, worst = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (!mask.data[i]) continue;
    n++;
    const p1 = 10 ** -ours.data[i];
    const p2 = 10 ** -theirs.data[i];
    const se = Math.sqrt(Math.max(p2 * (1 - p2), 1 / 2000) / 2000);
    worst = Math.max(worst, Math.abs(p1 - p2));
    if (Math.abs(p1 - p2) <= 3 * se * Math.SQRT2) within++;
  }
  t.diagnostic(`permutation: ${within}/${n} voxels within 3 combined SE; worst |dp| ${worst.toFixed(4)}`);
  assert.ok(within / n >= 0.99);
  assert.ok(worst < 0.06);
  rmSync(r.dir, { recursive: true, force: true });
});

test('group design problems are reported before computing: unknown covariate, subject without a value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-groupbad-'));
  const participants = readFileSync(join(inputs, 'participants.tsv'), 'utf8').replace(/^sub-03\t[^\n]*/m, 'sub-03\tn/a');
  const bids = join(dir, 'bids');
  (await import('node:fs')).mkdirSync(bids);
  writeFileSync(join(bids, 'participants.tsv'), participants);
  const write = (covariates: string[]) => {
    const file = join(dir, 'g.yaml');
    writeFileSync(file, stringify({
      glmflow: 1, name: 'bad', data: { bids }, output: join(dir, 'out'),
      group: { contrasts: ['faceVsScene'], inputs: { faceVsScene: join(inputs, 'sub-*_contrast-faceVsScene_stat-effect.nii.gz') }, covariates },
    }));
    return file;
  };
  await assert.rejects(compilePipeline(write(['height']), {}), (e: any) => {
    assert.equal(e.name, 'UserError');
    const text = [e.message, ...e.problems].join('\n');
    assert.match(text, /g\.yaml:\d+:\d+: group\.covariates\.0: 'height' is not a column of .*participants\.tsv \(columns: participant_id, age\)/);
    return true;
  });
  await assert.rejects(compilePipeline(write(['age']), {}), (e: any) => {
    const text = [e.message, ...e.problems].join('\n');
    assert.match(text, /sub-03 has no value \(n\/a\) for 'age'/);
    return true;
  });
  rmSync(dir, { recursive: true, force: true });
});
