/**
 * runGlm's fast path (no residuals formed, Gram-matrix statistics, per-voxel shift against
 * cancellation, WebAssembly kernels) against a plain per-voxel transcription of nilearn's
 * run_glm, on the cases the shift terms exist for: raw-BOLD-like data (mean 1000, noise ~10)
 * and a design WITHOUT a constant column (so r1 = (I - H)·1 is not zero), for OLS, AR(1) and
 * AR(2), float32 and float64 data; plus nilearn's residuals and the immutability of Y.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mat } from '../../src/stats/core/matrix.js';
import { inv, matmul, transpose } from '../helpers/linalg.js';
import { whitenDesign } from '../../src/stats/first-level/regression.js';
import { runGlm } from '../../src/stats/first-level/glm.js';
import { Rng } from '../../src/stats/core/prng.js';

/** Uniform numbers in [0, 1) for synthetic data (the project's generator). */
function rng(seed: number): () => number {
  const r = new Rng(seed, 'test data');
  return () => r.uniform();
}

function dataset(n: number, p: number, nVox: number, constant: boolean, seed: number) {
  const r = rng(seed);
  const x: Mat = { rows: n, cols: p, data: new Float64Array(n * p) };
  for (let t = 0; t < n; t++) for (let j = 0; j < p; j++) x.data[t * p + j] = constant && j === p - 1 ? 1 : Math.sin((t + 1) * (j + 1) * 0.21) + 0.5 + 0.2 * r();
  const y = new Float64Array(n * nVox);
  for (let v = 0; v < nVox; v++) {
    const rho = 0.6 * r();
    let e = 0;
    for (let t = 0; t < n; t++) {
      e = rho * e + 10 * (r() - 0.5);
      y[t * nVox + v] = 1000 + 30 * x.data[t * p] * r() + e;
    }
  }
  return { x, y };
}

/** Per-voxel normal equations: θ, SSE, r² of wy on W (nilearn OLSModel.fit). */
function fitOne(w: Mat, wy: Float64Array) {
  const n = w.rows;
  const beta = matmul(matmul(inv(matmul(transpose(w), w)), transpose(w)), { rows: n, cols: 1, data: wy }).data;
  const pred = matmul(w, { rows: w.cols, cols: 1, data: beta }).data;
  let sse = 0;
  for (let t = 0; t < n; t++) sse += (wy[t] - pred[t]) ** 2;
  const variance = (a: Float64Array) => {
    const m = a.reduce((s, z) => s + z, 0) / a.length;
    return a.reduce((s, z) => s + (z - m) ** 2, 0) / a.length;
  };
  return { beta, pred, sse, r2: variance(pred) / variance(wy) };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));

