/**
 * Gaussian smoothing of 3D / 4D images with nilearn 0.10.4 `smooth_img` semantics
 * (nilearn.image.image._smooth_array + scipy.ndimage.gaussian_filter1d):
 *
 *  - non-finite voxels are replaced by 0 first (smooth_img always passes ensure_finite=True);
 *  - fwhm = null, or a scalar 0: no filtering (nilearn turns a scalar 0 into None);
 *  - fwhm = 'fast': the [0.2, 1, 0.2] neighbour average of `_fast_smooth_array`;
 *  - otherwise sigma_vox[axis] = fwhm[axis] / (sqrt(8 ln 2) * voxel_size[axis]) where
 *    voxel_size is the norm of each column of affine[:3,:3]; an axis whose sigma is not > 0
 *    (fwhm 0, negative or NaN) is left alone;
 *  - each axis (x, then y, then z) is one scipy `gaussian_filter1d` pass: truncate 4.0, kernel
 *    radius int(4 sigma + 0.5), weights exp(-x^2 / (2 sigma^2)) normalised to sum 1, mode
 *    'reflect' (half-sample symmetric: d c b a | a b c d | d c b a), accumulated in float64 in
 *    scipy's order (centre tap, then the symmetric pairs from the outermost inwards) and
 *    stored after every pass in the array's own precision (nilearn filters in place: a float32
 *    image is rounded to float32 between passes, a float64 one is not — pass a Float64Array to
 *    reproduce nilearn on float64 data such as an in-memory `mean_img` of an int16 EPI).
 *    Because the arithmetic and its order are the same, results match scipy to the last bit
 *    (checked against scipy 1.17 on the fixture mean and on small edge cases: 0 differing
 *    voxels), except for rare 1-ulp differences of exp() between libm and V8 in a kernel
 *    weight, which move some float64 results by ~1e-16 relative.
 *
 * Implementation: the x pass works line by line through one padded float64 line buffer (the
 * reflected border is written into the padding once, so the inner loop has no branches); the
 * y and z passes are vectorised over whole x-rows (each output row is a weighted sum of input
 * rows, with the reflected row indices resolved once per row), which keeps memory access
 * contiguous instead of gathering strided lines. Inner loops compute four neighbouring outputs
 * at once (independent accumulation chains; each output keeps scipy's order of operations),
 * about 2.5x faster than one at a time.
 */

import { createSmoothKernels, type SmoothKernels } from '../wasm/kernels.js';

/** FWHM in mm: a scalar (all axes), one value per axis, 'fast', or null (no smoothing). */
export type Fwhm = number | readonly (number | null)[] | 'fast' | null;

/** Voxel arrays accepted by the filters (the result has the input's precision). */
export type FloatArray = Float32Array | Float64Array;

const FWHM_OVER_SIGMA = Math.sqrt(8 * Math.log(2));
const TRUNCATE = 4.0;

/** Voxel sizes as nilearn computes them: norms of the columns of affine[:3,:3]. */
export function affineVoxelSizes(affine: number[][]): [number, number, number] {
  const v: number[] = [];
  for (let j = 0; j < 3; j++) {
    // numpy sum over axis 0 of a 3x3 array: ((a0 + a1) + a2)
    v.push(Math.sqrt(affine[0][j] * affine[0][j] + affine[1][j] * affine[1][j] + affine[2][j] * affine[2][j]));
  }
  return v as [number, number, number];
}

/**
 * Per-axis Gaussian sigma in voxels for a FWHM in mm (0 / NaN / negative => that axis is not
 * smoothed). `fwhm = sigma * sqrt(8 ln 2)`.
 */
export function fwhmToSigmaVoxels(fwhm: number | readonly (number | null)[], affine: number[][]): [number, number, number] {
  const f = typeof fwhm === 'number' ? [fwhm, fwhm, fwhm] : fwhm.map((x) => (x === null ? 0 : x));
  if (f.length === 1) f.push(f[0], f[0]);
  if (f.length !== 3) throw new Error(`fwhm must be a scalar or have 3 values, got ${f.length}`);
  const vox = affineVoxelSizes(affine);
  const s = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    s[a] = f[a] / (FWHM_OVER_SIGMA * vox[a]);
    if (s[a] === Infinity) throw new Error(`fwhm ${f[a]} gives an infinite sigma`);
  }
  return s as [number, number, number];
}

/** Kernel radius of scipy's gaussian_filter1d: int(truncate * sigma + 0.5). */
export function kernelRadius(sigma: number, truncate = TRUNCATE): number {
  return Math.trunc(truncate * sigma + 0.5);
}

/** numpy's pairwise float64 sum (used by `phi_x.sum()`), so the normalisation matches. */
function numpySum(a: Float64Array): number {
  const n = a.length;
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[i];
    return res;
  }
  if (n <= 128) {
    const r = Array.from(a.subarray(0, 8));
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[i + j];
    let res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) res += a[i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return numpySum(a.subarray(0, n2)) + numpySum(a.subarray(n2));
}

/**
 * scipy `_gaussian_kernel1d(sigma, 0, radius)`: exp(p(x)) with p(x) = (q x) x, q = -0.5/sigma^2,
 * for x = -radius..radius, divided by its sum. Returned as the half kernel w[0..radius]
 * (w[j] is the weight at offset ±j; the kernel is symmetric).
 */
