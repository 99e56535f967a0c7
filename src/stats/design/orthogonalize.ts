/**
 * Column-wise orthogonalisation as nilearn's `orthogonalize`: every column is replaced
 * by its residual after least-squares projection on all preceding (already processed)
 * columns, X[:, i] -= X[:, i] @ X[:, :i] @ pinv(X[:, :i]). Columns are not normalised.
 *
 * Because the preceding columns are mutually orthogonal once processed, the projection
 * is a sum of projections on each of them; columns whose norm is below pinv's cutoff
 * (max(n, i) * eps * largest norm) span nothing and are skipped, as pinv ignores them.
 */

/** Orthogonalise the columns of a row-major n x p matrix in place; returns it. */
export function orthogonalizeColumns(data: Float64Array, n: number, p: number): Float64Array {
  if (p <= 1) return data;
  const norms2 = new Float64Array(p);
  norms2[0] = colDot(data, n, p, 0, 0);
  for (let i = 1; i < p; i++) {
    let maxNorm = 0;
    for (let j = 0; j < i; j++) maxNorm = Math.max(maxNorm, Math.sqrt(norms2[j]));
    const cutoff = Math.max(n, i) * Number.EPSILON * maxNorm;
    // modified Gram-Schmidt against the processed columns
    for (let j = 0; j < i; j++) {
      if (!(Math.sqrt(norms2[j]) > cutoff)) continue;
      const c = colDot(data, n, p, i, j) / norms2[j];
      if (c === 0) continue;
      for (let r = 0; r < n; r++) data[r * p + i] -= c * data[r * p + j];
    }
    norms2[i] = colDot(data, n, p, i, i);
  }
  return data;
}

function colDot(data: Float64Array, n: number, p: number, a: number, b: number): number {
  let s = 0;
  for (let r = 0; r < n; r++) s += data[r * p + a] * data[r * p + b];
  return s;
}
