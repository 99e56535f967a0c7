import type { Artifact, Json, TypedArray } from '../../src/engine/types.js';
import type { Collinearity } from '../../src/stats/design/collinearity.js';

/** Small helpers to read node inputs with a clear error when an input is missing. */
export function single(inputs: Record<string, Artifact | Artifact[]>, name: string): Artifact {
  const a = inputs[name];
  if (!a || Array.isArray(a)) throw new Error(`node input '${name}' missing or not a single artifact`);
  return a;
}

export function many(inputs: Record<string, Artifact | Artifact[]>, name: string): Artifact[] {
  const a = inputs[name];
  if (!a) return [];
  return Array.isArray(a) ? a : [a];
}

export function arrayOf<T extends TypedArray>(a: Artifact, name: string): T {
  const arr = a.arrays[name];
  if (!arr) throw new Error(`artifact has no array '${name}'`);
  return arr as T;
}

export const meta = <T>(a: Artifact): T => a.meta as unknown as T;
export const asJson = (v: unknown): Json => v as Json;

/** A mask artifact: the grid and the in-mask voxels. */
export interface MaskMeta { dims: number[]; affine: number[][]; nVoxels: number; source: string }

/**
 * A design artifact: columns and matrix (n_scans x p, row-major float64, arrays.matrix), the
 * p x p Pearson correlation of its columns over the modelled scans (arrays.correlation, NaN for
 * the constant) and the collinearity flags (correlated pairs, task regressors' VIF).
 */
export interface DesignMeta {
  columns: string[]; nScans: number; tr: number; warnings: string[]; run: string; sampleMask: number[] | null;
  /** Absent only on designs not made by the design node (e.g. hand-built in tests). */
  collinearity?: Collinearity;
}
