import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mat } from '../../src/stats/core/matrix.js';
import { fromRows, inv } from '../helpers/linalg.js';
import { type GlmResult, runGlm } from '../../src/stats/first-level/glm.js';
import { computeContrast, contrastEffects, padContrast } from '../../src/stats/first-level/contrast.js';
import { tCdf, tSf } from '../../src/stats/core/distributions.js';

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

function rng(seed: number): () => number {
  let s = seed;
  return () => { s = (s * 16807) % 2147483647; return s / 2147483647; };
}
function synthFit(seed: number, noiseModel = 'ar1'): { fit: GlmResult; x: Mat } {
  const r = rng(seed);
  const g = () => Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
  const n = 50, p = 4, nVox = 40;
  const x: Mat = { rows: n, cols: p, data: new Float64Array(n * p) };
  for (let t = 0; t < n; t++) for (let j = 0; j < p; j++) x.data[t * p + j] = j === p - 1 ? 1 : Math.cos((t + 1) * (j + 2) * 0.29) + 0.2 * g();
  const y = new Float64Array(n * nVox);
  for (let v = 0; v < nVox; v++) for (let t = 0; t < n; t++) y[t * nVox + v] = 5 + (v % 5) * x.data[t * p] - 0.5 * x.data[t * p + 1] + g();
  return { fit: runGlm(y, x, { noiseModel }), x };
}

/** A hand-built fit: one regressor, normCov [[1]], unit dispersion, given dof. */
function handFit(theta: number[], dof: number): GlmResult {
  const nVox = theta.length;
  const one: Mat = { rows: 1, cols: 1, data: Float64Array.of(1) };
  return {
    nScans: dof + 1, nRegressors: 1, nVoxels: nVox, noiseModel: 'ols', arOrder: 0,
    labels: new Int32Array(nVox), theta: Float64Array.from(theta), dispersion: new Float64Array(nVox).fill(1),
    rSquare: new Float64Array(nVox),
    models: [{
      key: '0.0', nVoxels: nVox, rho: new Float64Array(0), whitenedDesign: one, calcBeta: one, normCov: one,
      dfTotal: dof + 1, dfModel: 1, dfResid: dof, dispersionDenominator: dof,
    }],
  };
}

test('t contrast on the hand-checked 5-scan regression (mpmath reference for p and z)', () => {
  const x = fromRows([[1, 0], [1, 1], [1, 2], [1, 3], [1, 4]]);
  const fit = runGlm(Float64Array.of(1, 3, 2, 5, 4), x, { noiseModel: 'ols' });
  const r = computeContrast(fit, Float64Array.of(0, 1));
  assert.equal(r.statType, 't');
  assert.equal(r.dof, 3);
  assert.ok(close(r.effectSize[0], 0.8, 1e-14));
  assert.ok(close(r.effectVariance[0], 0.12, 1e-13)); // dispersion 1.2 x normCov[1][1] 0.1
  assert.ok(close(r.stat[0], 2.3094010767585030580, 1e-13));
  assert.ok(close(r.pValue[0], 0.052044019330913929311, 1e-12));
  assert.ok(close(r.zScore[0], 1.6253498337031865865, 1e-12));
  assert.ok(close(r.oneMinusPValue[0], 1 - 0.052044019330913929311, 1e-14));
});

