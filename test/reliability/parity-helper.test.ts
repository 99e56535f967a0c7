/**
 * The parity helper (test/helpers/compare.ts) itself: what let wrong maps through before
 * (issue 8 item 22) must now fail: a constant-factor error, an offset, a NaN, a mask that is
 * a superset (or subset) of the reference mask.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareMasks, compareValues, kindOfStat, type MapKind } from '../helpers/compare.js';

const N = 500;
const mask = Float32Array.from({ length: N }, (_, i) => (i % 5 === 0 ? 0 : 1));
const ref = Float32Array.from({ length: N }, (_, i) => Math.sin(i / 7) * 3 + (i % 11) / 10 + 0.2);
const pos = Float32Array.from(ref, (v) => Math.abs(v) + 0.01);

test('identical maps pass for every kind', () => {
  for (const kind of ['z', 't', 'F', 'rsquare', 'effect', 'residuals', 'variance', 'residvar', 'p'] as MapKind[]) {
    const r = kind === 'variance' || kind === 'residvar' || kind === 'p' ? pos : ref;
    const c = compareValues(r, r, mask, kind);
    assert.ok(c.ok, c.text);
    assert.equal(c.n, 400);
  }
});

test('a constant factor (perfect correlation) fails every kind', () => {
  for (const kind of ['z', 'effect', 'variance', 'p', 'residvar'] as MapKind[]) {
    const r = kind === 'variance' || kind === 'residvar' || kind === 'p' ? Float32Array.from(pos, (v) => Math.min(v / 4, 1)) : ref;
    const scaled = Float32Array.from(r, (v) => v * 1.01);
    const c = compareValues(scaled, r, mask, kind);
    assert.ok(c.corr > 0.9999, `${kind}: correlation alone would pass (${c.corr})`);
    assert.equal(c.ok, false, `${kind}: ${c.text}`);
  }
  // a small factor within tolerance passes
  assert.ok(compareValues(Float32Array.from(ref, (v) => v * (1 + 1e-5)), ref, mask, 'effect').ok);
});

test('an offset fails z; a NaN fails; values outside the mask do not count', () => {
  assert.equal(compareValues(Float32Array.from(ref, (v) => v + 0.01), ref, mask, 'z').ok, false);
  const nan = Float32Array.from(ref);
  nan[1] = NaN;
  const c = compareValues(nan, ref, mask, 'z');
  assert.equal(c.ok, false, c.text);
  assert.equal(c.max, Infinity);
  const outside = Float32Array.from(ref);
  outside[0] = 1e6; // i = 0 is outside the mask
  assert.ok(compareValues(outside, ref, mask, 'z').ok);
});

test('4D maps: every volume is compared', () => {
  const two = Float32Array.from({ length: 2 * N }, (_, i) => ref[i % N]);
  const bad = Float32Array.from(two);
  for (let i = N; i < 2 * N; i++) bad[i] *= 2;
  assert.ok(compareValues(two, two, mask, 'effect', 2).ok);
  assert.equal(compareValues(bad, two, mask, 'effect', 2).ok, false);
  assert.throws(() => compareValues(two, ref, mask, 'effect', 2), /values for 2 volume/);
});

test('masks are compared over the whole grid: a superset or a subset is not the same mask', () => {
  assert.deepEqual(compareMasks(mask, mask), { extra: 0, missing: 0, common: 400, same: true });
  const superset = Float32Array.from(mask);
  superset[0] = 1;
  assert.deepEqual(compareMasks(superset, mask), { extra: 1, missing: 0, common: 400, same: false });
  const subset = Float32Array.from(mask);
  subset[1] = 0;
  assert.deepEqual(compareMasks(subset, mask), { extra: 0, missing: 1, common: 399, same: false });
});

test('stat- labels map to kinds', () => {
  assert.deepEqual(['z', 't', 'F', 'effect', 'variance', 'p', 'rsquare', 'residvar', 'errorts'].map(kindOfStat),
    ['z', 't', 'F', 'effect', 'variance', 'p', 'rsquare', 'residvar', 'residuals']);
  assert.throws(() => kindOfStat('beta'), /no tolerance/);
});
