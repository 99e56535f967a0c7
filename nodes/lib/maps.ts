import type { MaskMeta } from './artifacts.js';

/** Scatter in-mask values back onto the full grid (0 outside the mask, as nilearn's unmask). */
export function unmask(values: ArrayLike<number>, maskIndices: Int32Array, mask: MaskMeta): Float32Array {
  const [nx, ny, nz] = mask.dims;
  const out = new Float32Array(nx * ny * nz);
  for (let i = 0; i < maskIndices.length; i++) out[maskIndices[i]] = values[i];
  return out;
}

/** BIDS `stat-` label of each contrast output (SPEC: z, t or F, effect, variance, p). */
export function statLabel(output: string, statType: 't' | 'F'): string {
  switch (output) {
    case 'z_score': return 'z';
    case 'stat': return statType;
    case 'effect_size': return 'effect';
    case 'effect_variance': return 'variance';
    case 'p_value': return 'p';
    default: throw new Error(`unknown output ${output}`);
  }
}
