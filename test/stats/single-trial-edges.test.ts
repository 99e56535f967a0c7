/**
 * Edge cases of the K-column single-trial estimates (found in review):
 * 1. A FIR trial whose last delay falls after the run end (a zero column): every route (closed
 *    form LSS, explicit LSS refits, LSA) flags it inestimable and writes a zero volume.
 * 2. A derivative model whose other trials of the condition lie only on scrubbed scans (the
 *    trial is `alone`): nilearn orthogonalised the condition's columns over all scans, so on
 *    the kept scans X_c is a mixture of the trial's own columns; the estimate must be that of
 *    nilearn's trial model [X_other, A], by the closed form and by the refit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lsa, lssFast64, lssRefit, type LssTrial } from '../../src/stats/first-level/single-trial.js';
import type { Mat } from '../../src/stats/core/matrix.js';
import { orthogonalizeColumns } from '../../src/stats/design/orthogonalize.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const gauss = (r: () => number) => Math.sqrt(-2 * Math.log(r() + 1e-300)) * Math.cos(2 * Math.PI * r());
const N = 96;
const bump = (onset: number, width = 1.5) => Float64Array.from({ length: N }, (_, t) => (t >= onset ? 5 * ((t - onset) / (width + 1)) ** 2 * Math.exp(-(t - onset) / width) : 0));
function raw2(onset: number): Float64Array[] {
  const main = bump(onset);
  return [main, Float64Array.from(main, (v, t) => v - bump(onset + 0.6)[t])];
}
function orth(onsets: number[]): Float64Array[] {
  const raw = [new Float64Array(N), new Float64Array(N)];
  for (const o of onsets) raw2(o).forEach((c, j) => c.forEach((v, t) => (raw[j][t] += v)));
  const d = new Float64Array(N * 2);
  for (let t = 0; t < N; t++) for (let j = 0; j < 2; j++) d[t * 2 + j] = raw[j][t];
  orthogonalizeColumns(d, N, 2);
  return [0, 1].map((j) => Float64Array.from({ length: N }, (_, t) => d[t * 2 + j]));
}
const fir = (onset: number, d: number) => Float64Array.from({ length: N }, (_, t) => (t === Math.round(onset) + d ? 1 : 0));

/** OLS coefficients of y on the columns (normal equations, Gaussian elimination). */
function olsBeta(cols: Float64Array[], y: Float64Array): Float64Array {
  const m = cols.length;
  const n = y.length;
  const a = new Float64Array(m * (m + 1));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) for (let t = 0; t < n; t++) a[i * (m + 1) + j] += cols[i][t] * cols[j][t];
    for (let t = 0; t < n; t++) a[i * (m + 1) + m] += cols[i][t] * y[t];
  }
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(a[r * (m + 1) + c]) > Math.abs(a[p * (m + 1) + c])) p = r;
    for (let j = 0; j <= m; j++) [a[c * (m + 1) + j], a[p * (m + 1) + j]] = [a[p * (m + 1) + j], a[c * (m + 1) + j]];
    for (let r = 0; r < m; r++) {
      if (r === c) continue;
      const f = a[r * (m + 1) + c] / a[c * (m + 1) + c];
      for (let j = c; j <= m; j++) a[r * (m + 1) + j] -= f * a[c * (m + 1) + j];
    }
  }
  return Float64Array.from({ length: m }, (_, i) => a[i * (m + 1) + m] / a[i * (m + 1) + i]);
}

