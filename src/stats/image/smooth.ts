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
 * Files: the kernel and its arguments in smooth-kernel.ts, the line filters (x pass, strided
 * y / z passes) in smooth-filter.ts, this full-volume filter here, and the mask-restricted
 * variant (same results bit for bit) in masked-smoother.ts (+ masked-smoother-simd.ts and its
 * WebAssembly passes, wasm/smooth-kernels.ts).
 */
import { makeScratch, filterLineX, filterRows, rowOffsets } from './smooth-filter.js';
import { allocLike, fwhmToSigmaVoxels, gaussianHalfKernel, normaliseFwhm, volumeCount, type FloatArray, type Fwhm } from './smooth-kernel.js';

export type { Fwhm, FloatArray } from './smooth-kernel.js';

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