export function gaussianHalfKernel(sigma: number, radius = kernelRadius(sigma)): Float64Array {
  const q = -0.5 / (sigma * sigma);
  const full = new Float64Array(2 * radius + 1);
  for (let i = 0; i < full.length; i++) {
    const x = i - radius;
    full[i] = Math.exp(q * x * x);
  }
  const sum = numpySum(full);
  const half = new Float64Array(radius + 1);
  for (let j = 0; j <= radius; j++) half[j] = full[radius + j] / sum;
  return half;
}

/** Index of a (possibly out-of-range) position k on an axis of length n under 'reflect'. */
export function reflectIndex(k: number, n: number): number {
  if (k >= 0 && k < n) return k;
  const period = 2 * n;
  const m = ((k % period) + period) % period;
  return m < n ? m : period - 1 - m;
}

/** Scratch buffers reused across lines / rows / volumes. */
interface Scratch {
  line: Float64Array;
  rows: Float64Array;
  rowIdx: Int32Array;
}
function makeScratch(): Scratch {
  return { line: new Float64Array(0), rows: new Float64Array(0), rowIdx: new Int32Array(0) };
}
function ensureLen<T extends Float64Array | Int32Array>(a: T, n: number, make: (n: number) => T): T {
  return a.length >= n ? a : make(n);
}

/**
 * Filter along the contiguous axis (x). Reads `src` lines of length n (full axis, index
 * srcBase + x for x in [0, n)) and writes outputs for x in [lo, hi) to dst[dstBase + (x - lo)].
 * `finite`: replace non-finite inputs by 0 while loading (smooth_img's ensure_finite).
 */
function filterLineX(
  src: FloatArray, srcBase: number, n: number,
  dst: FloatArray, dstBase: number, lo: number, hi: number,
  w: Float64Array, s: Scratch, finite: boolean,
): void {
  const r = w.length - 1;
  const len = hi - lo + 2 * r;
  const buf = (s.line = ensureLen(s.line, len, (m) => new Float64Array(m)));
  // Interior part of the padded window [lo - r, hi + r) without reflection checks.
  const a = Math.max(lo - r, 0);
  const b = Math.min(hi + r, n);
  const off = r - lo; // buf index of position x is x + off
  if (finite) {
    for (let x = a; x < b; x++) {
      const v = src[srcBase + x];
      buf[x + off] = Number.isFinite(v) ? v : 0;
    }
  } else {
    for (let x = a; x < b; x++) buf[x + off] = src[srcBase + x];
  }
  // Reflected borders (only where the window leaves the image).
  for (let x = lo - r; x < a; x++) {
    const v = src[srcBase + reflectIndex(x, n)];
    buf[x + off] = finite && !Number.isFinite(v) ? 0 : v;
  }
  for (let x = b; x < hi + r; x++) {
    const v = src[srcBase + reflectIndex(x, n)];
    buf[x + off] = finite && !Number.isFinite(v) ? 0 : v;
  }
  const w0 = w[0];
  const m = hi - lo;
  // scipy NI_Correlate1D symmetric branch: centre first, then pairs from the outermost in.
  // Four outputs at a time (independent accumulation chains), same order for each.
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const c = i + r;
    let a0 = buf[c] * w0;
    let a1 = buf[c + 1] * w0;
    let a2 = buf[c + 2] * w0;
    let a3 = buf[c + 3] * w0;
    for (let j = r; j >= 1; j--) {
      const wj = w[j];
      a0 += (buf[c - j] + buf[c + j]) * wj;
      a1 += (buf[c + 1 - j] + buf[c + 1 + j]) * wj;
      a2 += (buf[c + 2 - j] + buf[c + 2 + j]) * wj;
      a3 += (buf[c + 3 - j] + buf[c + 3 + j]) * wj;
    }
    dst[dstBase + i] = a0;
    dst[dstBase + i + 1] = a1;
    dst[dstBase + i + 2] = a2;
    dst[dstBase + i + 3] = a3;
  }
  for (; i < m; i++) {
    const c = i + r;
    let acc = buf[c] * w0;
    for (let j = r; j >= 1; j--) acc += (buf[c - j] + buf[c + j]) * w[j];
    dst[dstBase + i] = acc;
  }
}

/**
 * Filter along a strided axis, vectorised over rows: "row k" (k = position on the filtered
 * axis, in [0, n)) is the contiguous run data[rowOff(k) .. + rowLen). Reads rows whose axis
 * positions are needed by outputs [lo, hi) (with reflection), writes output row k to
 * dst[dstOff(k)..]. `srcRowOff` / `dstRowOff` give the offsets of rows by axis position
 * (indexed by position - srcFirst / lo). Source rows are copied to scratch first, so src and
 * dst may be the same array (in-place filtering, as nilearn does).
 */
