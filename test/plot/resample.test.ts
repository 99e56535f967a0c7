import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyAffine, invertAffine, worldBox } from '../../src/plot/affine.js';
import { nearestSampler, trilinearSampler } from '../../src/plot/resample.js';

// 3 x 2 x 2 grid, x flipped (voxel i grows towards -x), 2 x 3 x 4 mm voxels, origin (10, 20, 30).
// Values are linear in the voxel index (i + 10 j + 100 k), so trilinear interpolation is exact.
const affine = [
  [-2, 0, 0, 10],
  [0, 3, 0, 20],
  [0, 0, 4, 30],
  [0, 0, 0, 1],
];
const dims = [3, 2, 2];
const data = new Float32Array(12);
for (let k = 0; k < 2; k++) for (let j = 0; j < 2; j++) for (let i = 0; i < 3; i++) data[i + 3 * (j + 2 * k)] = i + 10 * j + 100 * k;
const vol = { data, dims, affine };

test('affine: inverse maps world back to voxel indices', () => {
  const inv = invertAffine(affine);
  assert.deepEqual(applyAffine(affine, [2, 1, 1]), [6, 23, 34]);
  assert.deepEqual(applyAffine(inv, [6, 23, 34]).map((v) => Math.round(v * 1e9) / 1e9), [2, 1, 1]);
  assert.throws(() => invertAffine([[1, 0, 0, 0], [2, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]), /singular/);
});

test('resample: trilinear at hand-computed world points, NaN outside', () => {
  const at = trilinearSampler(vol);
  // (9, 21.5, 32) mm -> voxel (0.5, 0.5, 0.5): 0.5 + 5 + 50
  assert.ok(Math.abs(at(9, 21.5, 32) - 55.5) < 1e-9);
  // (7, 20, 30) -> voxel (1.5, 0, 0): half-way between 1 and 2
  assert.ok(Math.abs(at(7, 20, 30) - 1.5) < 1e-9);
  // exactly on a voxel centre: its value
  assert.equal(at(6, 23, 34), 112);
  // within half a voxel beyond the first centre (voxel -0.4): the edge value
  assert.equal(at(10.8, 20, 30), 0);
  // beyond half a voxel: outside
  assert.ok(Number.isNaN(at(11.2, 20, 30)));
  assert.ok(Number.isNaN(at(0, 20, 30)));
});

test('resample: nearest picks the voxel whose centre is closest', () => {
  const at = nearestSampler(vol);
  // (6.2, 23.1, 30) -> voxel (1.9, 1.03, 0) -> (2, 1, 0) = 12
  assert.equal(at(6.2, 23.1, 30), 12);
  assert.equal(at(9.1, 20, 33.9), 100); // (0.45, 0, 0.975) -> (0, 0, 1)
  assert.ok(Number.isNaN(at(20, 20, 30)));
  // Swapped axes: voxel i along world y, voxel j along world x.
  const swapped = { data, dims, affine: [[0, 2, 0, 0], [3, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]] };
  // world (2, 6, 1) -> voxel (i = 6 / 3, j = 2 / 2, k = 1) = (2, 1, 1)
  assert.equal(nearestSampler(swapped)(2, 6, 1), 112);
});

test('worldBox: voxel extents of the kept voxels, and of the whole grid', () => {
  assert.deepEqual(worldBox(vol), { min: [5, 18.5, 28], max: [11, 24.5, 36] });
  // only voxel (2, 1, 1) (value 112): centre (6, 23, 34) +- half a voxel
  assert.deepEqual(worldBox(vol, (v) => v === 112), { min: [5, 21.5, 32], max: [7, 24.5, 36] });
  assert.equal(worldBox(vol, (v) => v > 1000), null);
});
