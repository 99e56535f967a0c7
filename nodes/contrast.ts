import { UserError } from '../src/errors.js';
import type { NodeDefinition } from '../src/engine/types.js';
import { addContrasts, contrastEffects, contrastStatistics, scaleContrast, type ContrastEffects } from '../src/stats/first-level/contrast.js';
import { contrastMatrixFor } from '../src/pipeline/contrast-definition.js';
import { many, type DesignMeta } from './lib/artifacts.js';
import { glmFromArtifact } from './lib/glm-artifact.js';

export interface ContrastParams { name: string; definition: string | number[] | number[][] }

/**
 * contrast: one contrast over all runs of a subject. The definition is turned into
 * a vector (t) or matrix (F) against each run's own design columns, computed per
 * run and combined by fixed effects exactly as FirstLevelModel.compute_contrast
 * (nilearn's _compute_fixed_effect_contrast: null run contrasts skipped, the sum
 * scaled by 1/n). The runs' fits are read one at a time, so memory does not grow
 * with the number of runs, and only the arrays the contrast uses.
 */
export const contrast: NodeDefinition<ContrastParams> = {
  type: 'contrast',
  // 2: the F contrast's effect_size keeps every row (was: the first only)
  version: '2',
  description: 'compute a t or F contrast (fixed effects over runs): z, stat, p, effect, variance',
  streamedInputs: ['fits'],
  async run(ctx, params, inputs) {
    const designs = many(inputs.nodes, 'designs').map((d) => d.meta as unknown as DesignMeta);
    const defs = designs.map((d) => contrastMatrixFor(params.definition, d.columns));
    const statType = defs[0].statType;
    const warnings: string[] = [];
    const warn = (w: string) => {
      warnings.push(w);
      ctx.warn(w);
    };
    let sum: ContrastEffects | null = null;
    let n = 0;
    for (const [i, load] of inputs.lazy.fits.entries()) {
      const rows = defs[i].rows;
      if (rows.every((r) => r.every((x) => x === 0))) {
        warn(`Contrast for run ${i} is null`);
        continue;
      }
      const def = statType === 't' ? Array.from(rows[0]) : rows.map((r) => Array.from(r));
      // Only the rows of theta the contrast weighs are read (the others read as zero and are
      // skipped by contrastEffects, which passes over zero weights): 1-2 of ~16 for a t contrast.
      const weighed = designs[i].columns.map((_, j) => j).filter((j) => rows.some((r) => r[j] !== 0));
      const fit = await load({ labels: true, dispersion: true, theta: { rows: weighed, rowCount: designs[i].columns.length } });
      const effects = contrastEffects(glmFromArtifact(fit), def, statType, warn);
      sum = sum === null ? effects : addContrasts(sum, effects, warn);
      n++;
      ctx.progress((i + 1) / (inputs.lazy.fits.length + 1));
    }
    if (sum === null) throw new UserError(`contrast ${params.name} is null in every run (its conditions have no events); expected events for at least one of its conditions in some run`);
    const r = contrastStatistics(scaleContrast(sum, 1 / n));
    // the typed-array constructor converts in one native pass (Float32Array.from iterates)
    const f32 = (a: Float64Array) => new Float32Array(a);
    return {
      meta: { name: params.name, statType, dof: r.dof, dim: r.dim, warnings },
      arrays: {
        z_score: f32(r.zScore),
        stat: f32(r.stat),
        p_value: f32(r.pValue),
        // For F contrasts nilearn's effect_size has one row per contrast row (q x n_voxels), written
        // as a 4D map of q volumes; consumers of a 3D map (group, roi) read the first row.
        effect_size: f32(r.effectSize),
        effect_variance: f32(r.effectVariance),
      },
    };
  },
};
