/**
 * Small dense linear algebra on row-major Float64Array matrices.
 *
 * Everything here is meant for design-sized matrices (a few hundred rows, a few
 * dozen columns): the per-voxel work of the GLM lives in regression.ts and never
 * goes through these helpers voxel by voxel.
 */

/** A dense matrix, row-major: element (i, j) is `data[i * cols + j]`. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

const EPS = 2.220446049250313e-16; // np.finfo(np.float64).eps

export function zeros(rows: number, cols: number): Mat {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

export function identity(n: number): Mat {
  const m = zeros(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

/** Build from an array of equal-length rows. */
export function fromRows(rows: ArrayLike<number>[]): Mat {
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0].length;
  const m = zeros(r, c);
  for (let i = 0; i < r; i++) {
    if (rows[i].length !== c) throw new Error(`fromRows: row ${i} has ${rows[i].length} values, expected ${c}`);
    for (let j = 0; j < c; j++) m.data[i * c + j] = rows[i][j];
  }
  return m;
}

export function toRows(a: Mat): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.rows; i++) out.push(Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
  return out;
}

/** A 1 x n matrix holding `v`. */
export function rowVector(v: ArrayLike<number>): Mat {
  return { rows: 1, cols: v.length, data: Float64Array.from(v) };
}

export function clone(a: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.slice() };
}

export function get(a: Mat, i: number, j: number): number {
  return a.data[i * a.cols + j];
}

export function transpose(a: Mat): Mat {
  const t = zeros(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j];
  }
  return t;
}

export function matmul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error(`matmul: ${a.rows}x${a.cols} times ${b.rows}x${b.cols}`);
  const out = zeros(a.rows, b.cols);
  const n = b.cols;
  for (let i = 0; i < a.rows; i++) {
    const orow = i * n;
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k];
      if (aik === 0) continue;
      const brow = k * n;
      for (let j = 0; j < n; j++) out.data[orow + j] += aik * b.data[brow + j];
    }
  }
  return out;
}

/** A Bᵀ without forming the transpose. */
export function matmulABt(a: Mat, b: Mat): Mat {
  if (a.cols !== b.cols) throw new Error(`matmulABt: ${a.rows}x${a.cols} times (${b.rows}x${b.cols})ᵀ`);
  const out = zeros(a.rows, b.rows);
  const k = a.cols;
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.rows; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += a.data[i * k + l] * b.data[j * k + l];
      out.data[i * b.rows + j] = s;
    }
  }
  return out;
}

/** Sum of absolute values of all entries. */
export function absSum(a: Mat): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i]);
  return s;
}

export interface Svd {
  /** rows x k, orthonormal columns (k = min(rows, cols)). */
  u: Mat;
  /** k singular values, descending. */
  s: Float64Array;
  /** cols x k, orthonormal columns. */
  v: Mat;
}

/**
 * Thin SVD by one-sided Jacobi rotations (Hestenes). Accurate to full relative
 * precision for the small matrices used here and deterministic; O(sweeps·m·n²).
 * A = U diag(s) Vᵀ.
 */
