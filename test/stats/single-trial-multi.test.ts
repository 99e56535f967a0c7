/**
 * The closed-form LSS with K columns per trial (derivative HRFs, FIR) against an explicit
 * refit of every trial model written here in plain double precision (normal equations;
 * AR(1): OLS residuals, lag-1 Yule-Walker coefficient truncated to 1/100, whitened refit, as
 * nilearn's run_glm), on a small synthetic design:
 * - "derivative" columns orthogonalised on the canonical one within each event set, as nilearn
 *   does per condition, so the rest of a condition in a trial model is not the condition
 *   minus the trial (the `rest` columns of LssTrial);
 * - FIR delays (rest = condition - trial), the estimate the mean over the delays;
 * - a trial whose derivative column vanishes is flagged inestimable.
 * Effects agree to 1e-10 (relative) and z to 1e-9 for OLS and AR(1).
 * Then two edge cases (found in review):
 * - a FIR trial whose last delay falls after the run end (a zero column): every route (closed
 *   form LSS, explicit LSS refits, LSA) flags it inestimable and writes a zero volume;
 * - a derivative model whose other trials of the condition lie only on scrubbed scans (the
 *   trial is `alone`): nilearn orthogonalised the condition's columns over all scans, so on
 *   the kept scans X_c is a mixture of the trial's own columns; the estimate must be that of
 *   nilearn's trial model [X_other, A], by the closed form and by the refit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lsa, lssFast, lssFast64, lssRefit, type LssTrial } from '../../src/stats/first-level/single-trial.js';
import type { Mat } from '../../src/stats/core/matrix.js';
import { orthogonalizeColumns } from '../../src/stats/design/orthogonalize.js';
import { tToZTable } from '../../src/stats/core/t-to-z.js';
import { mulberry32 as rng, gauss } from '../helpers/random.js';


const N = 96;
const bump = (onset: number, width = 1.5) => Float64Array.from({ length: N }, (_, t) => (t >= onset ? 5 * ((t - onset) / (width + 1)) ** 2 * Math.exp(-(t - onset) / width) : 0));

type Kind = 'derivative' | 'dispersion' | 'fir';

/** The K raw columns of one event (before any orthogonalisation). */
function eventColumns(kind: Kind, onset: number): Float64Array[] {
  if (kind === 'fir') {
    // three delays: the event's (fractional) scan, one and two scans later
    return [0, 1, 2].map((d) => Float64Array.from({ length: N }, (_, t) => {
      const s = t - d - onset;
      return s >= 0 && s < 1 ? 1 - s : s >= -1 && s < 0 ? 1 + s : 0;
    }));
  }
  const main = bump(onset);
  const deriv = Float64Array.from(main, (v, t) => v - bump(onset + 0.6)[t]);
  if (kind === 'derivative') return [main, deriv];
  const disp = Float64Array.from(main, (v, t) => v - bump(onset, 1.65)[t]);
  return [main, deriv, disp];
}

/** Columns of a set of events: the sum of their raw columns, orthogonalised (not FIR) as nilearn's compute_regressor. */
function setColumns(kind: Kind, onsets: number[], zeroDeriv: Set<number> = new Set()): Float64Array[] {
  const K = kind === 'derivative' ? 2 : 3;
  const raw = Array.from({ length: K }, () => new Float64Array(N));
  for (const o of onsets) {
    eventColumns(kind, o).forEach((c, j) => {
      if (j === 1 && zeroDeriv.has(o)) return;
      for (let t = 0; t < N; t++) raw[j][t] += c[t];
    });
  }
  if (kind === 'fir') return raw;
  const data = new Float64Array(N * K);
  for (let t = 0; t < N; t++) for (let j = 0; j < K; j++) data[t * K + j] = raw[j][t];
  orthogonalizeColumns(data, N, K);
  return raw.map((_, j) => Float64Array.from({ length: N }, (_, t) => data[t * K + j]));
}

