/**
 * Small voxel-array operations shared by the image nodes: mean over time, masking
 * (nilearn `apply_mask` / `unmask`) and mask intersection.
 * Voxel order is NIfTI's: index = x + nx*(y + ny*(z + nz*t)).
 */

function volumeSize(dims: readonly number[]): number {
  return dims[0] * dims[1] * dims[2];
}
function volumeCount(dims: readonly number[]): number {
  return dims.length > 3 ? Math.max(1, dims[3]) : 1;
}

/**
 * How numpy accumulates `data.mean(axis=-1)` for the array nibabel hands to nilearn:
 *  - 'float64': the file holds integers (scaled or not) or float64 — nibabel returns ints or
 *    float64 (scl_slope is applied in float64), and numpy's mean of those accumulates in float64;
 *  - 'float32': the file holds unscaled float32 — numpy accumulates in float32.
 * In both cases the Fortran-ordered array is reduced over its last (slowest) axis, so numpy adds
 * whole volumes one after another (sequential, not pairwise summation), then divides by n_t.
 */
export type MeanPrecision = 'float64' | 'float32';

/** nibabel's in-memory precision for a NIfTI datatype and scaling (see MeanPrecision). */
export function niftiMeanPrecision(datatype: string, sclSlope: number, sclInter: number): MeanPrecision {
  const scaled = Number.isFinite(sclSlope) && sclSlope !== 0 && (sclSlope !== 1 || (Number.isFinite(sclInter) && sclInter !== 0));
  return datatype === 'float32' && !scaled ? 'float32' : 'float64';
}

/**
 * nilearn `mean_img` over the 4th dimension, kept in float64 (what nilearn holds in memory for
 * integer / scaled data, e.g. the image `compute_epi_mask` thresholds). A 3D image (nt = 1) is
 * returned as a float64 copy.
 */
export function meanOverTime64(data: Float32Array | Float64Array, dims: readonly number[]): Float64Array {
  const nvox = volumeSize(dims);
  const nt = volumeCount(dims);
  if (data.length !== nvox * nt) throw new Error(`data length ${data.length} does not match dims ${dims.join('x')}`);
  const acc = new Float64Array(nvox);
  for (let t = 0; t < nt; t++) {
    const b = t * nvox;
    for (let i = 0; i < nvox; i++) acc[i] += data[b + i];
  }
  if (nt > 1) for (let i = 0; i < nvox; i++) acc[i] /= nt;
  return acc;
}

/**
 * nilearn `mean_img` of a 3D/4D image as float32 (how it is stored). With 'float64' this is
 * the float64 mean rounded once; with 'float32' it reproduces numpy's float32 accumulation
 * exactly (a Float32Array store rounds every partial sum, then the division is rounded).
 */
export function meanOverTime(data: Float32Array, dims: readonly number[], precision: MeanPrecision = 'float64'): Float32Array {
  if (precision === 'float64') return Float32Array.from(meanOverTime64(data, dims));
  const nvox = volumeSize(dims);
  const nt = volumeCount(dims);
  if (data.length !== nvox * nt) throw new Error(`data length ${data.length} does not match dims ${dims.join('x')}`);
  const acc = new Float32Array(nvox);
  acc.set(data.subarray(0, nvox));
  for (let t = 1; t < nt; t++) {
    const b = t * nvox;
    for (let i = 0; i < nvox; i++) acc[i] += data[b + i];
  }
  if (nt > 1) for (let i = 0; i < nvox; i++) acc[i] = acc[i] / nt;
  return acc;
}

/** Number of non-zero voxels of a mask. */
export function maskCount(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
}

/** Linear (NIfTI-order) indices of the in-mask voxels. */
export function maskIndices(mask: Uint8Array): Int32Array {
  const idx = new Int32Array(maskCount(mask));
  let m = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) idx[m++] = i;
  return idx;
}

/**
 * nilearn `apply_mask`: the in-mask voxel values of a 3D/4D image as an n_t x n_mask matrix,
 * time-major (row t holds volume t's masked voxels, in NIfTI voxel order). The result has
 * the input's array type.
 */
export function extractMasked<T extends Float32Array | Float64Array>(data: T, dims: readonly number[], mask: Uint8Array): T {
  const nvox = volumeSize(dims);
  const nt = volumeCount(dims);
  if (mask.length !== nvox) throw new Error(`mask length ${mask.length} does not match the volume size ${nvox}`);
  if (data.length !== nvox * nt) throw new Error(`data length ${data.length} does not match dims ${dims.join('x')}`);
  const idx = maskIndices(mask);
  const n = idx.length;
  const out = (data instanceof Float64Array ? new Float64Array(n * nt) : new Float32Array(n * nt)) as T;
  for (let t = 0; t < nt; t++) {
    const b = t * nvox;
    const o = t * n;
    for (let m = 0; m < n; m++) out[o + m] = data[b + idx[m]];
  }
  return out;
}

/**
 * nilearn `unmask`: put n_mask values (or n_t x n_mask, time-major) back into volumes of
 * `nVoxels` voxels, 0 outside the mask. Returns nt * nVoxels values (nt = values / n_mask).
 */
export function scatterMasked(values: ArrayLike<number>, mask: Uint8Array, nVoxels: number = mask.length): Float32Array {
  if (mask.length !== nVoxels) throw new Error(`mask length ${mask.length} does not match ${nVoxels} voxels`);
  const idx = maskIndices(mask);
  const n = idx.length;
  if (n === 0) {
    if (values.length !== 0) throw new Error('empty mask but values given');
    return new Float32Array(nVoxels);
  }
  if (values.length % n !== 0) throw new Error(`${values.length} values is not a multiple of the ${n} mask voxels`);
  const nt = values.length / n;
  const out = new Float32Array(nt * nVoxels);
  for (let t = 0; t < nt; t++) {
    const b = t * nVoxels;
    const o = t * n;
    for (let m = 0; m < n; m++) out[b + idx[m]] = values[o + m];
  }
  return out;
}

/** Binarise any numeric volume: 1 where the value is non-zero and not NaN (nilearn load_mask_img). */
export function toMask(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v !== 0 && !Number.isNaN(v) ? 1 : 0;
  }
  return out;
}

/**
 * Voxel-wise intersection of masks (all must be set). For nilearn's thresholded version
 * (`intersect_masks(threshold, connected)`) use `intersectMasksThreshold`.
 */
export function intersectMasks(...masks: Uint8Array[]): Uint8Array {
  if (masks.length === 0) throw new Error('no mask to intersect');
  const n = masks[0].length;
  const out = new Uint8Array(n).fill(1);
  for (const m of masks) {
    if (m.length !== n) throw new Error('masks have different sizes');
    for (let i = 0; i < n; i++) if (!m[i]) out[i] = 0;
  }
  return out;
}

/**
 * nilearn `intersect_masks` without the connected-component step: a voxel is kept when it is
 * in more than threshold * n_masks masks (threshold capped at 1 - 1e-7, so 1 means "all").
 */
export function intersectMasksThreshold(masks: Uint8Array[], threshold = 0.5): Uint8Array {
  if (masks.length === 0) throw new Error('no mask to intersect');
  if (threshold < 0 || threshold > 1) throw new Error('threshold must be within [0, 1]');
  const th = Math.min(threshold, 1 - 1e-7) * masks.length;
  const n = masks[0].length;
  const count = new Int32Array(n);
  for (const m of masks) {
    if (m.length !== n) throw new Error('masks have different sizes');
    for (let i = 0; i < n; i++) if (m[i]) count[i]++;
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = count[i] > th ? 1 : 0;
  return out;
}
