import { join } from 'node:path';
import type { Artifact } from '../../src/engine/types.js';
import { roiImagesOnGrid, type RoiImageFiles, type RoiResample } from '../../src/pipeline/roi-images.js';
import { writeNifti } from '../../src/io/nifti-write.js';
import { writeTsv } from '../../src/io/tsv.js';
import { many, single, type MaskMeta } from './artifacts.js';
import { unmask } from './maps.js';
import type { WrittenFile } from './outputs.js';
import type { SingleTrialMeta, TrialRow } from '../single-trial.js';

export interface BetaSeriesSaveParams {
  kind: 'betaseries';
  dir: string;
  /** sub-XX[_ses-YY]_run-N */
  prefix: string;
  method: 'lss' | 'lsa';
  outputs: ('effect_size' | 'z_score')[];
  /** With `roi` set: where the ROI-mean series go, the atlas label names, the roi.masks names. */
  roiDir?: string;
  names?: Record<string, string>;
  masks?: string[];
  resample?: RoiResample;
}

/** The run's trials from its single-trial nodes, in events order, with the node and row of each. */
export function gatherTrials(series: Artifact[]): { trial: TrialRow; part: number; k: number }[] {
  const all = series.flatMap((a, part) => (a.meta as unknown as SingleTrialMeta).trials.map((trial, k) => ({ trial, part, k })));
  return all.sort((a, b) => a.trial.row - b.trial.row);
}

const num = (x: number) => (Number.isFinite(x) ? String(x) : 'n/a');

/**
 * `<prefix>_desc-<method>_stat-{effect|z}_betaseries.nii.gz` (4D, one volume per trial in
 * events order), `<prefix>_desc-<method>_betaseries.tsv` (onset, duration, trial_type,
 * trial_name, volume, estimable) and, with `roi` set, the ROI means of the effect series
 * (`roi/<prefix>_desc-<method>_betaseries.tsv`: one row per trial, one column per atlas label,
 * then one per roi.masks entry; each the mean over the ROI's voxels inside the subject's mask).
 */
export async function saveBetaSeries(p: BetaSeriesSaveParams, inputs: Record<string, Artifact | Artifact[]>, roiFiles: RoiImageFiles = {}): Promise<WrittenFile[]> {
  const series = many(inputs, 'series');
  const maskArt = single(inputs, 'mask');
  const mask = maskArt.meta as unknown as MaskMeta;
  const indices = maskArt.arrays.indices as Int32Array;
  const nm = indices.length;
  const order = gatherTrials(series);
  const base = `${p.prefix}_desc-${p.method}`;
  const written: WrittenFile[] = [];
  // the maps are gzipped concurrently (zlib runs on the thread pool): one core each
  const paths = await Promise.all(p.outputs.map(async (output) => {
    const key = output === 'z_score' ? 'z' : 'effect';
    // one volume at a time (a 62-trial series on the 2 mm grid is 224 MB as one array)
    const volume = (v: number) => {
      const { part, k } = order[v];
      return unmask((series[part].arrays[key] as Float32Array).subarray(k * nm, (k + 1) * nm), indices, mask);
    };
    const path = join(p.dir, `${base}_stat-${key}_betaseries.nii.gz`);
    return writeNifti(path, { dims: [...mask.dims, order.length], affine: mask.affine, volume, tUnits: 'unknown', description: `glmflow ${p.method} ${output} beta series` });
  }));
  written.push(...paths);
  const tsv = join(p.dir, `${base}_betaseries.tsv`);
  written.push(await writeTsv(tsv, ['onset', 'duration', 'trial_type', 'trial_name', 'volume', 'estimable'],
    order.map(({ trial }, v) => [num(trial.onset), num(trial.duration), trial.trialType, trial.name, String(v), trial.estimable ? 'true' : 'false'])));
  if (p.roiDir && p.names && (roiFiles.atlas || roiFiles.masks?.length)) {
    const images = await roiImagesOnGrid(p.masks ?? [], p.resample ?? 'none', roiFiles, {
      file: `the subject's first-level mask (${mask.source})`, dims: mask.dims, affine: mask.affine,
    });
    // each ROI as the list of its positions among the masked voxels: atlas labels ascending, then the masks
    const rois: { name: string; at: Int32Array }[] = [];
    if (images.atlas) {
      const atlas = images.atlas;
      const labelOf = Int32Array.from(indices, (i) => Math.round(atlas[i]));
      for (const l of [...new Set(labelOf)].filter((x) => x !== 0).sort((a, b) => a - b)) {
        rois.push({ name: p.names[String(l)] ?? String(l), at: positionsWhere(nm, (i) => labelOf[i] === l) });
      }
    }
    images.masks.forEach((m, j) => rois.push({ name: p.masks![j], at: positionsWhere(nm, (i) => m[indices[i]] !== 0) }));
    const rows = order.map(({ trial, part, k }) => {
      const src = (series[part].arrays.effect as Float32Array).subarray(k * nm, (k + 1) * nm);
      return [trial.name, ...rois.map(({ at }) => {
        let sum = 0;
        for (let i = 0; i < at.length; i++) sum += src[at[i]];
        return at.length ? num(sum / at.length) : 'n/a';
      })];
    });
    const path = join(p.roiDir, `${base}_betaseries.tsv`);
    written.push(await writeTsv(path, ['trial_name', ...rois.map((r) => r.name)], rows));
  }
  return written;
}

/** The positions i in [0, n) where `inRoi(i)`, ascending. */
function positionsWhere(n: number, inRoi: (i: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (inRoi(i)) out.push(i);
  return Int32Array.from(out);
}
