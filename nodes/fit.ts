import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import { readNifti } from '../src/io/nifti.js';
import { smoothMasked } from '../src/stats/smooth.js';
import { meanScaling } from '../src/stats/scaling.js';
import { runGlm } from '../src/stats/glm.js';
import { single, type DesignMeta, type MaskMeta } from './lib/artifacts.js';
import { glmToArtifact } from './lib/glm-artifact.js';

export interface FitParams {
  run: string;
  noise_model: string;
  smoothing_fwhm: number | [number, number, number] | null;
  signal_scaling: 0 | false;
  bins: number;
}

/** Time-major masked data (n_t x n_mask) of a 4D image, in mask-index order. */
export function gatherMasked(data: Float32Array, nVoxelsPerVolume: number, nt: number, indices: Int32Array): Float32Array {
  const nm = indices.length;
  const out = new Float32Array(nt * nm);
  for (let t = 0; t < nt; t++) {
    const src = t * nVoxelsPerVolume;
    const dst = t * nm;
    for (let i = 0; i < nm; i++) out[dst + i] = data[src + indices[i]];
  }
  return out;
}

/** Keep the rows (volumes) listed in `keep`. */
export function selectRows<T extends Float32Array | Float64Array>(a: T, cols: number, keep: ArrayLike<number>): T {
  const out = new (a.constructor as any)(keep.length * cols) as T;
  for (let r = 0; r < keep.length; r++) out.set(a.subarray(keep[r] * cols, (keep[r] + 1) * cols), r * cols);
  return out;
}

/**
 * fit: one run's GLM, as nilearn's FirstLevelModel.fit does it per run:
 * smooth (within the masker, before masking), mask, drop censored volumes from data
 * and design alike, mean-scale each voxel to percent signal change, then run_glm
 * (OLS, or AR(p) with binned coefficients and per-bin refits).
 */
export const fit: NodeDefinition<FitParams> = {
  type: 'fit',
  version: '1',
  description: 'fit the first-level GLM of one run (OLS or AR(p))',
  async run(ctx, params, inputs) {
    const design = single(inputs.nodes, 'design');
    const maskArt = single(inputs.nodes, 'mask');
    const dm = design.meta as unknown as DesignMeta;
    const mask = maskArt.meta as unknown as MaskMeta;
    const indices = maskArt.arrays.indices as Int32Array;
    ctx.progress(0.02, 'reading BOLD');
    const img = await readNifti(inputs.files.bold as string);
    const [nx, ny, nz] = img.dims;
    const nt = img.dims[3] ?? 1;
    if (nx !== mask.dims[0] || ny !== mask.dims[1] || nz !== mask.dims[2]) {
      throw new Error(`BOLD grid ${img.dims.slice(0, 3).join('x')} differs from the mask grid ${mask.dims.join('x')}`);
    }
    if (nt !== dm.nScans) throw new Error(`BOLD has ${nt} volumes but the design has ${dm.nScans} rows`);
    ctx.progress(0.25, params.smoothing_fwhm ? 'smoothing' : 'masking');
    let y: Float32Array;
    if (params.smoothing_fwhm) {
      const maskVolume = new Uint8Array(nx * ny * nz);
      for (const i of indices) maskVolume[i] = 1;
      y = smoothMasked(img.data, img.dims, img.affine, params.smoothing_fwhm, maskVolume);
    } else {
      y = gatherMasked(img.data, nx * ny * nz, nt, indices);
    }
    let x = { rows: dm.nScans, cols: dm.columns.length, data: design.arrays.matrix as Float64Array };
    if (dm.sampleMask) {
      y = selectRows(y, indices.length, dm.sampleMask);
      x = { rows: dm.sampleMask.length, cols: x.cols, data: selectRows(x.data, x.cols, dm.sampleMask) };
    }
    const warnings: string[] = [];
    if (params.signal_scaling === 0) {
      const scaled = meanScaling(y, x.rows, { inPlace: true });
      if (scaled.zeroMeanVoxels) warnings.push(`${scaled.zeroMeanVoxels} voxels have a mean of 0 over time`);
      y = scaled.scaled;
    } else if (params.signal_scaling !== false) {
      throw new Error(`signal_scaling ${JSON.stringify(params.signal_scaling)} is not supported (use 0 or false)`);
    }
    ctx.progress(0.5, `fitting ${params.noise_model}`);
    const result = runGlm(y, x, { noiseModel: params.noise_model, bins: params.bins });
    ctx.progress(1);
    return glmToArtifact(result, params.run, warnings) as Artifact;
  },
};
