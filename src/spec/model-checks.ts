/**
 * Pre-flight checks that a model can estimate what the spec asks, made on the real designs
 * before any node runs (a refusal costs nothing; a fit with no residual degrees of freedom
 * runs for minutes and writes |t| of 1e26):
 *
 * - first level, per run: the design (built as the `design` node builds it) must leave
 *   residual degrees of freedom on the volumes kept after scrubbing (scans > columns), and
 *   more than the AR order; scrubbing must keep some volumes; every contrast row must be
 *   estimable on the kept volumes. Few residual dof (< 10) is a warning.
 * - group level, per group contrast: no constant covariate; every test estimable.
 *
 * Estimability is c in the row space of X (see src/stats/design/estimability.ts).
 */
import type { PathSeg } from './source.js';
import type { LoadedSpec } from './load.js';
import { problemAt } from './semantic.js';
import type { ConfoundStrategy, FirstLevelSpec } from './types.js';
import type { ConfoundsResult } from '../stats/confounds/confounds.js';
import type { EventsTable } from '../stats/design/events.js';
import { conditionNames } from '../stats/design/events.js';
import { regressorNames, type HrfModel } from '../stats/design/hrf.js';
import { frameTimesFor, type DesignMatrix } from '../stats/design/design.js';
import { driftColumnCount } from '../stats/design/drift.js';
import { confoundedColumns, inestimableRows, rowSpace, type RowSpace } from '../stats/design/estimability.js';
import type { Mat } from '../stats/core/matrix.js';
import { parseNoiseModel } from '../stats/first-level/glm.js';
import { buildRunDesign, type DesignParams } from '../pipeline/first-level-design.js';
import { contrastMatrixFor } from '../pipeline/contrast-definition.js';

/** Below this many residual degrees of freedom a run's variance estimate is poor: warn. */
export const FEW_DOF = 10;

/** The schema's limits of first_level.t_r, applied to 'auto' values too. */
const MIN_TR = 0.001;
const MAX_TR = 100;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Lists at most `max` items, then "and N more". */
function listSome(items: string[], max = 3, sep = ', '): string {
  return items.length <= max ? items.join(sep) : `${items.slice(0, max).join(sep)}${sep}and ${items.length - max} more`;
}

/** The rows of X listed in `keep` (the volumes kept after scrubbing). */
function keptRows(x: Mat, keep: ArrayLike<number> | null): Mat {
  if (!keep) return x;
  const data = new Float64Array(keep.length * x.cols);
  for (let r = 0; r < keep.length; r++) data.set(x.data.subarray(keep[r] * x.cols, (keep[r] + 1) * x.cols), r * x.cols);
  return { rows: keep.length, cols: x.cols, data };
}

/** Why a contrast row is not estimable, in words, naming the columns. */
function whyInestimable(rs: RowSpace, columns: string[], row: ArrayLike<number>, rowNoun: string, describeColumn?: (j: number) => string | undefined): string {
  const culprits = confoundedColumns(rs, row);
  const described = culprits.map((j) => describeColumn?.(j)).filter(Boolean) as string[];
  if (described.length) return described.join('; ');
  // a null-space vector on one column alone: X e_j = 0 (up to nilearn's full_rank regularisation)
  if (culprits.length === 1) return `column '${columns[culprits[0]]}' is zero for every ${rowNoun}`;
  return `columns ${culprits.map((j) => `'${columns[j]}'`).join(', ')} are linearly dependent (the design cannot tell them apart)`;
}

interface RunInput {
  /** "sub-01 run-1" */
  where: string;
  bold: string;
  design: DesignParams;
  events: EventsTable | null;
  confounds: ConfoundsResult | null;
}

/**
 * First-level checks over all runs; `checkRun` returns the run's design, or null when the
 * run is refused (then the problem is recorded). `finish` reports per contrast the runs
 * where it cannot be estimated.
 */
export class FirstLevelModelChecks {
  private inestimable = new Map<string, string[]>();
  constructor(
    private loaded: LoadedSpec,
    private fl: FirstLevelSpec,
    private problems: string[],
    private warnings: string[],
  ) {}

  private at(path: PathSeg[], message: string, at: 'key' | 'value' = 'key') {
    this.problems.push(problemAt(this.loaded, path, message, at));
  }

