/**
 * The closed-form LSS (one extra product per trial on the condition model's fit) against
 * the reference procedure (one GLM per trial), on small synthetic data: identical for OLS and
 * for AR(1) (each trial model's own AR(1) bins, as nilearn refits them), also where the residual
 * vanishes; LSA flags a trial without any kept scan as inestimable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lsa, lssFast, lssRefit, type LssTrial } from '../../src/stats/first-level/single-trial.js';
import type { Mat } from '../../src/stats/core/matrix.js';
import { lssAr1Groups } from '../../src/stats/first-level/single-trial-ar.js';
import { arGroups } from '../../src/stats/first-level/glm.js';
import { mulberry32 as rng, gauss } from '../helpers/random.js';


/** A design with 3 conditions (6, 5 and 1 trials), a confound, a drift and the constant. */
function problem(seed: number, nVox = 300, n = 90) {
  const r = rng(seed);
  const bump = (onset: number) => Float64Array.from({ length: n }, (_, t) => (t >= onset ? 5 * ((t - onset) / 2.5) ** 2 * Math.exp(-(t - onset) / 1.5) : 0));
  const onsets = [[3, 17, 31, 45, 59, 73], [9, 24, 38, 52, 66], [80]];
  const regs = onsets.map((os) => os.map(bump));
  const p = 6;
  const x: Mat = { rows: n, cols: p, data: new Float64Array(n * p) };
  const conf = Float64Array.from({ length: n }, () => gauss(r));
  for (let t = 0; t < n; t++) {
    regs.forEach((rs, c) => (x.data[t * p + c] = rs.reduce((s, a) => s + a[t], 0)));
    x.data[t * p + 3] = conf[t];
    x.data[t * p + 4] = Math.cos((Math.PI * (t + 0.5)) / n);
    x.data[t * p + 5] = 1;
  }
  const trials: LssTrial[] = [];
  regs.forEach((rs, c) => rs.forEach((a) => trials.push({ regressors: [a], columns: [c], alone: rs.length === 1 })));
  const y = new Float32Array(n * nVox);
  for (let v = 0; v < nVox; v++) {
    let e = 0;
    const amps = trials.map(() => 1 + 0.5 * gauss(r));
    for (let t = 0; t < n; t++) {
      e = 0.3 * e + gauss(r);
      let s = 100 + 0.5 * conf[t];
      trials.forEach((tr, k) => (s += amps[k] * tr.regressors[0][t]));
      y[t * nVox + v] = s + e;
    }
  }
  return { x, y, trials, n, nVox };
}

test('fast LSS equals one GLM per trial (OLS)', () => {
  const { x, y, trials } = problem(1);
  const fast = lssFast(y, x, trials, { noiseModel: 'ols', chunkSize: 64 });
  const ref = lssRefit(y, x, trials, { noiseModel: 'ols' });
  assert.deepEqual(fast.estimable, ref.estimable);
  let maxE = 0;
  let maxZ = 0;
  for (let i = 0; i < fast.effect.length; i++) {
    maxE = Math.max(maxE, Math.abs(fast.effect[i] - ref.effect[i]));
    maxZ = Math.max(maxZ, Math.abs(fast.z[i] - ref.z[i]));
  }
  assert.ok(maxE < 1e-4, `effect max diff ${maxE}`);
  assert.ok(maxZ < 1e-4, `z max diff ${maxZ}`);
});

test('fast LSS with AR(1) equals one AR(1) GLM per trial (per-trial AR bins, float32 and float64 data)', (t) => {
  const { x, y, trials, nVox } = problem(2);
  // the trial models' AR(1) bins differ from the condition model's at many voxels: the case the
  // per-trial bins exist for
  const perTrial = lssAr1Groups(y, x, trials, 100);
  const cond = arGroups(y, x, { noiseModel: 'ar1', bins: 100 });
  let moved = 0;
  for (let k = 0; k < trials.length; k++)
    for (let v = 0; v < nVox; v++) moved += Number(perTrial.keys[perTrial.labels[k * nVox + v]] !== cond.keys[cond.labels[v]]);
  t.diagnostic(`trial-model AR(1) bin differs from the condition model's at ${moved} of ${trials.length * nVox} trial-voxels`);
  assert.ok(moved > 0.05 * trials.length * nVox, `only ${moved} trial-voxels change bin`);
  const ref = lssRefit(y, x, trials, { noiseModel: 'ar1' });
  for (const [label, data] of [['float32', y], ['float64', Float64Array.from(y)]] as const) {
    const fast = lssFast(data, x, trials, { noiseModel: 'ar1', chunkSize: 64 });
    assert.deepEqual(fast.estimable, ref.estimable);
    let maxE = 0;
    let maxZ = 0;
    for (let i = 0; i < fast.z.length; i++) {
      maxE = Math.max(maxE, Math.abs(fast.effect[i] - ref.effect[i]));
      maxZ = Math.max(maxZ, Math.abs(fast.z[i] - ref.z[i]));
    }
    t.diagnostic(`${label}: max |d effect| ${maxE.toExponential(2)}, max |dz| ${maxZ.toExponential(2)}`);
    assert.ok(maxE < 1e-4 && maxZ < 1e-4, `${label}: effect max diff ${maxE}, z max diff ${maxZ}`);
  }
});

