/**
 * Small dense linear algebra on row-major Float64Array matrices.
 *
 * Everything here is meant for design-sized matrices (a few hundred rows, a few dozen
 * columns): the per-voxel work of the GLM lives in first-level/ and never goes through these
 * helpers voxel by voxel. The decompositions (SVD, symmetric eigen-decomposition) are
 * ml-matrix's (the JAMA / EISPACK algorithms: Golub-Kahan SVD, Householder tridiagonalisation
 * + implicit QL), wrapped for the project's `Mat`; written by hand, for the reasons given
 * there, are the Householder QR, the small Jacobi SVD of the per-AR-bin pseudo-inverse
 * (`svdJacobi`) and the two hot kernels at the end (`solveInPlace`, `gemmWide`).
 */
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';

/** A dense matrix, row-major: element (i, j) is `data[i * cols + j]`. */
export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

const EPS = 2.220446049250313e-16; // np.finfo(np.float64).eps

function toMl(a: Mat): Matrix {
  const m = new Matrix(a.rows, a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) m.set(i, j, a.data[i * a.cols + j]);
  return m;
}

function fromMl(m: Matrix, cols = m.columns): Mat {
  const out: Mat = { rows: m.rows, cols, data: new Float64Array(m.rows * cols) };
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < cols; j++) out.data[i * cols + j] = m.get(i, j);
  return out;
}

/**
 * A Bᵀ without forming the transpose. For A Aᵀ only the upper triangle is summed and mirrored:
 * entry (j, i) sums the same products as (i, j) in the same order (a·b = b·a exactly).
 */
