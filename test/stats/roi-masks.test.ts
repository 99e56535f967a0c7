/**
 * ROI mask images: nearest-neighbour resampling against nilearn 0.10.4 resample_to_img
 * (interpolation='nearest') on shifted, oblique and flipped grids; the 4x4 inverse; and the
 * binary-mask reading of nilearn's load_mask_img (nonzero = in; several nonzero values or an
 * empty mask refused).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { invertAffine, resampleNearest } from '../../src/stats/image/resample-nearest.js';
import { binaryMask, binaryMaskProblem } from '../../src/stats/image/binary-mask.js';
import { projectRoot } from '../helpers/paths.js';

interface Case { name: string; source: { dims: number[]; affine: number[][]; data: number[] }; target: { dims: number[]; affine: number[][] }; expected: number[] }
const fixture = JSON.parse(readFileSync(join(projectRoot, 'test', 'fixtures', 'resample', 'nearest.json'), 'utf8')) as { cases: Case[] };

for (const c of fixture.cases) {
  test(`resampleNearest equals nilearn resample_to_img(nearest): ${c.name}`, () => {
    const out = resampleNearest(c.source.data, c.source, c.target);
    assert.equal(out.length, c.expected.length);
    const differ = c.expected.map((v, i) => (out[i] === v ? -1 : i)).filter((i) => i >= 0);
    assert.deepEqual(differ, [], `${differ.length} voxels differ, first at ${differ[0]}: ${out[differ[0]]} vs ${c.expected[differ[0]]}`);
    assert.ok(c.expected.some((v) => v !== 0), 'the case has voxels inside the source');
  });
}

test('resampleNearest: the same grid returns the values; a 2x grid repeats each voxel; beyond the first and last voxel centres is 0', () => {
  const src = [1, 2, 3, 4];
  const same = resampleNearest(src, { dims: [4, 1, 1], affine: [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]] }, { dims: [4, 1, 1], affine: [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]] });
  assert.deepEqual(Array.from(same), src);
  // 1 mm target from -0.25 mm: coordinates -0.125, 0.375, 0.875, ... of the 2 mm source
  const fine = resampleNearest(src, { dims: [4, 1, 1], affine: [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]] }, { dims: [10, 1, 1], affine: [[1, 0, 0, -0.25], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]] });
  // (scipy's constant mode: a coordinate beyond n - 1 is outside even when it rounds to n - 1)
  assert.deepEqual(Array.from(fine), [0, 1, 2, 2, 3, 3, 4, 0, 0, 0]);
});

test('invertAffine inverts an oblique affine', () => {
  const a = [[3.9, 0.8, 0.1, -10], [-0.7, 3.8, 0.5, 4], [0, -0.4, 4.1, 2], [0, 0, 0, 1]];
  const inv = invertAffine(a);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[r][k] * inv[k][c];
      assert.ok(Math.abs(s - (r === c ? 1 : 0)) < 1e-12);
    }
  }
  assert.throws(() => invertAffine([[1, 0, 0, 0], [2, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]), /singular/);
});

test('binary masks as nilearn load_mask_img: one nonzero value (any) = in, NaN = out; several values or none refused', () => {
  assert.equal(binaryMaskProblem([0, 255, 255, 0, NaN]), null);
  assert.deepEqual(Array.from(binaryMask([0, 255, 255, 0, NaN])), [0, 1, 1, 0, 0]);
  assert.equal(binaryMaskProblem([1, 1, 1]), null, 'a full mask is a mask');
  assert.match(binaryMaskProblem([0, 1, 2, 0.5])!, /not binary.*\(0\.5, 1, 2\)/);
  assert.match(binaryMaskProblem([0, 0, NaN])!, /no nonzero voxel/);
});
