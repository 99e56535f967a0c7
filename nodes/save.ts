import { join } from 'node:path';
import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import { writeNifti } from '../src/io/nifti-write.js';
import { writeTsv } from '../src/io/tsv.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { plotDesignMatrix } from '../src/plot/design-plot.js';
import { many, single, type DesignMeta, type MaskMeta } from './lib/artifacts.js';
import { describeWritten, writtenFilesIntact, type WrittenFile } from './lib/outputs.js';
import { statLabel, unmask } from './lib/maps.js';

type SaveParams =
  | { kind: 'contrast'; dir: string; prefix: string; contrast: string; outputs: string[] }
  | { kind: 'design'; dir: string; subject: string; runs: string[] }
  | { kind: 'dataset'; dir: string; name: string; specHash: string; version?: string };

/** Full-precision number formatting for TSV outputs (shortest round-trip repr). */
const num = (x: number) => (Number.isFinite(x) ? String(x) : 'n/a');

async function saveContrast(p: Extract<SaveParams, { kind: 'contrast' }>, inputs: Record<string, Artifact | Artifact[]>): Promise<WrittenFile[]> {
  const c = single(inputs, 'contrast');
  const maskArt = single(inputs, 'mask');
  const mask = maskArt.meta as unknown as MaskMeta;
  const indices = maskArt.arrays.indices as Int32Array;
  const statType = (c.meta as { statType: 't' | 'F' }).statType;
  const written: WrittenFile[] = [];
  for (const output of p.outputs) {
    const values = c.arrays[output];
    if (!values) throw new Error(`contrast ${p.contrast} has no ${output} map`);
    const path = join(p.dir, `${p.prefix}_contrast-${p.contrast}_stat-${statLabel(output, statType)}.nii.gz`);
    await writeNifti(path, { dims: mask.dims, affine: mask.affine, data: unmask(values, indices, mask), description: `glmflow ${output} ${p.contrast}` });
    written.push(describeWritten(path));
  }
  return written;
}

async function saveDesign(p: Extract<SaveParams, { kind: 'design' }>, inputs: Record<string, Artifact | Artifact[]>): Promise<WrittenFile[]> {
  const written: WrittenFile[] = [];
  const designs = many(inputs, 'designs');
  for (const [i, d] of designs.entries()) {
    const m = d.meta as unknown as DesignMeta;
    const matrix = d.arrays.matrix as Float64Array;
    const p2 = m.columns.length;
    const rows: number[][] = [];
    for (let r = 0; r < m.nScans; r++) rows.push(Array.from(matrix.subarray(r * p2, (r + 1) * p2)));
    const tsv = join(p.dir, `${p.runs[i]}_design.tsv`);
    await writeTsv(tsv, m.columns, rows.map((r) => r.map(num)));
    written.push(describeWritten(tsv));
    const png = join(p.dir, `${p.runs[i]}_design.png`);
    await writeFileAtomic(png, [plotDesignMatrix(m.columns, { rows: m.nScans, cols: p2, data: matrix })]);
    written.push(describeWritten(png));
  }
  const maskArt = single(inputs, 'mask');
  const mask = maskArt.meta as unknown as MaskMeta;
  const ones = new Float32Array((maskArt.arrays.indices as Int32Array).length).fill(1);
  const maskPath = join(p.dir, `${p.subject}_mask.nii.gz`);
  await writeNifti(maskPath, { dims: mask.dims, affine: mask.affine, data: unmask(ones, maskArt.arrays.indices as Int32Array, mask) });
  written.push(describeWritten(maskPath));
  return written;
}

async function saveDataset(p: Extract<SaveParams, { kind: 'dataset' }>): Promise<WrittenFile[]> {
  const path = join(p.dir, 'dataset_description.json');
  const doc = {
    Name: p.name,
    BIDSVersion: '1.9.0',
    DatasetType: 'derivative',
    GeneratedBy: [{ Name: 'glmflow', Version: p.version ?? '0.1.0', Description: `spec hash ${p.specHash}` }],
  };
  await writeFileAtomic(path, [Buffer.from(JSON.stringify(doc, null, 2) + '\n')]);
  return [describeWritten(path)];
}

/** save: writes outputs under the BIDS-derivatives layout; each file appears whole or not at all. */
export const save: NodeDefinition<SaveParams> = {
  type: 'save',
  version: '1',
  description: 'write maps, design matrices and dataset_description.json to the output folder',
  async run(_ctx, params, inputs) {
    const files =
      params.kind === 'contrast' ? await saveContrast(params, inputs.nodes)
      : params.kind === 'design' ? await saveDesign(params, inputs.nodes)
      : await saveDataset(params);
    return { meta: { files } as any, arrays: {} };
  },
  outputsIntact: writtenFilesIntact,
};
