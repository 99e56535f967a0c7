/**
 * Permutation inference with few subjects: the number of distinct sign flips bounds the smallest
 * attainable p-value. When that bound is above alpha the test can never reject, and validate says
 * so before anything runs (a run would print FWE maps that are empty by construction).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { glmflow } from '../helpers/cli.js';
import { bold, EVENTS, mask, tempDir, writeTree } from '../helpers/file-tree.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let root: string;
const d = 'derivatives/fmriprep';
before(async () => {
  tmp = await tempDir('perm-floor');
  const files: Record<string, unknown> = { 'task-x_bold.json': { RepetitionTime: 2 } };
  for (const n of ['01', '02', '03', '04', '05', '06']) {
    files[`sub-${n}/func/sub-${n}_task-x_events.tsv`] = EVENTS;
    files[`${d}/sub-${n}/func/sub-${n}_task-x_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz`] = bold();
    files[`${d}/sub-${n}/func/sub-${n}_task-x_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz`] = mask();
  }
  root = await writeTree(join(tmp.dir, 'ds'), files as Parameters<typeof writeTree>[1]);
});
after(async () => tmp.cleanup());

async function validate(subjects: string[], inference: Record<string, unknown>) {
  const spec = join(root, 'spec.yaml');
  await writeFile(spec, JSON.stringify({
    glmflow: 1, data: { bids: '.', derivatives: d, task: 'x', subjects }, output: 'out',
    first_level: { drift_model: 'none', mask: 'derivatives', contrasts: { a: 'a' } },
    group: { contrasts: ['a'], inference: [inference] }, report: false,
  }));
  return glmflow(['validate', spec]);
}

describe('permutation inference with few subjects', () => {
  it('4 subjects, two-sided: 8 distinct sign flips, p cannot go below ~0.125: warned', async () => {
    const r = await validate(['01', '02', '03', '04'], { method: 'permutation', n_perm: 1000, two_sided: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: group\.inference\[0\] \(permutation\) of 'a': 4 subjects allow only 8 distinct sign flips \(two-sided\), so no permutation p-value can meaningfully go below ~0\.13, above alpha 0\.05/);
  });

  it('6 subjects, one-sided: 64 distinct sign flips; 1000 draws repeat them: said, no floor warning', async () => {
    const r = await validate(['01', '02', '03', '04', '05', '06'], { method: 'permutation', n_perm: 1000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /6 subjects allow only 64 distinct sign flips; the 1000 random draws repeat them/);
    assert.doesNotMatch(r.stderr, /cannot find anything significant/);
  });

  it('enough subjects for the draws: no warning', async () => {
    const r = await validate(['01', '02', '03', '04', '05', '06'], { method: 'permutation', n_perm: 50 });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /distinct/);
  });
});
