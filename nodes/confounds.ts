import { readFile } from 'node:fs/promises';
import type { NodeDefinition } from '../src/engine/types.js';
import { readTsv } from '../src/io/tsv.js';
import { loadConfounds, selectColumns, type ConfoundsResult, type FillNa, type LoadConfoundsParams } from '../src/stats/confounds.js';
import { confoundTableFromTsv } from '../src/pipeline/confound-table.js';

export interface ConfoundsParams {
  /** An explicit column list, or a load_confounds strategy object. */
  selection: string[] | LoadConfoundsParams;
  fill_na: FillNa;
}

/** Reads the confounds TSV (and JSON sidecar) and selects columns as the spec asks. */
export async function selectConfounds(file: string, jsonFile: string | undefined, params: ConfoundsParams): Promise<ConfoundsResult> {
  const table = confoundTableFromTsv(await readTsv(file));
  if (Array.isArray(params.selection)) return selectColumns(table, params.selection, { fileName: file, fillNa: params.fill_na });
  const meta = jsonFile ? JSON.parse(await readFile(jsonFile, 'utf8')) : undefined;
  return loadConfounds(table, meta, params.selection, { fileName: file });
}

export const confounds: NodeDefinition<ConfoundsParams> = {
  type: 'confounds',
  version: '1',
  description: 'select confound regressors (column list or fMRIPrep strategy) and the kept-volume sample mask',
  async run(_ctx, params, inputs) {
    const r = await selectConfounds(inputs.files.confounds as string, inputs.files.json as string | undefined, params);
    const arrays: Record<string, Float64Array | Int32Array> = {};
    r.values.forEach((v, i) => (arrays[`c${i}`] = v));
    if (r.sampleMask) arrays.sampleMask = r.sampleMask;
    return { meta: { names: r.names, hasSampleMask: Boolean(r.sampleMask) }, arrays };
  },
};