test('t contrast: effect, variance, stat and p per voxel from the label models', () => {
  const { fit } = synthFit(1);
  assert.ok(fit.models.length > 1);
  const c = Float64Array.of(1, -1, 0, 0);
  const r = computeContrast(fit, c);
  for (let v = 0; v < fit.nVoxels; v++) {
    const m = fit.models[fit.labels[v]];
    const eff = fit.theta[v] - fit.theta[fit.nVoxels + v];
    const nc = m.normCov.data;
    const q = nc[0] - nc[1] - nc[4] + nc[5];
    assert.ok(close(r.effectSize[v], eff, 1e-12));
    assert.ok(close(r.effectVariance[v], fit.dispersion[v] * q, 1e-12));
    const t = eff / Math.sqrt(fit.dispersion[v] * q);
    assert.ok(close(r.stat[v], t, 1e-12));
    assert.ok(close(r.pValue[v], tSf(t, m.dfResid), 1e-12));
    assert.ok(close(r.oneMinusPValue[v], tCdf(t, m.dfResid), 1e-12));
  }
  // a plain number[] vector is the same contrast
  assert.deepEqual(computeContrast(fit, [1, -1, 0, 0]).stat, r.stat);
});

test('z stays finite and accurate in both tails (t = ±40 and beyond the 1e-300 clip)', () => {
  const r = computeContrast(handFit([40, -40, 1e4, -1e4, 0], 100), Float64Array.of(1));
  const expected = [16.799475684947823056, -16.799475684947823056, 37.047096299361199237, -37.047096299361199237, 0];
  expected.forEach((z, i) => assert.ok(Math.abs(r.zScore[i] - z) < 1e-11 * Math.max(1, Math.abs(z)), `${i}: ${r.zScore[i]}`));
  assert.ok(close(r.pValue[0], 1.2310538010700354086e-63, 1e-12));
  assert.ok(close(r.oneMinusPValue[1], 1.2310538010700354086e-63, 1e-12));
});

test('an F contrast with one row equals the squared t contrast, with a two-sided p', () => {
  const { fit } = synthFit(2);
  const c = Float64Array.of(0.5, 0, -1, 0);
  const t = computeContrast(fit, c);
  const f = computeContrast(fit, c, { statType: 'F' });
  assert.equal(f.statType, 'F');
  assert.equal(f.dim, 1);
  for (let v = 0; v < fit.nVoxels; v++) {
    assert.ok(close(f.stat[v], t.stat[v] ** 2, 1e-12));
    assert.ok(close(f.pValue[v], 2 * Math.min(t.pValue[v], t.oneMinusPValue[v]), 1e-10));
    assert.ok(close(f.effectVariance[v], fit.dispersion[v], 0));
    // 1-row whitened effect = (c·theta) / sqrt(c normCov cᵀ)
    assert.ok(close(Math.abs(f.effectSize[v]), Math.abs(t.effectSize[v]) / Math.sqrt(t.effectVariance[v] / fit.dispersion[v]), 1e-12));
  }
});

test('a 2-row F contrast: whitened effect sqrtm(inv(C cov Cᵀ))·Cθ and F = |effect|²/q/dispersion', () => {
  const { fit } = synthFit(3);
  const C = [[1, 0, 0, 0], [0, 1, 0, 0]];
  const r = computeContrast(fit, C);
  assert.equal(r.statType, 'F');
  assert.equal(r.dim, 2);
  assert.equal(r.effectSize.length, 2 * fit.nVoxels);
  const nVox = fit.nVoxels;
  for (let v = 0; v < nVox; v++) {
    const nc = fit.models[fit.labels[v]].normCov.data;
    const M = fromRows([[nc[0], nc[1]], [nc[4], nc[5]]]);
    // independent 2x2 SPD square root: sqrt(A) = (A + sqrt(det A) I) / sqrt(tr A + 2 sqrt(det A))
    const A = inv(M).data;
    const sd = Math.sqrt(A[0] * A[3] - A[1] * A[2]);
    const k = 1 / Math.sqrt(A[0] + A[3] + 2 * sd);
    const S = [(A[0] + sd) * k, A[1] * k, A[2] * k, (A[3] + sd) * k];
    const cb = [fit.theta[v], fit.theta[nVox + v]];
    const e0 = S[0] * cb[0] + S[1] * cb[1];
    const e1 = S[2] * cb[0] + S[3] * cb[1];
    assert.ok(close(r.effectSize[v], e0, 1e-10));
    assert.ok(close(r.effectSize[nVox + v], e1, 1e-10));
    assert.ok(close(r.stat[v], (e0 * e0 + e1 * e1) / 2 / fit.dispersion[v], 1e-10));
  }
});

