import type { NodeDefinition } from '../src/engine/types.js';
import { preparePermutation, permutationChunk } from '../src/stats/second-level/permutation.js';
import { single } from './lib/artifacts.js';
import type { GroupMeta } from './group.js';

export interface PermuteParams {
  test: string;
  /** Index of the tested design column (sign flips for the intercept, permutations for a covariate). */
  tested: number;
  two_sided: boolean;
  seed: number;
  /** Permutations start..start+count-1 (each seeded from (seed, index): any split gives the same result). */
  start: number;
  count: number;
  cluster_forming_p: number | null;
  tfce: boolean;
}

/** Rebuilds the permutation problem of a group artifact (cheap and deterministic). */
export function problemFor(groupArtifact: ReturnType<typeof single>, p: Pick<PermuteParams, 'tested' | 'two_sided' | 'cluster_forming_p' | 'tfce'>) {
  const g = groupArtifact.meta as unknown as GroupMeta;
  const X = { rows: g.subjects.length, cols: g.columns.length, data: Float64Array.from(g.design.flat()) };
  return preparePermutation(groupArtifact.arrays.Y as Float32Array, { columns: g.columns, matrix: X }, {
    tested: p.tested, twoSided: p.two_sided, clusterFormingP: p.cluster_forming_p, tfce: p.tfce,
    geometry: { dims: g.dims, voxelIndex: groupArtifact.arrays.indices as Int32Array },
  });
}

/**
 * permute: one block of a max-statistic permutation test (non_parametric_inference).
 * Blocks are separate nodes so the executor spreads them over the worker pool, each
 * reporting progress; `correct` combines them.
 */
export const permute: NodeDefinition<PermuteParams> = {
  type: 'permute',
  version: '1',
  description: 'a block of sign-flip / permutation max statistics for FWE correction',
  async run(ctx, p, inputs) {
    const pb = problemFor(single(inputs.nodes, 'group'), p);
    const chunk = permutationChunk(pb, p.seed, p.start, p.count, (done, total) => {
      if (done % 100 === 0 || done === total) ctx.progress(done / total, `${done}/${total} permutations`);
    });
    const arrays: Record<string, Float64Array> = { maxT: chunk.maxT };
    if (chunk.maxSize) arrays.maxSize = chunk.maxSize;
    if (chunk.maxMass) arrays.maxMass = chunk.maxMass;
    if (chunk.maxTfce) arrays.maxTfce = chunk.maxTfce;
    return { meta: { start: chunk.start, count: chunk.count }, arrays };
  },
};
