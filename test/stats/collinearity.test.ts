/**
 * Design collinearity diagnostics: Pearson correlation (pandas DataFrame.corr parity on
 * nilearn's design of the diagnostics reference), variance inflation factors checked against
 * values worked out by hand, and the flags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths.js';
import { columnCorrelation, constantColumns } from '../../src/stats/design/correlation.js';
import { varianceInflationFactors } from '../../src/stats/design/vif.js';
import { assessCollinearity, collinearityWarnings, designColumnRoles } from '../../src/stats/design/collinearity.js';
import type { Mat } from '../../src/stats/core/matrix.js';
import { fullRank } from '../../src/stats/design/fullrank.js';
import { inv, matmul, transpose } from '../helpers/linalg.js';
import { Rng } from '../../src/stats/core/prng.js';

/** Row-major matrix from columns. */
function fromColumns(...cols: number[][]): Mat {
  const rows = cols[0].length;
  const data = new Float64Array(rows * cols.length);
  cols.forEach((c, j) => c.forEach((v, i) => (data[i * cols.length + j] = v)));
  return { rows, cols: cols.length, data };
}

// 6 scans: a ramp, a shuffled ramp, a box-car, the constant.
const a = [1, 2, 3, 4, 5, 6];
const b = [2, 1, 4, 3, 6, 5];
const c = [0, 1, 0, 0, 1, 1];
const ones = [1, 1, 1, 1, 1, 1];

test('correlation: centred cross-products by hand; the constant column is NaN (pandas)', () => {
  // Centred sums: Saa = Sbb = 35/2, Scc = 3/2, Sab = 29/2, Sac = 5/2, Sbc = 3/2.
  const r = columnCorrelation(fromColumns(a, b, c, ones));
  const at = (i: number, j: number) => r.data[i * 4 + j];
  assert.equal(r.rows, 4);
  assert.ok(Math.abs(at(0, 1) - 29 / 35) < 1e-15);
  assert.ok(Math.abs(at(0, 2) - 5 / Math.sqrt(35 * 3)) < 1e-15);
  assert.ok(Math.abs(at(2, 1) - 3 / Math.sqrt(35 * 3)) < 1e-15);
  for (let i = 0; i < 3; i++) assert.equal(at(i, i), 1);
  for (let i = 0; i < 4; i++) {
    assert.ok(Number.isNaN(at(i, 3)) && Number.isNaN(at(3, i)), 'no correlation with the constant');
  }
  assert.deepEqual(constantColumns(fromColumns(a, ones, [0, 0, 0, 0, 0, 0])), [false, true, true]);
});

test('VIF: regress each column on all the others (with the constant); exact fractions worked by hand', () => {
  // With S the centred cross-product matrix of (a, b, c): VIF_j = S_jj (S^-1)_jj.
  // 2S = [[35,29,5],[29,35,3],[5,3,3]], det(2S) = 832, cofactors 96, 80, 384:
  // VIF_a = 35*96/832 = 105/26, VIF_b = 35*80/832 = 175/52, VIF_c = 3*384/832 = 18/13.
  // (numpy: pinv regression as statsmodels' variance_inflation_factor gives 4.0384615, 3.3653846, 1.3846154.)
  const expected = [105 / 26, 175 / 52, 18 / 13];
  const vif = varianceInflationFactors(fromColumns(a, b, c, ones), [0, 1, 2]);
  vif.forEach((v, j) => assert.ok(Math.abs(v - expected[j]) < 1e-12, `VIF ${j}: ${v} vs ${expected[j]}`));
  // Two regressors and a constant: VIF = 1 / (1 - r^2) = 1 / (1 - (29/35)^2) = 1225/384.
  const two = varianceInflationFactors(fromColumns(a, b, ones), [0, 1]);
  for (const v of two) assert.ok(Math.abs(v - 1225 / 384) < 1e-12, String(v));
  // Without a constant column one is added, so R^2 is the centred one: same values.
  const noConst = varianceInflationFactors(fromColumns(a, b, c), [0, 1, 2]);
  noConst.forEach((v, j) => assert.ok(Math.abs(v - expected[j]) < 1e-12));
  // VIF does not depend on the columns' units.
  const scaled = varianceInflationFactors(fromColumns(a.map((x) => x * 1000), b, c.map((x) => x * 1e-3), ones), [0, 1, 2]);
  scaled.forEach((v, j) => assert.ok(Math.abs(v - expected[j]) < 1e-9));
  // A duplicated column is exactly collinear; a column without variance has no VIF.
  const dup = varianceInflationFactors(fromColumns(a, a.slice(), c, ones), [0, 1, 2]);
  assert.equal(dup[0], Infinity);
  assert.equal(dup[1], Infinity);
  assert.ok(Math.abs(dup[2] - 1 / (1 - 25 / 105)) < 1e-9, 'c against a (and its copy): 1 / (1 - r_ac^2)');
  assert.ok(Number.isNaN(varianceInflationFactors(fromColumns(a, [0, 0, 0, 0, 0, 0], ones), [1])[0]));
});

