import { expressionToContrastVector } from '../stats/first-level/contrast-expr.js';

/**
 * A contrast as the spec gives it (an expression string, a vector, or a matrix
 * for an F test) -> its matrix over the design columns (one row per test row).
 * A vector shorter than the design is padded with zeros, as nilearn does.
 */
export function contrastMatrixFor(definition: unknown, columns: string[]): { rows: Float64Array[]; statType: 't' | 'F' } {
  if (typeof definition === 'string') {
    return { rows: [expressionToContrastVector(definition, columns)], statType: 't' };
  }
  const pad = (v: number[]): Float64Array => {
    if (v.length > columns.length) throw new Error(`contrast has ${v.length} values but the design has ${columns.length} columns (${columns.join(', ')})`);
    const out = new Float64Array(columns.length);
    out.set(v);
    return out;
  };
  if (Array.isArray(definition) && definition.every((x) => typeof x === 'number')) return { rows: [pad(definition as number[])], statType: 't' };
  if (Array.isArray(definition) && definition.every((x) => Array.isArray(x))) {
    const rows = (definition as number[][]).map(pad);
    return { rows, statType: rows.length > 1 ? 'F' : 't' };
  }
  throw new Error('a contrast must be an expression, a vector or a matrix (list of vectors)');
}
