/**
 * The Gaussian kernel of nilearn `smooth_img` (scipy `gaussian_filter1d`): FWHM in mm to sigma
 * in voxels, kernel radius and weights, scipy's 'reflect' boundary, and the small argument
 * helpers shared by the full-volume filter (smooth.ts) and the masked smoother.
 */

/** FWHM in mm: a scalar (all axes), one value per axis, 'fast', or null (no smoothing). */
export type Fwhm = number | readonly (number | null)[] | 'fast' | null;

/** Voxel arrays accepted by the filters (the result has the input's precision). */
export type FloatArray = Float32Array | Float64Array;

export const FWHM_OVER_SIGMA = Math.sqrt(8 * Math.log(2));
export const TRUNCATE = 4.0;

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
export function numpySum(a: Float64Array): number {
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


export function volumeCount(dims: readonly number[]): number {
  return dims.length > 3 ? Math.max(1, dims[3]) : 1;
}

export function allocLike<T extends FloatArray>(like: T, n: number): T {
  return (like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as T;
}

/** Normalise nilearn's fwhm argument: scalar 0 means "no smoothing" (nilearn issue #1537). */
export function normaliseFwhm(fwhm: Fwhm): Fwhm {
  if (typeof fwhm === 'number' && fwhm === 0) return null;
  return fwhm;
}

