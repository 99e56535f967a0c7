/**
 * Which CompCor columns nilearn 0.10.4 selects from fMRIPrep's confounds JSON
 * (nilearn/interfaces/fmriprep/load_confounds_compcor.py, after nilearn PR #3285 which added
 * fMRIPrep >= 21 `w_comp_cor` / `c_comp_cor` prefixes).
 *
 * Rules, for each prefix of the method (in this order):
 * - count the JSON keys that contain `<prefix>_comp_cor`, say K, and name the candidates
 *   `<prefix>_comp_cor_00` .. `<prefix>_comp_cor_<K-1>` (two-digit zero padding, like
 *   Python's str.zfill(2); 100 and above print as is);
 * - prefix `a` (anatomical): keep, for each mask of the method (`combined`, or `WM` then `CSF`),
 *   the candidates whose JSON "Mask" is a substring of that mask name (Python `x in "WM"`), and
 *   take the first n_compcor of each mask;
 * - other prefixes (`t`, `w`, `c`): take the first n_compcor candidates.
 * `n_compcor: 'all'` keeps every candidate. Components are ordered by fMRIPrep by decreasing
 * variance, so "the first n" are the strongest. nilearn does not read "Retained" or
 * "CumulativeVarianceExplained": fMRIPrep names dropped components `dropped_X`, so they are
 * never counted.
 */

export const COMPCOR_METHODS = [
  'anat_combined',
  'anat_separated',
  'temporal',
  'temporal_anat_combined',
  'temporal_anat_separated',
] as const;
export type CompcorMethod = (typeof COMPCOR_METHODS)[number];

const PREFIXES: Record<CompcorMethod, readonly string[]> = {
  temporal_anat_combined: ['t', 'a'],
  temporal_anat_separated: ['t', 'a', 'w', 'c'],
  temporal: ['t'],
  anat_combined: ['a'],
  anat_separated: ['a', 'w', 'c'],
};

function anatMasks(method: CompcorMethod): readonly string[] {
  if (method.endsWith('_combined')) return ['combined'];
  if (method.endsWith('_separated')) return ['WM', 'CSF'];
  return [];
}

function firstN(cols: string[], n: number | 'all'): string[] {
  return n !== 'all' && n < cols.length ? cols.slice(0, n) : cols;
}

/**
 * Column names of the selected CompCor components.
 * Throws an Error (plain message, no file name) when the metadata of an anatomical candidate
 * is missing or has no string "Mask" (nilearn raises a KeyError there).
 */
export function findCompcorColumns(
  meta: Readonly<Record<string, unknown>>,
  method: CompcorMethod,
  nCompcor: number | 'all',
): string[] {
  const keys = Object.keys(meta);
  const out: string[] = [];
  for (const prefix of PREFIXES[method]) {
    const count = keys.filter((k) => k.includes(`${prefix}_comp_cor`)).length;
    const candidates: string[] = [];
    for (let i = 0; i < count; i++) candidates.push(`${prefix}_comp_cor_${String(i).padStart(2, '0')}`);
    if (prefix === 'a') {
      for (const mask of anatMasks(method)) {
        const inMask = candidates.filter((c) => {
          const entry = meta[c];
          const m = entry && typeof entry === 'object' ? (entry as Record<string, unknown>)['Mask'] : undefined;
          if (typeof m !== 'string') {
            throw new Error(`the confounds JSON has no "Mask" for ${c} (needed to split anatomical CompCor by mask)`);
          }
          return mask.includes(m);
        });
        out.push(...firstN(inMask, nCompcor));
      }
    } else {
      out.push(...firstN(candidates, nCompcor));
    }
  }
  return out;
}
