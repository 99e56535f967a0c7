/**
 * Options that the schema accepts one by one but that do not work together, so that no
 * accepted key is silently ignored (issue: "every key the schema accepts either works as
 * nilearn's does or is not in the schema"); and the one place that decides which
 * preprocessed BOLD (`desc-` entity) the first level reads.
 */
import type { PathSeg } from './source.js';
import type { AnalysisSpec, ConfoundStrategy } from './types.js';

/** fMRIPrep's ICA-AROMA non-aggressively denoised BOLD (nilearn load_confounds, ica_aroma='full'). */
export const AROMA_DESC = 'smoothAROMAnonaggr';
export const DEFAULT_DESC = 'preproc';

/** load_confounds parameters and the strategy component they belong to (nilearn ignores them without it). */
const PARAMETER_COMPONENT: Record<string, string> = {
  motion: 'motion',
  wm_csf: 'wm_csf',
  global_signal: 'global_signal',
  compcor: 'compcor',
  n_compcor: 'compcor',
  ica_aroma: 'ica_aroma',
  scrub: 'scrub',
  fd_threshold: 'scrub',
  std_dvars_threshold: 'scrub',
};

const has = (o: unknown, k: string) => typeof o === 'object' && o !== null && Object.prototype.hasOwnProperty.call(o, k);

function strategyOf(spec: AnalysisSpec): ConfoundStrategy | undefined {
  const c = spec.first_level?.confounds;
  return c && !Array.isArray(c) ? c : undefined;
}

/** True when the confound strategy uses ICA-AROMA 'full', i.e. the AROMA-denoised BOLD. */
export function usesAromaFull(spec: AnalysisSpec): boolean {
  const s = strategyOf(spec);
  return Boolean(s && s.strategy.includes('ica_aroma') && s.ica_aroma === 'full');
}

/**
 * The `desc-` entity of the derivatives BOLD the first level models: `data.desc` as written
 * in the spec (`raw`; a schema default is not a choice), else fMRIPrep's AROMA output for
 * `ica_aroma: full` (as nilearn's load_confounds requires for that strategy), else
 * 'preproc'. Conflicts between the two are reported by optionProblems.
 */
export function boldDesc(spec: AnalysisSpec, raw: Record<string, any>): string {
  const given = (raw.data as Record<string, unknown> | undefined)?.desc;
  if (typeof given === 'string' && given.length > 0) return given;
  return usesAromaFull(spec) ? AROMA_DESC : DEFAULT_DESC;
}

export interface OptionProblem { path: PathSeg[]; message: string; at: 'key' | 'value' }

/**
 * Combinations refused before computing. `raw` is the spec as written (to tell a key that
 * was set from a default).
 */
export function optionProblems(spec: AnalysisSpec, raw: Record<string, any>): OptionProblem[] {
  const out: OptionProblem[] = [];
  const add = (path: PathSeg[], message: string, at: 'key' | 'value' = 'key') => out.push({ path, message, at });
  const fl = spec.first_level;
  const rawFl = raw.first_level as Record<string, any> | undefined;
  const strategy = strategyOf(spec);

  if (fl && strategy) {
    // nilearn's load_confounds handles n/a itself (derivative columns' first row); a fill rule
    // would not be applied, so it is refused rather than ignored.
    if (has(rawFl, 'confounds_fill_na') && rawFl!.confounds_fill_na !== false) {
      add(['first_level', 'confounds_fill_na'], 'applies to a list of confound columns only; with a confound strategy nilearn load_confounds handles n/a itself; expected no confounds_fill_na (or false)');
    }
    const rawConf = rawFl?.confounds as Record<string, unknown>;
    for (const [key, component] of Object.entries(PARAMETER_COMPONENT)) {
      if (has(rawConf, key) && !strategy.strategy.includes(component as ConfoundStrategy['strategy'][number])) {
        add(['first_level', 'confounds', key], `has no effect without '${component}' in the strategy (${strategy.strategy.join(', ')}); expected '${component}' added to first_level.confounds.strategy, or no ${key}`);
      }
    }
  }

  // ICA-AROMA and the BOLD variant (data.desc, when the spec has it)
  const rawDesc = (raw.data as Record<string, unknown> | undefined)?.desc;
  if (fl && strategy?.strategy.includes('ica_aroma')) {
    if (strategy.ica_aroma === 'full' && typeof rawDesc === 'string' && rawDesc !== AROMA_DESC) {
      add(['data', 'desc'], `ica_aroma 'full' models fMRIPrep's denoised BOLD (desc-${AROMA_DESC}), not desc-${rawDesc}; expected data.desc: ${AROMA_DESC} or no data.desc`, 'value');
    }
    if (strategy.ica_aroma === 'basic' && rawDesc === AROMA_DESC) {
      add(['data', 'desc'], `ica_aroma 'basic' regresses the AROMA noise components out of the non-denoised BOLD; desc-${AROMA_DESC} is already denoised (nilearn refuses it); expected data.desc: preproc, or ica_aroma: full`, 'value');
    }
  }

  // ROI GLMs scale ROI means over time; a per-scan or grand mean over voxels is not available there.
  if (fl && spec.roi && fl.signal_scaling !== 0 && fl.signal_scaling !== false) {
    add(['first_level', 'signal_scaling'], `${JSON.stringify(fl.signal_scaling)} (a mean over voxels) cannot be applied to the ROI-level GLM of the roi section; expected 0 or false with roi`, 'value');
  }

  // cluster_threshold with permutation would only filter the cluster table, not the map.
  const rawInf = (raw.group?.inference ?? []) as Record<string, unknown>[];
  spec.group?.inference.forEach((inf, i) => {
    if (inf.method === 'permutation' && has(rawInf[i], 'cluster_threshold')) {
      add(['group', 'inference', i, 'cluster_threshold'], "does not apply to method 'permutation' (its cluster inference is stat_threshold, the cluster-forming threshold of cluster size / mass FWE); expected no cluster_threshold");
    }
  });
  return out;
}
