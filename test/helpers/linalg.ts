/**
 * Reference linear algebra for tests (ml-matrix on the project's row-major `Mat`): plain
 * products and inverses to check the fitted quantities against textbook formulas.
 */
import { Matrix, inverse } from 'ml-matrix';
import type { Mat } from '../../src/stats/core/matrix.js';

const toMl = (a: Mat): Matrix => Matrix.from1DArray(a.rows, a.cols, Array.from(a.data));
const fromMl = (m: Matrix): Mat => ({ rows: m.rows, cols: m.columns, data: Float64Array.from(m.to1DArray()) });

/** Build from an array of equal-length rows. */
export function fromRows(rows: ArrayLike<number>[]): Mat {
  return fromMl(new Matrix(rows.map((r) => Array.from(r))));
}

export function matmul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error(`matmul: ${a.rows}x${a.cols} times ${b.rows}x${b.cols}`);
  return fromMl(toMl(a).mmul(toMl(b)));
}

export function transpose(a: Mat): Mat {
  return fromMl(toMl(a).transpose());
}

/** Inverse of a square matrix (LU); throws on a singular one. */
export function inv(a: Mat): Mat {
  return fromMl(inverse(toMl(a)));
}