function filterRows(
  src: FloatArray, srcRowOff: Int32Array, srcFirst: number, n: number,
  dst: FloatArray, dstRowOff: Int32Array, lo: number, hi: number,
  rowLen: number, w: Float64Array, s: Scratch,
): void {
  const r = w.length - 1;
  // Axis positions actually read: reflect closure of [lo - r, hi + r).
  let pmin = Infinity;
  let pmax = -Infinity;
  for (let k = lo - r; k < hi + r; k++) {
    const p = reflectIndex(k, n);
    if (p < pmin) pmin = p;
    if (p > pmax) pmax = p;
  }
  const nRows = pmax - pmin + 1;
  const rows = (s.rows = ensureLen(s.rows, nRows * rowLen, (m) => new Float64Array(m)));
  for (let p = pmin; p <= pmax; p++) {
    const o = srcRowOff[p - srcFirst];
    rows.set(src.subarray(o, o + rowLen), (p - pmin) * rowLen);
  }
  const offA = (s.rowIdx = ensureLen(s.rowIdx, 2 * (r + 1), (m) => new Int32Array(m)));
  const w0 = w[0];
  for (let k = lo; k < hi; k++) {
    const c = (k - pmin) * rowLen;
    // Row offsets of the symmetric pairs, outermost first (scipy's accumulation order).
    for (let j = r; j >= 1; j--) {
      offA[2 * (r - j)] = (reflectIndex(k - j, n) - pmin) * rowLen;
      offA[2 * (r - j) + 1] = (reflectIndex(k + j, n) - pmin) * rowLen;
    }
    const o = dstRowOff[k - lo];
    // Four neighbouring outputs at a time: independent accumulation chains run in parallel
    // on the CPU; each output keeps scipy's own order of operations.
    let x = 0;
    for (; x + 3 < rowLen; x += 4) {
      const cx = c + x;
      let a0 = rows[cx] * w0;
      let a1 = rows[cx + 1] * w0;
      let a2 = rows[cx + 2] * w0;
      let a3 = rows[cx + 3] * w0;
      for (let j = r, q = 0; j >= 1; j--, q += 2) {
        const pa = offA[q] + x;
        const pb = offA[q + 1] + x;
        const wj = w[j];
        a0 += (rows[pa] + rows[pb]) * wj;
        a1 += (rows[pa + 1] + rows[pb + 1]) * wj;
        a2 += (rows[pa + 2] + rows[pb + 2]) * wj;
        a3 += (rows[pa + 3] + rows[pb + 3]) * wj;
      }
      dst[o + x] = a0;
      dst[o + x + 1] = a1;
      dst[o + x + 2] = a2;
      dst[o + x + 3] = a3;
    }
    for (; x < rowLen; x++) {
      let acc = rows[c + x] * w0;
      for (let j = r, q = 0; j >= 1; j--, q += 2) acc += (rows[offA[q] + x] + rows[offA[q + 1] + x]) * w[j];
      dst[o + x] = acc;
    }
  }
}

function rowOffsets(first: number, count: number, base: number, stride: number, s?: Int32Array): Int32Array {
  const out = s && s.length >= count ? s : new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = base + (first + i) * stride;
  return out;
}

function volumeCount(dims: readonly number[]): number {
  return dims.length > 3 ? Math.max(1, dims[3]) : 1;
}

/**
 * nilearn `_fast_smooth_array` on one volume: v + 0.2 * (sum of the 6 neighbours present),
 * divided by 2.2 (so a uniform image stays uniform except at the edges), in the array's own
 * precision (the weight 0.2 and the scale are cast to float32 for a float32 array, as numpy does).
 */
function fastSmoothVolume(v: FloatArray, nx: number, ny: number, nz: number): void {
  const f32 = v instanceof Float32Array;
  const weighted = f32 ? new Float32Array(v.length) : new Float64Array(v.length);
  const w02 = f32 ? Math.fround(0.2) : 0.2;
  for (let i = 0; i < v.length; i++) weighted[i] = w02 * v[i];
  const out = f32 ? Float32Array.from(v) : Float64Array.from(v);
  const sxy = nx * ny;
  // Same statement order as nilearn: +x, -x, +y, -y, +z, -z neighbours, each add rounded.
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++) {
      const base = nx * y + sxy * z;
      for (let x = 0; x < nx - 1; x++) out[base + x] += weighted[base + x + 1];
      for (let x = 1; x < nx; x++) out[base + x] += weighted[base + x - 1];
    }
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny - 1; y++) for (let x = 0; x < nx; x++) out[x + nx * y + sxy * z] += weighted[x + nx * (y + 1) + sxy * z];
  for (let z = 0; z < nz; z++)
    for (let y = 1; y < ny; y++) for (let x = 0; x < nx; x++) out[x + nx * y + sxy * z] += weighted[x + nx * (y - 1) + sxy * z];
  for (let z = 0; z < nz - 1; z++) for (let i = 0; i < sxy; i++) out[i + sxy * z] += weighted[i + sxy * (z + 1)];
  for (let z = 1; z < nz; z++) for (let i = 0; i < sxy; i++) out[i + sxy * z] += weighted[i + sxy * (z - 1)];
  const scale = f32 ? Math.fround(1 + 6 * 0.2) : 1 + 6 * 0.2;
  for (let i = 0; i < v.length; i++) v[i] = out[i] / scale;
}

