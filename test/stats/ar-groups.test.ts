/**
 * binAr1 (nilearn's AR(1) quantization, int(rho * bins) / bins): labels index the distinct
 * truncated values in increasing order, keys print as Python does; the dense-table path (the
 * usual range) and the Map path (a coefficient far out of range) give the same grouping as a
 * plain Set-and-sort reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binAr1 } from '../../src/stats/first-level/ar-groups.js';
import { Rng } from '../../src/stats/core/prng.js';

function reference(coef: Float64Array, bins: number) {
  const k = Array.from(coef, (c) => (Number.isFinite(c * bins) ? Math.trunc(c * bins) + 0 : 0));
  const sorted = [...new Set(k)].sort((a, b) => a - b);
  return { labels: Int32Array.from(k, (kv) => sorted.indexOf(kv)), rho: sorted.map((kv) => kv / bins) };
}

test('binAr1: truncation toward zero, -0 and NaN to bin 0, labels in increasing order', () => {
  const coef = Float64Array.of(0.379, -0.051, -0.001, 0, -0, 0.999, 1.2, NaN, Infinity, 0.37, -0.05);
  const g = binAr1(coef, 100);
  assert.deepEqual(g.keys, ['-0.05', '0.0', '0.37', '0.99', '1.2']);
  assert.deepEqual(Array.from(g.labels), [2, 0, 1, 1, 1, 3, 4, 1, 1, 2, 0]);
  assert.deepEqual(g.rho.map((r) => r[0]), [-0.05, 0, 0.37, 0.99, 1.2]);
});

for (const [name, extra] of [['usual range', 0], ['one coefficient far out of range', 1e9]] as const) {
  test(`binAr1 matches a Set-and-sort reference (${name})`, () => {
    const rng = new Rng(3, 'ar-groups');
    const coef = Float64Array.from({ length: 5000 }, () => 0.8 * rng.normal());
    if (extra) coef[17] = extra;
    const g = binAr1(coef, 100);
    const ref = reference(coef, 100);
    assert.deepEqual(g.labels, ref.labels);
    assert.deepEqual(g.rho.map((r) => r[0]), ref.rho);
  });
}
