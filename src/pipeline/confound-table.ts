import type { Table } from '../io/tsv.js';
import type { ConfoundTable } from '../stats/confounds.js';

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
