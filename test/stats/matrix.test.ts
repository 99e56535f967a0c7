import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Mat, gemmWide, matmulABt, matrixRank, pinv, solveInPlace, svd, svdJacobiValues, symEig, symFunction,
} from '../../src/stats/core/matrix.js';
import { Rng } from '../../src/stats/core/prng.js';
import { fromRows, inv, matmul, transpose } from '../helpers/linalg.js';

function lcg(seed: number): () => number {
  const r = new Rng(seed, 'test data');
  return () => r.uniform() - 0.5;
}
function randMat(rows: number, cols: number, seed: number): Mat {
  const r = lcg(seed);
  return { rows, cols, data: Float64Array.from({ length: rows * cols }, r) };
}
function maxAbsDiff(a: Mat, b: Mat): number {
  assert.equal(a.rows, b.rows); assert.equal(a.cols, b.cols);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}
function diag(s: Float64Array): Mat {
  const m: Mat = { rows: s.length, cols: s.length, data: new Float64Array(s.length * s.length) };
  s.forEach((x, i) => { m.data[i * s.length + i] = x; });
  return m;
}

test('matmul / transpose / matmulABt on a hand-checked case', () => {
  const a = fromRows([[1, 2], [3, 4], [5, 6]]);
  const b = fromRows([[1, 0, -1], [2, 1, 0]]);
  assert.deepEqual(Array.from(matmul(a, b).data), [5, 2, -1, 11, 4, -3, 17, 6, -5]);
  assert.deepEqual(Array.from(transpose(a).data), [1, 3, 5, 2, 4, 6]);
  assert.deepEqual(Array.from(matmulABt(a, a).data), [5, 11, 17, 11, 25, 39, 17, 39, 61]);
});

test('matmulABt(a, a) (upper triangle mirrored) gives the bits of the full product', () => {
  const a = randMat(16, 160, 3);
  const copy: Mat = { rows: a.rows, cols: a.cols, data: Float64Array.from(a.data) };
  const sym = matmulABt(a, a);
  const full = matmulABt(a, copy);
  assert.deepEqual(Array.from(sym.data), Array.from(full.data));
  // and the full product is the direct sums
  for (const [i, j] of [[0, 0], [3, 11], [11, 3], [15, 15]]) {
    let s = 0;
    for (let l = 0; l < a.cols; l++) s += a.data[i * a.cols + l] * a.data[j * a.cols + l];
    assert.equal(full.data[i * 16 + j], s);
  }
});

test('svd reconstructs tall and wide matrices with orthonormal factors, singular values descending', () => {
  for (const [r, c] of [[40, 7], [7, 40], [5, 5]]) {
    const a = randMat(r, c, 7 + r);
    const { u, s, v } = svd(a);
    const rec = matmul(matmul(u, diag(s)), transpose(v));
    assert.ok(maxAbsDiff(rec, a) < 1e-13, `reconstruction ${r}x${c}`);
    const k = Math.min(r, c);
    const utu = matmul(transpose(u), u);
    const vtv = matmul(transpose(v), v);
    const eye = diag(new Float64Array(k).fill(1));
    assert.ok(maxAbsDiff(utu, eye) < 1e-13);
    assert.ok(maxAbsDiff(vtv, eye) < 1e-13);
    for (let i = 1; i < k; i++) assert.ok(s[i] <= s[i - 1]);
  }
  // known singular values: diag(3, 2) padded with a zero row -> [3, 2]
  assert.deepEqual(Array.from(svd(fromRows([[0, 2], [3, 0], [0, 0]])).s).map((x) => +x.toFixed(14)), [3, 2]);
});

test('pinv of a full-column-rank matrix equals (XᵀX)⁻¹Xᵀ', () => {
  const x = randMat(30, 4, 3);
  const xt = transpose(x);
  const ref = matmul(inv(matmul(xt, x)), xt);
  assert.ok(maxAbsDiff(pinv(x), ref) < 1e-12);
});

