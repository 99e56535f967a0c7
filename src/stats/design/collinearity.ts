/**
 * Collinearity of one run's design: the column correlation matrix, the pairs of columns
 * with |r| >= 0.9, and each task regressor's variance inflation factor (flagged at >= 10,
 * the usual rule of thumb: the regressor's variance is inflated tenfold by the others).
 *
 * Column roles come from the layout of nilearn's design (task regressors, then the added
 * regressors (confounds), then the drifts and the constant, see design.ts). Only the task
 * regressors get a VIF: theirs is what a contrast's variance pays for. A pair is "task" when
 * one of its columns is a task regressor; pairs of nuisance columns only (e.g. global_signal
 * with drift_1) are kept but are not what a user must act on.
 */
import type { Mat } from '../core/matrix.js';
import { columnCorrelation } from './correlation.js';
import { varianceInflationFactors } from './vif.js';

export type ColumnRole = 'task' | 'confound' | 'drift' | 'constant';

export interface CollinearPair {
  a: string;
  b: string;
  r: number;
  /** One of the two is a task regressor. */
  task: boolean;
}

/** JSON-safe (it travels in artifact meta): a VIF that is not a finite number is null. */
export interface ColumnVif {
  column: string;
  /**
   * null when not finite: the column is exactly collinear with others (VIF infinite, flagged
   * true) or has no variance (a condition without events in the run: no VIF, flagged false).
   */
  vif: number | null;
  flagged: boolean;
}

export interface Collinearity {
  correlationThreshold: number;
  vifThreshold: number;
  /** Pairs with |r| >= correlationThreshold, strongest first. */
  pairs: CollinearPair[];
  /** One entry per task regressor, in design order. */
  vif: ColumnVif[];
}

export const CORRELATION_THRESHOLD = 0.9;
export const VIF_THRESHOLD = 10;

/**
 * Roles of the columns of a design built by makeFirstLevelDesignMatrix: the confounds are the
 * added regressors (by name); the drifts and the constant are the trailing drift_k / constant
 * block; the rest (conditions, their derivatives, FIR delays) are task regressors.
 */
export function designColumnRoles(columns: string[], confoundNames: string[]): ColumnRole[] {
  const confounds = new Set(confoundNames);
  const roles: ColumnRole[] = columns.map((c) => (confounds.has(c) ? 'confound' : 'task'));
  for (let i = columns.length - 1; i >= 0; i--) {
    const c = columns[i];
    if (confounds.has(c)) break;
    if (c === 'constant') roles[i] = 'constant';
    else if (/^drift_\d+$/.test(c)) roles[i] = 'drift';
    else break;
  }
  return roles;
}

export function assessCollinearity(
  columns: string[],
  design: Mat,
  roles: ColumnRole[],
  opts: { correlation?: Mat; correlationThreshold?: number; vifThreshold?: number } = {},
): Collinearity {
  if (columns.length !== design.cols || roles.length !== design.cols) {
    throw new Error(`assessCollinearity: ${columns.length} names and ${roles.length} roles for ${design.cols} columns`);
  }
  const rThreshold = opts.correlationThreshold ?? CORRELATION_THRESHOLD;
  const vifThreshold = opts.vifThreshold ?? VIF_THRESHOLD;
  const corr = opts.correlation ?? columnCorrelation(design);
  const p = design.cols;
  const pairs: CollinearPair[] = [];
  for (let a = 0; a < p; a++) {
    for (let b = a + 1; b < p; b++) {
      const r = corr.data[a * p + b];
      if (Math.abs(r) >= rThreshold) pairs.push({ a: columns[a], b: columns[b], r, task: roles[a] === 'task' || roles[b] === 'task' });
    }
  }
  pairs.sort((x, y) => Math.abs(y.r) - Math.abs(x.r));
  const targets = roles.flatMap((role, i) => (role === 'task' ? [i] : []));
  const vifs = varianceInflationFactors(design, targets);
  const vif = targets.map((j, k) => ({ column: columns[j], vif: Number.isFinite(vifs[k]) ? vifs[k] : null, flagged: vifs[k] >= vifThreshold }));
  return { correlationThreshold: rThreshold, vifThreshold, pairs, vif };
}

/** 3 significant digits ('4.04', '384', '1.2e+5'); 'infinite' for exact collinearity. */
const fmt = (x: number | null) => (x === null ? 'infinite' : x >= 1e4 ? x.toExponential(1) : String(Number(x.toPrecision(3))));

/**
 * The warnings a user should act on: correlated pairs involving a task regressor and task
 * regressors with a high VIF (nuisance-only pairs are left to the report).
 */
export function collinearityWarnings(where: string, c: Collinearity): string[] {
  const out: string[] = [];
  const pairs = c.pairs.filter((x) => x.task);
  if (pairs.length) {
    out.push(`${where}: collinear design columns (|r| >= ${c.correlationThreshold}): ${pairs.map((x) => `${x.a} ~ ${x.b} r = ${x.r.toFixed(3)}`).join('; ')}`);
  }
  const high = c.vif.filter((v) => v.flagged);
  if (high.length) {
    out.push(`${where}: high variance inflation factor (VIF >= ${c.vifThreshold}): ${high.map((v) => `${v.column} VIF = ${fmt(v.vif)}`).join('; ')}`);
  }
  return out;
}
