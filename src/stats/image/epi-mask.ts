/**
 * nilearn 0.10.4 `compute_epi_mask` (nilearn/masking.py) and the binary morphology it uses.
 *
 * Steps (defaults lower_cutoff 0.2, upper_cutoff 0.85, connected True, opening 2,
 * exclude_zeros False, ensure_finite True):
 *  1. mean over time (float32, as `mean_img`), then — only when opening is non-zero — the mean is
 *     smoothed with fwhm = 1 *voxel* (identity affine; NaNs put back afterwards);
 *  2. non-finite -> 0; sort all values (zeros dropped if exclude_zeros); in the slice between
 *     floor(0.2 N) and min(floor(0.85 N), N-1) find the largest gap between consecutive sorted
 *     values (first one on ties) and threshold at the midpoint of that gap: mask = mean >= thr;
 *  3. `_post_process_mask`: erosion x opening, largest connected component, dilation
 *     x 2*opening, erosion x opening. Morphology uses scipy's default 3D structuring element
 *     (6-connected cross) with border_value 0 (outside the image counts as background), and
 *     components are 6-connected (ndimage.label default).
 */
import { meanOverTime, meanOverTime64, type MeanPrecision } from './image-ops.js';
import { smoothVolumes } from './smooth.js';
import { labelComponents } from './connected-components.js';

export interface EpiMaskOptions {
  lowerCutoff?: number;
  upperCutoff?: number;
  connected?: boolean;
  /** Number of erosion iterations of the opening (0 / false: none, and no pre-smoothing). */
  opening?: number | boolean;
  excludeZeros?: boolean;
  ensureFinite?: boolean;
  /**
   * Precision of nilearn's in-memory mean for a 4D input (see MeanPrecision in image-ops.ts):
   * 'float64' (default) for integer / scaled files — the usual raw EPI —, 'float32' for
   * unscaled float32 files. The smoothing and the threshold then run in that precision.
   */
  meanPrecision?: MeanPrecision;
}

const IDENTITY: number[][] = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 1],
];

/** One binary erosion with the 6-connected cross, voxels outside the image = 0. */
function erodeOnce(m: Uint8Array, nx: number, ny: number, nz: number): Uint8Array {
  const out = new Uint8Array(m.length);
  const sxy = nx * ny;
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const i = x + nx * y + sxy * z;
        if (!m[i]) continue;
        // A border voxel has an outside neighbour (border_value 0) and is eroded.
        if (x === 0 || x === nx - 1 || y === 0 || y === ny - 1 || z === 0 || z === nz - 1) continue;
        if (m[i - 1] && m[i + 1] && m[i - nx] && m[i + nx] && m[i - sxy] && m[i + sxy]) out[i] = 1;
      }
  return out;
}

/** One binary dilation with the 6-connected cross. */
function dilateOnce(m: Uint8Array, nx: number, ny: number, nz: number): Uint8Array {
  const out = new Uint8Array(m.length);
  const sxy = nx * ny;
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const i = x + nx * y + sxy * z;
        if (
          m[i] ||
          (x > 0 && m[i - 1]) ||
          (x < nx - 1 && m[i + 1]) ||
          (y > 0 && m[i - nx]) ||
          (y < ny - 1 && m[i + nx]) ||
          (z > 0 && m[i - sxy]) ||
          (z < nz - 1 && m[i + sxy])
        )
          out[i] = 1;
      }
  return out;
}

/** scipy.ndimage.binary_erosion(mask, iterations=n) with the default structure. */
export function binaryErosion(mask: Uint8Array, dims: readonly number[], iterations = 1): Uint8Array {
  let m = mask;
  for (let k = 0; k < iterations; k++) m = erodeOnce(m, dims[0], dims[1], dims[2]);
  return m === mask ? Uint8Array.from(mask) : m;
}

/** scipy.ndimage.binary_dilation(mask, iterations=n) with the default structure. */
export function binaryDilation(mask: Uint8Array, dims: readonly number[], iterations = 1): Uint8Array {
  let m = mask;
  for (let k = 0; k < iterations; k++) m = dilateOnce(m, dims[0], dims[1], dims[2]);
  return m === mask ? Uint8Array.from(mask) : m;
}

/**
 * nilearn `largest_connected_component`: keep the 6-connected component with the most voxels.
 * On a size tie nilearn keeps the lowest scipy label, i.e. the component met first when
 * scanning in C order of the (x, y, z) array (z fastest); labelComponents numbers them so.
 */
export function largestConnectedComponent(mask: Uint8Array, dims: readonly number[]): Uint8Array {
  const { labels, count, sizes } = labelComponents(mask, dims);
  if (count === 0) throw new Error('No non-zero values: no connected components');
  const out = new Uint8Array(mask.length);
  if (count === 1) {
    for (let i = 0; i < mask.length; i++) out[i] = mask[i] ? 1 : 0;
    return out;
  }
  // labels are numbered in scipy's order, so the lowest label wins a tie as in nilearn
  let best = 1;
  for (let l = 2; l <= count; l++) if (sizes[l] > sizes[best]) best = l;
  for (let i = 0; i < labels.length; i++) out[i] = labels[i] === best ? 1 : 0;
  return out;
}

