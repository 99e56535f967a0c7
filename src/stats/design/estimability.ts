/**
 * Estimability of contrasts against a design matrix, checked before any fit.
 *
 * A contrast c (one row of weights over the design columns) is estimable when it lies in
 * the row space of X, i.e. c (I - pinv(X) X) = 0: only then is c·beta the same for every
 * least-squares solution beta. This is SPM's check (spm_SpUtil('isCon') -> spm_sp('isinspp'),
 * the projector pinv(X) X onto the row space) and statsmodels' `isestimable`; nilearn itself
 * does not check and silently reports pinv's particular solution (a constant covariate then
 * copies the intercept, or gives an all-zero map).
 *
 * pinv(X) X = V_r V_r^T, with V_r the right singular vectors of the r singular values above
 * numpy.linalg.matrix_rank's tolerance (max(s) * max(n, p) * eps). That tolerance also
 * discards the tiny singular value that nilearn's full_rank regularisation (condition number
 * 1e15) leaves on a rank-deficient first-level design, so such a design is still seen as
 * rank deficient.
 *
 * Design-sized matrices only: a few thousand rows, a few hundred columns.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { svdJacobiValues, type Mat } from '../core/matrix.js';

const EPS = 2.220446049250313e-16; // np.finfo(np.float64).eps

/**
 * Relative distance of a contrast row from the row space above which it is not estimable:
 * |c - c P| / |c|. It is ~1e-15 for an estimable row and of order 1 for an inestimable
 * one (1 when c is orthogonal to the row space), so any threshold in between separates them.
 */
export const ESTIMABILITY_TOLERANCE = 1e-6;

/** The row space of a design: its rank and an orthonormal basis (p x rank, columns). */
export interface RowSpace {
  rows: number;
  cols: number;
  rank: number;
  /** Singular values, descending. */
  singularValues: number[];
  /** The rank tolerance used (numpy matrix_rank's default). */
  tolerance: number;
  /** basis[j][k] = component j of the k-th basis vector (k < rank). */
  basis: number[][];
  /** Null-space basis of the columns (p x (p - rank)): the column combinations X cannot tell apart. */
  nullSpace: number[][];
}

function toMatrix(x: Mat): Matrix {
  const m = new Matrix(x.rows, x.cols);
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) m.set(i, j, x.data[i * x.cols + j]);
  return m;
}

/** SVD of X (n x p) -> rank, row-space basis and null-space basis. */
export function rowSpace(x: Mat): RowSpace {
  const { rows: n, cols: p } = x;
  if (n === 0 || p === 0) return { rows: n, cols: p, rank: 0, singularValues: [], tolerance: 0, basis: [], nullSpace: identityColumns(p) };
  // V is needed in full (p x p) to get the null space as well: the thin SVD of X itself when
  // n >= p (one-sided Jacobi, core/matrix.ts), a zero-padded square matrix when n < p (ml-matrix).
  let s: ArrayLike<number>;
  let vAt: (j: number, k: number) => number;
  if (n >= p) {
    const d = svdJacobiValues(x);
    s = d.s;
    vAt = (j, k) => d.v.data[j * p + k];
  } else {
    const square = Matrix.zeros(p, p).setSubMatrix(toMatrix(x), 0, 0);
    const d = new SingularValueDecomposition(square, { computeLeftSingularVectors: false, computeRightSingularVectors: true, autoTranspose: false });
    s = d.diagonal;
    vAt = (j, k) => d.rightSingularVectors.get(j, k);
  }
  const smax = s.length ? Math.max(...Array.from(s)) : 0;
  const tolerance = smax * Math.max(n, p) * EPS;
  const order = Array.from(s, (_, k) => k).sort((a, b) => s[b] - s[a]);
  const rank = order.filter((k) => s[k] > tolerance).length;
  const column = (k: number) => Array.from({ length: p }, (_, j) => vAt(j, k));
  const basisCols = order.slice(0, rank).map(column);
  const nullCols = order.slice(rank).map(column);
  const transposeCols = (cols: number[][]) => Array.from({ length: p }, (_, j) => cols.map((c) => c[j]));
  return {
    rows: n, cols: p, rank, tolerance,
    singularValues: order.map((k) => s[k]).slice(0, Math.min(n, p)),
    basis: transposeCols(basisCols),
    nullSpace: transposeCols(nullCols),
  };
}

function identityColumns(p: number): number[][] {
  return Array.from({ length: p }, (_, j) => Array.from({ length: p }, (_, k) => (j === k ? 1 : 0)));
}

/** numpy.linalg.matrix_rank(X). */
export function designRank(x: Mat): number {
  return rowSpace(x).rank;
}

/** Residual degrees of freedom of an OLS fit: n - rank(X) (nilearn's df_resid). */
export function residualDof(x: Mat): number {
  return x.rows - designRank(x);
}

/** c - c V_r V_r^T: the part of a contrast row outside the row space. */
function outsideRowSpace(rs: RowSpace, c: ArrayLike<number>): Float64Array {
  if (c.length !== rs.cols) throw new Error(`contrast has ${c.length} weights, the design has ${rs.cols} columns`);
  const p = rs.cols;
  const a = new Float64Array(rs.rank); // coordinates of c in the row-space basis
  for (let k = 0; k < rs.rank; k++) for (let j = 0; j < p; j++) a[k] += c[j] * rs.basis[j][k];
  const out = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let proj = 0;
    for (let k = 0; k < rs.rank; k++) proj += a[k] * rs.basis[j][k];
    out[j] = c[j] - proj;
  }
  return out;
}

/** |c - c V_r V_r^T| / |c| for one contrast row (0 for a zero row). */
export function inestimability(rs: RowSpace, c: ArrayLike<number>): number {
  let norm = 0;
  for (let j = 0; j < c.length; j++) norm += c[j] * c[j];
  const r = outsideRowSpace(rs, c);
  if (norm === 0) return 0;
  let res = 0;
  for (const x of r) res += x * x;
  return Math.sqrt(res / norm);
}

/** Whether the contrast row lies in the row space of the design. */
export function isEstimable(rs: RowSpace, c: ArrayLike<number>, tol = ESTIMABILITY_TOLERANCE): boolean {
  return inestimability(rs, c) <= tol;
}

/** Indices of the rows of a (t or F) contrast matrix that are not estimable. */
export function inestimableRows(rs: RowSpace, rows: readonly ArrayLike<number>[], tol = ESTIMABILITY_TOLERANCE): number[] {
  return rows.flatMap((r, i) => (isEstimable(rs, r, tol) ? [] : [i]));
}

/**
 * The columns the design cannot tell apart, to name the culprit in messages.
 * With a contrast row c: the support of its inestimable part c - c P (which lies in the
 * null space X v = 0), e.g. a zero column alone, or 'intercept' and 'age' for an uncentred
 * constant covariate. Without: every column that some null-space vector involves (both sets
 * do not depend on which null-space basis the SVD returned).
 */
export function confoundedColumns(rs: RowSpace, c?: ArrayLike<number>, relTol = 1e-6): number[] {
  const p = rs.cols;
  const weight = new Float64Array(p);
  if (c) {
    outsideRowSpace(rs, c).forEach((x, j) => (weight[j] = Math.abs(x)));
  } else {
    // diagonal of the null-space projector: sum over null vectors of v_j^2
    for (let j = 0; j < p; j++) for (const x of rs.nullSpace[j]) weight[j] += x * x;
  }
  const max = Math.max(0, ...weight);
  if (max === 0) return [];
  return Array.from(weight, (w, j) => (w > relTol * max ? j : -1)).filter((j) => j >= 0);
}