export function matmulABt(a: Mat, b: Mat): Mat {
  if (a.cols !== b.cols) throw new Error(`matmulABt: ${a.rows}x${a.cols} times (${b.rows}x${b.cols})ᵀ`);
  const out: Mat = { rows: a.rows, cols: b.rows, data: new Float64Array(a.rows * b.rows) };
  const k = a.cols;
  const sym = a === b;
  for (let i = 0; i < a.rows; i++) {
    if (sym) for (let j = 0; j < i; j++) out.data[i * b.rows + j] = out.data[j * b.rows + i];
    for (let j = sym ? i : 0; j < b.rows; j++) {
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
 * Thin SVD, A = U diag(s) Vᵀ (ml-matrix's Golub-Kahan SVD, as LAPACK's to rounding). A large tall
 * matrix is first reduced by a Householder QR, A = Q R, and only R (cols x cols) is decomposed:
 * U = Q U_R. LAPACK's gesdd takes the same route for rows ≫ cols; here it turns the ~3 s SVD of a
 * 6 804 x 112 long-run design into ~0.2 s. Small designs keep the direct route (same result to
 * rounding, and their figures stay bit for bit as they were).
 */
export function svd(a: Mat): Svd;
/** Without U (`{ u: false }`): s and V only, which spares the tall route forming Q U_R. */
export function svd(a: Mat, opts: { u: false }): Omit<Svd, 'u'>;
export function svd(a: Mat, opts: { u?: boolean } = {}): Svd | Omit<Svd, 'u'> {
  const k = Math.min(a.rows, a.cols);
  if (k === 0) return { u: { rows: a.rows, cols: 0, data: new Float64Array(0) }, s: new Float64Array(0), v: { rows: a.cols, cols: 0, data: new Float64Array(0) } };
  for (let i = 0; i < a.data.length; i++) {
    // the Golub-Kahan iteration does not converge on NaN / Infinity
    if (!Number.isFinite(a.data[i])) throw new Error(`svd: the ${a.rows} x ${a.cols} matrix has a non-finite entry`);
  }
  if (a.rows >= 2 * a.cols && a.rows * a.cols >= QR_FIRST_SIZE) {
    const qr = householderQr(a);
    const d = svdDirect(qr.r, k);
    if (opts.u === false) return { s: d.s, v: d.v };
    const u: Mat = { rows: a.rows, cols: k, data: new Float64Array(a.rows * k) };
    const col = new Float64Array(a.rows);
    for (let l = 0; l < k; l++) {
      col.fill(0);
      for (let c = 0; c < k; c++) col[c] = d.u.data[c * k + l];
      qr.applyQ(col);
      for (let t = 0; t < a.rows; t++) u.data[t * k + l] = col[t];
    }
    return { u, s: d.s, v: d.v };
  }
  return svdDirect(a, k);
}

/** Entries (rows x cols) from which svd() reduces a tall matrix by QR first. */
const QR_FIRST_SIZE = 20_000;

function svdDirect(a: Mat, k: number): Svd {
  const d = new SingularValueDecomposition(toMl(a), { autoTranspose: true });
  return { u: fromMl(d.leftSingularVectors, k), s: Float64Array.from(d.diagonal.slice(0, k)), v: fromMl(d.rightSingularVectors, k) };
}

/** The plane rotation of svdJacobi on two stored vectors: (a, b) <- (c·a - s·b, s·a + c·b). */
function rotatePair(arr: Float64Array, a0: number, b0: number, len: number, c: number, s: number): void {
  for (let k = 0; k < len; k++) {
    const x = arr[a0 + k];
    const y = arr[b0 + k];
    arr[a0 + k] = c * x - s * y;
    arr[b0 + k] = s * x + c * y;
  }
}

/**
 * Thin SVD of a small matrix with rows >= cols by one-sided (Hestenes) Jacobi rotations: the
 * columns of a working copy are rotated pairwise until orthogonal (V accumulates the
 * rotations), then s = their norms and U = the columns over s (a zero column keeps U's column
 * 0). Singular values to high relative accuracy, as LAPACK's gesvd to rounding. Written by
 * hand for the p x p triangular factor of the per-AR-bin pseudo-inverse (first-level/
 * regression.ts pinvTall, ~100 calls per run), where ml-matrix's Golub-Kahan SVD went through
 * Matrix get/set and took most of the time; other shapes keep `svd`.
 */
export function svdJacobi(a: Mat): Svd {
  const m = a.rows;
  const n = a.cols;
  if (m < n) throw new Error(`svdJacobi: ${m} x ${n} has fewer rows than columns`);
  for (let i = 0; i < a.data.length; i++) {
    if (!Number.isFinite(a.data[i])) throw new Error(`svd: the ${m} x ${n} matrix has a non-finite entry`);
  }
  // column-major working copy: column j at u[j*m .. j*m + m)
  const u = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) u[j * m + i] = a.data[i * n + j];
  const v = new Float64Array(n * n); // column-major too
  for (let j = 0; j < n; j++) v[j * n + j] = 1;
  // The sweeps and the factors are functions of their own so that V8's on-stack optimisation
  // of the sweep loops is not thrown away at the code after them (it had no type feedback yet):
  // that cost a recompilation per call in every worker.
  jacobiSweeps(u, v, m, n);
  return jacobiFactors(u, v, m, n);
}

/** svdJacobi's rotations on the column-major u (m x n) and v (n x n) until the columns are orthogonal. */
function jacobiSweeps(u: Float64Array, v: Float64Array, m: number, n: number): void {
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let i = 0; i < n - 1; i++) {
      const ui = i * m;
      for (let j = i + 1; j < n; j++) {
        const uj = j * m;
        let alpha = 0, beta = 0, gamma = 0;
        for (let k = 0; k < m; k++) {
          const x = u[ui + k];
          const y = u[uj + k];
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
        rotatePair(u, ui, uj, m, c, s);
        rotatePair(v, i * n, j * n, n, c, s);
      }
    }
    if (!rotated) break;
  }
}

/** U, s and V from the orthogonalised columns (svdJacobi), by decreasing singular value. */
function jacobiFactors(u: Float64Array, v: Float64Array, m: number, n: number): Svd {
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s2 = 0;
    for (let k = 0; k < m; k++) s2 += u[j * m + k] * u[j * m + k];
    norms[j] = Math.sqrt(s2);
  }
  const order = Array.from({ length: n }, (_, j) => j).sort((x, y) => norms[y] - norms[x] || x - y);
  const out: Svd = { u: { rows: m, cols: n, data: new Float64Array(m * n) }, s: new Float64Array(n), v: { rows: n, cols: n, data: new Float64Array(n * n) } };
  order.forEach((j, l) => {
    const sj = norms[j];
    out.s[l] = sj;
    if (sj > 0) for (let k = 0; k < m; k++) out.u.data[k * n + l] = u[j * m + k] / sj;
    for (let k = 0; k < n; k++) out.v.data[k * n + l] = v[j * n + k];
  });
  return out;
}