function allocLike<T extends FloatArray>(like: T, n: number): T {
  return (like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as T;
}

/** Normalise nilearn's fwhm argument: scalar 0 means "no smoothing" (nilearn issue #1537). */
function normaliseFwhm(fwhm: Fwhm): Fwhm {
  if (typeof fwhm === 'number' && fwhm === 0) return null;
  return fwhm;
}

/**
 * nilearn `smooth_img(img, fwhm)` on raw voxel data (3D, or 4D: every volume is smoothed).
 * Returns a new array of the input's type; the input is not modified. The precision follows
 * the array, as in nilearn (which filters in the image's dtype): a Float32Array is rounded to
 * float32 after each axis pass, a Float64Array stays float64 throughout.
 */
export function smoothVolumes<T extends FloatArray>(data: T, dims: readonly number[], affine: number[][], fwhm: Fwhm): T {
  const [nx, ny, nz] = dims;
  const nvox = nx * ny * nz;
  const nt = volumeCount(dims);
  if (data.length !== nvox * nt) throw new Error(`data length ${data.length} does not match dims ${dims.join('x')}`);
  const out = allocLike(data, data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = Number.isFinite(v) ? v : 0; // ensure_finite
  }
  const f = normaliseFwhm(fwhm);
  if (f === null) return out;
  if (f === 'fast') {
    for (let t = 0; t < nt; t++) fastSmoothVolume(out.subarray(t * nvox, (t + 1) * nvox), nx, ny, nz);
    return out;
  }
  const sigma = fwhmToSigmaVoxels(f, affine);
  const kernels = sigma.map((sg) => (sg > 0 ? gaussianHalfKernel(sg) : null));
  const s = makeScratch();
  const yOff = new Int32Array(ny);
  const zOff = new Int32Array(nz);
  for (let t = 0; t < nt; t++) {
    const vb = t * nvox;
    if (kernels[0]) {
      for (let line = 0; line < ny * nz; line++) {
        const base = vb + line * nx;
        filterLineX(out, base, nx, out, base, 0, nx, kernels[0], s, false);
      }
    }
    if (kernels[1]) {
      for (let z = 0; z < nz; z++) {
        rowOffsets(0, ny, vb + nx * ny * z, nx, yOff);
        filterRows(out, yOff, 0, ny, out, yOff, 0, ny, nx, kernels[1], s);
      }
    }
    if (kernels[2]) {
      for (let y = 0; y < ny; y++) {
        rowOffsets(0, nz, vb + nx * y, nx * ny, zOff);
        filterRows(out, zOff, 0, nz, out, zOff, 0, nz, nx, kernels[2], s);
      }
    }
  }
  return out;
}

/** Inclusive bounding box of the non-zero voxels of a 3D mask, or null if the mask is empty. */
export function maskBoundingBox(mask: Uint8Array, dims: readonly number[]): { lo: [number, number, number]; hi: [number, number, number] } | null {
  const [nx, ny, nz] = dims;
  const lo: [number, number, number] = [nx, ny, nz];
  const hi: [number, number, number] = [-1, -1, -1];
  let i = 0;
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        if (!mask[i]) continue;
        if (x < lo[0]) lo[0] = x;
        if (x > hi[0]) hi[0] = x;
        if (y < lo[1]) lo[1] = y;
        if (y > hi[1]) hi[1] = y;
        if (z < lo[2]) lo[2] = z;
        if (z > hi[2]) hi[2] = z;
      }
  return hi[0] < 0 ? null : { lo, hi };
}

/** [min, max] of the reflected positions of [lo - r, hi + r] on an axis of length n. */
function reflectClosure(lo: number, hi: number, r: number, n: number): [number, number] {
  let a = Infinity;
  let b = -Infinity;
  for (let k = lo - r; k <= hi + r; k++) {
    const p = reflectIndex(k, n);
    if (p < a) a = p;
    if (p > b) b = p;
  }
  return [a, b];
}

/**
 * `smoothVolumes` followed by masking, computing only what the masked voxels depend on.
 * Returns n_t x n_mask values (time-major, voxels in NIfTI order within each row), identical
 * bit for bit to `extractMasked(smoothVolumes(...), dims, mask)`. See `MaskedSmoother`.
 */
export function smoothMasked<T extends FloatArray>(
  data: T, dims: readonly number[], affine: number[][], fwhm: Fwhm, mask: Uint8Array,
): T {
  const [nx, ny, nz] = dims;
  const nvox = nx * ny * nz;
  const nt = volumeCount(dims);
  if (data.length !== nvox * nt) throw new Error(`data length ${data.length} does not match dims ${dims.join('x')}`);
  if (mask.length !== nvox) throw new Error(`mask length ${mask.length} does not match the volume size ${nvox}`);
  const f = normaliseFwhm(fwhm);
  if (f === 'fast') {
    // A cheap local operation: smooth everything and gather.
    let nMask = 0;
    for (let i = 0; i < nvox; i++) if (mask[i]) nMask++;
    const result = allocLike(data, nMask * nt);
    if (nMask === 0) return result;
    const full = smoothVolumes(data, dims, affine, f);
    gatherMasked(full, nvox, nt, mask, result, nMask);
    return result;
  }
  const sm = new MaskedSmoother(dims, affine, f, mask, data instanceof Float64Array ? 'float64' : 'float32');
  const result = allocLike(data, sm.nMask * nt);
  for (let t = 0; t < nt; t++) sm.apply(data.subarray(t * nvox, (t + 1) * nvox), result, t * sm.nMask);
  return result;
}

