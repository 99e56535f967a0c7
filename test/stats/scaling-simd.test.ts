/**
 * meanScaling on float32 data runs in WebAssembly SIMD (float32 lanes); it must give the bits
 * of the plain float32 emulation of numpy (float64 operations rounded to float32), including
 * zero-mean voxels (counted, mean clamped to 1), tiny and negative means, NaN and odd sizes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanScaling } from '../../src/stats/first-level/scaling.js';

function plain(y: Float32Array, nScans: number) {
  const nVox = y.length / nScans;
  const fr = Math.fround;
  const acc = new Float32Array(nVox);
  for (let t = 0; t < nScans; t++) for (let v = 0; v < nVox; v++) acc[v] += y[t * nVox + v];
  const mean = new Float64Array(nVox);
  let zeros = 0;
  for (let v = 0; v < nVox; v++) {
    mean[v] = fr(acc[v] / nScans);
    if (mean[v] === 0) zeros++;
    if (mean[v] < 1) mean[v] = 1;
  }
  const out = new Float32Array(y.length);
  for (let t = 0; t < nScans; t++) for (let v = 0; v < nVox; v++) out[t * nVox + v] = fr(100 * fr(fr(y[t * nVox + v] / mean[v]) - 1));
  return { out, mean, zeros };
}

test('float32 meanScaling equals the plain float32 emulation bit for bit', () => {
  for (const [nScans, nVox] of [[7, 13], [160, 1027], [3, 1]]) {
    const y = new Float32Array(nScans * nVox);
    let s = 12345;
    for (let i = 0; i < y.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const v = i % nVox;
      y[i] = v % 7 === 0 ? 0 : v % 7 === 1 ? (s / 2 ** 32 - 0.5) * 1e-3 : v % 7 === 2 ? -300 + s / 2 ** 24 : 700 + (s / 2 ** 32) * 40;
    }
    if (nVox > 3) y[nVox + 3] = NaN;
    const ref = plain(y, nScans);
    const copy = y.slice();
    const got = meanScaling(y, nScans);
    assert.deepEqual(y, copy, 'input untouched without inPlace');
    assert.equal(got.zeroMeanVoxels, ref.zeros);
    for (let i = 0; i < ref.out.length; i++) assert.ok(Object.is(got.scaled[i], ref.out[i]), `${nScans}x${nVox} [${i}]: ${got.scaled[i]} vs ${ref.out[i]}`);
    for (let v = 0; v < nVox; v++) assert.ok(Object.is(got.mean[v], ref.mean[v]), `mean ${v}`);
    const inPlace = meanScaling(y, nScans, { inPlace: true });
    assert.equal(inPlace.scaled, y);
    assert.deepEqual(y, ref.out);
  }
});
