/**
 * The benchmark's generated anatomy (bench/dataset.ts): the brain mask has exactly the voxel
 * count of the MNI152 2 mm brain mask on fMRIPrep's 97 x 115 x 97 grid, stays inside the grid,
 * every condition has active voxels, and the int16 values leave headroom.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BRAIN_VOXELS, CONDITIONS, DIMS, SCL_SLOPE, makeAnatomy } from '../../bench/dataset.js';

test('bench anatomy: 256 354 brain voxels inside the MNI 2 mm grid, three active conditions', () => {
  const a = makeAnatomy();
  const [nx, ny, nz] = DIMS;
  assert.equal(a.brain.length, BRAIN_VOXELS);
  assert.equal(a.mask.reduce((s, v) => s + v, 0), 256354);
  const lo: number[] = [nx, ny, nz];
  const hi: number[] = [0, 0, 0];
  for (const i of a.brain) {
    const c = [i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))];
    for (let d = 0; d < 3; d++) {
      lo[d] = Math.min(lo[d], c[d]);
      hi[d] = Math.max(hi[d], c[d]);
    }
  }
  for (let d = 0; d < 3; d++) assert.ok(lo[d] >= 4 && hi[d] <= DIMS[d] - 5, `axis ${d}: ${lo[d]}..${hi[d]} leaves room for the 5 mm kernel`);
  const active = CONDITIONS.map((_, c) => a.brain.reduce((n, _v, k) => n + (a.effect[k * CONDITIONS.length + c] > 0 ? 1 : 0), 0));
  for (const n of active) assert.ok(n > 1000, `active voxels per condition: ${active}`);
  let maxBase = 0;
  for (const b of a.base) maxBase = Math.max(maxBase, b);
  assert.ok((maxBase * 1.2) / SCL_SLOPE < 32767, 'int16 headroom');
});
