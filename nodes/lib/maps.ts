import type { MaskMeta } from './artifacts.js';

/** Values at `indices` of a volume of `nVoxels` voxels, 0 elsewhere. */
export function scatter(values: ArrayLike<number>, indices: Int32Array, nVoxels: number): Float32Array {
  const out = new Float32Array(nVoxels);
  for (let i = 0; i < indices.length; i++) out[indices[i]] = values[i];
  return out;
}

/** Scatter in-mask values back onto the full grid (0 outside the mask, as nilearn's unmask). */
export function unmask(values: ArrayLike<number>, maskIndices: Int32Array, mask: MaskMeta): Float32Array {
  const [nx, ny, nz] = mask.dims;
  return scatter(values, maskIndices, nx * ny * nz);
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