/**
 * Smooths one volume at a time and keeps only the masked voxels, computing only what they
 * depend on (nilearn smooth_img then masking; 'fast' is not supported here, use smoothVolumes).
 *
 * Why this is exact: the separable filter computes z-pass(y-pass(x-pass(v))). An output at a
 * masked voxel (x, y, z) needs y-pass outputs at (x, y, z ± rz) (reflected at the true image
 * border), each of which needs x-pass outputs at (x, y ± ry, z') (reflected), each of which
 * reads the raw data at (x ± rx, y', z') (reflected). Working row by row (an x-row is fixed
 * y and z), the needed outputs of each pass are gathered as one x-range per row (the union of
 * what the next pass needs there), so only ranges of rows near the mask are filtered, instead
 * of whole volumes or the mask's bounding box. Every value is computed with the same float64
 * accumulation order (centre tap, then the symmetric pairs from the outermost in) and the same
 * rounding to the array's precision between passes as the full-volume filter, and reflection
 * always refers to the real image edges, so the results equal the full-image results bit for
 * bit (test/stats/smooth.test.ts).
 *
 * `inputRows` says which raw voxels a volume must provide (for a streaming reader); the others
 * are never read.
 */
export class MaskedSmoother {
  readonly nMask: number;
  /** Raw input voxels read per volume: x-range [xLo[r], xHi[r]) of row r = y + ny * z. */
  readonly inputRows: { xLo: Int32Array; xHi: Int32Array };
  private readonly dims: [number, number, number];
  private readonly kernels: (Float64Array | null)[];
  private readonly f64: boolean;
  /** x-pass and y-pass outputs: full-volume buffers of the working precision. */
  private readonly bufX: FloatArray;
  private readonly bufY: FloatArray;
  /** Output x-ranges of the x pass and y pass, per row. */
  private readonly xRows: { xLo: Int32Array; xHi: Int32Array };
  private readonly yRows: { xLo: Int32Array; xHi: Int32Array };
  /** Runs of consecutive masked voxels: row, first x, end x, index of the first in the output. */
  private readonly runs: Int32Array;
  private readonly scratch = makeScratch();
  private readonly offs: Int32Array;
  /** WebAssembly SIMD path (float32 only), or null for the plain loops. */
  private readonly simd: SimdPlan | null;
  /**
   * A volume buffer to decode into (WebAssembly path): apply() on this very array skips the
   * copy of the input rows into the kernels' memory. Undefined on the plain path.
   */
  readonly inputBuffer?: Float32Array;
  /**
   * WebAssembly path: room for one volume of int16 values (platform byte order), which
   * loadInt16 decodes into inputBuffer (the NIfTI reader's decoder hook).
   */
  readonly rawInt16?: Uint8Array;

  constructor(dims: readonly number[], affine: number[][], fwhm: Exclude<Fwhm, 'fast'>, mask: Uint8Array, precision: 'float32' | 'float64' = 'float32') {
    const [nx, ny, nz] = dims;
    const nvox = nx * ny * nz;
    if (mask.length !== nvox) throw new Error(`mask length ${mask.length} does not match the volume size ${nvox}`);
    this.dims = [nx, ny, nz];
    this.f64 = precision === 'float64';
    const f = normaliseFwhm(fwhm);
    const kernels = f === null || f === 'fast' ? [null, null, null] : fwhmToSigmaVoxels(f, affine).map((sg) => (sg > 0 ? gaussianHalfKernel(sg) : null));
    this.kernels = kernels;
    const radius = kernels.map((k) => (k ? k.length - 1 : 0));
    this.offs = new Int32Array(2 * (Math.max(...radius) + 1));
    const nRows = ny * nz;
    // Masked runs and the z-pass output ranges (= the mask's range in each row).
    const runs: number[] = [];
    const zLo = new Int32Array(nRows);
    const zHi = new Int32Array(nRows);
    let nMask = 0;
    for (let r = 0; r < nRows; r++) {
      const base = r * nx;
      let first = -1;
      for (let x = 0; x <= nx; x++) {
        const inMask = x < nx && mask[base + x] !== 0;
        if (inMask && first < 0) first = x;
        if (!inMask && first >= 0) {
          runs.push(r, first, x, nMask);
          nMask += x - first;
          if (zHi[r] <= zLo[r]) zLo[r] = first;
          zHi[r] = x;
          first = -1;
        }
      }
    }
    this.nMask = nMask;
    this.runs = Int32Array.from(runs);
    const zOut = { xLo: zLo, xHi: zHi };
    // y-pass outputs: rows (y, z') that the z pass reads; x-pass outputs: rows the y pass reads.
    this.yRows = kernels[2] ? spreadRows(zOut, ny, nz, 'z', radius[2]) : zOut;
    this.xRows = kernels[1] ? spreadRows(this.yRows, ny, nz, 'y', radius[1]) : this.yRows;
    // Raw inputs: the x-pass ranges widened by the x radius (reflected into the image).
    const inLo = new Int32Array(nRows);
    const inHi = new Int32Array(nRows);
    for (let r = 0; r < nRows; r++) {
      const lo = this.xRows.xLo[r];
      const hi = this.xRows.xHi[r];
      if (hi <= lo) continue;
      if (kernels[0]) {
        const [a, b] = reflectClosure(lo, hi - 1, radius[0], nx);
        inLo[r] = a;
        inHi[r] = b + 1;
      } else {
        inLo[r] = lo;
        inHi[r] = hi;
      }
    }
    this.inputRows = { xLo: inLo, xHi: inHi };
    const k = this.f64 ? null : createSmoothKernels();
    if (k) {
      const plan = simdPlan(k, [nx, ny, nz], kernels, radius, this.inputRows, this.xRows, this.yRows, this.runs, nMask);
      this.simd = plan;
      this.inputBuffer = plan.input;
      this.rawInt16 = plan.raw;
      this.bufX = plan.bufX;
      this.bufY = plan.bufY;
    } else {
      this.simd = null;
      const make = (n: number) => (this.f64 ? new Float64Array(n) : new Float32Array(n));
      this.bufX = make(nvox);
      this.bufY = kernels[1] ? make(nvox) : this.bufX;
    }
  }