test('VIF: equals one explicit regression per column (normal equations) on a random design', () => {
  const rng = new Rng(7, 'vif');
  const rand = () => rng.uniform();
  const n = 60;
  const cols = [0, 1, 2, 3, 4].map(() => Array.from({ length: n }, () => rand()));
  cols[3] = cols[3].map((v, i) => v + 2 * cols[0][i]); // some correlation
  const m = fromColumns(...cols, Array(n).fill(1));
  const vif = varianceInflationFactors(m, [0, 1, 2, 3, 4]);
  for (let j = 0; j < 5; j++) {
    const others = fromColumns(...cols.filter((_, k) => k !== j), Array(n).fill(1));
    const y = { rows: n, cols: 1, data: Float64Array.from(cols[j]) };
    const xt = transpose(others);
    const beta = matmul(inv(matmul(xt, others)), matmul(xt, y));
    const fit = matmul(others, beta).data;
    const mean = cols[j].reduce((s, v) => s + v, 0) / n;
    let ssr = 0;
    let sst = 0;
    cols[j].forEach((v, i) => ((ssr += (v - fit[i]) ** 2), (sst += (v - mean) ** 2)));
    assert.ok(Math.abs(vif[j] / (sst / ssr) - 1) < 1e-10, `column ${j}: ${vif[j]} vs ${sst / ssr}`);
  }
  assert.ok(vif[0] > 3 && vif[3] > 3 && vif[1] < 1.5, vif.join(', '));
});

test('VIF: two conditions with identical onsets stay infinitely collinear after full_rank regularisation', () => {
  const m = fromColumns(a, a.slice(), c, ones);
  const fr = fullRank(m.data, m.rows, m.cols);
  assert.ok(fr.regularized);
  const vif = varianceInflationFactors({ rows: m.rows, cols: m.cols, data: fr.data }, [0, 1, 2]);
  assert.deepEqual(vif.slice(0, 2), [Infinity, Infinity]);
  assert.ok(Number.isFinite(vif[2]));
});

test('column roles of a nilearn design: task, added regressors, drifts and constant', () => {
  const cols = ['face', 'face_derivative', 'scene', 'trans_x', 'csf', 'drift_1', 'drift_2', 'constant'];
  assert.deepEqual(designColumnRoles(cols, ['trans_x', 'csf']), ['task', 'task', 'task', 'confound', 'confound', 'drift', 'drift', 'constant']);
  // a confound may be named like a drift; it stays a confound
  assert.deepEqual(designColumnRoles(['a', 'drift_1', 'constant'], ['drift_1']), ['task', 'confound', 'constant']);
  assert.deepEqual(designColumnRoles(['a', 'b', 'constant'], []), ['task', 'task', 'constant']);
});

