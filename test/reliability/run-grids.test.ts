/**
 * A subject's runs share one mask: runs on different grids, or an fMRIPrep brain mask on another
 * grid than its BOLD, are refused before anything runs (exit 2, naming both files and grids).
 * Before this check, a mask on another grid was intersected voxel index by voxel index and the
 * run went on with a wrong mask.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { glmflow } from '../helpers/cli.js';
import { bold, EVENTS, mask, tempDir, writeSpec, writeTree } from '../helpers/file-tree.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
before(async () => {
  tmp = await tempDir('run-grids');
});
after(async () => tmp.cleanup());

const d = 'derivatives/fmriprep';
const func = `${d}/sub-01/func/sub-01_task-x`;

/** Two runs; `run2` sets run 2's BOLD and brain mask dims. */
async function dataset(name: string, run2: { bold: number[]; mask: number[] }): Promise<string> {
  return writeTree(join(tmp.dir, name), {
    'task-x_bold.json': { RepetitionTime: 2 },
    'sub-01/func/sub-01_task-x_run-1_events.tsv': EVENTS,
    'sub-01/func/sub-01_task-x_run-2_events.tsv': EVENTS,
    [`${func}_run-1_space-T1w_desc-preproc_bold.nii.gz`]: bold(),
    [`${func}_run-1_space-T1w_desc-brain_mask.nii.gz`]: mask(),
    [`${func}_run-2_space-T1w_desc-preproc_bold.nii.gz`]: bold({ dims: run2.bold }),
    [`${func}_run-2_space-T1w_desc-brain_mask.nii.gz`]: mask(run2.mask),
  });
}

describe('run grids', () => {
  it('the same grid everywhere runs', async () => {
    const root = await dataset('same', { bold: [4, 4, 3], mask: [4, 4, 3] });
    const spec = await writeSpec(join(root, 'spec.yaml'), { bids: '.', derivatives: d }, { mask: 'derivatives' });
    const r = await glmflow(['validate', spec]);
    assert.equal(r.code, 0, r.stderr);
  });

  it('a brain mask on another grid than its BOLD: exit 2 naming both files and grids', async () => {
    const root = await dataset('mask', { bold: [4, 4, 3], mask: [3, 4, 3] });
    const spec = await writeSpec(join(root, 'spec.yaml'), { bids: '.', derivatives: d }, { mask: 'derivatives' });
    for (const cmd of ['validate', 'run']) {
      const r = await glmflow([cmd, spec, '--no-cache']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /first_level\.mask: sub-01 run-2: the brain mask \S+run-2_space-T1w_desc-brain_mask\.nii\.gz is not on the grid of \S+run-2_space-T1w_desc-preproc_bold\.nii\.gz \(mask: 3x4x3, affine .*; BOLD: 4x4x3, affine .*\)/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('runs of one subject on different grids: exit 2 naming both runs and grids', async () => {
    const root = await dataset('bold', { bold: [4, 4, 2], mask: [4, 4, 2] });
    // with any mask mode: the subject's mask and maps are on one grid
    for (const maskMode of ['derivatives', 'auto']) {
      const spec = await writeSpec(join(root, `spec-${maskMode}.yaml`), { bids: '.', derivatives: d }, { mask: maskMode });
      const r = await glmflow(['validate', spec]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /sub-01 run-2: \S+run-2_space-T1w_desc-preproc_bold\.nii\.gz is not on the grid of the subject's first run \S+run-1_space-T1w_desc-preproc_bold\.nii\.gz \(this run: 4x4x2, affine .*; first run: 4x4x3, affine .*\)/);
    }
  });
});