  /**
   * WebAssembly path: fill the inputRows voxels of inputBuffer from the int16 values in
   * rawInt16 as v · slope + inter (float64, rounded once to float32: the NIfTI reader's
   * scaling). Returns false on the plain path (nothing done).
   */
  loadInt16(slope: number, inter: number): boolean {
    const plan = this.simd;
    if (!plan) return false;
    plan.k.decodeI16(plan.raw, plan.input, plan.ranges, plan.nRanges, slope, inter);
    return true;
  }

  /**
   * Smooth one volume (`volume`: nx*ny*nz values, only `inputRows` are read) and write its
   * nMask masked values to out[outOffset ..] (rounded to `out`'s precision).
   */
  apply(volume: FloatArray, out: FloatArray, outOffset = 0): void {
    if (this.simd) {
      applySimd(this.simd, this.dims, this.kernels, this.scratch, volume, out, outOffset);
      return;
    }
    const [nx, ny, nz] = this.dims;
    const [kx, ky, kz] = this.kernels;
    const nRows = ny * nz;
    const bufX = this.bufX;
    const bufY = this.bufY;
    const s = this.scratch;
    // x pass (or a plain copy with ensure_finite) on the x-pass ranges.
    const xl = this.xRows.xLo;
    const xh = this.xRows.xHi;
    for (let r = 0; r < nRows; r++) {
      const lo = xl[r];
      const hi = xh[r];
      if (hi <= lo) continue;
      const base = r * nx;
      if (kx) {
        filterLineX(volume, base, nx, bufX, base + lo, lo, hi, kx, s, true);
      } else {
        for (let x = base + lo; x < base + hi; x++) {
          const v = volume[x];
          bufX[x] = Number.isFinite(v) ? v : 0;
        }
      }
    }
    const offs = this.offs;
    // y pass on the y-pass ranges: output row (y, z) from rows (y ± j, z) of bufX.
    if (ky) {
      const r1 = ky.length - 1;
      const yl = this.yRows.xLo;
      const yh = this.yRows.xHi;
      for (let z = 0; z < nz; z++)
        for (let y = 0; y < ny; y++) {
          const r = y + ny * z;
          const lo = yl[r];
          const hi = yh[r];
          if (hi <= lo) continue;
          for (let j = r1, q = 0; j >= 1; j--, q += 2) {
            offs[q] = nx * (reflectIndex(y - j, ny) + ny * z);
            offs[q + 1] = nx * (reflectIndex(y + j, ny) + ny * z);
          }
          filterRowRange(bufX, nx * r, offs, lo, hi, ky, bufY, nx * r);
        }
    }
    // z pass straight into the output, run by run of masked voxels.
    const runs = this.runs;
    const sxy = nx * ny;
    for (let i = 0; i < runs.length; i += 4) {
      const r = runs[i];
      const lo = runs[i + 1];
      const hi = runs[i + 2];
      const dst = outOffset + runs[i + 3] - lo;
      if (kz) {
        const r2 = kz.length - 1;
        const y = r % ny;
        const z = (r - y) / ny;
        for (let j = r2, q = 0; j >= 1; j--, q += 2) {
          offs[q] = nx * y + sxy * reflectIndex(z - j, nz);
          offs[q + 1] = nx * y + sxy * reflectIndex(z + j, nz);
        }
        filterRowRange(bufY, nx * r, offs, lo, hi, kz, out, dst);
      } else {
        const base = nx * r;
        for (let x = lo; x < hi; x++) out[dst + x] = bufY[base + x];
      }
    }
  }
}

/**
 * The WebAssembly SIMD version of MaskedSmoother.apply (float32 data): the same passes and
 * ranges, as lists of row descriptors run by the `filterRows` kernel (see wasm-kernels.ts),
 * which computes every output with the same float64 operations in the same order. The x pass
 * runs in the kernel where the window stays inside the image; the few outputs whose window
 * is reflected at the image edge use filterLineX. Buffers live in the kernels' own memory.
 */