/**
 * s and V of a matrix with rows >= cols by svdJacobi, of the cols x cols factor R of A = QR
 * when A is tall (rows >= 2 cols): R has A's singular values and right singular vectors
 * (RᵀR = AᵀA), and each rotation then costs cols instead of rows operations. For the checks
 * on design matrices (rank, condition number, row space), where ml-matrix's SVD, through
 * Matrix get/set, was most of the time the spec checks and the `design` node took.
 */
export function svdJacobiValues(a: Mat): Omit<Svd, 'u'> {
  for (let i = 0; i < a.data.length; i++) {
    // refused before the QR, with the matrix's own shape in the message
    if (!Number.isFinite(a.data[i])) throw new Error(`svd: the ${a.rows} x ${a.cols} matrix has a non-finite entry`);
  }
  const { s, v } = svdJacobi(a.rows >= 2 * a.cols ? householderQr(a).r : a);
  return { s, v };
}

/**
 * The 2-norm condition number of `w` (rows >= cols) after scaling each column to unit norm:
 * s_max / s_min of W·D (Infinity for a zero column or a rank-deficient W). Column scaling
 * removes what units alone do to the condition number (e.g. rotations in radians beside a
 * column of ones), which is what the rounding of normal equations depends on.
 */
export function conditionScaled(w: Mat): number {
  const m = w.rows;
  const n = w.cols;
  if (n === 0) return 1;
  if (m < n) return Infinity;
  const norms = new Float64Array(n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) norms[j] += w.data[i * n + j] ** 2;
  const scaled: Mat = { rows: m, cols: n, data: new Float64Array(m * n) };
  for (let j = 0; j < n; j++) {
    if (!(norms[j] > 0) || !Number.isFinite(norms[j])) return Infinity;
    norms[j] = 1 / Math.sqrt(norms[j]);
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) scaled.data[i * n + j] = w.data[i * n + j] * norms[j];
  const { s } = svdJacobi(m > n ? householderQr(scaled).r : scaled);
  return s[n - 1] > 0 ? s[0] / s[n - 1] : Infinity;
}

/** A = Q R by Householder reflections (rows ≥ cols): R, and Q applied as the reflections. */
export interface HouseholderQr {
  /** cols x cols, upper triangular. */
  r: Mat;
  /** y ← Q y for a vector of length rows (y = [x; 0] gives Q's columns' combination x). */
  applyQ(y: Float64Array): void;
}

/**
 * Householder QR of a tall matrix (Golub & Van Loan, Algorithm 5.2.1), on a column-major copy.
 * Written by hand because ml-matrix's QrDecomposition goes through Matrix get/set and takes as
 * long as the SVD it should shorten (3.5 s for 6 804 x 112).
 */
export function householderQr(w: Mat): HouseholderQr {
  const m = w.rows;
  const n = w.cols;
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[j * m + i] = w.data[i * n + j];
  const vs: Float64Array[] = [];
  const betas = new Float64Array(n);
  // a function of its own, as svdJacobi's sweeps (see there)
  householderReflect(a, m, n, vs, betas);
  const r: Mat = { rows: n, cols: n, data: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) r.data[i * n + j] = a[j * m + i];
  return {
    r,
    applyQ(y) {
      // the reflections applied last first
      for (let k = n - 1; k >= 0; k--) {
        const vk = vs[k];
        const b = betas[k];
        if (b === 0) continue;
        let d = 0;
        for (let t = k; t < m; t++) d += vk[t] * y[t];
        d *= b;
        for (let t = k; t < m; t++) y[t] -= d * vk[t];
      }
    },
  };
}

