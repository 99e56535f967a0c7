/**
 * The AR(1) refit from the OLS pass's sums (refit-sums.ts, runGlm without residual series)
 * against the explicit refit from the data (fitLabelled, which runGlm uses when the residual
 * series are asked for): θ, dispersion, r² and the residual variance agree to ~1e-10 relative,
 * on raw BOLD-like data (a mean far above the noise: the shift by the first value), on
 * percent-signal-change data, and for a design without a constant column (r1 ≠ 0). A
 * near-collinear design is fitted without sums: then the bits are the explicit refit's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mat } from '../../src/stats/core/matrix.js';
import { conditionScaled, svd, svdJacobi } from '../../src/stats/core/matrix.js';
import { Rng } from '../../src/stats/core/prng.js';
import { runGlm } from '../../src/stats/first-level/glm.js';
import { sumsRefitFits } from '../../src/stats/first-level/refit-sums.js';
import { meanScaling } from '../../src/stats/first-level/scaling.js';

function design(n: number, opts: { intercept: boolean; collinear?: boolean }, rng: Rng): Mat {
  const p = 6;
  const x: Mat = { rows: n, cols: p, data: new Float64Array(n * p) };
  for (let t = 0; t < n; t++) {
    x.data[t * p] = opts.intercept ? 1 : Math.cos(t / 11);
    x.data[t * p + 1] = Math.sin(t / 3);
    x.data[t * p + 2] = Math.cos((Math.PI * t) / n);
    x.data[t * p + 3] = 1e-3 * rng.normal(); // a motion-like column in small units
    x.data[t * p + 4] = t % 8 < 3 ? 1 : 0;
    x.data[t * p + 5] = opts.collinear ? x.data[t * p + 1] + 1e-7 * rng.normal() : rng.normal();
  }
  return x;
}

function bold(x: Mat, nVox: number, baseline: number, rng: Rng): Float32Array {
  const n = x.rows;
  const p = x.cols;
  const y = new Float32Array(n * nVox);
  for (let v = 0; v < nVox; v++) {
    const rho = -0.2 + (0.9 * v) / nVox;
    let e = 0;
    for (let t = 0; t < n; t++) {
      e = rho * e + rng.normal();
      y[t * nVox + v] = baseline + 5 * (v % 7) + 2 * x.data[t * p + 1] * (v % 3) + 0.5 * x.data[t * p + 4] * (v % 2) + e;
    }
  }
  return y;
}

/** Largest |a - b| / (|b| + floor) over the finite entries; NaN must match. */
function maxRel(a: Float64Array, b: Float64Array, floor: number): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(b[i])) {
      assert.ok(Number.isNaN(a[i]), `entry ${i}: NaN expected, got ${a[i]}`);
      continue;
    }
    m = Math.max(m, Math.abs(a[i] - b[i]) / (Math.abs(b[i]) + floor));
  }
  return m;
}

const cases = [
  { name: 'raw BOLD (mean 800), design with an intercept', intercept: true, baseline: 800, scale: false },
  { name: 'percent signal change, design with an intercept', intercept: true, baseline: 800, scale: true },
  { name: 'raw BOLD, design without a constant column', intercept: false, baseline: 300, scale: false },
];

