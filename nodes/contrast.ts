import type { NodeDefinition } from '../src/engine/types.js';
import { contrastStatistics, fixedEffectContrast } from '../src/stats/contrast.js';
import { contrastMatrixFor } from '../src/pipeline/contrast-definition.js';
import { many, type DesignMeta } from './lib/artifacts.js';
import { glmFromArtifact } from './lib/glm-artifact.js';

export interface ContrastParams { name: string; definition: string | number[] | number[][] }

/**
 * contrast: one contrast over all runs of a subject. The definition is turned into
 * a vector (t) or matrix (F) against each run's own design columns, computed per
 * run and combined by fixed effects exactly as FirstLevelModel.compute_contrast.
 */
export const contrast: NodeDefinition<ContrastParams> = {
  type: 'contrast',
  version: '1',
  description: 'compute a t or F contrast (fixed effects over runs): z, stat, p, effect, variance',
  async run(ctx, params, inputs) {
    const fits = many(inputs.nodes, 'fits').map(glmFromArtifact);
    const designs = many(inputs.nodes, 'designs').map((d) => d.meta as unknown as DesignMeta);
    const defs = designs.map((d) => contrastMatrixFor(params.definition, d.columns));
    const statType = defs[0].statType;
    const warnings: string[] = [];
    const mats = defs.map((d) => d.rows.map((r) => Array.from(r)));
    const effects = fixedEffectContrast(fits, statType === 't' ? mats.map((m) => m[0]) : mats, statType, (w) => {
      warnings.push(w);
      ctx.warn(w);
    });
    const r = contrastStatistics(effects);
    const f32 = (a: Float64Array) => Float32Array.from(a);
    return {
      meta: { name: params.name, statType, dof: r.dof, dim: r.dim, warnings },
      arrays: {
        z_score: f32(r.zScore),
        stat: f32(r.stat),
        p_value: f32(r.pValue),
        // For F contrasts nilearn's effect_size has one row per contrast row; the map keeps the first row.
        effect_size: f32(r.effectSize.subarray(0, r.nVoxels)),
        effect_variance: f32(r.effectVariance),
      },
    };
  },
};