/** The reflections of householderQr on the column-major a (m x n): a becomes R above its diagonal. */
function householderReflect(a: Float64Array, m: number, n: number, vs: Float64Array[], betas: Float64Array): void {
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[k * m + i] * a[k * m + i];
    norm = Math.sqrt(norm);
    const v = new Float64Array(m);
    vs.push(v);
    if (norm === 0) continue;
    const alpha = a[k * m + k] > 0 ? -norm : norm;
    for (let i = k; i < m; i++) v[i] = a[k * m + i];
    v[k] -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += v[i] * v[i];
    betas[k] = vv > 0 ? 2 / vv : 0;
    for (let j = k; j < n; j++) {
      let d = 0;
      for (let i = k; i < m; i++) d += v[i] * a[j * m + i];
      d *= betas[k];
      for (let i = k; i < m; i++) a[j * m + i] -= d * v[i];
    }
  }
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
  const out: Mat = { rows: a.cols, cols: a.rows, data: new Float64Array(a.cols * a.rows) };
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
  if (a.rows >= a.cols && a.cols > 0) {
    // The one-sided Jacobi values (svdJacobiValues: no ml-matrix SVD to run, or to compile in
    // each worker, for the rank of every design). Both SVDs are backward stable, so they put a
    // value on the same side of the tolerance unless it is within rounding of it: then the
    // Golub-Kahan SVD below decides, as it always did.
    const { s } = svdJacobiValues(a);
    const t = tol ?? s[0] * Math.max(a.rows, a.cols) * EPS;
    const margin = 1e-8 * s[0];
    let r = 0;
    let clear = true;
    for (let i = 0; i < s.length; i++) {
      if (Math.abs(s[i] - t) <= margin) clear = false;
      if (s[i] > t) r++;
    }
    if (clear) return r;
  }
  const { s } = svd(a, { u: false });
  const t = tol ?? (s.length ? s[0] : 0) * Math.max(a.rows, a.cols) * EPS;
  let r = 0;
  for (let i = 0; i < s.length; i++) if (s[i] > t) r++;
  return r;
}

/**
 * Eigen-decomposition of a symmetric matrix, A = V diag(values) Vᵀ: values ascending, unit
 * eigenvectors as the columns of `vectors` (ml-matrix's EISPACK tred2 / tql2).
 */
export function symEig(a: Mat): { values: Float64Array; vectors: Mat } {
  if (a.rows !== a.cols) throw new Error('symEig: matrix not square');
  const n = a.rows;
  if (n === 0) return { values: new Float64Array(0), vectors: { rows: 0, cols: 0, data: new Float64Array(0) } };
  const m = toMl(a);
  // symmetrise against round-off in the input
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const s = 0.5 * (m.get(i, j) + m.get(j, i));
    m.set(i, j, s);
    m.set(j, i, s);
  }
  const e = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  return { values: Float64Array.from(e.realEigenvalues), vectors: fromMl(e.eigenvectorMatrix) };
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
  const out: Mat = { rows: n, cols: n, data: new Float64Array(n * n) };
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
 * Solve A x = b for a small square A (LU with partial pivoting, like
 * numpy.linalg.solve). Returns false when A is exactly singular (see pivotTol).
 * Kept by hand (not ml-matrix's LU): it runs once per voxel in the AR(N) Yule-Walker
 * estimate (first-level/ar-estimate.ts) on an order x order Toeplitz system, in place and
 * without allocating; ml-matrix's LuDecomposition allocates two Matrix objects per call
 * (measured ~10x slower on 3 x 3 systems).
 * `a` (n*n, row-major) and `b` (n) are overwritten; the solution is left in `b`.
 * With `pivotTol`, a pivot of absolute value <= pivotTol also counts as singular (numerically
 * singular systems, e.g. single-trial-terms.ts's tolerance relative to the largest entry).
 */
export function solveInPlace(a: Float64Array, b: Float64Array, n: number, pivotTol = 0): boolean {
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[piv * n + c])) piv = r;
    const pv = a[piv * n + c];
    if (!(Math.abs(pv) > pivotTol) || !Number.isFinite(pv)) return false;
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

/**
 * out (m x c) = A (m x k) · B (k x c) for a small A and a wide B, all row-major
 * (B and out rows are contiguous over c). The kernel is register-blocked over
 * 2 rows of A x 4 columns of A so each pass over a row of B / out does 8
 * multiply-adds, which is what makes the per-voxel projections of the GLM
 * stream at memory speed in plain JS (ml-matrix's mmul on a 16 x 160 by 160 x 1024 product
 * is ~3x slower and allocates the result). This is the plain-JS fallback of the WebAssembly
 * kernel (wasm/kernels.ts). Only the first m*c entries of `out` are
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