interface SimdPlan {
  k: SmoothKernels;
  input: Float32Array;
  /** one volume of raw int16 values */
  raw: Uint8Array;
  bufX: Float32Array;
  bufY: Float32Array;
  stage: Float32Array;
  nMask: number;
  /** input row ranges as absolute [start, end) pairs, for sanitize and the input copy */
  ranges: Int32Array;
  nRanges: number;
  passes: { src: Float32Array; dst: Float32Array; desc: Int32Array; n: number; offs: Int32Array; w: Float64Array }[];
  /** x-pass outputs near the image edge: [row, lo, hi] triples (filterLineX with reflection) */
  xEdges: Int32Array;
}

function simdPlan(
  k: SmoothKernels, dims: [number, number, number], kernels: (Float64Array | null)[], radius: number[],
  inputRows: { xLo: Int32Array; xHi: Int32Array }, xRows: { xLo: Int32Array; xHi: Int32Array },
  yRows: { xLo: Int32Array; xHi: Int32Array }, runs: Int32Array, nMask: number,
): SimdPlan {
  const [nx, ny, nz] = dims;
  const nvox = nx * ny * nz;
  const nRows = ny * nz;
  const sxy = nx * ny;
  const [kx, ky, kz] = kernels;
  // descriptors and offset pairs, built in plain arrays first, then copied into the memory
  const build = (rows: { c0: number; lo: number; hi: number; d0: number; pairs: number[] }[]) => {
    const desc: number[] = [];
    const offs: number[] = [];
    for (const r of rows) {
      desc.push(r.c0, r.lo, r.hi, r.d0, offs.length);
      offs.push(...r.pairs);
    }
    return { desc, offs };
  };
  const xList: Parameters<typeof build>[0] = [];
  const xEdges: number[] = [];
  if (kx) {
    const r = radius[0];
    for (let row = 0; row < nRows; row++) {
      const lo = xRows.xLo[row];
      const hi = xRows.xHi[row];
      if (hi <= lo) continue;
      const a = Math.max(lo, r);
      const b = Math.min(hi, nx - r);
      const c0 = row * nx;
      if (a < b) {
        const pairs: number[] = [];
        for (let j = r; j >= 1; j--) pairs.push(c0 - j, c0 + j);
        xList.push({ c0, lo: a, hi: b, d0: c0, pairs });
        if (lo < a) xEdges.push(row, lo, a);
        if (b < hi) xEdges.push(row, b, hi);
      } else {
        xEdges.push(row, lo, hi);
      }
    }
  }
  const yList: Parameters<typeof build>[0] = [];
  if (ky) {
    const r = radius[1];
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++) {
        const row = y + ny * z;
        if (yRows.xHi[row] <= yRows.xLo[row]) continue;
        const pairs: number[] = [];
        for (let j = r; j >= 1; j--) pairs.push(nx * (reflectIndex(y - j, ny) + ny * z), nx * (reflectIndex(y + j, ny) + ny * z));
        yList.push({ c0: row * nx, lo: yRows.xLo[row], hi: yRows.xHi[row], d0: row * nx, pairs });
      }
  }
  const zList: Parameters<typeof build>[0] = [];
  const rz = kz ? radius[2] : 0;
  for (let i = 0; i < runs.length; i += 4) {
    const row = runs[i];
    const y = row % ny;
    const z = (row - y) / ny;
    const pairs: number[] = [];
    for (let j = rz; j >= 1; j--) pairs.push(nx * y + sxy * reflectIndex(z - j, nz), nx * y + sxy * reflectIndex(z + j, nz));
    zList.push({ c0: row * nx, lo: runs[i + 1], hi: runs[i + 2], d0: runs[i + 3] - runs[i + 1], pairs });
  }
  const ranges: number[] = [];
  for (let row = 0; row < nRows; row++) {
    if (inputRows.xHi[row] > inputRows.xLo[row]) ranges.push(row * nx + inputRows.xLo[row], row * nx + inputRows.xHi[row]);
  }
  const xl = build(xList);
  const yl = build(yList);
  const zl = build(zList);
  let ints = ranges.length + 3;
  for (const l of [xl, yl, zl]) ints += l.desc.length + l.offs.length + 2;
  const floats = 3 * (nvox + 8) + nMask + 8;
  const ws = k.workspace(4 * (floats + ints) + 2 * nvox + 8 * (3 * 32) + 16 * 18);
  const input = ws.f32(nvox + 8);
  const raw = ws.u8(2 * nvox + 16);
  const bufX = kx ? ws.f32(nvox + 8) : input;
  const bufY = ky ? ws.f32(nvox + 8) : bufX;
  const stage = ws.f32(nMask + 8);
  const toMem = (a: number[]) => {
    const v = ws.i32(Math.max(1, a.length));
    v.set(a);
    return v;
  };
  const weights = (w: Float64Array | null) => {
    const v = ws.f64(w ? w.length : 1);
    v.set(w ?? [1]); // no kernel on z: a weight of 1 copies exactly (f32 -> f64 -> f32)
    return v;
  };
  const passes: SimdPlan['passes'] = [];
  if (kx) passes.push({ src: input, dst: bufX, desc: toMem(xl.desc), n: xList.length, offs: toMem(xl.offs), w: weights(kx) });
  if (ky) passes.push({ src: bufX, dst: bufY, desc: toMem(yl.desc), n: yList.length, offs: toMem(yl.offs), w: weights(ky) });
  passes.push({ src: bufY, dst: stage, desc: toMem(zl.desc), n: zList.length, offs: toMem(zl.offs), w: weights(kz) });
  return { k, input, raw, bufX, bufY, stage, nMask, ranges: toMem(ranges), nRanges: ranges.length / 2, passes, xEdges: Int32Array.from(xEdges) };
}

