import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { globFiles } from '../../src/spec/glob.js';
import { tempDir, writeFile } from './helpers.js';

test('globFiles: *, ?, [..], ** and literal segments', () => {
  const dir = tempDir();
  for (const p of [
    'maps/sub-01_stat-effect.nii.gz',
    'maps/sub-02_stat-effect.nii.gz',
    'maps/sub-10_stat-z.nii.gz',
    'maps/.hidden_stat-effect.nii.gz',
    'deep/a/sub-03/x.nii.gz',
    'deep/b/c/sub-04/x.nii.gz',
    'deep/x.nii.gz',
  ]) writeFile(dir, p, 'x');
  assert.deepEqual(globFiles(join(dir, 'maps/sub-*_stat-effect.nii.gz')), [
    join(dir, 'maps/sub-01_stat-effect.nii.gz'),
    join(dir, 'maps/sub-02_stat-effect.nii.gz'),
  ]);
  assert.deepEqual(globFiles('maps/sub-?0_*', dir), [join(dir, 'maps/sub-10_stat-z.nii.gz')]);
  assert.deepEqual(globFiles('maps/sub-0[!1]_*', dir), [join(dir, 'maps/sub-02_stat-effect.nii.gz')]);
  assert.deepEqual(globFiles('deep/**/x.nii.gz', dir), [
    join(dir, 'deep/a/sub-03/x.nii.gz'),
    join(dir, 'deep/b/c/sub-04/x.nii.gz'),
    join(dir, 'deep/x.nii.gz'),
  ]);
  assert.deepEqual(globFiles('deep/*/sub-*/x.nii.gz', dir), [join(dir, 'deep/a/sub-03/x.nii.gz')]);
  assert.deepEqual(globFiles('maps/sub-01_stat-effect.nii.gz', dir), [join(dir, 'maps/sub-01_stat-effect.nii.gz')]);
  assert.deepEqual(globFiles('maps/*.tsv', dir), []);
  assert.deepEqual(globFiles('nothing/*/x', dir), []);
  assert.deepEqual(globFiles('maps/*', dir).length, 3);
});
