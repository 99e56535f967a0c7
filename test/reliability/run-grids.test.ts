/**
 * A subject's runs share one mask: runs on different grids, or an fMRIPrep brain mask on another
 * grid than its BOLD, are refused before anything runs (exit 2, naming both files and grids).
 * Before this check, a mask on another grid was intersected voxel index by voxel index and the
 * run went on with a wrong mask.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
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

  it('a group model over subjects on different grids: exit 2 naming the grids', async () => {
    const sub = (n: string, dims: number[]) => ({
      [`sub-${n}/func/sub-${n}_task-x_events.tsv`]: EVENTS,
      [`${d}/sub-${n}/func/sub-${n}_task-x_space-T1w_desc-preproc_bold.nii.gz`]: bold({ dims }),
      [`${d}/sub-${n}/func/sub-${n}_task-x_space-T1w_desc-brain_mask.nii.gz`]: mask(dims),
    });
    const root = await writeTree(join(tmp.dir, 'group'), {
      'task-x_bold.json': { RepetitionTime: 2 },
      ...sub('01', [4, 4, 3]), ...sub('02', [4, 4, 3]), ...sub('03', [5, 4, 3]),
    });
    const spec = join(root, 'spec.yaml');
    const write = (subjects: string[]) => writeFile(spec, JSON.stringify({
      glmflow: 1, data: { bids: '.', derivatives: d, task: 'x', space: 'T1w', subjects }, output: 'out',
      first_level: { drift_model: 'none', mask: 'derivatives', contrasts: { a: 'a' } },
      group: { contrasts: ['a'] }, report: false,
    }));
    await write(['01', '02']);
    const ok = await glmflow(['validate', spec]);
    assert.equal(ok.code, 0, ok.stderr);
    await write(['01', '02', '03']);
    const r = await glmflow(['validate', spec]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /group\.contrasts\.0: the subjects' first-level maps are not on one grid: sub-01 is on 4x4x3, affine .*, but sub-03 \(5x4x3, affine .*\); a voxelwise group model needs every subject in one space/);
  });
});
