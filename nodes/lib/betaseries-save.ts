import { join } from 'node:path';
import type { Artifact } from '../../src/engine/types.js';
import { readNifti } from '../../src/io/nifti.js';
import { writeNifti } from '../../src/io/nifti-write.js';
import { writeTsv } from '../../src/io/tsv.js';
import { many, single, type MaskMeta } from './artifacts.js';
import type { WrittenFile } from './outputs.js';
import type { SingleTrialMeta, TrialRow } from '../single-trial.js';

export interface BetaSeriesSaveParams {
  kind: 'betaseries';
  dir: string;
  /** sub-XX[_ses-YY]_run-N */
  prefix: string;
  method: 'lss' | 'lsa';
  outputs: ('effect_size' | 'z_score')[];
  /** With `roi` set: where the ROI-mean series go, and the label names. */
  roiDir?: string;
  names?: Record<string, string>;
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
 * trial_name, volume, estimable) and, with an atlas, the ROI means of the effect series.
 */
export async function saveBetaSeries(p: BetaSeriesSaveParams, inputs: Record<string, Artifact | Artifact[]>, atlasFile?: string): Promise<WrittenFile[]> {
  const series = many(inputs, 'series');
  const maskArt = single(inputs, 'mask');
  const mask = maskArt.meta as unknown as MaskMeta;
  const indices = maskArt.arrays.indices as Int32Array;
  const nm = indices.length;
  const order = gatherTrials(series);
  const vol = mask.dims[0] * mask.dims[1] * mask.dims[2];
  const base = `${p.prefix}_desc-${p.method}`;
  const written: WrittenFile[] = [];
  // the maps are gzipped concurrently (zlib runs on the thread pool): one core each
  const paths = await Promise.all(p.outputs.map(async (output) => {
    const key = output === 'z_score' ? 'z' : 'effect';
    const data = new Float32Array(order.length * vol);
    order.forEach(({ part, k }, v) => {
      const src = series[part].arrays[key] as Float32Array;
      const o = v * vol;
      for (let i = 0; i < nm; i++) data[o + indices[i]] = src[k * nm + i];
    });
    const path = join(p.dir, `${base}_stat-${key}_betaseries.nii.gz`);
    return writeNifti(path, { dims: [...mask.dims, order.length], affine: mask.affine, data, tUnits: 'unknown', description: `glmflow ${p.method} ${output} beta series` });
  }));
  written.push(...paths);
  const tsv = join(p.dir, `${base}_betaseries.tsv`);
  written.push(await writeTsv(tsv, ['onset', 'duration', 'trial_type', 'trial_name', 'volume', 'estimable'],
    order.map(({ trial }, v) => [num(trial.onset), num(trial.duration), trial.trialType, trial.name, String(v), trial.estimable ? 'true' : 'false'])));
  if (atlasFile && p.roiDir && p.names) {
    const atlas = await readNifti(atlasFile);
    if (atlas.dims.slice(0, 3).join('x') !== mask.dims.join('x')) throw new Error(`atlas ${atlasFile} is not on the grid of the subject's mask`);
    const labelOf = Int32Array.from(indices, (i) => Math.round(atlas.data[i]));
    const labels = [...new Set(labelOf)].filter((l) => l !== 0).sort((a, b) => a - b);
    const rows = order.map(({ trial, part, k }) => {
      const src = series[part].arrays.effect as Float32Array;
      const sum = new Map<number, [number, number]>();
      for (let i = 0; i < nm; i++) {
        const l = labelOf[i];
        if (l === 0) continue;
        const acc = sum.get(l) ?? [0, 0];
        acc[0] += src[k * nm + i];
        acc[1]++;
        sum.set(l, acc);
      }
      return [trial.name, ...labels.map((l) => num(sum.get(l)![0] / sum.get(l)![1]))];
    });
    const path = join(p.roiDir, `${base}_betaseries.tsv`);
    written.push(await writeTsv(path, ['trial_name', ...labels.map((l) => p.names![String(l)] ?? String(l))], rows));
  }
  return written;
}
