import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mat } from '../../src/stats/core/matrix.js';
import { fromRows, inv, matmul, transpose } from '../helpers/linalg.js';
import { linearModel, whitenDesign } from '../../src/stats/first-level/regression.js';
import { parseNoiseModel, runGlm } from '../../src/stats/first-level/glm.js';
import { meanScaling } from '../../src/stats/first-level/scaling.js';

function rng(seed: number): () => number {
  let s = seed;
  return () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
}
function gaussian(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
}

/** A synthetic design (n x p, last column constant) and AR(1) noise data, time-major. */
function synth(n: number, p: number, nVox: number, seed: number): { x: Mat; y: Float32Array } {
  const g = gaussian(rng(seed));
  const u = rng(seed + 1);
  const x: Mat = { rows: n, cols: p, data: new Float64Array(n * p) };
  for (let t = 0; t < n; t++) for (let j = 0; j < p; j++) x.data[t * p + j] = j === p - 1 ? 1 : Math.sin((t + 1) * (j + 1) * 0.37) + 0.3 * g();
  const y = new Float32Array(n * nVox);
  for (let v = 0; v < nVox; v++) {
    const rho = -0.2 + 0.9 * u();
    const amp = 3 * (u() - 0.5);
    let e = 0;
    for (let t = 0; t < n; t++) {
      e = rho * e + g();
      y[t * nVox + v] = 100 + amp * x.data[t * p] + e;
    }
  }
  return { x, y };
}

/**
 * Straightforward per-voxel transcription of nilearn's run_glm (normal equations,
 * no chunking, no sums tricks), used as an independent reference.
 */
function naiveRunGlm(y: Float32Array, x: Mat, order: number, bins: number) {
  const n = x.rows, p = x.cols, nVox = y.length / n;
  const col = (v: number) => Float64Array.from({ length: n }, (_, t) => y[t * nVox + v]);
  const fit = (xw: Mat, yv: Float64Array) => {
    const xtxi = inv(matmul(transpose(xw), xw));
    const beta = matmul(matmul(xtxi, transpose(xw)), { rows: n, cols: 1, data: yv }).data;
    const pred = matmul(xw, { rows: p, cols: 1, data: beta }).data;
    let sse = 0;
    for (let t = 0; t < n; t++) sse += (yv[t] - pred[t]) ** 2;
    const variance = (a: Float64Array) => { const m = a.reduce((s, z) => s + z, 0) / a.length; return a.reduce((s, z) => s + (z - m) ** 2, 0) / a.length; };
    return { beta, pred, sse, r2: variance(pred) / variance(yv), normCov: xtxi };
  };
  const ols = Array.from({ length: nVox }, (_, v) => fit(x, col(v)));
  if (order === 0) return { ols, ar: ols.map((f) => ({ ...f, binned: 0 })), rho: [] as number[][] };
  const resid = ols.map((f, v) => { const yv = col(v); return yv.map((z, t) => z - f.pred[t]); });
  let mean = 0;
  resid.forEach((r) => r.forEach((z) => { mean += z; }));
  mean /= n * nVox;
  const rho: number[][] = [];
  const ar = resid.map((r0, v) => {
    const r = r0.map((z) => z - mean);
    const acf = Array.from({ length: order + 1 }, (_, k) => {
      let s = 0;
      for (let t = 0; t + k < n; t++) s += r[t] * r[t + k];
      return s / ((n - k) * n);
    });
    const toe = fromRows(Array.from({ length: order }, (_, i) => Array.from({ length: order }, (_, j) => acf[Math.abs(i - j)])));
    const sol = matmul(inv(toe), { rows: order, cols: 1, data: Float64Array.from(acf.slice(1)) }).data;
    rho.push(Array.from(sol));
    if (order > 1) return null;
    const binned = (Math.trunc(sol[0] * bins) + 0) / bins;
    const xw = whitenDesign(x, [binned]);
    const yw = col(v);
    for (let t = n - 1; t >= 1; t--) yw[t] -= binned * yw[t - 1];
    return { ...fit(xw, yw), binned };
  });
  return { ols, ar, rho };
}

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test('OLS on a hand-checked 5-scan regression', () => {
  const x = fromRows([[1, 0], [1, 1], [1, 2], [1, 3], [1, 4]]);
  const y = Float64Array.of(1, 3, 2, 5, 4);
  const fit = runGlm(y, x, { noiseModel: 'ols' });
  assert.ok(close(fit.theta[0], 1.4, 1e-14) && close(fit.theta[1], 0.8, 1e-14));
  assert.ok(close(fit.dispersion[0], 1.2, 1e-14)); // SSE 3.6 / (5 - 2)
  assert.ok(close(fit.rSquare[0], 0.64, 1e-14)); // var(pred) 1.28 / var(y) 2
  assert.equal(fit.models.length, 1);
  assert.equal(fit.models[0].key, '0.0');
  assert.equal(fit.models[0].dfResid, 3);
  const nc = Array.from(fit.models[0].normCov.data);
  [0.6, -0.2, -0.2, 0.1].forEach((v, i) => assert.ok(close(nc[i], v, 1e-13)));
});

