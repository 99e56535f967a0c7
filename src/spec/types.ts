/**
 * The analysis spec after validation: every optional key that has a default
 * is filled in, relative paths are absolute. Names are the YAML (nilearn) names.
 * The JSON Schema in schemas/glmflow.schema.json documents each key.
 */

import type { HrfModel as StatsHrfModel } from '../stats/design/hrf.js';
import type { SlurmSettings } from '../engine/slurm/resources.js';

/** nilearn's hrf_model names; the spec writes 'none' where nilearn passes None. */
export type HrfModel = Exclude<StatsHrfModel, null> | 'none';

export type DriftModel = 'cosine' | 'polynomial' | 'none';

/** 'ols' or `ar${N}` with N in 1..99. */
export type NoiseModel = 'ols' | `ar${number}`;

/** An FWHM in mm, per axis, or null = no smoothing. */
export type Fwhm = number | [number, number, number] | null;

/** nilearn signal_scaling: 0 = per voxel over time, 1 = per scan over voxels, [0, 1] = both, false = none. */
export type SignalScaling = 0 | 1 | [0, 1] | false;

/** One of the five maps of a contrast. */
export type OutputMap = 'z_score' | 'stat' | 'effect_size' | 'effect_variance' | 'p_value';
export const OUTPUT_MAPS: readonly OutputMap[] = ['z_score', 'stat', 'effect_size', 'effect_variance', 'p_value'];

export type ConfoundComponent =
  | 'motion'
  | 'high_pass'
  | 'wm_csf'
  | 'global_signal'
  | 'compcor'
  | 'ica_aroma'
  | 'scrub'
  | 'non_steady_state';

export type ConfoundExpansion = 'basic' | 'power2' | 'derivatives' | 'full';

/** nilearn.interfaces.fmriprep.load_confounds parameters (0.10.4 defaults filled in). */
export type ConfoundStrategy = {
  strategy: ConfoundComponent[];
  motion: ConfoundExpansion;
  wm_csf: ConfoundExpansion;
  global_signal: ConfoundExpansion;
  compcor: 'anat_combined' | 'anat_separated' | 'temporal' | 'temporal_anat_combined' | 'temporal_anat_separated';
  n_compcor: 'all' | number;
  ica_aroma: 'full' | 'basic';
  scrub: number;
  fd_threshold: number;
  std_dvars_threshold: number;
  demean: boolean;
}

/** A list of confound column names, or a load_confounds strategy (tell them apart with Array.isArray). */
export type ConfoundsSpec = string[] | ConfoundStrategy;

/** An expression over design columns, a t-contrast weight vector, or an F-contrast matrix (rows of weights). */
export type ContrastDef = string | number[] | number[][];

export type DataSpec = {
  /** Absolute path of the BIDS root. */
  bids: string;
  /** Absolute path of the fMRIPrep derivatives, when given. */
  derivatives?: string;
  /** Required with first_level (checked semantically); group-only pipelines need only bids (participants.tsv). */
  task?: string;
  space?: string;
  /** `desc-` of the preprocessed BOLD (derivatives); compile uses 'preproc' when absent. */
  desc?: string;
  /** Other entities the BOLD must have: entity -> label (as written). */
  filters?: Record<string, string>;
  subjects: 'all' | string[];
  runs: 'all' | string[];
  sessions: 'all' | string[];
}

export type FirstLevelSpec = {
  t_r: number | 'auto';
  slice_time_ref: number;
  hrf_model: HrfModel;
  fir_delays: number[];
  drift_model: DriftModel;
  high_pass: number;
  drift_order: number;
  noise_model: NoiseModel;
  smoothing_fwhm: Fwhm;
  signal_scaling: SignalScaling;
  /** 'auto', 'derivatives' or an absolute path. */
  mask: string;
  confounds: ConfoundsSpec;
  confounds_fill_na: false | 'zero' | 'mean';
  min_onset: number;
  /** In spec order ({} when the spec gives none: allowed only with single_trial). */
  contrasts: Record<string, ContrastDef>;
  outputs: OutputMap[];
  save_residuals: boolean;
  r_square: boolean;
}