  checkRun(r: RunInput): DesignMatrix | null {
    const { fl } = this;
    const p = r.design;
    const nScans = p.n_scans;
    const keep = r.confounds?.sampleMask ?? null;
    const kept = keep ? keep.length : nScans;
    const strategy = Array.isArray(fl.confounds) ? null : (fl.confounds as ConfoundStrategy);

    // t_r from the sidecar or header ('auto') gets the schema's limits too: the HRF kernel
    // has 32 s / (t_r / 50) samples.
    if (!(p.t_r >= MIN_TR && p.t_r <= MAX_TR)) {
      this.at(['first_level', 't_r'], `${r.where}: the repetition time of ${r.bold} is ${p.t_r} s; expected ${MIN_TR} to ${MAX_TR} s (set first_level.t_r if the header or sidecar is wrong)`);
      return null;
    }
    // Scrubbing that removes every volume (nilearn would fail deep in the masker).
    if (keep && kept === 0) {
      this.at(['first_level', 'confounds'], `${r.where}: the confounds strategy removes all ${nScans} volumes of ${r.bold}${censoring(strategy)}; nothing is left to fit. Raise the thresholds or drop 'scrub' from the strategy`);
      return null;
    }

    // Column count, without building the design (a drift of order 1e3 or FIR delays beyond
    // the run must be refused before they are built).
    const frameTimes = frameTimesFor(nScans, p.t_r, p.slice_time_ref);
    const hrf = (p.hrf_model === 'none' ? null : p.hrf_model) as HrfModel;
    const conditions = r.events ? conditionNames(r.events).length : 0;
    const perCondition = regressorNames('c', hrf, p.fir_delays).length;
    const blocks = {
      events: conditions * perCondition,
      confounds: r.confounds?.names.length ?? 0,
      drift: driftColumnCount(p.drift_model, frameTimes, p.high_pass, p.drift_order),
    };
    const nColumns = blocks.events + blocks.confounds + blocks.drift;
    if (hrf === 'fir') {
      const late = p.fir_delays.filter((d) => d >= nScans);
      if (late.length) {
        this.at(['first_level', 'fir_delays'], `${r.where}: FIR delay${late.length > 1 ? 's' : ''} ${late.join(', ')} (in scans) reach${late.length > 1 ? '' : 'es'} beyond the ${nScans} scans of ${r.bold}; expected delays < ${nScans}`, 'value');
        return null;
      }
    }
    if (kept <= nColumns) {
      const parts = [
        blocks.events ? `${plural(blocks.events, 'event regressor')}${perCondition > 1 ? ` (${plural(conditions, 'condition')} x ${perCondition})` : ''}` : '',
        blocks.confounds ? plural(blocks.confounds, 'confound') : '',
        `${plural(blocks.drift, 'drift column')} (${p.drift_model}${p.drift_model === 'polynomial' ? ` order ${p.drift_order}` : ''}, constant included)`,
      ].filter(Boolean);
      const scans = keep ? `${kept} scans left after censoring ${nScans - kept} of ${nScans}${censoring(strategy)}` : `${nScans} scans`;
      // point at the censoring when it is the cause, else at the key of the largest block
      const key: PathSeg[] =
        keep && nScans > nColumns ? ['first_level', 'confounds']
        : blocks.drift >= blocks.events && blocks.drift >= blocks.confounds ? ['first_level', p.drift_model === 'polynomial' ? 'drift_order' : p.drift_model === 'cosine' ? 'high_pass' : 'drift_model']
        : blocks.confounds >= blocks.events ? ['first_level', 'confounds']
        : ['first_level', hrf === 'fir' ? 'fir_delays' : 'hrf_model'];
      this.at(key, `${r.where}: the design has ${nColumns} columns (${parts.join(', ')}) but the run has ${scans}: no residual degrees of freedom to estimate the noise; expected fewer columns than scans`);
      return null;
    }

    const dm = buildRunDesign(p, r.events, r.confounds);
    const x = keptRows(dm.matrix, keep);
    const nonFinite = dm.columns.filter((_, j) => {
      for (let i = 0; i < x.rows; i++) if (!Number.isFinite(x.data[i * x.cols + j])) return true;
      return false;
    });
    if (nonFinite.length) {
      this.at(['first_level'], `${r.where}: the design has non-finite values (NaN or infinity) in column${nonFinite.length > 1 ? 's' : ''} ${listSome(nonFinite, 5)}; expected finite events and confounds`);
      return null;
    }
    const rs = rowSpace(x);
    const dof = x.rows - rs.rank;
    const order = parseNoiseModel(fl.noise_model);
    if (order > 0 && dof <= order) {
      this.at(['first_level', 'noise_model'], `${r.where}: ${fl.noise_model} needs more residual degrees of freedom than its order, the design leaves ${dof} (${x.rows} scans, rank ${rs.rank}); expected a lower order or 'ols'`, 'value');
      return null;
    }
    if (dof < FEW_DOF) {
      this.warnings.push(`${r.where}: only ${plural(dof, 'residual degree')} of freedom (${x.rows} scans, ${dm.columns.length} columns, rank ${rs.rank}); the noise estimate of this run will be poor`);
    }
    for (const [name, def] of Object.entries(fl.contrasts as Record<string, unknown>)) {
      let rows: Float64Array[];
      try {
        rows = contrastMatrixFor(def, dm.columns).rows;
      } catch {
        continue; // reported by the contrast definition check
      }
      const bad = inestimableRows(rs, rows);
      if (!bad.length) continue;
      const row = rows.length > 1 ? `row ${bad.map((i) => i + 1).join(', ')}: ` : '';
      const list = this.inestimable.get(name) ?? this.inestimable.set(name, []).get(name)!;
      list.push(`${r.where}: ${row}${whyInestimable(rs, dm.columns, rows[bad[0]], 'scan used')}`);
    }
    return dm;
  }

