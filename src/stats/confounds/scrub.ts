/**
 * Volume censoring for fMRIPrep confounds, following nilearn 0.10.4
 * (nilearn/interfaces/fmriprep/load_confounds_scrub.py and `_load_scrub`).
 *
 * Pure functions over typed arrays; indices are 0-based volume numbers.
 */

/**
 * Volumes flagged by scrubbing (Power et al. 2014), sorted ascending, unique.
 *
 * A volume is an outlier when framewise displacement > fdThreshold or standardised DVARS >
 * stdDvarsThreshold (strict comparisons; an n/a cell, NaN here, never exceeds a threshold, so
 * fMRIPrep's n/a first row is never flagged). When `minSegment` > 0 and there is at least one
 * outlier, the retained runs of volumes shorter than `minSegment` are flagged too
 * (see {@link removeShortSegments}).
 */
export function scrubOutliers(
  fd: Float64Array,
  stdDvars: Float64Array,
  fdThreshold: number,
  stdDvarsThreshold: number,
  minSegment: number,
): number[] {
  const n = fd.length;
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    // NaN > x is false, like numpy's comparison.
    if (fd[t] > fdThreshold || stdDvars[t] > stdDvarsThreshold) out.push(t);
  }
  if (minSegment > 0 && out.length > 0) return removeShortSegments(out, n, minSegment);
  return out;
}

/**
 * nilearn `optimize_scrub`: given sorted outlier indices, also flag every run of kept volumes
 * shorter than `minSegment`:
 * - the leading run 0..first-1 when its length (= first) < minSegment;
 * - the trailing run last+1..n-1 when its length (= n - last - 1) < minSegment;
 * - any run between two consecutive outliers a < b with 0 < b - a - 1 < minSegment.
 * Segments are judged from the FD/DVARS outliers only (non-steady-state volumes are not
 * taken into account here, as in nilearn).
 */
export function removeShortSegments(outliers: readonly number[], nScans: number, minSegment: number): number[] {
  if (outliers.length === 0) return [];
  const flagged = new Uint8Array(nScans);
  for (const t of outliers) flagged[t] = 1;
  const first = outliers[0];
  const last = outliers[outliers.length - 1];
  if (first < minSegment) for (let t = 0; t < first; t++) flagged[t] = 1;
  if (nScans - (last + 1) < minSegment) for (let t = last; t < nScans; t++) flagged[t] = 1;
  for (let i = 0; i + 1 < outliers.length; i++) {
    const gap = outliers[i + 1] - outliers[i];
    if (gap > 1 && gap < minSegment + 1) for (let t = outliers[i] + 1; t < outliers[i + 1]; t++) flagged[t] = 1;
  }
  const out: number[] = [];
  for (let t = 0; t < nScans; t++) if (flagged[t]) out.push(t);
  return out;
}

/**
 * nilearn `_outlier_to_sample_mask`: the kept volumes are those where every outlier regressor
 * (one-hot columns: fMRIPrep `non_steady_state_outlierXX`, scrub `motion_outlier_X`) sums to 0
 * (NaN counts as 0, like pandas' skipna sum). No outlier column at all gives null (nothing removed).
 * An empty result (every volume flagged) is returned as an empty array.
 */
export function outliersToSampleMask(outlierColumns: readonly Float64Array[], nScans: number): Int32Array | null {
  if (outlierColumns.length === 0) return null;
  const keep: number[] = [];
  for (let t = 0; t < nScans; t++) {
    let s = 0;
    for (const col of outlierColumns) {
      const v = col[t];
      if (!Number.isNaN(v)) s += v;
    }
    if (s === 0) keep.push(t);
  }
  return Int32Array.from(keep);
}

/** One-hot regressor (length nScans) that is 1 at volume t, as nilearn builds `motion_outlier_X`. */
export function oneHot(t: number, nScans: number): Float64Array {
  const v = new Float64Array(nScans);
  v[t] = 1;
  return v;
}