test('pinv of a rank-deficient matrix satisfies the Penrose conditions and matrixRank counts the rank', () => {
  const base = randMat(20, 3, 11);
  // columns: a, b, c, a + b (rank 3)
  const x: Mat = { rows: 20, cols: 4, data: new Float64Array(80) };
  for (let i = 0; i < 20; i++) {
    const [a, b, c] = [base.data[i * 3], base.data[i * 3 + 1], base.data[i * 3 + 2]];
    x.data.set([a, b, c, a + b], i * 4);
  }
  const pi = pinv(x);
  assert.ok(maxAbsDiff(matmul(matmul(x, pi), x), x) < 1e-12);
  assert.ok(maxAbsDiff(matmul(matmul(pi, x), pi), pi) < 1e-12);
  const xp = matmul(x, pi);
  assert.ok(maxAbsDiff(xp, transpose(xp)) < 1e-12);
  assert.equal(matrixRank(x), 3);
  assert.equal(matrixRank(base), 3);
  // the minimum-norm solution: pinv of [1 1] is [0.5 0.5]ᵀ
  assert.deepEqual(Array.from(pinv(fromRows([[1, 1]])).data).map((v) => +v.toFixed(14)), [0.5, 0.5]);
});

test('matrixRank decides as the Golub-Kahan SVD (ml-matrix) on full-rank, rank-deficient and near-threshold designs, with or without a tolerance', () => {
  const gkRank = (a: Mat, tol?: number) => {
    const { s } = svd(a, { u: false });
    const t = tol ?? (s.length ? s[0] : 0) * Math.max(a.rows, a.cols) * 2.220446049250313e-16;
    return s.filter((x) => x > t).length;
  };
  const cases: { a: Mat; rank: number }[] = [];
  for (let seed = 1; seed <= 12; seed++) {
    const a = randMat(160, 16, seed);
    cases.push({ a, rank: 16 });
    // column 15 = column 0 + column 1 + (seed-dependent) noise of 1e-17 .. 1e-6: ranks 15 and 16,
    // and at 1e-13 a smallest singular value within 3 % of the tolerance
    const near: Mat = { rows: 160, cols: 16, data: a.data.slice() };
    const eps = 10 ** -(6 + (seed % 12));
    for (let i = 0; i < 160; i++) near.data[i * 16 + 15] = a.data[i * 16] + a.data[i * 16 + 1] + eps * a.data[i * 16 + 15];
    cases.push({ a: near, rank: eps >= 1e-12 ? 16 : 15 });
  }
  for (const { a, rank } of cases) {
    let abs = 0;
    for (const v of a.data) abs += Math.abs(v);
    for (const tol of [undefined, abs * 2.220446049250313e-16]) {
      assert.equal(matrixRank(a, tol), gkRank(a, tol));
      if (tol === undefined) assert.equal(matrixRank(a), rank);
    }
  }
});

test('inv, solveInPlace and symmetric functions', () => {
  const a = fromRows([[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 2]]);
  const ai = inv(a);
  assert.ok(maxAbsDiff(matmul(a, ai), fromRows([[1, 0, 0], [0, 1, 0], [0, 0, 1]])) < 1e-14);
  const m = a.data.slice();
  const b = Float64Array.of(1, 2, 3);
  assert.ok(solveInPlace(m, b, 3));
  const x = matmul(ai, fromRows([[1], [2], [3]]));
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(b[i] - x.data[i]) < 1e-14);
  assert.equal(solveInPlace(Float64Array.of(1, 2, 2, 4), Float64Array.of(1, 1), 2), false);
  assert.throws(() => inv(fromRows([[1, 2], [2, 4]])), /singular/);
  const sq = symFunction(a, Math.sqrt);
  assert.ok(maxAbsDiff(matmul(sq, sq), a) < 1e-14);
  const { values } = symEig(fromRows([[2, 1], [1, 2]]));
  assert.deepEqual(Array.from(values).sort().map((v) => +v.toFixed(14)), [1, 3]);
});