test('fixed effects over two runs: mean effect, variance / 4 (sum / n²), summed dof', () => {
  const a = synthFit(4).fit;
  const b = synthFit(5).fit;
  const c = Float64Array.of(1, 0, 0, 0);
  const ra = contrastEffects(a, c);
  const rb = contrastEffects(b, c);
  const warnings: string[] = [];
  const r = computeContrast([a, b], c, { onWarning: (m) => warnings.push(m) });
  assert.deepEqual(warnings, ['One contrast given, assuming it for all 2 runs']);
  assert.equal(r.dof, ra.dof + rb.dof);
  for (let v = 0; v < a.nVoxels; v++) {
    const eff = (ra.effect[v] + rb.effect[v]) * 0.5;
    const vr = (ra.variance[v] + rb.variance[v]) * 0.25;
    assert.ok(close(r.effectSize[v], eff, 1e-14));
    assert.ok(close(r.effectVariance[v], vr, 1e-14));
    assert.ok(close(r.stat[v], eff / Math.sqrt(vr), 1e-13));
    assert.ok(close(r.pValue[v], tSf(eff / Math.sqrt(vr), ra.dof + rb.dof), 1e-12));
  }
  // one contrast per run, the second null: skipped with nilearn's warning, result = run 1 alone
  const w2: string[] = [];
  const r1 = computeContrast([a, b], [c, new Float64Array(4)], { onWarning: (m) => w2.push(m) });
  assert.deepEqual(w2, ['Contrast for run 1 is null']);
  assert.deepEqual(r1.effectSize, ra.effect);
  assert.equal(r1.dof, ra.dof);
  assert.throws(() => computeContrast([a, b], [new Float64Array(4), new Float64Array(4)]), /all contrasts provided were null/);
  assert.throws(() => computeContrast([a, b], [c, c, c]), /3 contrasts given, while there are 2 runs/);
  // F fixed effects warn like nilearn
  const w3: string[] = [];
  computeContrast([a, b], [[[1, 0, 0, 0], [0, 1, 0, 0]], [[1, 0, 0, 0], [0, 1, 0, 0]]], { onWarning: (m) => w3.push(m) });
  assert.deepEqual(w3, ['Running approximate fixed effects on F statistics.']);
});

test('padding of short numeric contrasts and errors (nilearn pad_contrast)', () => {
  const { fit } = synthFit(6, 'ols');
  const warnings: string[] = [];
  const r = computeContrast(fit, [1, -1], { onWarning: (m) => warnings.push(m) });
  assert.deepEqual(warnings, ['t contrasts should be of length P=4, but it has length 2. The rest of the contrast was padded with zeros.']);
  assert.deepEqual(r.stat, computeContrast(fit, [1, -1, 0, 0]).stat);
  const padded = padContrast(fromRows([[1], [2]]), 3, 'F', (m) => warnings.push(m));
  assert.deepEqual(Array.from(padded.data), [1, 0, 0, 2, 0, 0]);
  assert.match(warnings[1], /F contrasts should have 3 colmuns, but it has only 1/);
  assert.throws(() => computeContrast(fit, [1, 0, 0, 0, 0]), /t contrasts should be of length P=4, but it has length 5/);
  assert.throws(() => computeContrast(fit, [[1, 0, 0, 0], [0, 1, 0, 0]], { statType: 't' }), /only one row/);
  assert.throws(() => computeContrast(fit, [1, 0, 0, 0], { statType: 'Z' as 't' }), /not a known contrast type/);
  // a 1-row matrix is a t contrast by default
  assert.equal(computeContrast(fit, [[1, 0, 0, 0]]).statType, 't');
});