export function svd(a: Mat): Svd {
  if (a.rows < a.cols) {
    const t = svd(transpose(a));
    return { u: t.v, s: t.s, v: t.u };
  }
  const m = a.rows;
  const n = a.cols;
  // Work column-major: column j of U is w[j*m .. j*m+m).
  const w = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[j * m + i] = a.data[i * n + j];
  const vv = new Float64Array(n * n); // column-major too
  for (let j = 0; j < n; j++) vv[j * n + j] = 1;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        const po = p * m;
        const qo = q * m;
        for (let i = 0; i < m; i++) {
          const x = w[po + i];
          const y = w[qo + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = w[po + i];
          const y = w[qo + i];
          w[po + i] = c * x - s * y;
          w[qo + i] = s * x + c * y;
        }
        const pv = p * n;
        const qv = q * n;
        for (let i = 0; i < n; i++) {
          const x = vv[pv + i];
          const y = vv[qv + i];
          vv[pv + i] = c * x - s * y;
          vv[qv + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += w[j * m + i] * w[j * m + i];
    norms[j] = Math.sqrt(s);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => norms[y] - norms[x]);
  const u = zeros(m, n);
  const v = zeros(n, n);
  const sv = new Float64Array(n);
  order.forEach((src, dst) => {
    const s = norms[src];
    sv[dst] = s;
    for (let i = 0; i < m; i++) u.data[i * n + dst] = s > 0 ? w[src * m + i] / s : 0;
    for (let i = 0; i < n; i++) v.data[i * n + dst] = vv[src * n + i];
  });
  return { u, s: sv, v };
}

/**
 * Moore-Penrose pseudo-inverse with scipy.linalg.pinv semantics (scipy >= 1.7):
 * singular values s <= atol + rtol * max(s) are dropped, rtol defaults to
 * max(rows, cols) * eps and atol to 0.
 */
export function pinv(a: Mat, opts: { rtol?: number; atol?: number } = {}): Mat {
  const { u, s, v } = svd(a);
  const rtol = opts.rtol ?? Math.max(a.rows, a.cols) * EPS;
  const atol = opts.atol ?? 0;
  const cutoff = atol + rtol * (s.length ? s[0] : 0);
  const k = s.length;
  const out = zeros(a.cols, a.rows);
  for (let l = 0; l < k; l++) {
    if (!(s[l] > cutoff)) continue;
    const inv = 1 / s[l];
    for (let i = 0; i < a.cols; i++) {
      const vil = v.data[i * k + l] * inv;
      if (vil === 0) continue;
      const orow = i * a.rows;
      for (let j = 0; j < a.rows; j++) out.data[orow + j] += vil * u.data[j * k + l];
    }
  }
  return out;
}

/**
 * numpy.linalg.matrix_rank: number of singular values > tol, with
 * tol = max(s) * max(rows, cols) * eps when not given.
 */
export function matrixRank(a: Mat, tol?: number): number {
  const { s } = svd(a);
  const t = tol ?? (s.length ? s[0] : 0) * Math.max(a.rows, a.cols) * EPS;
  let r = 0;
  for (let i = 0; i < s.length; i++) if (s[i] > t) r++;
  return r;
}

/** Inverse of a small square matrix (Gauss-Jordan with partial pivoting). Throws if singular. */
export function inv(a: Mat): Mat {
  if (a.rows !== a.cols) throw new Error(`inv: matrix is ${a.rows}x${a.cols}, not square`);
  const n = a.rows;
  const m = a.data.slice();
  const out = identity(n).data;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[piv * n + c])) piv = r;
    const pv = m[piv * n + c];
    if (pv === 0 || !Number.isFinite(pv)) throw new Error('inv: singular matrix');
    if (piv !== c) {
      for (let j = 0; j < n; j++) {
        let t = m[c * n + j]; m[c * n + j] = m[piv * n + j]; m[piv * n + j] = t;
        t = out[c * n + j]; out[c * n + j] = out[piv * n + j]; out[piv * n + j] = t;
      }
    }
    const ip = 1 / pv;
    for (let j = 0; j < n; j++) { m[c * n + j] *= ip; out[c * n + j] *= ip; }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) { m[r * n + j] -= f * m[c * n + j]; out[r * n + j] -= f * out[c * n + j]; }
    }
  }
  return { rows: n, cols: n, data: out };
}

/**
 * Solve A x = b for a small square A (LU with partial pivoting, like
 * numpy.linalg.solve). Returns null when A is exactly singular.
 * `a` (n*n, row-major) and `b` (n) are overwritten; the solution is left in `b`.
 */
export function solveInPlace(a: Float64Array, b: Float64Array, n: number): boolean {
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[piv * n + c])) piv = r;
    const pv = a[piv * n + c];
    if (pv === 0 || !Number.isFinite(pv)) return false;
    if (piv !== c) {
      for (let j = 0; j < n; j++) { const t = a[c * n + j]; a[c * n + j] = a[piv * n + j]; a[piv * n + j] = t; }
      const t = b[c]; b[c] = b[piv]; b[piv] = t;
    }
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c] / pv;
      if (f === 0) continue;
      for (let j = c; j < n; j++) a[r * n + j] -= f * a[c * n + j];
      b[r] -= f * b[c];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let j = r + 1; j < n; j++) s -= a[r * n + j] * b[j];
    b[r] = s / a[r * n + r];
  }
  return true;
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi: A = V diag(values) Vᵀ. */
export function symEig(a: Mat): { values: Float64Array; vectors: Mat } {
  if (a.rows !== a.cols) throw new Error('symEig: matrix not square');
  const n = a.rows;
  const m = a.data.slice();
  // symmetrize against round-off
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const s = 0.5 * (m[i * n + j] + m[j * n + i]);
    m[i * n + j] = s; m[j * n + i] = s;
  }
  const v = identity(n).data;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
    if (off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const app = m[p * n + p];
        const aqq = m[q * n + q];
        if (Math.abs(apq) <= EPS * 1e-3 * Math.sqrt(Math.abs(app * aqq))) { m[p * n + q] = 0; m[q * n + p] = 0; continue; }
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i];
  return { values, vectors: { rows: n, cols: n, data: v } };
}