test('fast LSS flags a trial whose regressor is zero on the kept scans', () => {
  const { x, y, trials } = problem(3, 40);
  trials[1] = { ...trials[1], regressors: [new Float64Array(x.rows)] };
  const fast = lssFast(y, x, trials, { noiseModel: 'ols' });
  assert.equal(fast.estimable[1], false);
  assert.equal(fast.estimable.filter((e) => !e).length, 1);
});

test('fast LSS with AR(1): voxels without residual (constant, or exactly in the design) get every trial at its condition amplitude', () => {
  // the AR(1) bins come from expansions of the residual sums (single-trial-ar.ts); where the
  // residual vanishes they are rounding noise: any bin fits such a voxel exactly
  const { x, y, trials, n, nVox } = problem(5, 64);
  const amp = [1.5, -0.75, 2];
  for (let v = 0; v < 8; v++) {
    for (let t = 0; t < n; t++) {
      const row = x.data.subarray(t * x.cols, (t + 1) * x.cols);
      y[t * nVox + v] = v === 0 ? 100 : 100 + 0.5 * row[3] + (v / 4) * row[4] + amp.reduce((s, m, c) => s + m * row[c], 0);
    }
  }
  for (const data of [y, Float64Array.from(y)]) {
    const fast = lssFast(data, x, trials, { noiseModel: 'ar1', chunkSize: 16 });
    trials.forEach((tr, k) => {
      for (let v = 0; v < 8; v++) {
        const want = v === 0 ? 0 : amp[tr.columns[0]];
        const got = fast.effect[k * nVox + v];
        assert.ok(Math.abs(got - want) < 1e-3, `trial ${k} voxel ${v}: effect ${got}, expected ${want}`);
      }
      for (let v = 0; v < nVox; v++) assert.ok(Number.isFinite(fast.z[k * nVox + v]), `trial ${k} voxel ${v}: z ${fast.z[k * nVox + v]}`);
    });
  }
});

test('LSA: trial effects of the all-trials design, zero columns flagged', () => {
  const { x, y, trials, n } = problem(4, 100);
  const T = trials.length;
  const p = T + 3;
  const d: Mat = { rows: n, cols: p, data: new Float64Array(n * p) };
  for (let t = 0; t < n; t++) {
    trials.forEach((tr, k) => (d.data[t * p + k] = tr.regressors[0][t]));
    for (let j = 0; j < 3; j++) d.data[t * p + T + j] = x.data[t * x.cols + 3 + j];
  }
  const res = lsa(y, d, trials.map((_, k) => [k]), { noiseModel: 'ols' });
  assert.ok(res.estimable.every(Boolean));
  // trial amplitudes are ~1 (+-0.5): the mean estimate over voxels and estimable trials must be near 1
  let mean = 0;
  const kept = trials.map((_, k) => k).filter((k) => res.estimable[k]);
  for (const k of kept) for (let v = 0; v < 100; v++) mean += res.effect[k * 100 + v] / (100 * kept.length);
  assert.ok(Math.abs(mean - 1) < 0.1, `mean effect ${mean}`);
  // a trial without any kept scan (zero column) is flagged, the others are not
  for (let t = 0; t < n; t++) d.data[t * p + 2] = 0;
  const flagged = lsa(y, d, trials.map((_, k) => [k]), { noiseModel: 'ols' });
  assert.deepEqual(flagged.estimable.map((e, k) => e || k), trials.map((_, k) => (k === 2 ? 2 : true)));
});