test('AR(1) on the same 5 scans: Yule-Walker, truncating bin, whitened refit', () => {
  const x = fromRows([[1, 0], [1, 1], [1, 2], [1, 3], [1, 4]]);
  const y = Float64Array.of(1, 3, 2, 5, 4);
  const fit = runGlm(y, x, { noiseModel: 'ar1' });
  // residuals -0.4 0.8 -1 1.2 -0.6 (mean 0): r0 = 3.6/25, r1 = -3.04/20 -> rho = -1.0556 -> int(-105.56)/100
  assert.ok(close(fit.arCoef![0], (-3.04 / 20) / (3.6 / 25), 1e-13));
  assert.equal(fit.models.length, 1);
  assert.equal(fit.models[0].key, '-1.05');
  assert.equal(fit.models[0].rho[0], -1.05);
  const ref = naiveRunGlm(Float32Array.from(y), x, 1, 100).ar[0]!;
  assert.ok(close(fit.theta[0], ref.beta[0], 1e-12) && close(fit.theta[1], ref.beta[1], 1e-12));
  assert.ok(close(fit.dispersion[0], ref.sse / 3, 1e-12));
  assert.ok(close(fit.rSquare[0], ref.r2, 1e-12));
});

test('whitenDesign subtracts lags of the raw design and leaves the first rows unscaled (nilearn ARModel.whiten)', () => {
  const x = fromRows([[1], [2], [4]]);
  assert.deepEqual(Array.from(whitenDesign(x, [0.5]).data), [1, 1.5, 3]);
  assert.deepEqual(Array.from(whitenDesign(x, [0.5, 0.25]).data), [1, 1.5, 2.75]);
  const m = linearModel(fromRows([[1, 0], [1, 1], [1, 2], [1, 2]]));
  assert.equal(m.dfModel, 2);
  assert.equal(m.dfResid, 2);
  assert.equal(m.dispersionDenominator, 2);
});

test('runGlm ar1 matches a per-voxel transcription of nilearn run_glm on synthetic data', () => {
  const n = 60, p = 5, nVox = 300;
  const { x, y } = synth(n, p, nVox, 42);
  const fit = runGlm(y, x, { noiseModel: 'ar1', chunkSize: 64 });
  const ref = naiveRunGlm(y, x, 1, 100);
  assert.ok(fit.models.length > 10, 'several AR bins');
  let worst = 0;
  for (let v = 0; v < nVox; v++) {
    const r = ref.ar[v]!;
    assert.ok(close(fit.arCoef![v], ref.rho[v][0], 1e-12));
    const model = fit.models[fit.labels[v]];
    assert.equal(model.rho[0], r.binned);
    for (let j = 0; j < p; j++) worst = Math.max(worst, Math.abs(fit.theta[j * nVox + v] - r.beta[j]) / Math.max(1, Math.abs(r.beta[j])));
    assert.ok(close(fit.dispersion[v], r.sse / (n - p), 1e-10));
    assert.ok(close(fit.rSquare[v], r.r2, 1e-10));
    for (let i = 0; i < p * p; i++) assert.ok(close(model.normCov.data[i], r.normCov.data[i], 1e-9));
  }
  assert.ok(worst < 1e-10, `worst theta rel diff ${worst}`);
  const counts = new Map<number, number>();
  fit.labels.forEach((l) => counts.set(l, (counts.get(l) ?? 0) + 1));
  fit.models.forEach((m, i) => assert.equal(m.nVoxels, counts.get(i)));
});

test('chunk size and voxel grouping do not change a single bit of the results', () => {
  const { x, y } = synth(40, 4, 257, 7);
  for (const noiseModel of ['ols', 'ar1']) {
    const a = runGlm(y, x, { noiseModel, chunkSize: 1024 });
    const b = runGlm(y, x, { noiseModel, chunkSize: 5 });
    assert.deepEqual(a.theta, b.theta);
    assert.deepEqual(a.dispersion, b.dispersion);
    assert.deepEqual(a.rSquare, b.rSquare);
    assert.deepEqual(a.labels, b.labels);
  }
});

