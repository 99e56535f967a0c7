/**
 * The one connected-components labelling (scipy.ndimage.label numbering) and its users' rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelComponents } from '../../src/stats/image/connected-components.js';
import { largestConnectedComponent } from '../../src/stats/image/epi-mask.js';

// 3 x 3 x 2 volume, NIfTI order (x fastest): index = x + 3 y + 9 z
const dims = [3, 3, 2];
const at = (x: number, y: number, z: number) => x + 3 * y + 9 * z;

test('labels are numbered in scipy order (x slowest, z fastest), not NIfTI order', () => {
  const m = new Uint8Array(18);
  m[at(2, 0, 0)] = 1; // first in NIfTI order
  m[at(0, 2, 1)] = 1; // first in C order of the (x, y, z) array
  m[at(0, 2, 0)] = 1; // same component as the previous one (z neighbour)
  const { labels, count, sizes } = labelComponents(m, dims);
  assert.equal(count, 2);
  assert.equal(labels[at(0, 2, 0)], 1);
  assert.equal(labels[at(0, 2, 1)], 1);
  assert.equal(labels[at(2, 0, 0)], 2);
  assert.deepEqual(Array.from(sizes), [0, 2, 1]);
});

test('6, 18 and 26 connectivity', () => {
  const m = new Uint8Array(18);
  m[at(0, 0, 0)] = 1;
  m[at(1, 1, 0)] = 1; // edge neighbour of (0,0,0)
  m[at(2, 2, 1)] = 1; // corner neighbour of (1,1,0)
  assert.equal(labelComponents(m, dims, 6).count, 3);
  assert.equal(labelComponents(m, dims, 18).count, 2);
  assert.equal(labelComponents(m, dims, 26).count, 1);
});

test('largest component: on a size tie the lowest scipy label is kept (nilearn)', () => {
  const m = new Uint8Array(18);
  m[at(2, 0, 0)] = 1;
  m[at(2, 1, 0)] = 1;
  m[at(0, 2, 0)] = 1;
  m[at(0, 2, 1)] = 1;
  const out = largestConnectedComponent(m, dims);
  assert.deepEqual([out[at(0, 2, 0)], out[at(0, 2, 1)], out[at(2, 0, 0)], out[at(2, 1, 0)]], [1, 1, 0, 0]);
  m[at(2, 2, 0)] = 1; // now the NIfTI-first component is larger
  const out2 = largestConnectedComponent(m, dims);
  assert.deepEqual([out2[at(0, 2, 0)], out2[at(2, 0, 0)], out2[at(2, 2, 0)]], [0, 1, 1]);
});