test('FIR trial whose last delay falls after the run end: inestimable with a zero volume in LSS (closed form and refit) and LSA', () => {
  const r = rng(3);
  const onsets = [5, 20, 35, 50, 65, 80, 95]; // 95 + 1 = 96: delay 1 beyond the run
  const K = 2;
  const T = onsets.length;
  const trialCols = onsets.map((o) => [0, 1].map((d) => fir(o, d)));
  const nVox = 4;
  const y = new Float64Array(N * nVox);
  for (let v = 0; v < nVox; v++) for (let t = 0; t < N; t++) y[t * nVox + v] = 100 + gauss(r) + trialCols.reduce((s, cs) => s + 2 * cs[0][t] + cs[1][t], 0);
  // condition model: one condition (K columns), constant
  const p = K + 1;
  const x: Mat = { rows: N, cols: p, data: new Float64Array(N * p) };
  for (let t = 0; t < N; t++) {
    for (let j = 0; j < K; j++) x.data[t * p + j] = trialCols.reduce((s, cs) => s + cs[j][t], 0);
    x.data[t * p + K] = 1;
  }
  const trials: LssTrial[] = trialCols.map((cs) => ({ regressors: cs, columns: [0, 1], alone: false }));
  const weights = [0.5, 0.5];
  const lss = lssFast64(y, x, trials, { noiseModel: 'ols', weights });
  // LSA design: K columns per trial + constant
  const q = T * K + 1;
  const d: Mat = { rows: N, cols: q, data: new Float64Array(N * q) };
  for (let t = 0; t < N; t++) {
    trialCols.forEach((cs, k) => cs.forEach((c, j) => (d.data[t * q + k * K + j] = c[t])));
    d.data[t * q + T * K] = 1;
  }
  const la = lsa(Float32Array.from(y), d, trialCols.map((_, k) => [k * K, k * K + 1]), { noiseModel: 'ols', weights });
  const refit = lssRefit(Float32Array.from(y), x, trials, { noiseModel: 'ols', weights });
  const last = T - 1;
  for (const [name, r] of [['LSS', lss], ['LSS refit', refit], ['LSA', la]] as const) {
    assert.deepEqual(r.estimable, [true, true, true, true, true, true, false], name);
    for (let v = 0; v < nVox; v++) {
      assert.equal(r.effect[last * nVox + v], 0, `${name} voxel ${v}: effect of the inestimable trial`);
      assert.equal(r.z[last * nVox + v], 0, `${name} voxel ${v}: z of the inestimable trial`);
      // the estimable trials: 0.5 (2 + 1) = 1.5 plus noise
      assert.ok(Math.abs(r.effect[2 * nVox + v] - 1.5) < 1, `${name} voxel ${v}: ${r.effect[2 * nVox + v]}`);
    }
  }
});

test('derivative model, the rest of the condition only on scrubbed scans: the estimate of nilearn\'s trial model (closed form and refit)', () => {
  const r = rng(5);
  const keep = Array.from({ length: 70 }, (_, t) => t); // scans 70.. scrubbed
  const n = keep.length;
  const sel = (c: Float64Array) => Float64Array.from(keep, (t) => c[t]);
  const cond = orth([10, 93.5]); // the trial at 10 s, the other at 78 s (only on scrubbed scans)
  const own = orth([10]);
  const rest = orth([93.5]);
  const other = orth([30, 50]);
  const nVox = 3;
  const y = new Float64Array(n * nVox);
  for (let v = 0; v < nVox; v++) for (let i = 0; i < n; i++) y[i * nVox + v] = 100 + 0.3 * gauss(r) + 2 * own[0][keep[i]] + 1.5 * own[1][keep[i]] + other[0][keep[i]];
  const xc = [...cond.map(sel), ...other.map(sel), Float64Array.from({ length: n }, () => 1)];
  const p = xc.length;
  const x: Mat = { rows: n, cols: p, data: new Float64Array(n * p) };
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) x.data[i * p + j] = xc[j][i];
  const restK = rest.map(sel);
  assert.ok(restK.every((c) => c.every((v) => v === 0)), 'the rest vanishes on the kept scans');
  // as nodes/single-trial.ts decides: left = |rest|^2 on kept scans = 0 -> alone
  const trial: LssTrial = { regressors: own.map(sel), columns: [0, 1], alone: true, rest: restK };
  const fast = lssFast64(y, x, [trial], { noiseModel: 'ols', weights: [1, 0] });
  const refit = lssRefit(Float32Array.from(y), x, [trial], { noiseModel: 'ols', weights: [1, 0] });
  // nilearn's trial model on the kept scans: [X_rest, R (zero columns, pinv ignores them), A]
  const z = [...other.map(sel), xc[p - 1], ...own.map(sel)];
  for (let v = 0; v < nVox; v++) {
    const yv = Float64Array.from({ length: n }, (_, i) => y[i * nVox + v]);
    const want = olsBeta(z, yv)[3];
    assert.ok(Math.abs(fast.effect[v] - want) < 1e-9 * (1 + Math.abs(want)), `voxel ${v}: closed form ${fast.effect[v]} vs trial model ${want}`);
    assert.ok(Math.abs(refit.effect[v] - want) < 1e-5 * (1 + Math.abs(want)), `voxel ${v}: refit ${refit.effect[v]} vs trial model ${want}`);
    // and not the condition model's canonical coefficient (what w_X = c would report)
    assert.ok(Math.abs(want - olsBeta(xc, yv)[0]) > 1e-3, 'the case tells the two apart');
  }
});
