import pLimit from 'p-limit';
import { UserError } from '../src/errors.js';
import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import { readNifti, sameGrid } from '../src/io/nifti.js';
import { smoothVolumes } from '../src/stats/image/smooth.js';
import { fitSecondLevel, computeSecondLevelContrast } from '../src/stats/second-level/second-level.js';
import { backgroundMask } from '../src/stats/inference/thresholding.js';
import { many, type MaskMeta } from './lib/artifacts.js';
import { unmask } from './lib/maps.js';
import { maskIndices } from '../src/stats/image/image-ops.js';

export interface GroupTest { label: string; weights: number[] }
export interface GroupParams {
  contrast: string;
  /** First-level map that enters the model (pipeline mode). */
  input: string;
  subjects: string[];
  columns: string[];
  /** One row per subject, one value per column. */
  design: number[][];
  smoothing_fwhm: number | [number, number, number] | null;
  /** auto: intersection of the subjects' masks (pipeline) or nilearn's background mask of the mean map (maps from files); path: files.mask */
  mask: 'auto' | 'path';
  tests: GroupTest[];
}

/** The group node's artifact: the grid, the group mask, the data (for permutations) and per-test maps. */
export interface GroupMeta { contrast: string; dims: number[]; affine: number[][]; nVoxels: number; subjects: string[]; columns: string[]; design: number[][]; tests: GroupTest[]; dof: number }

async function subjectVolumes(params: GroupParams, inputs: Parameters<NodeDefinition['run']>[2]) {
  const maps = many(inputs.nodes, 'maps');
  if (maps.length) {
    // pipeline mode: masked first-level arrays, each on its subject's mask
    const masks = many(inputs.nodes, 'masks');
    const first = masks[0].meta as unknown as MaskMeta;
    const volumes = maps.map((m, i) => {
      const mm = masks[i].meta as unknown as MaskMeta;
      // refused before the run (src/spec/compile-group.ts): maps added voxel by voxel share a grid
      if (!sameGrid(mm, first)) throw new Error(`the first-level maps of ${params.subjects[i]} are not on the grid of ${params.subjects[0]}'s`);
      const values = m.arrays[params.input];
      if (!values) throw new Error(`first-level contrast of ${params.subjects[i]} has no ${params.input} map`);
      return unmask(values as Float32Array, masks[i].arrays.indices as Int32Array, mm);
    });
    return { dims: first.dims, affine: first.affine, volumes, subjectMasks: masks.map((m) => m.arrays.indices as Int32Array) };
  }
  const files = inputs.files.maps as string[];
  // a few at a time: gunzip runs on libuv's pool, so reads overlap on both cores
  const reading = pLimit(4);
  const imgs = await Promise.all(files.map((f) => reading(() => readNifti(f))));
  const dims = imgs[0].dims.slice(0, 3);
  for (const [i, img] of imgs.entries()) {
    if (img.dims.slice(0, 3).join('x') !== dims.join('x')) throw new UserError(`${files[i]} is on a ${img.dims.slice(0, 3).join('x')} grid, ${files[0]} on ${dims.join('x')}`);
  }
  return { dims, affine: imgs[0].affine, volumes: imgs.map((im) => im.data.subarray(0, dims[0] * dims[1] * dims[2])), subjectMasks: null };
}

/**
 * group: the second-level OLS model of one first-level contrast, as nilearn's
 * SecondLevelModel(mask_img, smoothing_fwhm).fit(maps, design_matrix) followed by
 * compute_contrast for every test (intercept, covariates, expressions).
 */
export const group: NodeDefinition<GroupParams> = {
  type: 'group',
  version: '1',
  description: 'second-level (group) OLS model of one contrast with covariates, and its tests',
  async run(ctx, params, inputs) {
    const { dims, affine, volumes, subjectMasks } = await subjectVolumes(params, inputs);
    const nVox = dims[0] * dims[1] * dims[2];
    let maskVolume: Uint8Array;
    if (params.mask === 'path') {
      const m = await readNifti(inputs.files.mask as string);
      maskVolume = Uint8Array.from(m.data.subarray(0, nVox), (v) => (v !== 0 && !Number.isNaN(v) ? 1 : 0));
    } else if (subjectMasks) {
      maskVolume = new Uint8Array(nVox);
      for (const i of subjectMasks[0]) maskVolume[i] = 1;
      for (const idx of subjectMasks.slice(1)) {
        const keep = new Uint8Array(nVox);
        for (const i of idx) keep[i] = 1;
        for (let i = 0; i < nVox; i++) maskVolume[i] &= keep[i];
      }
    } else {
      const mean = new Float32Array(nVox);
      for (const v of volumes) for (let i = 0; i < nVox; i++) mean[i] += v[i] / volumes.length;
      maskVolume = backgroundMask(mean, dims);
    }
    const indices = maskIndices(maskVolume);
    const V = indices.length;
    if (V === 0) throw new UserError(`the group mask of ${params.contrast} is empty (${params.mask === 'path' ? `no non-zero voxel of ${inputs.files.mask as string} is inside the maps` : 'the subjects\' masks do not overlap'}); expected a mask covering the brain`);
    ctx.progress(0.2, params.smoothing_fwhm ? 'smoothing subject maps' : 'masking');
    const n = volumes.length;
    const Y = new Float32Array(n * V);
    for (const [s, vol] of volumes.entries()) {
      const data = params.smoothing_fwhm ? smoothVolumes(Float32Array.from(vol), [...dims], affine, params.smoothing_fwhm) : vol;
      for (let v = 0; v < V; v++) Y[s * V + v] = data[indices[v]];
    }
    ctx.progress(0.6, 'fitting');
    const X = { rows: n, cols: params.columns.length, data: Float64Array.from(params.design.flat()) };
    const fit = fitSecondLevel(Y, { columns: params.columns, matrix: X });
    const arrays: Record<string, Float32Array | Int32Array> = { indices, Y };
    for (const [i, test] of params.tests.entries()) {
      const maps = computeSecondLevelContrast(fit, test.weights);
      for (const [name, values] of Object.entries(maps)) arrays[`t${i}.${name}`] = Float32Array.from(values as Float64Array);
    }
    const meta: GroupMeta = { contrast: params.contrast, dims, affine, nVoxels: V, subjects: params.subjects, columns: params.columns, design: params.design, tests: params.tests, dof: fit.dof };
    return { meta: meta as any, arrays } as Artifact;
  },
};