/** Two conditions (5 and 4 trials) and one with a single trial, K columns each, a confound, a drift, the constant. */
function problem(kind: Kind, seed: number, nVox = 60, zeroDeriv: Set<number> = new Set()) {
  const r = rng(seed);
  const onsets = [[4.3, 21.7, 37.2, 55.9, 70.4], [12.6, 30.1, 46.8, 63.3], [80.2]];
  const conds = onsets.map((os) => setColumns(kind, os, zeroDeriv));
  const K = conds[0].length;
  const p = 3 * K + 3;
  const x: Mat = { rows: N, cols: p, data: new Float64Array(N * p) };
  const conf = Float64Array.from({ length: N }, () => gauss(r));
  for (let t = 0; t < N; t++) {
    conds.forEach((cs, c) => cs.forEach((col, j) => (x.data[t * p + c * K + j] = col[t])));
    x.data[t * p + 3 * K] = conf[t];
    x.data[t * p + 3 * K + 1] = Math.cos((Math.PI * (t + 0.5)) / N);
    x.data[t * p + 3 * K + 2] = 1;
  }
  const trials: LssTrial[] = [];
  onsets.forEach((os, c) => os.forEach((o) => {
    const own = setColumns(kind, [o], zeroDeriv);
    const rest = kind === 'fir' ? undefined : setColumns(kind, os.filter((q) => q !== o), zeroDeriv);
    trials.push({ regressors: own, columns: own.map((_, j) => c * K + j), alone: os.length === 1, ...(rest ? { rest } : {}) });
  }));
  const y = new Float64Array(N * nVox);
  for (let v = 0; v < nVox; v++) {
    let e = 0;
    const amps = trials.map(() => [1 + 0.5 * gauss(r), 0.3 * gauss(r), 0.2 * gauss(r)]);
    for (let t = 0; t < N; t++) {
      e = 0.35 * e + gauss(r);
      let s = 100 + 0.5 * conf[t];
      trials.forEach((tr, k) => tr.regressors.forEach((a, j) => (s += amps[k][j] * a[t])));
      y[t * nVox + v] = s + e;
    }
  }
  const weights = kind === 'fir' ? [1 / 3, 1 / 3, 1 / 3] : Array.from({ length: K }, (_, j) => (j === 0 ? 1 : 0));
  return { x, y, trials, nVox, K, weights };
}

/** Solves the symmetric positive definite m x m system a·x = b (Cholesky). */
function spdSolve(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let j = 0; j < m; j++) {
    let d = a[j * m + j];
    for (let k = 0; k < j; k++) d -= l[j * m + k] ** 2;
    l[j * m + j] = Math.sqrt(d);
    for (let i = j + 1; i < m; i++) {
      let v = a[i * m + j];
      for (let k = 0; k < j; k++) v -= l[i * m + k] * l[j * m + k];
      l[i * m + j] = v / l[j * m + j];
    }
  }
  const x = b.slice();
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < i; k++) x[i] -= l[i * m + k] * x[k];
    x[i] /= l[i * m + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    for (let k = i + 1; k < m; k++) x[i] -= l[k * m + i] * x[k];
    x[i] /= l[i * m + i];
  }
  return x;
}

/** OLS of columns z (m of n = y.length) on y: coefficients, residual, (ZᵀZ)⁻¹·c. */
function ols(z: Float64Array[], y: Float64Array, c: Float64Array) {
  const m = z.length;
  const g = new Float64Array(m * m);
  const zy = new Float64Array(m);
  const n = y.length;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) for (let t = 0; t < n; t++) g[i * m + j] += z[i][t] * z[j][t];
    for (let t = 0; t < n; t++) zy[i] += z[i][t] * y[t];
  }
  const beta = spdSolve(g, zy, m);
  const res = Float64Array.from(y, (v, t) => v - z.reduce((s, col, i) => s + beta[i] * col[t], 0));
  return { beta, res, gc: spdSolve(g, c, m) };
}

const whiten = (v: Float64Array, rho: number) => Float64Array.from(v, (x, t) => (t === 0 ? x : x - rho * v[t - 1]));

