/**
 * Estimability (contrast in the row space of the design), rank and residual dof on
 * hand-checked designs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRows } from '../helpers/linalg.js';
import { fullRank } from '../../src/stats/design/fullrank.js';
import {
  confoundedColumns, designRank, inestimability, inestimableRows, isEstimable, residualDof, rowSpace,
} from '../../src/stats/design/estimability.js';

test('one-sample group design with a constant covariate: centred and uncentred', () => {
  // intercept + age = 38 for every subject (uncentred): age duplicates 38 * intercept
  const uncentred = fromRows([[1, 38], [1, 38], [1, 38], [1, 38]]);
  const rs = rowSpace(uncentred);
  assert.equal(rs.rank, 1);
  // row space is spanned by (1, 38): neither intercept nor age alone is in it
  assert.equal(isEstimable(rs, [1, 0]), false);
  assert.equal(isEstimable(rs, [0, 1]), false);
  assert.equal(isEstimable(rs, [1, 38]), true);
  assert.equal(isEstimable(rs, [-2, -76]), true);
  // distance of (0, 1) from span(1, 38): |c - (c.u) u| with u = (1, 38)/sqrt(1445) -> 1/sqrt(1445)
  assert.ok(Math.abs(inestimability(rs, [0, 1]) - 1 / Math.sqrt(1445)) < 1e-12);
  assert.deepEqual(confoundedColumns(rs, [0, 1]), [0, 1]);
  assert.deepEqual(confoundedColumns(rs), [0, 1]);

  // centred: the age column is all zeros; the intercept stays estimable, age does not
  const centred = fromRows([[1, 0], [1, 0], [1, 0], [1, 0]]);
  const rc = rowSpace(centred);
  assert.equal(rc.rank, 1);
  assert.equal(isEstimable(rc, [1, 0]), true);
  assert.equal(isEstimable(rc, [0, 1]), false);
  assert.equal(inestimability(rc, [0, 1]), 1);
  assert.deepEqual(confoundedColumns(rc, [0, 1]), [1]);
  assert.equal(residualDof(centred), 3);
});

test('a varying covariate: full rank, every contrast estimable, dof = n - p', () => {
  const x = fromRows([[1, -1.5], [1, -0.5], [1, 0.5], [1, 1.5]]);
  const rs = rowSpace(x);
  assert.equal(rs.rank, 2);
  assert.deepEqual(inestimableRows(rs, [[1, 0], [0, 1], [1, -1]]), []);
  assert.equal(residualDof(x), 2);
  assert.deepEqual(confoundedColumns(rs), []);
});

test('two identical covariates: each alone inestimable, their sum and the intercept estimable', () => {
  const x = fromRows([[1, 2, 2], [1, 5, 5], [1, 3, 3], [1, 7, 7], [1, 1, 1]]);
  const rs = rowSpace(x);
  assert.equal(rs.rank, 2);
  assert.equal(residualDof(x), 3);
  assert.equal(isEstimable(rs, [1, 0, 0]), true);
  assert.equal(isEstimable(rs, [0, 1, 1]), true);
  assert.equal(isEstimable(rs, [0, 1, 0]), false);
  // inestimable part of (0,1,0) is its projection on the null vector (0,1,-1)/sqrt2: (0, 1/2, -1/2)
  assert.ok(Math.abs(inestimability(rs, [0, 1, 0]) - Math.SQRT1_2) < 1e-12);
  assert.deepEqual(confoundedColumns(rs, [0, 1, 0]), [1, 2]);
  // an F contrast: only its second row is inestimable
  assert.deepEqual(inestimableRows(rs, [[1, 0, 0], [0, 1, -1]]), [1]);
});

test('wide designs (more columns than rows): rank <= rows, no residual dof', () => {
  const x = fromRows([[1, 0, 2], [0, 1, 3]]);
  const rs = rowSpace(x);
  assert.equal(rs.rank, 2);
  assert.equal(residualDof(x), 0);
  assert.equal(isEstimable(rs, [1, 0, 2]), true);
  assert.equal(isEstimable(rs, [2, 3, 13]), true); // 2*row1 + 3*row2
  assert.equal(isEstimable(rs, [1, 0, 0]), false);
});

test("nilearn's full_rank regularisation does not hide a zero column", () => {
  // a zero column (an event outside the run) regularised to condition number 1e15
  const n = 20;
  const data = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[i * 3] = Math.sin(i / 3);
    data[i * 3 + 2] = 1;
  }
  const fr = fullRank(data, n, 3);
  assert.equal(fr.regularized, true);
  const x = { rows: n, cols: 3, data: fr.data };
  assert.equal(designRank(x), 2);
  const rs = rowSpace(x);
  assert.equal(isEstimable(rs, [0, 1, 0]), false);
  assert.equal(isEstimable(rs, [1, 0, 0]), true);
  assert.deepEqual(confoundedColumns(rs, [0, 1, 0]), [1]);
});