/** nilearn `_post_process_mask`: opening (erode, [largest component], dilate 2x, erode). */
export function postProcessMask(mask: Uint8Array, dims: readonly number[], opening: number, connected: boolean): Uint8Array {
  let m = mask;
  if (opening) m = binaryErosion(m, dims, opening);
  let any = false;
  for (let i = 0; i < m.length && !any; i++) if (m[i]) any = true;
  if (connected && any) m = largestConnectedComponent(m, dims);
  if (opening) {
    m = binaryDilation(m, dims, 2 * opening);
    m = binaryErosion(m, dims, opening);
  }
  return m;
}

/**
 * The histogram-gap threshold of compute_epi_mask on the (smoothed, finite) mean image.
 * Arithmetic follows the array's precision like numpy's: for a float32 mean the gaps and the
 * sum of the two values around the largest gap are rounded to float32.
 */
export function epiThreshold(mean: Float32Array | Float64Array, lowerCutoff = 0.2, upperCutoff = 0.85, excludeZeros = false): number {
  let sorted: Float32Array | Float64Array = mean instanceof Float32Array ? Float32Array.from(mean).sort() : Float64Array.from(mean).sort();
  if (excludeZeros) sorted = sorted.filter((v) => v !== 0);
  const n = sorted.length;
  if (n < 2) throw new Error('compute_epi_mask: not enough voxels to compute a threshold');
  const lo = Math.floor(lowerCutoff * n);
  const up = Math.min(Math.floor(upperCutoff * n), n - 1);
  if (up <= lo) throw new Error('compute_epi_mask: empty cutoff range');
  const f = mean instanceof Float32Array ? Math.fround : (v: number) => v;
  let ia = 0;
  let best = -Infinity;
  for (let i = 0; i < up - lo; i++) {
    const d = f(sorted[lo + i + 1] - sorted[lo + i]);
    if (d > best) {
      best = d;
      ia = i;
    }
  }
  return 0.5 * f(sorted[ia + lo] + sorted[ia + lo + 1]);
}

/**
 * nilearn `compute_epi_mask(img)`: accepts a 4D series (dims [nx, ny, nz, nt]) or a 3D image
 * (a Float32Array 3D image is processed in float32, a Float64Array one in float64, as numpy).
 * The affine is not used (nilearn's pre-smoothing uses an identity affine); it is accepted so
 * the call mirrors the image API. Returns a 0/1 mask of nx*ny*nz voxels.
 */
export function computeEpiMask(
  data: Float32Array | Float64Array,
  dims: readonly number[],
  _affine?: number[][],
  opts: EpiMaskOptions = {},
): Uint8Array {
  const lowerCutoff = opts.lowerCutoff ?? 0.2;
  const upperCutoff = opts.upperCutoff ?? 0.85;
  const connected = opts.connected ?? true;
  const opening = opts.opening === undefined ? 2 : Math.trunc(Number(opts.opening));
  const excludeZeros = opts.excludeZeros ?? false;
  const ensureFinite = opts.ensureFinite ?? true;
  const dims3 = [dims[0], dims[1], dims[2]];
  const is4d = dims.length > 3 && dims[3] > 1;
  let mean: Float32Array | Float64Array;
  if (is4d) {
    mean = (opts.meanPrecision ?? 'float64') === 'float64' || data instanceof Float64Array
      ? meanOverTime64(data, dims)
      : meanOverTime(data as Float32Array, dims, 'float32');
  } else {
    mean = data instanceof Float64Array ? Float64Array.from(data.subarray(0, dims[0] * dims[1] * dims[2])) : Float32Array.from(data.subarray(0, dims[0] * dims[1] * dims[2]));
  }
  if (opening) {
    // _compute_mean(..., smooth=1): smooth_array(mean, eye(4), fwhm=1), then NaNs restored.
    const smoothed: Float32Array | Float64Array = smoothVolumes(mean, dims3, IDENTITY, 1);
    for (let i = 0; i < mean.length; i++) if (Number.isNaN(mean[i])) smoothed[i] = NaN;
    mean = smoothed;
  }
  if (ensureFinite) for (let i = 0; i < mean.length; i++) if (!Number.isFinite(mean[i])) mean[i] = 0;
  const thr = epiThreshold(mean, lowerCutoff, upperCutoff, excludeZeros);
  const mask = new Uint8Array(mean.length);
  for (let i = 0; i < mean.length; i++) mask[i] = mean[i] >= thr ? 1 : 0;
  return postProcessMask(mask, dims3, opening, connected);
}