/** Every trial model refitted explicitly (see the module comment). */
function explicit(x: Mat, y: Float64Array, nVox: number, trials: LssTrial[], weights: number[], ar1: boolean) {
  const p = x.cols;
  const T = trials.length;
  const effect = new Float64Array(T * nVox);
  const z = new Float64Array(T * nVox);
  trials.forEach((tr, k) => {
    const cols: Float64Array[] = Array.from({ length: p }, (_, j) => Float64Array.from({ length: N }, (_, t) => x.data[t * p + j]));
    let c: Float64Array = new Float64Array(p);
    if (tr.alone) {
      tr.columns.forEach((col, j) => (c[col] = weights[j]));
    } else {
      tr.columns.forEach((col, j) => (cols[col] = tr.rest ? tr.rest[j] : Float64Array.from(cols[col], (v, t) => v - tr.regressors[j][t])));
      cols.push(...tr.regressors);
      c = new Float64Array(p + tr.regressors.length);
      weights.forEach((w, j) => (c[p + j] = w));
    }
    const m = cols.length;
    const zOf = tToZTable(N - m);
    for (let v = 0; v < nVox; v++) {
      const yv = Float64Array.from({ length: N }, (_, t) => y[t * nVox + v]);
      let fit = ols(cols, yv, c);
      if (ar1) {
        let s0 = 0;
        let s1 = 0;
        for (let t = 0; t < N; t++) s0 += fit.res[t] ** 2;
        for (let t = 0; t + 1 < N; t++) s1 += fit.res[t] * fit.res[t + 1];
        const rho = Math.trunc(((s1 / (N - 1)) / (s0 / N)) * 100) / 100;
        fit = ols(cols.map((col) => whiten(col, rho)), whiten(yv, rho), c);
      }
      const b = c.reduce((s, w, i) => s + w * fit.beta[i], 0);
      const sse = fit.res.reduce((s, r) => s + r * r, 0);
      const varc = c.reduce((s, w, i) => s + w * fit.gc[i], 0);
      effect[k * nVox + v] = b;
      z[k * nVox + v] = zOf(b / Math.sqrt((sse / (N - m)) * varc));
    }
  });
  return { effect, z };
}

for (const kind of ['derivative', 'dispersion', 'fir'] as const) {
  for (const noise of ['ols', 'ar1'] as const) {
    test(`LSS closed form with ${kind} columns (${noise}) equals an explicit refit of every trial model`, (t) => {
      const { x, y, trials, nVox, weights } = problem(kind, kind.length * 7 + noise.length);
      const fast = lssFast64(y, x, trials, { noiseModel: noise, weights, chunkSize: 16 });
      const ref = explicit(x, y, nVox, trials, weights, noise === 'ar1');
      assert.ok(fast.estimable.every(Boolean));
      let maxE = 0;
      let maxZ = 0;
      for (let i = 0; i < ref.effect.length; i++) {
        maxE = Math.max(maxE, Math.abs(fast.effect[i] - ref.effect[i]) / (1 + Math.abs(ref.effect[i])));
        maxZ = Math.max(maxZ, Math.abs(fast.z[i] - ref.z[i]));
      }
      t.diagnostic(`max relative |d effect| ${maxE.toExponential(2)}, max |dz| ${maxZ.toExponential(2)}`);
      assert.ok(maxE < 1e-10, `effect: ${maxE}`);
      assert.ok(maxZ < 1e-9, `z: ${maxZ}`);
      // the float32 route gives the same numbers at single precision
      const f32 = lssFast(Float32Array.from(y), x, trials, { noiseModel: noise, weights });
      for (let i = 0; i < ref.effect.length; i += 7) assert.ok(Math.abs(f32.effect[i] - ref.effect[i]) < 1e-4 * (1 + Math.abs(ref.effect[i])));
      // and so does the library's per-trial refit (the fallback when the closed form does not apply)
      const refit = lssRefit(Float32Array.from(y), x, trials, { noiseModel: noise, weights });
      assert.deepEqual(refit.estimable, fast.estimable);
      for (let i = 0; i < ref.effect.length; i += 5) {
        assert.ok(Math.abs(refit.effect[i] - ref.effect[i]) < 1e-4 * (1 + Math.abs(ref.effect[i])), `refit effect ${i}`);
        assert.ok(Math.abs(refit.z[i] - ref.z[i]) < 1e-4, `refit z ${i}`);
      }
    });
  }
}

