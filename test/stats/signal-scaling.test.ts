/**
 * nilearn's signal_scaling (FirstLevelModel -> mean_scaling(Y, axis)):
 * 100 * (Y / max(mean, 1) - 1) with the mean per voxel over time (0), per scan over the
 * voxels (1, nilearn's documented meaning) or over everything ([0, 1], grand mean scaling).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signalScaling, type SignalScalingAxis } from '../../src/stats/first-level/signal-scaling.js';
import { meanScaling } from '../../src/stats/first-level/scaling.js';

const close = (a: ArrayLike<number>, b: number[], tol = 1e-9) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `[${i}] ${a[i]} vs ${b[i]}`);
};

// 2 scans x 2 voxels, time-major: scan 0 = [1, 2], scan 1 = [3, 4]
const Y = () => Float64Array.of(1, 2, 3, 4);

test('axis 0: per voxel over time (means 2 and 3)', () => {
  const r = signalScaling(Y(), 2, 0);
  close(r.mean, [2, 3]);
  close(r.scaled, [-50, 100 * (2 / 3 - 1), 50, 100 * (4 / 3 - 1)]);
});

test('axis 1: per scan over the voxels (means 1.5 and 3.5)', () => {
  const r = signalScaling(Y(), 2, 1);
  close(r.mean, [1.5, 3.5]);
  close(r.scaled, [100 * (1 / 1.5 - 1), 100 * (2 / 1.5 - 1), 100 * (3 / 3.5 - 1), 100 * (4 / 3.5 - 1)]);
});

test('[0, 1]: one grand mean (2.5)', () => {
  const r = signalScaling(Y(), 2, [0, 1]);
  close(r.mean, [2.5]);
  close(r.scaled, [-60, -20, 20, 60]);
});

test('means below 1 are clamped to 1 (np.maximum(mean, 1)) and a zero mean is reported', () => {
  // scan 0 has mean 0.25, scan 1 is all zeros
  const y = Float64Array.of(0.5, 0, 0, 0);
  const r = signalScaling(y, 2, 1);
  close(r.mean, [1, 1]);
  close(r.scaled, [-50, -100, -100, -100]);
  assert.match(r.warning!, /1 scans have a mean of 0/);
  assert.equal(signalScaling(Float64Array.of(0, 0, 0, 0), 2, [0, 1]).warning, 'the grand mean of the data is 0');
  assert.equal(signalScaling(Y(), 2, [0, 1]).warning, undefined);
});

test('as nilearn: the scaled data have mean 0 along the scaling axis; grand mean scaling is affine in Y', () => {
  const nScans = 40, nVox = 37;
  const y = new Float64Array(nScans * nVox);
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let t = 0; t < nScans; t++) for (let v = 0; v < nVox; v++) y[t * nVox + v] = 500 + 300 * (v / nVox) + 20 * rand() + t;
  const a0 = signalScaling(y, nScans, 0).scaled;
  for (let v = 0; v < nVox; v++) {
    let m = 0;
    for (let t = 0; t < nScans; t++) m += a0[t * nVox + v];
    assert.ok(Math.abs(m / nScans) < 1e-9);
  }
  const a1 = signalScaling(y, nScans, 1).scaled;
  for (let t = 0; t < nScans; t++) {
    let m = 0;
    for (let v = 0; v < nVox; v++) m += a1[t * nVox + v];
    assert.ok(Math.abs(m / nVox) < 1e-9);
  }
  const g = signalScaling(y, nScans, [0, 1]);
  let grand = 0;
  for (const v of y) grand += v;
  grand /= y.length;
  assert.ok(Math.abs(g.mean[0] - grand) < 1e-9);
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(g.scaled[i] - (100 * y[i]) / grand + 100) < 1e-9);
});

test('axis 0 is meanScaling itself (numpy float32 arithmetic), float32 stays float32, in place works', () => {
  const y = Float32Array.from({ length: 6 * 5 }, (_, i) => 100 + ((i * 7919) % 13) + i / 7);
  const a = signalScaling(y, 6, 0);
  assert.deepEqual(Array.from(a.scaled), Array.from(meanScaling(y, 6).scaled));
  for (const axis of [1, [0, 1]] as SignalScalingAxis[]) {
    const r = signalScaling(y, 6, axis);
    assert.ok(r.scaled instanceof Float32Array);
    // every value is a float32 and equals 100 * (y / mean - 1) to float32 precision
    for (let t = 0; t < 6; t++) for (let v = 0; v < 5; v++) {
      const m = r.mean[axis === 1 ? t : 0];
      const want = 100 * (y[t * 5 + v] / m - 1);
      assert.ok(Math.abs(r.scaled[t * 5 + v] - want) <= 1e-4 * Math.max(1, Math.abs(want)));
    }
    const copy = Float32Array.from(y);
    const inPlace = signalScaling(copy, 6, axis, { inPlace: true });
    assert.equal(inPlace.scaled, copy);
    assert.deepEqual(Array.from(copy), Array.from(r.scaled));
  }
  assert.throws(() => signalScaling(y, 7, 1), /not a multiple of n_scans=7/);
});
