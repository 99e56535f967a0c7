import type { NodeDefinition } from '../src/engine/types.js';
import { readNifti } from '../src/io/nifti.js';
import { meanOverTime } from '../src/stats/image/image-ops.js';

export interface UnderlayParams {
  /** t1w = fMRIPrep's preprocessed T1w in the analysis space; mean-epi = the mean over time of the subject's first BOLD run. */
  kind: 't1w' | 'mean-epi';
}

export interface UnderlayMeta {
  dims: number[];
  affine: number[][];
  /** For captions: 'T1w' or 'mean EPI'. */
  label: string;
}

/**
 * underlay: the anatomical image under a subject's stat-map figures in a non-MNI space (in
 * MNI spaces the report uses the shipped MNI152 template instead).
 */
export const underlay: NodeDefinition<UnderlayParams> = {
  type: 'underlay',
  version: '1',
  description: 'anatomical underlay of a subject\'s figures (T1w or mean EPI)',
  async run(ctx, p, inputs) {
    const img = await readNifti(inputs.files.image as string);
    const dims = img.dims.slice(0, 3);
    let data = img.data;
    if (p.kind === 'mean-epi' && img.dims.length > 3 && (img.dims[3] ?? 1) > 1) {
      ctx.progress(0.5, 'mean EPI');
      data = meanOverTime(img.data, img.dims);
    } else {
      data = data.subarray(0, dims[0]! * dims[1]! * dims[2]!).slice();
    }
    const meta: UnderlayMeta = { dims, affine: img.affine, label: p.kind === 't1w' ? 'T1w' : 'mean EPI' };
    return { meta: meta as any, arrays: { data } };
  },
};
