import { UserError } from '../errors.js';
import { readJsonObject } from '../io/text.js';
import { readTsv, type Table } from '../io/tsv.js';
import { loadConfounds, selectColumns, type ConfoundTable, type ConfoundsResult, type FillNa, type LoadConfoundsParams } from '../stats/confounds/confounds.js';

/**
 * A confounds TSV as the numeric table the confound selection works on
 * (n/a -> NaN). Non-numeric columns are exposed too and fail only if selected.
 */
export function confoundTableFromTsv(t: Table): ConfoundTable {
  const cache = new Map<string, Float64Array>();
  return {
    columns: t.columns,
    numeric(name: string): Float64Array {
      let c = cache.get(name);
      if (!c) cache.set(name, (c = t.numeric(name)));
      return c;
    },
  };
}

/** How the spec selects confounds: an explicit column list, or a load_confounds strategy. */
export interface ConfoundSelection {
  selection: string[] | LoadConfoundsParams;
  fill_na: FillNa;
  /** The run's volume count and BOLD file: the table must have one row per volume (checked before computing). */
  volumes?: { count: number; bold: string };
}

/**
 * Reads a run's confounds TSV (and, for strategies, its JSON sidecar) and selects the
 * regressors. Used by the `confounds` node and by the pre-flight checks, so both see
 * exactly the same columns and errors.
 */
export async function readConfounds(file: string, jsonFile: string | undefined, p: ConfoundSelection): Promise<ConfoundsResult> {
  const tsv = await readTsv(file);
  if (p.volumes && tsv.nRows !== p.volumes.count) {
    throw new UserError(`${file}: ${tsv.nRows} rows but ${p.volumes.bold} has ${p.volumes.count} volumes; expected one row per volume`);
  }
  const table = confoundTableFromTsv(tsv);
  if (Array.isArray(p.selection)) return selectColumns(table, p.selection, { fileName: file, fillNa: p.fill_na });
  const meta = jsonFile ? await readJsonObject(jsonFile) : undefined;
  return loadConfounds(table, meta, p.selection, { fileName: file });
}

