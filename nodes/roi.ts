import { UserError } from '../src/errors.js';
import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import { readNifti } from '../src/io/nifti.js';
import { cleanSignals, regionMeans } from '../src/stats/image/labels-masker.js';
import { niftiMeanPrecision } from '../src/stats/image/image-ops.js';
import { confoundsFromArtifact } from './design.js';
import { meanScaling } from '../src/stats/first-level/scaling.js';
import { runGlm } from '../src/stats/first-level/glm.js';
import { contrastStatistics, fixedEffectContrast } from '../src/stats/first-level/contrast.js';
import { contrastMatrixFor } from '../src/pipeline/contrast-definition.js';
import { many, single, type DesignMeta, type MaskMeta } from './lib/artifacts.js';
import { selectRows } from './lib/masked-bold.js';

type RoiParams =
  | { kind: 'signals'; run: string; standardize: false | 'zscore_sample' | 'zscore' | 'psc'; regress_confounds: boolean }
  | { kind: 'glm'; contrast: string; definition: string | number[] | number[][]; noise_model: string; signal_scaling: 0 | false; input: string; names: Record<string, string> };

export interface RoiRow { index: number; name: string; nVoxels: number; effect: number; variance: number; stat: number; z: number; p: number; mapMean: number }
export interface RoiMeta { contrast: string; statType: 't' | 'F'; dof: number; rows: RoiRow[] }

async function readAtlas(path: string) {
  const atlas = await readNifti(path);
  return { dims: atlas.dims.slice(0, 3), labels: atlas.data.subarray(0, atlas.dims[0] * atlas.dims[1] * atlas.dims[2]) };
}

/**
 * Mean signal per label of one run (NiftiLabelsMasker(strategy='mean')): the raw means
 * (for the ROI GLM) and the cleaned time series as NiftiLabelsMasker(standardize=...)
 * .fit_transform(bold, confounds) returns them (written per run).
 */
async function signals(p: Extract<RoiParams, { kind: 'signals' }>, inputs: Parameters<NodeDefinition['run']>[2]): Promise<Artifact> {
  const bold = await readNifti(inputs.files.bold as string);
  const atlas = await readAtlas(inputs.files.atlas as string);
  if (atlas.dims.join('x') !== bold.dims.slice(0, 3).join('x')) {
    throw new UserError(`atlas ${inputs.files.atlas} (${atlas.dims.join('x')}) is not on the grid of ${inputs.files.bold} (${bold.dims.slice(0, 3).join('x')})`);
  }
  // nilearn holds unscaled float32 images in float32 and computes the signals in that precision
  const precision = niftiMeanPrecision(bold.datatype, bold.sclSlope, bold.sclInter);
  const r = regionMeans(bold.data, bold.dims, atlas.labels, { signalPrecision: precision });
  const conf = p.regress_confounds ? confoundsFromArtifact(inputs.nodes.confounds as Artifact | undefined) : null;
  const cleaned = cleanSignals(r.signals, { standardize: p.standardize, confounds: conf?.values, precision });
  return {
    meta: { labels: r.labels, voxelCounts: r.voxelCounts, nScans: r.signals.rows, confounds: conf?.names ?? [], standardize: p.standardize },
    arrays: { signals: r.signals.data, cleaned: cleaned.data },
  };
}

/**
 * ROI-level GLM of one contrast for one subject (nilearn's run_glm + compute_contrast on
 * a matrix of ROI signals, with the same design, scaling and noise model as the voxel
 * GLM, fixed effects over runs), plus the ROI means of the first-level contrast map.
 */
async function roiGlm(p: Extract<RoiParams, { kind: 'glm' }>, inputs: Parameters<NodeDefinition['run']>[2]): Promise<Artifact> {
  const sig = many(inputs.nodes, 'signals');
  const designs = many(inputs.nodes, 'designs').map((d) => ({ meta: d.meta as unknown as DesignMeta, matrix: d.arrays.matrix as Float64Array }));
  const labels = (sig[0].meta as { labels: number[] }).labels;
  const counts = (sig[0].meta as { voxelCounts: number[] }).voxelCounts;
  const L = labels.length;
  const fits = sig.map((s, r) => {
    const d = designs[r];
    let y = s.arrays.signals as Float64Array;
    let x = { rows: d.meta.nScans, cols: d.meta.columns.length, data: d.matrix };
    if (d.meta.sampleMask) {
      y = selectRows(y, L, d.meta.sampleMask);
      x = { rows: d.meta.sampleMask.length, cols: x.cols, data: selectRows(x.data, x.cols, d.meta.sampleMask) };
    }
    if (p.signal_scaling === 0) y = meanScaling(y, x.rows).scaled;
    return runGlm(y, x, { noiseModel: p.noise_model });
  });
  const defs = designs.map((d) => contrastMatrixFor(p.definition, d.meta.columns));
  const statType = defs[0].statType;
  const mats = defs.map((d) => d.rows.map((r) => Array.from(r)));
  const c = contrastStatistics(fixedEffectContrast(fits, statType === 't' ? mats.map((m) => m[0]) : mats, statType));
  // ROI means of the first-level map (inside the subject's mask)
  const contrastArt = single(inputs.nodes, 'contrast');
  const maskArt = single(inputs.nodes, 'mask');
  const indices = maskArt.arrays.indices as Int32Array;
  const mapValues = contrastArt.arrays[p.input] as Float32Array;
  const atlas = await readAtlas(inputs.files.atlas as string);
  const mask = maskArt.meta as unknown as MaskMeta;
  if (atlas.dims.join('x') !== mask.dims.join('x')) throw new UserError(`atlas ${inputs.files.atlas} is not on the grid of the subject's mask`);
  const sums = new Map<number, { s: number; n: number }>();
  for (let i = 0; i < indices.length; i++) {
    const l = atlas.labels[indices[i]];
    if (!l) continue;
    const e = sums.get(l) ?? { s: 0, n: 0 };
    e.s += mapValues[i];
    e.n++;
    sums.set(l, e);
  }
  const rows: RoiRow[] = labels.map((l, j) => ({
    index: l, name: p.names[String(l)] ?? `label-${l}`, nVoxels: counts[j],
    effect: c.effectSize[j], variance: c.effectVariance[j], stat: c.stat[j], z: c.zScore[j], p: c.pValue[j],
    mapMean: sums.get(l) ? sums.get(l)!.s / sums.get(l)!.n : NaN,
  }));
  const meta: RoiMeta = { contrast: p.contrast, statType, dof: c.dof, rows };
  return { meta: meta as any, arrays: {} };
}

export const roi: NodeDefinition<RoiParams> = {
  type: 'roi',
  version: '2',
  description: 'atlas ROI analysis: label signals per run, ROI-level GLM and map summaries per contrast',
  async run(_ctx, params, inputs) {
    return params.kind === 'signals' ? signals(params, inputs) : roiGlm(params, inputs);
  },
};
