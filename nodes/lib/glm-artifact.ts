import type { Artifact } from '../../src/engine/types.js';
import type { GlmResult } from '../../src/stats/first-level/glm.js';

/**
 * A fitted run as a cache artifact. Per-voxel arrays are stored as typed arrays;
 * per-label models keep only what contrasts need (normalized covariance and
 * residual degrees of freedom), not the whitened designs.
 */
interface StoredModel { key: string; nVoxels: number; rho: number[]; normCov: number[]; p: number; dfResid: number; dfModel: number; dfTotal: number; dispersionDenominator: number }
export interface FitMeta {
  run: string;
  nScans: number;
  nRegressors: number;
  nVoxels: number;
  noiseModel: string;
  arOrder: number;
  models: StoredModel[];
  warnings: string[];
}

export function glmToArtifact(fit: GlmResult, run: string, warnings: string[]): Artifact {
  const meta: FitMeta = {
    run, nScans: fit.nScans, nRegressors: fit.nRegressors, nVoxels: fit.nVoxels, noiseModel: fit.noiseModel, arOrder: fit.arOrder,
    models: fit.models.map((m) => ({
      key: m.key, nVoxels: m.nVoxels, rho: Array.from(m.rho), normCov: Array.from(m.normCov.data), p: m.normCov.rows,
      dfResid: m.dfResid, dfModel: m.dfModel, dfTotal: m.dfTotal, dispersionDenominator: m.dispersionDenominator,
    })),
    warnings,
  };
  return {
    meta: meta as any,
    arrays: { labels: fit.labels, theta: fit.theta, dispersion: fit.dispersion, rSquare: fit.rSquare },
  };
}

const EMPTY = { rows: 0, cols: 0, data: new Float64Array(0) };

/** Rebuilds the parts of a GlmResult that contrasts use (whitened designs are not kept). */
export function glmFromArtifact(a: Artifact): GlmResult {
  const m = a.meta as unknown as FitMeta;
  return {
    nScans: m.nScans, nRegressors: m.nRegressors, nVoxels: m.nVoxels, noiseModel: m.noiseModel, arOrder: m.arOrder,
    labels: a.arrays.labels as Int32Array,
    theta: a.arrays.theta as Float64Array,
    dispersion: a.arrays.dispersion as Float64Array,
    rSquare: a.arrays.rSquare as Float64Array,
    models: m.models.map((s) => ({
      key: s.key, nVoxels: s.nVoxels, rho: Float64Array.from(s.rho),
      normCov: { rows: s.p, cols: s.p, data: Float64Array.from(s.normCov) },
      whitenedDesign: EMPTY, calcBeta: EMPTY,
      dfResid: s.dfResid, dfModel: s.dfModel, dfTotal: s.dfTotal, dispersionDenominator: s.dispersionDenominator,
    })),
  };
}
