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
 * bit for bit to `extractMasked(smoothVolumes(...), dims, mask)`.
 *
 * Why this is exact: the separable filter computes z-pass(y-pass(x-pass(v))). An output at a
 * masked voxel needs z-pass inputs at z ± rz (reflected at the true image border), which need
 * y-pass outputs only at those (x, y, z'), which need x-pass outputs at y' = y ± ry
 * (reflected), which read the raw data at x ± rx (reflected). So it is enough to run the x
 * pass on the box [bbox.x] x [reflect-closure of bbox.y ± ry] x [reflect-closure of
 * bbox.z ± rz], the y pass on [bbox.x] x [bbox.y] x [closure z], and the z pass on the box.
 * Every value is computed with the same float64 accumulation order and float32 rounding as
 * the full-volume filter, and the reflection always refers to the real image edges (never
 * to the box edges), so the box results equal the full-image results exactly.
 */
export function smoothMasked<T extends FloatArray>(
  data: T, dims: readonly number[], affine: number[][], fwhm: Fwhm, mask: Uint8Array,
): T {
  const [nx, ny, nz] = dims;
  const nvox = nx * ny * nz;
  const nt = volumeCount(dims);
  if (data.length !== nvox * nt) throw new Error(`data length ${data.length} does not match dims ${dims.join('x')}`);
  if (mask.length !== nvox) throw new Error(`mask length ${mask.length} does not match the volume size ${nvox}`);
  let nMask = 0;
  for (let i = 0; i < nvox; i++) if (mask[i]) nMask++;
  const result = allocLike(data, nMask * nt);
  if (nMask === 0) return result;
  const f = normaliseFwhm(fwhm);
  if (f === null || f === 'fast') {
    // Cheap local operations: smooth everything and gather.
    const full = smoothVolumes(data, dims, affine, f);
    gatherMasked(full, nvox, nt, mask, result, nMask);
    return result;
  }
  const sigma = fwhmToSigmaVoxels(f, affine);
  const kernels = sigma.map((sg) => (sg > 0 ? gaussianHalfKernel(sg) : null));
  const radius = kernels.map((k) => (k ? k.length - 1 : 0));
  const box = maskBoundingBox(mask, dims)!;
  const [x0, y0, z0] = box.lo;
  const [x1, y1, z1] = box.hi;
  const [ya, yb] = reflectClosure(y0, y1, radius[1], ny);
  const [za, zb] = reflectClosure(z0, z1, radius[2], nz);
  const bx = x1 - x0 + 1;
  const by = yb - ya + 1;
  const bz = zb - za + 1;
  // Region buffer: x in [x0, x1], y in [ya, yb], z in [za, zb]; index (x-x0) + bx*((y-ya) + by*(z-za)).
  const reg = allocLike(data, bx * by * bz);
  const s = makeScratch();
  const yRowsReg = new Int32Array(by);
  const zRowsReg = new Int32Array(bz);
  for (let t = 0; t < nt; t++) {
    const vb = t * nvox;
    // x pass (or plain copy with ensure_finite) into the region.
    for (let z = za; z <= zb; z++)
      for (let y = ya; y <= yb; y++) {
        const src = vb + nx * (y + ny * z);
        const dstBase = bx * (y - ya + by * (z - za));
        if (kernels[0]) {
          filterLineX(data, src, nx, reg, dstBase, x0, x1 + 1, kernels[0], s, true);
        } else {
          for (let x = x0; x <= x1; x++) {
            const v = data[src + x];
            reg[dstBase + x - x0] = Number.isFinite(v) ? v : 0;
          }
        }
      }
    // y pass, in place on the region: outputs y in [y0, y1] for every z in [za, zb].
    if (kernels[1]) {
      for (let z = za; z <= zb; z++) {
        rowOffsets(0, by, bx * by * (z - za), bx, yRowsReg);
        // Row offsets indexed by axis position: position p -> yRowsReg[p - ya].
        filterRows(reg, yRowsReg, ya, ny, reg, yRowsReg.subarray(y0 - ya), y0, y1 + 1, bx, kernels[1], s);
      }
    }
    // z pass: outputs z in [z0, z1] for y in [y0, y1].
    if (kernels[2]) {
      for (let y = y0; y <= y1; y++) {
        rowOffsets(0, bz, bx * (y - ya), bx * by, zRowsReg);
        filterRows(reg, zRowsReg, za, nz, reg, zRowsReg.subarray(z0 - za), z0, z1 + 1, bx, kernels[2], s);
      }
    }
    // Gather the masked voxels of this volume.
    let m = t * nMask;
    for (let z = z0; z <= z1; z++)
      for (let y = y0; y <= y1; y++) {
        const mrow = nx * (y + ny * z);
        const rrow = bx * (y - ya + by * (z - za)) - x0;
        for (let x = x0; x <= x1; x++) if (mask[mrow + x]) result[m++] = reg[rrow + x];
      }
  }
  return result;
}

function gatherMasked(full: FloatArray, nvox: number, nt: number, mask: Uint8Array, out: FloatArray, nMask: number): void {
  for (let t = 0; t < nt; t++) {
    let m = t * nMask;
    const b = t * nvox;
    for (let i = 0; i < nvox; i++) if (mask[i]) out[m++] = full[b + i];
  }
}