/**
 * f(A) for a symmetric A through its eigen-decomposition: V diag(f(λ)) Vᵀ.
 * Used for scipy.linalg.sqrtm of a symmetric positive definite matrix, whose
 * principal square root is exactly this for f = sqrt.
 */
export function symFunction(a: Mat, f: (x: number) => number): Mat {
  const { values, vectors } = symEig(a);
  const n = a.rows;
  const fv = values.map(f);
  const out = zeros(n, n);
  const v = vectors.data;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += v[i * n + k] * fv[k] * v[j * n + k];
      out.data[i * n + j] = s;
    }
  }
  return out;
}

/**
 * out (m x c) = A (m x k) · B (k x c) for a small A and a wide B, all row-major
 * (B and out rows are contiguous over c). The kernel is register-blocked over
 * 2 rows of A x 4 columns of A so each pass over a row of B / out does 8
 * multiply-adds, which is what makes the per-voxel projections of the GLM
 * stream at memory speed in plain JS. Only the first m*c entries of `out` are
 * written; `b` and `out` may be longer than needed (chunk buffers).
 */
export function gemmWide(a: Float64Array, m: number, k: number, b: Float64Array, c: number, out: Float64Array): void {
  out.fill(0, 0, m * c);
  let i = 0;
  for (; i + 2 <= m; i += 2) {
    const ao = i * k;
    const bo = ao + k;
    const o0 = i * c;
    const o1 = o0 + c;
    let l = 0;
    for (; l + 4 <= k; l += 4) {
      const a0 = a[ao + l], a1 = a[ao + l + 1], a2 = a[ao + l + 2], a3 = a[ao + l + 3];
      const b0 = a[bo + l], b1 = a[bo + l + 1], b2 = a[bo + l + 2], b3 = a[bo + l + 3];
      const r0 = l * c, r1 = r0 + c, r2 = r1 + c, r3 = r2 + c;
      for (let v = 0; v < c; v++) {
        const w0 = b[r0 + v], w1 = b[r1 + v], w2 = b[r2 + v], w3 = b[r3 + v];
        out[o0 + v] += a0 * w0 + a1 * w1 + a2 * w2 + a3 * w3;
        out[o1 + v] += b0 * w0 + b1 * w1 + b2 * w2 + b3 * w3;
      }
    }
    for (; l < k; l++) {
      const a0 = a[ao + l];
      const b0 = a[bo + l];
      const r0 = l * c;
      for (let v = 0; v < c; v++) {
        const w0 = b[r0 + v];
        out[o0 + v] += a0 * w0;
        out[o1 + v] += b0 * w0;
      }
    }
  }
  for (; i < m; i++) {
    const ao = i * k;
    const o0 = i * c;
    let l = 0;
    for (; l + 4 <= k; l += 4) {
      const a0 = a[ao + l], a1 = a[ao + l + 1], a2 = a[ao + l + 2], a3 = a[ao + l + 3];
      const r0 = l * c, r1 = r0 + c, r2 = r1 + c, r3 = r2 + c;
      for (let v = 0; v < c; v++) out[o0 + v] += a0 * b[r0 + v] + a1 * b[r1 + v] + a2 * b[r2 + v] + a3 * b[r3 + v];
    }
    for (; l < k; l++) {
      const a0 = a[ao + l];
      const r0 = l * c;
      for (let v = 0; v < c; v++) out[o0 + v] += a0 * b[r0 + v];
    }
  }
}