test('LSS and LSA with derivative columns: a trial whose derivative column vanishes is inestimable, the others unchanged', () => {
  // the trial at 37.2 s has no derivative column (its own is zero): its trial model is rank deficient
  const { x, y, trials, nVox, weights } = problem('derivative', 5, 30, new Set([37.2]));
  const bad = trials.findIndex((tr) => tr.regressors[1].every((v) => v === 0));
  assert.equal(bad, 2);
  for (const noise of ['ols', 'ar1']) {
    const fast = lssFast64(y, x, trials, { noiseModel: noise, weights });
    assert.deepEqual(fast.estimable.map((e, k) => e || k), trials.map((_, k) => (k === bad ? bad : true)));
    for (let v = 0; v < nVox; v++) assert.equal(fast.effect[bad * nVox + v], 0);
    const ref = explicit(x, y, nVox, trials.filter((_, k) => k !== bad), weights, noise === 'ar1');
    const kept = trials.map((_, k) => k).filter((k) => k !== bad);
    kept.forEach((k, i) => {
      for (let v = 0; v < nVox; v++) assert.ok(Math.abs(fast.effect[k * nVox + v] - ref.effect[i * nVox + v]) < 1e-9, `${noise} trial ${k} voxel ${v}`);
    });
  }
  // LSA: the all-trials design (K columns per trial) flags the same trial
  const K = 2;
  const T = trials.length;
  const p = T * K + 3;
  const d: Mat = { rows: N, cols: p, data: new Float64Array(N * p) };
  for (let t = 0; t < N; t++) {
    trials.forEach((tr, k) => tr.regressors.forEach((a, j) => (d.data[t * p + k * K + j] = a[t])));
    for (let j = 0; j < 3; j++) d.data[t * p + T * K + j] = x.data[t * x.cols + x.cols - 3 + j];
  }
  const res = lsa(Float32Array.from(y), d, trials.map((_, k) => [k * K, k * K + 1]), { noiseModel: 'ols', weights });
  assert.deepEqual(res.estimable.map((e, k) => e || k), trials.map((_, k) => (k === bad ? bad : true)));
});

test('FIR trial whose last delay falls after the run end: inestimable with a zero volume in LSS (closed form and refit) and LSA', () => {
  const r = rng(3);
  const onsets = [5, 20, 35, 50, 65, 80, 95]; // 95 + 1 = 96: delay 1 beyond the run
  const K = 2;
  const T = onsets.length;
  const trialCols = onsets.map((o) => eventColumns('fir', o).slice(0, K)); // delays 0 and 1
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
  const cond = setColumns('derivative', [10, 93.5]); // the trial at 10 s, the other only on scrubbed scans
  const own = setColumns('derivative', [10]);
  const rest = setColumns('derivative', [93.5]);
  const other = setColumns('derivative', [30, 50]);
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
    const want = ols(z, yv, new Float64Array(z.length)).beta[3];
    assert.ok(Math.abs(fast.effect[v] - want) < 1e-9 * (1 + Math.abs(want)), `voxel ${v}: closed form ${fast.effect[v]} vs trial model ${want}`);
    assert.ok(Math.abs(refit.effect[v] - want) < 1e-5 * (1 + Math.abs(want)), `voxel ${v}: refit ${refit.effect[v]} vs trial model ${want}`);
    // and not the condition model's canonical coefficient (what w_X = c would report)
    assert.ok(Math.abs(want - ols(xc, yv, new Float64Array(xc.length)).beta[0]) > 1e-3, 'the case tells the two apart');
  }
});