test('symEig: A V = V diag(values), V orthonormal, values ascending; diagonal and zero matrices', () => {
  const r = new Rng(1, 'eig');
  for (const n of [1, 2, 3, 8, 40]) {
    const b = Float64Array.from({ length: n * (n + 2) }, () => r.normal());
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n + 2; k++) s += b[i * (n + 2) + k] * b[j * (n + 2) + k];
      a[i * n + j] = s;
    }
    const { values, vectors } = symEig({ rows: n, cols: n, data: a });
    const v = vectors.data;
    for (let c = 0; c < n; c++) {
      if (c > 0) assert.ok(values[c - 1] <= values[c]);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k] * v[k * n + c];
        assert.ok(Math.abs(s - values[c] * v[i * n + c]) < 1e-10 * (1 + Math.abs(values[n - 1])), `n ${n} residual`);
      }
      for (let c2 = 0; c2 < n; c2++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += v[i * n + c] * v[i * n + c2];
        assert.ok(Math.abs(s - (c === c2 ? 1 : 0)) < 1e-12);
      }
    }
  }
  assert.deepEqual(Array.from(symEig(fromRows([[3, 0, 0], [0, 1, 0], [0, 0, 2]])).values), [1, 2, 3]);
  assert.deepEqual(Array.from(symEig(fromRows([[0, 0], [0, 0]])).values), [0, 0]);
});

test('svd refuses a non-finite matrix (the iteration would not converge)', () => {
  assert.throws(() => svd(fromRows([[1, NaN], [0, 1]])), /non-finite/);
});

test('gemmWide matches matmul for odd sizes (remainder paths of the blocking)', () => {
  for (const [m, k, c] of [[5, 7, 13], [2, 4, 8], [1, 3, 5], [20, 160, 33]]) {
    const a = randMat(m, k, m * 100 + k);
    const b = randMat(k, c, c);
    const out = new Float64Array(m * c + 5).fill(99);
    gemmWide(a.data, m, k, b.data, c, out);
    const ref = matmul(a, b);
    assert.ok(maxAbsDiff({ rows: m, cols: c, data: out.subarray(0, m * c) }, ref) < 1e-13);
    assert.equal(out[m * c], 99); // nothing written past m*c
  }
});

test('svdJacobiValues: the s and right singular subspaces of svd() for tall (QR first), square and rank-deficient matrices', () => {
  for (const [m, k, rank, seed] of [[200, 12, 12, 1], [40, 12, 7, 2], [12, 12, 12, 3], [23, 12, 11, 4], [15, 9, 0, 5]]) {
    const r = lcg(seed);
    const a: Mat = { rows: m, cols: k, data: new Float64Array(m * k) };
    for (let l = 0; l < rank; l++) {
      const u = Array.from({ length: m }, r);
      const w = Array.from({ length: k }, () => r() * 10 ** (l % 4 - 2));
      for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) a.data[i * k + j] += u[i] * w[j];
    }
    const d = svdJacobiValues(a);
    const ref = svd(a, { u: false });
    const scale = ref.s[0] || 1;
    for (let l = 0; l < k; l++) assert.ok(Math.abs(d.s[l] - ref.s[l]) <= 1e-12 * scale, `${m}x${k} s[${l}] ${d.s[l]} vs ${ref.s[l]}`);
    // the projectors onto the span of the first `rank` right singular vectors agree (the
    // vectors themselves are defined up to sign, and within the null space up to rotation)
    const projector = (v: Mat) => {
      const p: Mat = { rows: k, cols: k, data: new Float64Array(k * k) };
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) for (let l = 0; l < rank; l++) p.data[i * k + j] += v.data[i * k + l] * v.data[j * k + l];
      return p;
    };
    assert.ok(maxAbsDiff(projector(d.v), projector(ref.v)) < 1e-9, `${m}x${k} rank ${rank}: row spaces differ`);
    const vtv = matmul(transpose(d.v), d.v);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) assert.ok(Math.abs(vtv.data[i * k + j] - (i === j ? 1 : 0)) < 1e-12, 'V orthonormal');
  }
  // refused before the QR, naming the matrix's own shape
  assert.throws(() => svdJacobiValues(fromRows([[1, 2], [3, NaN], [5, 6], [7, 8]])), /the 4 x 2 matrix has a non-finite entry/);
});
