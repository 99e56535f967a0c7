import type { NodeDefinition } from '../src/engine/types.js';
import { readConfounds, type ConfoundSelection } from '../src/pipeline/confound-table.js';

export type ConfoundsParams = ConfoundSelection;

export const confounds: NodeDefinition<ConfoundsParams> = {
  type: 'confounds',
  version: '1',
  description: 'select confound regressors (column list or fMRIPrep strategy) and the kept-volume sample mask',
  async run(_ctx, params, inputs) {
    const r = await readConfounds(inputs.files.confounds as string, inputs.files.json as string | undefined, params);
    const arrays: Record<string, Float64Array | Int32Array> = {};
    r.values.forEach((v, i) => (arrays[`c${i}`] = v));
    if (r.sampleMask) arrays.sampleMask = r.sampleMask;
    return { meta: { names: r.names, hasSampleMask: Boolean(r.sampleMask) }, arrays };
  },
};
