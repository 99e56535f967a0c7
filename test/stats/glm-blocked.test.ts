/**
 * runGlmBlocked (the spilled fit of a very long run) against runGlm (residuals: 'variance') on the whole
 * Y: every per-voxel output identical to the bit, for OLS, AR(1) (many bins, refitted from the
 * sums of the first pass, or from the data one model per pass) and AR(2), with blocks that cut
 * the kernels' chunks anywhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mat } from '../../src/stats/core/matrix.js';
import { Rng } from '../../src/stats/core/prng.js';
import { runGlm } from '../../src/stats/first-level/glm.js';
import { runGlmBlocked, type VoxelBlockSource } from '../../src/stats/first-level/glm-blocked.js';

/** n scans x nVox voxels of AR(1) noise (coefficient varying over voxels) on a baseline, plus a design. */
function data(n: number, nVox: number) {
  const rng = new Rng(7, 'glm-blocked');
  const p = 5;
  const x: Mat = { rows: n, cols: p, data: new Float64Array(n * p) };
  for (let t = 0; t < n; t++) {
    x.data[t * p] = 1;
    x.data[t * p + 1] = Math.sin(t / 3);
    x.data[t * p + 2] = Math.cos(t / 7);
    x.data[t * p + 3] = t / n;
    x.data[t * p + 4] = rng.normal();
  }
  const y = new Float32Array(n * nVox);
  for (let v = 0; v < nVox; v++) {
    const rho = -0.3 + (0.9 * v) / nVox;
    let e = 0;
    for (let t = 0; t < n; t++) {
      e = rho * e + rng.normal();
      y[t * nVox + v] = 500 + 10 * v + 3 * x.data[t * p + 1] * (v % 3) + e;
    }
  }
  return { x, y };
}

function source(y: Float32Array, n: number, nVox: number, block: number): VoxelBlockSource & { reads: number } {
  const s = {
    nScans: n, nVoxels: nVox, nBlocks: Math.ceil(nVox / block), reads: 0,
    read(b: number) {
      s.reads++;
      const v0 = b * block;
      const len = Math.min(block, nVox - v0);
      const out = new Float32Array(n * len);
      for (let t = 0; t < n; t++) out.set(y.subarray(t * nVox + v0, t * nVox + v0 + len), t * len);
      return { v0, len, y: out };
    },
  };
  return s;
}

// AR(1) with 160 scans: the bins are refitted from the first pass's sums (refit-sums.ts), no
// refit pass; with 64 scans the sums (20 values per voxel) would take more than a quarter of
// the data, so the bins are refitted from it
for (const [noiseModel, n] of [['ols', 64], ['ar1', 160], ['ar1', 64], ['ar2', 64]] as const) {
  test(`runGlmBlocked equals runGlm with its residual variance bit for bit (${noiseModel}, ${n} scans)`, () => {
    const nVox = 203;
    const fromSums = noiseModel === 'ar1' && n === 160;
    const { x, y } = data(n, nVox);
    const ref = runGlm(y, x, { noiseModel, bins: 40, chunkSize: 32, residuals: 'variance' });
    const refVar = ref.residualVariance!;
    const src = source(y, n, nVox, 17);
    // a budget below one model: one model per refit pass
    const got = runGlmBlocked(src, x, { noiseModel, bins: 40, chunkSize: 32, modelBytes: 1 });
    const nm = ref.models.length;
    if (noiseModel === 'ar1') assert.ok(nm > 5, `several AR bins (${nm})`);
    assert.equal(got.passes, fromSums ? 1 : (noiseModel === 'ols' ? 0 : 1) + nm, 'one pass for the AR estimate, one per model refitted from the data');
    assert.equal(src.reads, got.passes * src.nBlocks);
    assert.deepEqual(got.fit.labels, ref.labels);
    assert.deepEqual(got.fit.theta, ref.theta);
    assert.deepEqual(got.fit.dispersion, ref.dispersion);
    assert.deepEqual(got.fit.rSquare, ref.rSquare);
    assert.deepEqual(got.residualVariance, refVar);
    if (ref.arCoef) assert.deepEqual(got.fit.arCoef, ref.arCoef);
    assert.deepEqual(got.fit.models.map((m) => [m.key, m.nVoxels, Array.from(m.rho), Array.from(m.normCov.data), m.dfResid, m.dispersionDenominator]),
      ref.models.map((m) => [m.key, m.nVoxels, Array.from(m.rho), Array.from(m.normCov.data), m.dfResid, m.dispersionDenominator]));
    // with a large model budget: all models in one refit pass, same results
    const one = runGlmBlocked(source(y, n, nVox, 64), x, { noiseModel, bins: 40 });
    assert.equal(one.passes, noiseModel === 'ols' || fromSums ? 1 : 2);
    assert.deepEqual(one.fit.theta, ref.theta);
    assert.deepEqual(one.residualVariance, refVar);
  });
}