for (const c of cases) {
  test(`AR(1) refit from sums = explicit refit to ~1e-10: ${c.name}`, () => {
    const rng = new Rng(11, 'refit-sums');
    const n = 200;
    const nVox = 157;
    const x = design(n, { intercept: c.intercept }, rng);
    // the route under test: long enough for the sums to take at most a quarter of the data
    assert.ok(sumsRefitFits(x, nVox), 'the sums route is taken');
    let y: Float32Array = bold(x, nVox, c.baseline, rng);
    if (c.scale) y = meanScaling(y, n).scaled as Float32Array;
    const opts = { noiseModel: 'ar1', bins: 30, chunkSize: 40 };
    const sums = runGlm(y, x, { ...opts, residuals: 'variance' });
    const explicit = runGlm(y, x, { ...opts, residuals: 'series' });
    assert.deepEqual(sums.labels, explicit.labels);
    if (c.intercept) assert.ok(sums.models.length > 5, `several AR bins (${sums.models.length})`);
    // θ relative to the voxel's largest coefficient (some coefficients are ~0)
    let thetaErr = 0;
    for (let v = 0; v < nVox; v++) {
      let big = 0;
      for (let j = 0; j < x.cols; j++) big = Math.max(big, Math.abs(explicit.theta[j * nVox + v]));
      for (let j = 0; j < x.cols; j++) thetaErr = Math.max(thetaErr, Math.abs(sums.theta[j * nVox + v] - explicit.theta[j * nVox + v]) / big);
    }
    assert.ok(thetaErr < 1e-10, `theta: ${thetaErr}`);
    assert.ok(maxRel(sums.dispersion, explicit.dispersion, 0) < 1e-10, `dispersion: ${maxRel(sums.dispersion, explicit.dispersion, 0)}`);
    assert.ok(maxRel(sums.rSquare, explicit.rSquare, 1e-3) < 1e-9, `r²: ${maxRel(sums.rSquare, explicit.rSquare, 1e-3)}`);
    const rv = maxRel(sums.residualVariance!, explicit.residualVariance!, 0);
    assert.ok(rv < 1e-10, `residual variance: ${rv}`);
  });
}

test('a near-collinear design is fitted without sums (same bits as the explicit refit)', () => {
  const rng = new Rng(12, 'refit-sums');
  const n = 200;
  const nVox = 61;
  const x = design(n, { intercept: true, collinear: true }, rng);
  assert.ok(conditionScaled(x) > 1e5, `condition ${conditionScaled(x)}`);
  assert.ok(!sumsRefitFits(x, nVox), 'refused for the condition number');
  const y = bold(x, nVox, 500, rng);
  const a = runGlm(y, x, { noiseModel: 'ar1', bins: 20, residuals: 'variance' });
  const b = runGlm(y, x, { noiseModel: 'ar1', bins: 20, residuals: 'series' });
  assert.deepEqual(a.theta, b.theta);
  assert.deepEqual(a.dispersion, b.dispersion);
  assert.deepEqual(a.residualVariance, b.residualVariance);
});

test('svdJacobi: the singular values of ml-matrix\'s SVD, orthonormal factors that rebuild the matrix', () => {
  const rng = new Rng(13, 'svd-jacobi');
  for (const [m, k, rank] of [[7, 7, 7], [9, 5, 5], [8, 8, 5], [3, 3, 0]]) {
    const a: Mat = { rows: m, cols: k, data: new Float64Array(m * k) };
    // rank-deficient: a product of random m x rank and rank x k factors
    for (let r = 0; r < rank; r++) {
      const u = Array.from({ length: m }, () => rng.normal());
      const w = Array.from({ length: k }, () => rng.normal() * 10 ** (r - 2));
      for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) a.data[i * k + j] += u[i] * w[j];
    }
    const d = svdJacobi(a);
    const ref = svd(a);
    for (let l = 0; l < k; l++) assert.ok(Math.abs(d.s[l] - ref.s[l]) <= 1e-12 * ref.s[0] + 1e-300, `s[${l}] ${d.s[l]} vs ${ref.s[l]}`);
    for (let l = 1; l < k; l++) assert.ok(d.s[l] <= d.s[l - 1]);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < k; j++) {
        let acc = 0;
        for (let l = 0; l < k; l++) acc += d.u.data[i * k + l] * d.s[l] * d.v.data[j * k + l];
        assert.ok(Math.abs(acc - a.data[i * k + j]) <= 1e-12 * (ref.s[0] || 1), `U S Vᵀ (${i}, ${j})`);
      }
    }
    for (let l = 0; l < k; l++) {
      for (let q = 0; q < k; q++) {
        let vv = 0;
        for (let j = 0; j < k; j++) vv += d.v.data[j * k + l] * d.v.data[j * k + q];
        assert.ok(Math.abs(vv - (l === q ? 1 : 0)) < 1e-12, 'V orthonormal');
      }
    }
  }
});