for (const constant of [false, true]) {
  for (const f32 of [false, true]) {
    test(`raw-BOLD scale, ${constant ? 'with' : 'without'} a constant column, ${f32 ? 'float32' : 'float64'} data: OLS and AR(1) match the per-voxel reference`, () => {
      const n = 80, p = 4, nVox = 50;
      const { x, y: y64 } = dataset(n, p, nVox, constant, constant ? 1 : 2);
      const y = f32 ? Float32Array.from(y64) : y64;
      const before = y.slice();
      const col = (v: number) => Float64Array.from({ length: n }, (_, t) => y[t * nVox + v]);
      // OLS
      const ols = runGlm(y, x, { noiseModel: 'ols', chunkSize: 12 });
      let worst = 0;
      for (let v = 0; v < nVox; v++) {
        const ref = fitOne(x, col(v));
        for (let j = 0; j < p; j++) worst = Math.max(worst, rel(ols.theta[j * nVox + v], ref.beta[j]));
        worst = Math.max(worst, rel(ols.dispersion[v], ref.sse / (n - p)), rel(ols.rSquare[v], ref.r2));
      }
      assert.ok(worst < 1e-9, `OLS worst relative difference ${worst}`);
      // AR(1): Yule-Walker of the OLS residuals with nilearn's global mean, then the binned refit
      const ar = runGlm(y, x, { noiseModel: 'ar1', chunkSize: 8 });
      const resid = Array.from({ length: nVox }, (_, v) => {
        const f = fitOne(x, col(v));
        return col(v).map((z, t) => z - f.pred[t]);
      });
      let mean = 0;
      for (const e of resid) for (const z of e) mean += z;
      mean /= n * nVox;
      worst = 0;
      for (let v = 0; v < nVox; v++) {
        const e = resid[v].map((z) => z - mean);
        let r0 = 0;
        let r1 = 0;
        for (let t = 0; t < n; t++) r0 += e[t] * e[t];
        for (let t = 0; t + 1 < n; t++) r1 += e[t] * e[t + 1];
        const rho = (r1 / ((n - 1) * n)) / (r0 / (n * n));
        worst = Math.max(worst, Math.abs(ar.arCoef![v] - rho));
        const binned = ar.models[ar.labels[v]].rho[0];
        assert.equal(binned, (Math.trunc(rho * 100) + 0) / 100, `voxel ${v} bin`);
        const wy = col(v);
        for (let t = n - 1; t >= 1; t--) wy[t] -= binned * wy[t - 1];
        const ref = fitOne(whitenDesign(x, [binned]), wy);
        for (let j = 0; j < p; j++) worst = Math.max(worst, rel(ar.theta[j * nVox + v], ref.beta[j]));
        worst = Math.max(worst, rel(ar.dispersion[v], ref.sse / (n - p)), rel(ar.rSquare[v], ref.r2));
      }
      assert.ok(worst < 1e-9, `AR(1) worst difference ${worst}`);
      assert.deepEqual(y, before, 'runGlm must not modify Y');
    });
  }
}

test('AR(2) without a constant column: Yule-Walker coefficients match the Toeplitz solution', () => {
  const n = 90, p = 3, nVox = 40;
  const { x, y } = dataset(n, p, nVox, false, 4);
  const fit = runGlm(y, x, { noiseModel: 'ar2', bins: 5, chunkSize: 16 });
  const resid = Array.from({ length: nVox }, (_, v) => {
    const yv = Float64Array.from({ length: n }, (_, t) => y[t * nVox + v]);
    const f = fitOne(x, yv);
    return yv.map((z, t) => z - f.pred[t]);
  });
  let mean = 0;
  for (const e of resid) for (const z of e) mean += z;
  mean /= n * nVox;
  for (let v = 0; v < nVox; v++) {
    const e = resid[v].map((z) => z - mean);
    const acf = [0, 1, 2].map((k) => {
      let s = 0;
      for (let t = 0; t + k < n; t++) s += e[t] * e[t + k];
      return s / ((n - k) * n);
    });
    const det = acf[0] * acf[0] - acf[1] * acf[1];
    const r1 = (acf[1] * acf[0] - acf[1] * acf[2]) / det;
    const r2 = (acf[0] * acf[2] - acf[1] * acf[1]) / det;
    assert.ok(Math.abs(fit.arCoef![2 * v] - r1) < 1e-9 && Math.abs(fit.arCoef![2 * v + 1] - r2) < 1e-9, `voxel ${v}`);
  }
});

test("keepResiduals: nilearn's residuals Y - (whitened design · θ) for AR(1)", () => {
  const n = 40, p = 3, nVox = 9;
  const { x, y } = dataset(n, p, nVox, true, 8);
  const fit = runGlm(y, x, { noiseModel: 'ar1', keepResiduals: true, chunkSize: 4 });
  for (let v = 0; v < nVox; v++) {
    const w = whitenDesign(x, fit.models[fit.labels[v]].rho);
    for (let t = 0; t < n; t++) {
      let pred = 0;
      for (let j = 0; j < p; j++) pred += w.data[t * p + j] * fit.theta[j * nVox + v];
      assert.ok(Math.abs(fit.residuals![t * nVox + v] - (y[t * nVox + v] - pred)) < 1e-9);
    }
  }
});
