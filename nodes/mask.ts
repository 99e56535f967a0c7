import type { NodeDefinition } from '../src/engine/types.js';
import { readNifti, sameGrid } from '../src/io/nifti.js';
import { computeEpiMask } from '../src/stats/image/epi-mask.js';
import type { MaskMeta } from './lib/artifacts.js';
import { maskIndices } from '../src/stats/image/image-ops.js';

export interface MaskParams {
  /** auto = compute_epi_mask on the first run (as FirstLevelModel does); derivatives = intersection of the runs' brain masks; path = a mask file. */
  mode: 'auto' | 'derivatives' | 'path';
}

export const mask: NodeDefinition<MaskParams> = {
  type: 'mask',
  version: '1',
  description: 'brain mask of a subject: EPI mask, fMRIPrep brain mask(s) or a given file',
  async run(ctx, params, inputs) {
    const files = inputs.files.masks;
    const list = Array.isArray(files) ? files : [files];
    let dims: number[];
    let affine: number[][];
    let voxels: Uint8Array;
    if (params.mode === 'auto') {
      const bold = await readNifti(list[0]);
      ctx.progress(0.5, 'computing EPI mask');
      dims = bold.dims.slice(0, 3);
      affine = bold.affine;
      voxels = computeEpiMask(bold.data, bold.dims, bold.affine);
    } else {
      // derivatives (one mask per run: their intersection) or a given path (one file)
      const first = await readNifti(list[0]);
      dims = first.dims.slice(0, 3);
      affine = first.affine;
      const n = dims[0] * dims[1] * dims[2];
      voxels = new Uint8Array(n);
      for (let i = 0; i < n; i++) voxels[i] = first.data[i] !== 0 && !Number.isNaN(first.data[i]) ? 1 : 0;
      for (const other of list.slice(1)) {
        const m = await readNifti(other);
        // checked before the run (src/spec/compile.ts); a voxel-by-voxel intersection of
        // masks on different grids would be a wrong mask, never a result
        if (!sameGrid(m, first)) throw new Error(`${other} is not on the grid of ${list[0]}; expected one grid for every run's mask`);
        for (let i = 0; i < n; i++) if (m.data[i] === 0 || Number.isNaN(m.data[i])) voxels[i] = 0;
      }
    }
    const indices = maskIndices(voxels);
    const meta: MaskMeta = { dims, affine, nVoxels: indices.length, source: params.mode };
    return { meta: meta as any, arrays: { indices } };
  },
};
