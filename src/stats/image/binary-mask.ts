/**
 * ROI mask images read as nilearn 0.10.4 `masking.load_mask_img` reads a mask: non-finite
 * values count as 0 (safe_get_data ensure_finite); the image must hold 0 and one other value
 * (or only one nonzero value: a full mask); that value marks the voxels in the ROI. An image
 * with several nonzero values (a probabilistic map, a label image) cannot be read as in / out
 * and is refused, as is an empty one.
 */

/** Why `values` is not a binary mask (null when it is one). At most a few distinct values are named. */
export function binaryMaskProblem(values: ArrayLike<number>): string | null {
  const nonzero = new Set<number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== 0 && Number.isFinite(v)) {
      nonzero.add(v);
      if (nonzero.size > 3) break;
    }
  }
  if (nonzero.size === 0) return 'has no nonzero voxel (an empty ROI)';
  if (nonzero.size > 1) {
    const shown = [...nonzero].slice(0, 3).sort((a, b) => a - b).map((v) => String(Math.fround(v) === v ? +v.toPrecision(7) : v));
    return `is not binary: it holds several nonzero values (${shown.join(', ')}${nonzero.size > 3 ? ', …' : ''}); expected 0 and one value marking the ROI (threshold a probabilistic map first, or use a label image as roi.atlas)`;
  }
  return null;
}

/** 1 where the value is finite and nonzero. */
export function binaryMask(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] !== 0 && Number.isFinite(values[i]) ? 1 : 0;
  return out;
}
