import { svd } from '../core/matrix.js';

/**
 * nilearn's `full_rank(X, cmax=1e15)`: if the condition number s_max / s_min of X is at
 * least cmax, X is replaced by U diag(s + lambda) V^T with lambda = (s_max - cmax s_min) / (cmax - 1),
 * which makes the condition number exactly cmax. Otherwise X is returned unchanged.
 *
 * The singular values come from a Householder QR (X = Q R) followed by the (Jacobi) SVD of
 * the small k x p factor R, k = min(n, p) (the SVD of core/matrix.ts), without rotating the
 * long columns of X.
 */

export interface FullRankResult {
  data: Float64Array;
  /** Condition number (cmax when regularised). */
  cond: number;
  regularized: boolean;
}

/** X is row-major n x p. Returns a new array only when regularisation was needed. */
export function fullRank(data: Float64Array, n: number, p: number, cmax = 1e15): FullRankResult {
  if (p === 0 || n === 0) return { data, cond: 1, regularized: false };
  const k = Math.min(n, p);
  const { q, r } = thinQr(data, n, p);
  // R is k x p; SVD of R: R = Ur S V^T (Ur k x m, V p x m, m = min(k, p) = k)
  const dec = svd({ rows: k, cols: p, data: r });
  const s = dec.s;
  const m = s.length;
  let smax = -Infinity;
  let smin = Infinity;
  for (const x of s) {
    smax = Math.max(smax, x);
    smin = Math.min(smin, x);
  }
  const cond = smax / smin;
  if (cond < cmax) return { data, cond, regularized: false };
  const lda = (smax - cmax * smin) / (cmax - 1);
  const ur = completeOrthonormalColumns(dec.u.data, k, m, s);
  const v = dec.v.data;
  // X' = Q Ur diag(s + lda) V^T
  const qu = new Float64Array(n * m); // Q (n x k) @ Ur (k x m)
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < m; c++) {
      let acc = 0;
      for (let j = 0; j < k; j++) acc += q[i * k + j] * ur[j * m + c];
      qu[i * m + c] = acc;
    }
  }
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let col = 0; col < p; col++) {
      let acc = 0;
      for (let c = 0; c < m; c++) acc += qu[i * m + c] * (s[c] + lda) * v[col * m + c];
      out[i * p + col] = acc;
    }
  }
  return { data: out, cond: cmax, regularized: true };
}

/** Householder thin QR of row-major n x p: Q (n x k, row-major), R (k x p, row-major), k = min(n, p). */
export function thinQr(data: Float64Array, n: number, p: number): { q: Float64Array; r: Float64Array } {
  const k = Math.min(n, p);
  const a = Float64Array.from(data);
  const vs: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    let ss = 0;
    for (let i = j; i < n; i++) {
      const x = a[i * p + j];
      ss += x * x;
    }
    const norm = Math.sqrt(ss);
    const v = new Float64Array(n - j);
    if (norm === 0) {
      vs.push(v);
      continue;
    }
    const alpha = a[j * p + j] > 0 ? -norm : norm;
    for (let i = j; i < n; i++) v[i - j] = a[i * p + j];
    v[0] -= alpha;
    let vnorm2 = 0;
    for (let i = 0; i < v.length; i++) vnorm2 += v[i] * v[i];
    if (vnorm2 === 0) {
      vs.push(new Float64Array(n - j));
      continue;
    }
    for (let i = 0; i < v.length; i++) v[i] /= Math.sqrt(vnorm2);
    // apply H = I - 2 v v^T to columns j..p-1
    for (let c = j; c < p; c++) {
      let d = 0;
      for (let i = j; i < n; i++) d += v[i - j] * a[i * p + c];
      d *= 2;
      for (let i = j; i < n; i++) a[i * p + c] -= d * v[i - j];
    }
    vs.push(v);
  }
  const r = new Float64Array(k * p);
  for (let i = 0; i < k; i++) for (let c = i; c < p; c++) r[i * p + c] = a[i * p + c];
  // Q = H_0 ... H_{k-1} applied to the first k columns of the identity
  const q = new Float64Array(n * k);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const v = vs[j];
    for (let c = 0; c < k; c++) {
      let d = 0;
      for (let i = j; i < n; i++) d += v[i - j] * q[i * k + c];
      d *= 2;
      if (d === 0) continue;
      for (let i = j; i < n; i++) q[i * k + c] -= d * v[i - j];
    }
  }
  return { q, r };
}

/**
 * Left singular vectors of (numerically) zero singular values are arbitrary, and the SVD
 * leaves them at zero: replace them by unit vectors orthogonal to the others (LAPACK also
 * returns some orthonormal completion), so that U diag(s + lambda) V^T lifts every direction.
 */
function completeOrthonormalColumns(u: Float64Array, rows: number, cols: number, s: Float64Array): Float64Array {
  const out = Float64Array.from(u);
  const smax = s.length ? Math.max(...s) : 0;
  const ok = Array.from(s, (x) => x > smax * rows * Number.EPSILON);
  let basis = 0;
  for (let c = 0; c < cols; c++) {
    if (ok[c]) continue;
    for (; basis < rows; basis++) {
      const w = new Float64Array(rows);
      w[basis] = 1;
      for (let c2 = 0; c2 < cols; c2++) {
        if (!ok[c2]) continue;
        let d = 0;
        for (let r = 0; r < rows; r++) d += out[r * cols + c2] * w[r];
        for (let r = 0; r < rows; r++) w[r] -= d * out[r * cols + c2];
      }
      let nrm = 0;
      for (let r = 0; r < rows; r++) nrm = Math.hypot(nrm, w[r]);
      if (nrm > 0.5) {
        for (let r = 0; r < rows; r++) out[r * cols + c] = w[r] / nrm;
        ok[c] = true;
        basis++;
        break;
      }
    }
  }
  return out;
}
