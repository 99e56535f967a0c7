/**
 * The anatomical image under a stat map (the MNI152 template, a T1w or the subject's mean
 * EPI) and how its intensities become grey levels.
 */
import type { Volume } from './affine.js';

export interface Underlay {
  image: Volume;
  /** Brain mask on its own grid: crops the figure and outlines the glass brain. */
  mask?: Volume | null;
  /** What the image is, for captions: 'MNI152 template', 'mean EPI', 'T1w'. */
  label: string;
}

/**
 * Grey-level window [lo, hi] of an underlay, after nilearn's load_anat with dim='auto' on
 * a black background: vmin = the minimum, vmax = vmin + 1.4 (max - vmin), so the brightest
 * tissue is drawn at 70 % grey and the coloured overlay stands out. The maximum is the
 * 99.5th percentile of the non-zero values, so that a few bright voxels (vessels in a mean
 * EPI) do not darken the rest.
 */
export function grayWindow(image: Volume): [number, number] {
  const vals: number[] = [];
  let min = Infinity;
  const n = image.data.length;
  const stride = Math.max(1, Math.floor(n / 400000));
  for (let i = 0; i < n; i += stride) {
    const v = image.data[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v !== 0) vals.push(v);
  }
  if (!vals.length || !Number.isFinite(min)) return [0, 1];
  vals.sort((a, b) => a - b);
  const max = vals[Math.min(vals.length - 1, Math.round(0.995 * (vals.length - 1)))]!;
  if (!(max > min)) return [min, min + 1];
  return [min, min + 1.4 * (max - min)];
}

/** Grey level 0..255 of value v in window [lo, hi]; NaN (outside the image) is black. */
export function grayLevel(v: number, lo: number, hi: number): number {
  if (!Number.isFinite(v)) return 0;
  const t = (v - lo) / (hi - lo);
  return Math.round((t < 0 ? 0 : t > 1 ? 1 : t) * 255);
}
