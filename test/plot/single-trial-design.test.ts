/**
 * The report's LSS trial design (nodes/report.ts trialDesign): the per-condition designs of a
 * run's LSS nodes merged into one design with every selected trial split, the nuisance and
 * unselected-condition columns kept once, the values taken from the node that split them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Artifact } from '../../src/engine/types.js';
import { trialDesign } from '../../nodes/report.js';

const n = 4;
/** A node's artifact: its trials' columns (value 10·trial + t) and the others (value 100·column + t). */
function part(condition: string, trials: string[], columns: string[]): Artifact {
  const data = new Float64Array(n * columns.length);
  columns.forEach((c, j) => {
    const k = trials.indexOf(c);
    for (let t = 0; t < n; t++) data[t * columns.length + j] = k >= 0 ? 10 * (k + 1) + t : 100 * (j + 1) + t;
  });
  const meta = { conditions: [condition], designColumns: columns, trials: trials.map((name) => ({ name, trialType: condition })) };
  return { meta: meta as any, arrays: { design: data } };
}

test('LSS report design: every selected trial split, other columns once', () => {
  const face = part('face', ['face__000', 'face__001'], ['face__000', 'face__001', 'house', 'object', 'trans_x', 'constant']);
  const house = part('house', ['house__000'], ['face', 'house__000', 'object', 'trans_x', 'constant']);
  const { columns, data } = trialDesign([face, house]);
  assert.deepEqual(columns, ['face__000', 'face__001', 'house__000', 'object', 'trans_x', 'constant']);
  const m = columns.length;
  for (let t = 0; t < n; t++) {
    assert.deepEqual(Array.from(data.subarray(t * m, (t + 1) * m)), [10 + t, 20 + t, 10 + t, 400 + t, 500 + t, 600 + t]);
  }
});

test('LSA (one node): its design unchanged', () => {
  const lsa = part('face', ['face__000', 'house__000'], ['face__000', 'house__000', 'constant']);
  const { columns, data } = trialDesign([lsa]);
  assert.deepEqual(columns, ['face__000', 'house__000', 'constant']);
  assert.deepEqual(Array.from(data), Array.from(lsa.arrays.design as Float64Array));
});

test('LSS report design with derivative columns: every HRF column of a condition replaced by its trials\' (all K each)', () => {
  const face = part('face', ['face__000', 'face__000_derivative'], ['face__000', 'face__000_derivative', 'house', 'house_derivative', 'face_left', 'constant']);
  const house = part('house', ['house__000', 'house__000_derivative', 'house__001', 'house__001_derivative'],
    ['face', 'face_derivative', 'house__000', 'house__000_derivative', 'house__001', 'house__001_derivative', 'face_left', 'constant']);
  const { columns, data } = trialDesign([face, house]);
  // face_left is another condition (not an HRF column of face): kept once
  assert.deepEqual(columns, ['face__000', 'face__000_derivative', 'house__000', 'house__000_derivative', 'house__001', 'house__001_derivative', 'face_left', 'constant']);
  const m = columns.length;
  for (let t = 0; t < n; t++) {
    assert.deepEqual(Array.from(data.subarray(t * m, (t + 1) * m)), [10 + t, 20 + t, 10 + t, 20 + t, 30 + t, 40 + t, 500 + t, 600 + t]);
  }
});