test('flags: pairs with |r| >= 0.9 and task VIF >= 10, warnings name run, columns, r and VIF', () => {
  // b2 = a with one scan changed: r(a, b2) = 0.990, and with scene and trans_x in the model VIF ~ 400
  const b2 = [1, 2, 3, 4, 5, 7];
  const d = [3, 1, 2, 2, 1, 3];
  const m = fromColumns(a, b2, c, d, ones);
  const cols = ['face', 'face_copy', 'scene', 'trans_x', 'constant'];
  const roles = designColumnRoles(cols, ['trans_x']);
  const res = assessCollinearity(cols, m, roles);
  assert.equal(res.pairs.length, 1);
  assert.deepEqual([res.pairs[0].a, res.pairs[0].b, res.pairs[0].task], ['face', 'face_copy', true]);
  const r = columnCorrelation(m).data[1];
  assert.equal(res.pairs[0].r, r);
  assert.ok(r > 0.98 && r < 0.99, String(r));
  assert.deepEqual(res.vif.map((v) => v.column), ['face', 'face_copy', 'scene'], 'VIF for the task regressors only');
  assert.deepEqual(res.vif.map((v) => v.flagged), [true, true, false]);
  assert.deepEqual(res.vif.map((v) => v.vif), varianceInflationFactors(m, [0, 1, 2]));
  // JSON-safe: an exactly collinear column has a null VIF and is flagged, one without variance is not
  const odd = assessCollinearity(['x', 'x2', 'empty', 'constant'], fromColumns(a, a.slice(), [0, 0, 0, 0, 0, 0], ones), ['task', 'task', 'task', 'constant']);
  assert.deepEqual(odd.vif, [{ column: 'x', vif: null, flagged: true }, { column: 'x2', vif: null, flagged: true }, { column: 'empty', vif: null, flagged: false }]);
  assert.match(collinearityWarnings('run-1', odd)[1], /x VIF = infinite; x2 VIF = infinite$/);
  const w = collinearityWarnings('sub-01 run-1', res);
  assert.equal(w.length, 2);
  assert.equal(w[0], `sub-01 run-1: collinear design columns (|r| >= 0.9): face ~ face_copy r = ${r.toFixed(3)}`);
  const m1 = /^sub-01 run-1: high variance inflation factor \(VIF >= 10\): face VIF = ([\d.]+); face_copy VIF = ([\d.]+)$/.exec(w[1]);
  assert.ok(m1, w[1]);
  assert.ok(Math.abs(Number(m1[1]) / res.vif[0].vif! - 1) < 5e-3 && Math.abs(Number(m1[2]) / res.vif[1].vif! - 1) < 5e-3, '3 significant digits');
  // nuisance-only pairs are kept but do not warn
  const n = assessCollinearity(['face', 'csf', 'drift_1', 'constant'], fromColumns(c, a, b2, ones), ['task', 'confound', 'drift', 'constant']);
  assert.equal(n.pairs.length, 1);
  assert.equal(n.pairs[0].task, false);
  assert.deepEqual(collinearityWarnings('x', n), []);
});

/** A TSV of numbers with a header row and (optionally) a row-name column; empty cells are NaN. */
function readMatrixTsv(path: string, rowNames: boolean): { columns: string[]; m: Mat } {
  const lines = readFileSync(path, 'utf8').replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
  const columns = lines[0].slice(rowNames ? 1 : 0);
  const body = lines.slice(1).map((l) => l.slice(rowNames ? 1 : 0).map((x) => (x === '' ? NaN : Number(x))));
  return { columns, m: { rows: body.length, cols: columns.length, data: Float64Array.from(body.flat()) } };
}

test('parity: correlation of nilearn\'s design equals pandas design_matrix.corr() (diagnostics reference)', () => {
  const design = readMatrixTsv(fixture('diagnostics', 'ols_run1', 'design.tsv'), false);
  const ref = readMatrixTsv(fixture('diagnostics', 'ols_run1', 'design_corr.tsv'), true);
  assert.deepEqual(ref.columns, design.columns);
  const r = columnCorrelation(design.m);
  const p = design.columns.length;
  let worst = 0;
  for (let i = 0; i < p * p; i++) {
    const x = r.data[i];
    const y = ref.m.data[i];
    assert.equal(Number.isNaN(x), Number.isNaN(y), `cell ${Math.floor(i / p)},${i % p}: NaN in one only`);
    if (!Number.isNaN(y)) worst = Math.max(worst, Math.abs(x - y));
  }
  assert.ok(worst < 1e-12, `max |r - r_pandas| = ${worst}`);
  // the constant is the only NaN row; global_signal and drift_1 are a nuisance-only collinear pair
  const roles = designColumnRoles(design.columns, ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z', 'global_signal', 'csf', 'white_matter']);
  const res = assessCollinearity(design.columns, design.m, roles);
  assert.ok(res.pairs.some((x) => x.a === 'global_signal' && x.b === 'drift_1' && !x.task && Math.abs(x.r) > 0.95));
  assert.deepEqual(res.vif.map((v) => v.column), ['face', 'object', 'scene']);
  for (const v of res.vif) assert.ok(v.vif !== null && v.vif >= 1 && v.vif < 3, `${v.column} VIF ${v.vif}`);
});