/** Single-trial estimates (beta series) per run. */
export type SingleTrialSpec = {
  method: 'lss' | 'lsa';
  /** Conditions whose trials get their own estimate; absent: all conditions of each run's events. */
  conditions?: string[];
  outputs: ('effect_size' | 'z_score')[];
}

export type InferenceMethod = 'fpr' | 'fdr' | 'bonferroni' | 'permutation' | 'cluster' | 'none';
export type HeightControl = 'fpr' | 'fdr' | 'bonferroni' | 'none';

/**
 * One inference entry with per-method defaults filled in:
 * - fpr | fdr | bonferroni: height_control = method, alpha 0.001 (fpr) / 0.05, two_sided true.
 * - none: height_control 'none', stat_threshold 3.0 unless given, two_sided true.
 * - cluster: height_control 'none' when stat_threshold is given, else 'fpr' (alpha 0.001); two_sided true.
 * - permutation: height_control null, alpha 0.05 (FWE), two_sided false, n_perm 10000, seed 0, tfce false.
 */
export type InferenceSpec = {
  method: InferenceMethod;
  alpha: number;
  height_control: HeightControl | null;
  two_sided: boolean;
  cluster_threshold: number;
  stat_threshold: number | null;
  n_perm: number;
  seed: number;
  tfce: boolean;
}

export type GroupSpec = {
  /** Contrast names that get a group model (default: all first-level contrasts, or the `inputs` names). */
  contrasts: string[];
  input: OutputMap;
  /** Contrast name -> absolute glob of existing maps (group-only pipelines). */
  inputs?: Record<string, string>;
  /** 'auto' or an absolute path. */
  mask: string;
  smoothing_fwhm: Fwhm;
  covariates: string[];
  center_covariates: boolean;
  /**
   * Test name -> expression over 'intercept' and the covariates. Absent when the
   * spec gives none: then each group contrast gets one test of the intercept
   * (the group mean), named after the contrast.
   */
  tests?: Record<string, string>;
  inference: InferenceSpec[];
}

export type RoiStrategy = 'mean';

export type RoiResample = 'none' | 'nearest';

export type RoiSpec = {
  /** Absolute path of the label image, when given (atlas, masks or both). */
  atlas?: string;
  /** Absolute path of the index -> name TSV, when given. */
  labels?: string;
  /** ROI name -> absolute mask path, or path pattern with `{subject}` (resolved per subject at compile). */
  masks?: Record<string, string>;
  /** ROI images on another grid than the BOLD: refused ('none') or resampled by nearest neighbour. */
  resample: RoiResample;
  /** Default: all first-level contrasts. */
  contrasts: string[];
  input: OutputMap;
  strategy: RoiStrategy;
  /** Standardization of the per-run ROI time series (NiftiLabelsMasker). */
  standardize: false | 'zscore_sample' | 'zscore' | 'psc';
  /** Regress the run's confounds out of the per-run ROI time series. */
  confounds: boolean;
}

export type AnalysisSpec = {
  glmflow: 1;
  name: string;
  /** Absent only for group-only pipelines (group.inputs without covariates). */
  data?: DataSpec;
  /** Absolute path of the output root. */
  output: string;
  first_level?: FirstLevelSpec;
  single_trial?: SingleTrialSpec;
  group?: GroupSpec;
  roi?: RoiSpec;
  report: boolean;
  /** Where nodes run; not part of the spec hash (same keys and outputs on every executor). */
  execution?: ExecutionSpec;
}

export type ExecutorKind = 'local' | 'slurm';

/** `execution.slurm`: the SLURM runner's settings as the spec writes them (one definition, in the engine). */
export type SlurmSpec = SlurmSettings;

export interface ExecutionSpec {
  executor: ExecutorKind;
  slurm: SlurmSpec;
}