test('OLS results and residuals equal the normal-equation solution', () => {
  const n = 50, p = 4, nVox = 37;
  const { x, y } = synth(n, p, nVox, 3);
  const fit = runGlm(y, x, { noiseModel: 'ols', keepResiduals: true, chunkSize: 16 });
  const ref = naiveRunGlm(y, x, 0, 100);
  for (let v = 0; v < nVox; v++) {
    for (let j = 0; j < p; j++) assert.ok(close(fit.theta[j * nVox + v], ref.ols[v].beta[j], 1e-10));
    assert.ok(close(fit.dispersion[v], ref.ols[v].sse / (n - p), 1e-10));
    for (let t = 0; t < n; t++) assert.ok(Math.abs(fit.residuals![t * nVox + v] - (y[t * nVox + v] - ref.ols[v].pred[t])) < 1e-9);
  }
});

test('ar2: Yule-Walker coefficients match the Toeplitz solution, voxels are clustered and refitted with their centre', () => {
  const n = 80, p = 3, nVox = 120;
  const { x, y } = synth(n, p, nVox, 99);
  const fit = runGlm(y, x, { noiseModel: 'ar2', bins: 10 });
  const ref = naiveRunGlm(y, x, 2, 10);
  for (let v = 0; v < nVox; v++) {
    assert.ok(close(fit.arCoef![2 * v], ref.rho[v][0], 1e-10));
    assert.ok(close(fit.arCoef![2 * v + 1], ref.rho[v][1], 1e-10));
  }
  assert.ok(fit.models.length <= 10 && fit.models.length >= 2);
  // each voxel's fit is the AR model of its label
  for (const v of [0, 17, 119]) {
    const m = fit.models[fit.labels[v]];
    assert.match(m.key, /^-?\d+\.\d+_-?\d+\.\d+$/);
    const xw = whitenDesign(x, m.rho);
    const yw = Float64Array.from({ length: n }, (_, t) => y[t * nVox + v] - (t >= 1 ? m.rho[0] * y[(t - 1) * nVox + v] : 0) - (t >= 2 ? m.rho[1] * y[(t - 2) * nVox + v] : 0));
    const beta = matmul(matmul(inv(matmul(transpose(xw), xw)), transpose(xw)), { rows: n, cols: 1, data: yw }).data;
    for (let j = 0; j < p; j++) assert.ok(close(fit.theta[j * nVox + v], beta[j], 1e-9));
  }
  // deterministic
  assert.deepEqual(runGlm(y, x, { noiseModel: 'ar2', bins: 10 }).labels, fit.labels);
});

test('Yule-Walker recovers a known AR(1) coefficient', () => {
  const n = 4000;
  const g = gaussian(rng(5));
  const x: Mat = { rows: n, cols: 1, data: new Float64Array(n).fill(1) };
  const y = new Float64Array(n);
  let e = 0;
  for (let t = 0; t < n; t++) { e = 0.5 * e + g(); y[t] = 10 + e; }
  const fit = runGlm(y, x, { noiseModel: 'ar1' });
  assert.ok(Math.abs(fit.arCoef![0] - 0.5) < 0.05, `${fit.arCoef![0]}`);
});

test('noise model and shape errors', () => {
  assert.equal(parseNoiseModel('ols'), 0);
  assert.equal(parseNoiseModel('ar3'), 3);
  assert.throws(() => parseNoiseModel('arx'), /Acceptable noise models/);
  assert.throws(() => parseNoiseModel('ar0'), /positive integer/);
  assert.throws(() => runGlm(new Float64Array(7), fromRows([[1], [1], [1]]), { noiseModel: 'ols' }), /number of rows/);
});

test('meanScaling: percent signal change per voxel, mean clamped at 1 (nilearn mean_scaling)', () => {
  // 3 scans x 3 voxels: means 200, 0 (-> clamped to 1), 0.5 (-> 1)
  const y = Float64Array.of(100, 1, 0, 200, -2, 1, 300, 1, 0.5);
  const { scaled, mean, zeroMeanVoxels } = meanScaling(y, 3);
  assert.deepEqual(Array.from(mean), [200, 1, 1]);
  assert.equal(zeroMeanVoxels, 1);
  const expect = [-50, 0, -100, 0, -300, 0, 50, 0, -50];
  expect.forEach((e, i) => assert.ok(Math.abs(scaled[i] - e) < 1e-12, `${i}: ${scaled[i]}`));
  // float32 input stays float32 and mirrors numpy's float32 arithmetic
  const f = meanScaling(Float32Array.of(1000.5, 1001.25, 999.75, 998.5), 4);
  assert.ok(f.scaled instanceof Float32Array);
  const m = Math.fround((1000.5 + 1001.25 + 999.75 + 998.5) / 4);
  assert.equal(f.scaled[0], Math.fround(100 * Math.fround(Math.fround(1000.5 / m) - 1)));
  assert.throws(() => meanScaling(new Float64Array(5), 2), /multiple/);
  // in place
  const z = Float64Array.of(2, 4);
  meanScaling(z, 2, { inPlace: true });
  assert.ok(Math.abs(z[0] + 100 / 3) < 1e-12 && Math.abs(z[1] - 100 / 3) < 1e-12);
});