  finish(): void {
    for (const [name, runs] of this.inestimable) {
      this.at(['first_level', 'contrasts', name], `contrast '${name}' cannot be estimated (it is not in the row space of the design matrix) in ${plural(runs.length, 'run')} — ${listSome(runs, 3, '; ')}`, 'value');
    }
  }
}

/** "(fd_threshold 0.2 mm, std_dvars_threshold 3, scrub 5)" for a strategy with scrubbing. */
function censoring(s: ConfoundStrategy | null): string {
  if (!s) return '';
  const parts: string[] = [];
  if (s.strategy.includes('scrub')) parts.push(`fd_threshold ${s.fd_threshold} mm`, `std_dvars_threshold ${s.std_dvars_threshold}`, `scrub ${s.scrub}`);
  if (s.strategy.includes('non_steady_state')) parts.push('non-steady-state volumes');
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export interface GroupDesignInput {
  loaded: LoadedSpec;
  /** Group contrast name (the first-level contrast modelled). */
  contrast: string;
  subjects: string[];
  /** 'intercept', then the covariates. */
  columns: string[];
  /** One row per subject (covariates centred when center_covariates). */
  design: number[][];
  /** Covariate values as read, before centring, per covariate (same order as columns.slice(1)). */
  rawCovariates: number[][];
  /** Tests with their weights and where they are written in the spec. */
  tests: { label: string; weights: number[]; path: PathSeg[]; expression: string }[];
}

/** Group checks of one group contrast; returns the problem lines (empty when estimable). */
export function groupModelProblems(g: GroupDesignInput): string[] {
  const problems: string[] = [];
  const n = g.subjects.length;
  const constant = new Map<number, number>(); // design column -> the constant value
  g.rawCovariates.forEach((vals, k) => {
    if (vals.length && vals.every((v) => v === vals[0])) constant.set(k + 1, vals[0]);
  });
  const x: Mat = { rows: n, cols: g.columns.length, data: Float64Array.from(g.design.flat()) };
  const rs = rowSpace(x);
  const describe = (j: number) => (constant.has(j) ? `covariate '${g.columns[j]}' is ${constant.get(j)} for all ${n} subjects of '${g.contrast}', so its effect cannot be separated from the intercept` : undefined);
  const named = new Set<number>();
  for (const t of g.tests) {
    if (!inestimableRows(rs, [t.weights]).length) continue;
    for (const j of confoundedColumns(rs, t.weights)) named.add(j);
    problems.push(problemAt(g.loaded, t.path, `test '${t.label}' (${t.expression}) cannot be estimated from the group design of '${g.contrast}': ${whyInestimable(rs, g.columns, t.weights, 'subject', describe)}; expected a covariate that varies across subjects`, 'value'));
  }
  for (const [j, value] of constant) {
    if (named.has(j)) continue;
    problems.push(problemAt(g.loaded, ['group', 'covariates', j - 1], `covariate '${g.columns[j]}' is ${value} for all ${n} subjects of '${g.contrast}': a constant covariate cannot be estimated (centred it is all zeros, uncentred it duplicates the intercept); expected a covariate that varies across subjects`, 'value'));
  }
  return problems;
}