function applySimd(
  plan: SimdPlan, dims: [number, number, number], kernels: (Float64Array | null)[], s: Scratch,
  volume: FloatArray, out: FloatArray, outOffset: number,
): void {
  const { input, ranges, nRanges } = plan;
  if (volume !== input) {
    for (let i = 0; i < 2 * nRanges; i += 2) {
      const a = ranges[i];
      const b = ranges[i + 1];
      if (volume instanceof Float32Array) input.set(volume.subarray(a, b), a);
      else for (let v = a; v < b; v++) input[v] = volume[v];
    }
  }
  plan.k.sanitize(input, ranges, nRanges);
  const nx = dims[0];
  const kx = kernels[0];
  for (const pass of plan.passes) {
    plan.k.filterRows(pass.src, pass.dst, pass.desc, pass.n, pass.offs, pass.w);
    if (pass.src === input && kx) {
      const e = plan.xEdges;
      for (let i = 0; i < e.length; i += 3) {
        const base = e[i] * nx;
        filterLineX(input, base, nx, plan.bufX, base + e[i + 1], e[i + 1], e[i + 2], kx, s, false);
      }
    }
  }
  const stage = plan.stage;
  if (out instanceof Float32Array) out.set(stage.subarray(0, plan.nMask), outOffset);
  else for (let i = 0; i < plan.nMask; i++) out[outOffset + i] = stage[i];
}

/**
 * Output ranges of the previous pass along `axis` ('y' or 'z'): row (y, z) must cover the union
 * of the ranges of the rows that read it, i.e. the rows whose ±radius window (reflected at the
 * image edges) contains it.
 */
function spreadRows(
  next: { xLo: Int32Array; xHi: Int32Array }, ny: number, nz: number, axis: 'y' | 'z', radius: number,
): { xLo: Int32Array; xHi: Int32Array } {
  const nRows = ny * nz;
  const xLo = new Int32Array(nRows);
  const xHi = new Int32Array(nRows);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++) {
      const r = y + ny * z;
      const lo = next.xLo[r];
      const hi = next.xHi[r];
      if (hi <= lo) continue;
      for (let d = -radius; d <= radius; d++) {
        const q = axis === 'y' ? reflectIndex(y + d, ny) + ny * z : y + ny * reflectIndex(z + d, nz);
        if (xHi[q] <= xLo[q]) {
          xLo[q] = lo;
          xHi[q] = hi;
        } else {
          if (lo < xLo[q]) xLo[q] = lo;
          if (hi > xHi[q]) xHi[q] = hi;
        }
      }
    }
  return { xLo, xHi };
}

/**
 * One output row of a strided-axis pass: dst[d0 + x] for x in [lo, hi) is the weighted sum of
 * src rows, the centre row at c0 and the symmetric pairs at offs[2q], offs[2q+1] (outermost pair
 * first, scipy's order), all indexed by x. Four neighbouring outputs at a time (independent
 * accumulation chains; each output keeps scipy's order of operations).
 */
function filterRowRange(
  src: FloatArray, c0: number, offs: Int32Array, lo: number, hi: number, w: Float64Array, dst: FloatArray, d0: number,
): void {
  const r = w.length - 1;
  const w0 = w[0];
  let x = lo;
  for (; x + 3 < hi; x += 4) {
    const cx = c0 + x;
    let a0 = src[cx] * w0;
    let a1 = src[cx + 1] * w0;
    let a2 = src[cx + 2] * w0;
    let a3 = src[cx + 3] * w0;
    for (let j = r, q = 0; j >= 1; j--, q += 2) {
      const pa = offs[q] + x;
      const pb = offs[q + 1] + x;
      const wj = w[j];
      a0 += (src[pa] + src[pb]) * wj;
      a1 += (src[pa + 1] + src[pb + 1]) * wj;
      a2 += (src[pa + 2] + src[pb + 2]) * wj;
      a3 += (src[pa + 3] + src[pb + 3]) * wj;
    }
    dst[d0 + x] = a0;
    dst[d0 + x + 1] = a1;
    dst[d0 + x + 2] = a2;
    dst[d0 + x + 3] = a3;
  }
  for (; x < hi; x++) {
    let acc = src[c0 + x] * w0;
    for (let j = r, q = 0; j >= 1; j--, q += 2) acc += (src[offs[q] + x] + src[offs[q + 1] + x]) * w[j];
    dst[d0 + x] = acc;
  }
}

function gatherMasked(full: FloatArray, nvox: number, nt: number, mask: Uint8Array, out: FloatArray, nMask: number): void {
  for (let t = 0; t < nt; t++) {
    let m = t * nMask;
    const b = t * nvox;
    for (let i = 0; i < nvox; i++) if (mask[i]) out[m++] = full[b + i];
  }
}
