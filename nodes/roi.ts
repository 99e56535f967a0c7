import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import { readNiftiHeader, streamNiftiVolumes } from '../src/io/nifti.js';
import { roiImagesOnGrid, type RoiImageFiles, type RoiImageTarget, type RoiResample } from '../src/pipeline/roi-images.js';
import { cleanSignals, RegionMeanAccumulator, type Standardize } from '../src/stats/image/labels-masker.js';
import { niftiMeanPrecision } from '../src/stats/image/image-ops.js';
import { confoundsFromArtifact } from './design.js';
import { meanScaling } from '../src/stats/first-level/scaling.js';
import { runGlm } from '../src/stats/first-level/glm.js';
import { contrastStatistics, fixedEffectContrast } from '../src/stats/first-level/contrast.js';
import { contrastMatrixFor } from '../src/pipeline/contrast-definition.js';
import { many, single, type DesignMeta, type MaskMeta } from './lib/artifacts.js';
import { selectRows } from './lib/masked-bold.js';

/** ROI images: the atlas (files.atlas), then the masks (files.masks, named by `masks`, in that order). */
interface RoiImages { masks: string[]; resample: RoiResample }

type RoiParams =
  | ({ kind: 'signals'; run: string; standardize: Standardize; regress_confounds: boolean } & RoiImages)
  | ({ kind: 'glm'; contrast: string; definition: string | number[] | number[][]; noise_model: string; signal_scaling: 0 | false; input: string; names: Record<string, string> } & RoiImages);

/** One ROI: an atlas label (index = the label value) or a mask (index null, named by roi.masks). */
export interface RoiRow { index: number | null; name: string; nVoxels: number; effect: number; variance: number; stat: number; z: number; p: number; mapMean: number }
export interface RoiMeta { contrast: string; statType: 't' | 'F'; dof: number; rows: RoiRow[] }

/** Meta of a signals artifact: columns = the atlas labels, then the masks. */
export interface RoiSignalsMeta { labels: number[]; masks: string[]; voxelCounts: number[]; nScans: number; confounds: string[]; standardize: Standardize }

type Files = Parameters<NodeDefinition['run']>[2]['files'];

/** The ROI images of a node on the target grid: atlas labels (or none) and binary masks. */
function roiImages(p: RoiImages, files: Files, target: RoiImageTarget): Promise<{ atlas?: Float32Array; masks: Uint8Array[] }> {
  return roiImagesOnGrid(p.masks, p.resample, files as RoiImageFiles, target);
}

/**
 * Mean signal per label of one run (NiftiLabelsMasker(strategy='mean')): the raw means
 * (for the ROI GLM) and the cleaned time series as NiftiLabelsMasker(standardize=...)
 * .fit_transform(bold, confounds) returns them (written per run).
 */
async function signals(p: Extract<RoiParams, { kind: 'signals' }>, inputs: Parameters<NodeDefinition['run']>[2]): Promise<Artifact> {
  // the run is streamed volume by volume (memory: one volume, whatever the run's length)
  const boldFile = inputs.files.bold as string;
  const header = await readNiftiHeader(boldFile);
  const images = await roiImages(p, inputs.files, { file: boldFile, dims: header.dims.slice(0, 3), affine: header.affine });
  // nilearn holds unscaled float32 images in float32 and computes the signals in that precision
  const precision = niftiMeanPrecision(header.datatype, header.sclSlope, header.sclInter);
  const nt = Math.max(1, header.dims[3] ?? 1);
  // the atlas's labels, then each mask as the one label of a labels image (NiftiLabelsMasker on
  // the binary mask), so overlapping masks each keep all their voxels
  const accumulators = [images.atlas, ...images.masks].filter((x) => x !== undefined).map((img) => new RegionMeanAccumulator(img, { signalPrecision: precision }));
  const labels = images.atlas ? accumulators[0].labels : [];
  const voxelCounts = accumulators.flatMap((a) => a.voxelCounts);
  const cols = voxelCounts.length;
  const signals = new Float64Array(nt * cols);
  await streamNiftiVolumes(boldFile, {
    onVolume: (t, volume) => {
      let c = 0;
      for (const a of accumulators) {
        a.volumeMeans(volume, 0, signals, t * cols + c);
        c += a.labels.length;
      }
    },
  });
  const conf = p.regress_confounds ? confoundsFromArtifact(inputs.nodes.confounds as Artifact | undefined) : null;
  const cleaned = cleanSignals({ rows: nt, cols, data: signals }, { standardize: p.standardize, confounds: conf?.values, precision });
  const meta: RoiSignalsMeta = { labels, masks: p.masks, voxelCounts, nScans: nt, confounds: conf?.names ?? [], standardize: p.standardize };
  return {
    meta: meta as any,
    arrays: { signals, cleaned: cleaned.data },
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
  const sm = sig[0].meta as unknown as RoiSignalsMeta;
  const labels = sm.labels;
  const counts = sm.voxelCounts;
  const L = labels.length + (sm.masks?.length ?? 0);
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
  const mask = maskArt.meta as unknown as MaskMeta;
  const images = await roiImages(p, inputs.files, { file: `the subject's first-level mask (${mask.source})`, dims: mask.dims, affine: mask.affine });
  const sums = new Map<number, { s: number; n: number }>();
  if (images.atlas) {
    for (let i = 0; i < indices.length; i++) {
      const l = images.atlas[indices[i]];
      if (!l) continue;
      const e = sums.get(l) ?? { s: 0, n: 0 };
      e.s += mapValues[i];
      e.n++;
      sums.set(l, e);
    }
  }
  // the map's mean over each mask, inside the subject's analysis mask (the map is defined there)
  const maskMeans = images.masks.map((m) => {
    let s = 0;
    let n = 0;
    for (let i = 0; i < indices.length; i++) {
      if (!m[indices[i]]) continue;
      s += mapValues[i];
      n++;
    }
    return n ? s / n : NaN;
  });
  const stats = (j: number) => ({ effect: c.effectSize[j], variance: c.effectVariance[j], stat: c.stat[j], z: c.zScore[j], p: c.pValue[j] });
  const rows: RoiRow[] = [
    ...labels.map((l, j) => ({
      index: l, name: p.names[String(l)] ?? `label-${l}`, nVoxels: counts[j], ...stats(j),
      mapMean: sums.get(l) ? sums.get(l)!.s / sums.get(l)!.n : NaN,
    })),
    ...p.masks.map((name, m) => ({ index: null, name, nVoxels: counts[labels.length + m], ...stats(labels.length + m), mapMean: maskMeans[m] })),
  ];
  const meta: RoiMeta = { contrast: p.contrast, statType, dof: c.dof, rows };
  return { meta: meta as any, arrays: {} };
}

export const roi: NodeDefinition<RoiParams> = {
  type: 'roi',
  version: '3',
  description: 'ROI analysis (atlas labels and mask files): signals per run, ROI-level GLM and map summaries per contrast',
  async run(_ctx, params, inputs) {
    return params.kind === 'signals' ? signals(params, inputs) : roiGlm(params, inputs);
  },
};
