import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coldHot, gray, hot, viridis } from '../../src/plot/colormaps.js';
import { formatNumber, niceTicks } from '../../src/plot/ticks.js';

test('colormaps: gray ends, cold_hot black centre and white ends, hot ramp, viridis ends', () => {
  assert.deepEqual(gray(0), [0, 0, 0]);
  assert.deepEqual(gray(1), [255, 255, 255]);
  assert.deepEqual(gray(0.5), [128, 128, 128]);
  // matplotlib 'hot' starts at (0.0416, 0, 0); cold_hot is that at its centre.
  assert.deepEqual(coldHot(0.5), [11, 0, 0]);
  assert.deepEqual(coldHot(1), [255, 255, 255]);
  assert.deepEqual(coldHot(0), [255, 255, 255]);
  // Positive side: pure red at hot's first knot (t = 0.365079) ...
  assert.deepEqual(hot(0.365079), [255, 0, 0]);
  assert.deepEqual(coldHot(0.5 + 0.5 * 0.365079), [255, 0, 0]);
  // ... negative side mirrors it with the channels permuted: pure blue.
  assert.deepEqual(coldHot(0.5 - 0.5 * 0.365079), [0, 0, 255]);
  // Yellow / cyan at the second knot.
  assert.deepEqual(coldHot(0.5 + 0.5 * 0.746032), [255, 255, 0]);
  assert.deepEqual(coldHot(0.5 - 0.5 * 0.746032), [0, 255, 255]);
  assert.deepEqual(viridis(0), [68, 1, 84]);
  assert.deepEqual(viridis(1), [253, 231, 37]);
  assert.deepEqual(gray(Number.NaN), [0, 0, 0]);
});

test('niceTicks and number labels', () => {
  assert.deepEqual(niceTicks(0, 109, 6), [0, 25, 50, 75, 100]);
  assert.deepEqual(niceTicks(-2.2, 4, 6), [-2, 0, 2, 4]);
  assert.deepEqual(niceTicks(0.1, 0.5, 5), [0.1, 0.2, 0.3, 0.4, 0.5]);
  assert.equal(formatNumber(3.14159), '3.14');
  assert.equal(formatNumber(-12), '-12');
  assert.equal(formatNumber(0.0004), '4.0e-4');
  assert.equal(formatNumber(25000), '2.5e4');
});
