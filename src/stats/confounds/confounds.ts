/**
 * Confound selection from an fMRIPrep `desc-confounds_timeseries.tsv`, matching
 * nilearn 0.10.4 `nilearn.interfaces.fmriprep.load_confounds` (names, order, values, sample mask),
 * plus `selectColumns` for an explicit list of column names.
 *
 * Pure: no file access. The caller parses the TSV (n/a -> NaN) and the JSON sidecar.
 *
 * What nilearn does, and so what `loadConfounds` does:
 * 1. Non-steady-state columns (names containing `non_steady_state`) are always loaded; then each
 *    strategy component adds its columns:
 *    - motion: trans_x trans_y trans_z rot_x rot_y rot_z (+ `_derivative1` / `_power2` /
 *      both + `_derivative1_power2` for derivatives / power2 / full);
 *    - wm_csf: csf white_matter (same suffixes); global_signal: global_signal (same suffixes);
 *    - high_pass: every column whose name contains `cosine` (none is not an error);
 *    - compcor: see confounds-compcor.ts (needs the JSON sidecar; needs high_pass in strategy);
 *    - ica_aroma: 'full' adds nothing (the caller must use the AROMA-denoised image), 'basic'
 *      adds every column whose name contains `aroma`;
 *    - scrub: one-hot `motion_outlier_<k>` columns for volumes with FD > fd_threshold or
 *      std_dvars > std_dvars_threshold, then short kept segments (< scrub volumes) removed too.
 * 2. Outlier columns (names containing `motion_outlier` or `non_steady_state`) are taken out;
 *    the sample mask lists the volumes where all of them are 0 (null when there is none).
 * 3. The other columns are sorted by name (Python `sorted`, so the output order is alphabetical,
 *    not the strategy order) and de-duplicated.
 * 4. n/a in the FIRST row (derivative columns) is replaced by the value of the second row.
 * 5. demean (default true): subtract each column's mean over the kept volumes (sample mask) or
 *    over all volumes when the mask is null; n/a cells are skipped in the mean. The values keep
 *    one entry per volume (ALL volumes), the censoring is carried by the sample mask.
 * Deliberate difference: nilearn passes any other n/a through silently (and the GLM then fails or
 * produces NaN); here an n/a left in a kept volume is a UserError naming the column and row.
 */
import { UserError } from '../../errors.js';
import { COMPCOR_METHODS, findCompcorColumns, type CompcorMethod } from './compcor.js';
import { oneHot, outliersToSampleMask, scrubOutliers } from './scrub.js';

export type { CompcorMethod } from './compcor.js';

/**
 * The confounds table: column names in file order and a numeric accessor returning one value per
 * volume (NaN for `n/a`). The TSV reader's `Table` (src/io/tsv.ts) fits this shape; for plain
 * arrays use {@link tableFromColumns}.
 */
export interface ConfoundTable {
  readonly columns: readonly string[];
  numeric(name: string): Float64Array;
}

/** Wrap a record of columns (all the same length) as a {@link ConfoundTable}; `order` defaults to the record's key order. */
export function tableFromColumns(cols: Readonly<Record<string, Float64Array>>, order?: readonly string[]): ConfoundTable {
  const columns = order ? [...order] : Object.keys(cols);
  return {
    columns,
    numeric(name: string): Float64Array {
      const c = cols[name];
      if (!c) throw new Error(`no column ${name}`);
      return c;
    },
  };
}

export const STRATEGY_COMPONENTS = [
  'motion',
  'high_pass',
  'wm_csf',
  'global_signal',
  'compcor',
  'ica_aroma',
  'scrub',
  'non_steady_state',
] as const;
export type StrategyComponent = (typeof STRATEGY_COMPONENTS)[number];
export const EXPANSIONS = ['basic', 'power2', 'derivatives', 'full'] as const;
export type Expansion = (typeof EXPANSIONS)[number];

/** Parameters of nilearn's load_confounds (same names). */
export interface LoadConfoundsParams {
  strategy?: readonly string[];
  motion?: Expansion;
  wm_csf?: Expansion;
  global_signal?: Expansion;
  compcor?: CompcorMethod;
  n_compcor?: number | 'all';
  ica_aroma?: 'full' | 'basic';
  /** Minimal segment length kept after scrubbing; 0 = remove the flagged volumes only. */
  scrub?: number;
  fd_threshold?: number;
  std_dvars_threshold?: number;
  demean?: boolean;
}

/** nilearn 0.10.4 defaults (fd_threshold 0.2 and std_dvars_threshold 3 became 0.5 / 1.5 only in 0.13). */
export const LOAD_CONFOUNDS_DEFAULTS: Readonly<Required<LoadConfoundsParams>> = Object.freeze({
  strategy: Object.freeze(['motion', 'high_pass', 'wm_csf']) as readonly string[],
  motion: 'full',
  wm_csf: 'basic',
  global_signal: 'basic',
  compcor: 'anat_combined',
  n_compcor: 'all',
  ica_aroma: 'full',
  scrub: 5,
  fd_threshold: 0.2,
  std_dvars_threshold: 3,
  demean: true,
});

export interface ConfoundsResult {
  /** Column names, in nilearn's order. */
  names: string[];
  /** One array per name, one value per volume (all volumes, censored ones included). */
  values: Float64Array[];
  /** 0-based indices of the kept volumes, or null when no volume is removed. */
  sampleMask: Int32Array | null;
}

/** Python `sorted` order for str (by code point). */
function comparePy(a: string, b: string): number {
  const ca = Array.from(a);
  const cb = Array.from(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const d = ca[i].codePointAt(0)! - cb[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return ca.length - cb.length;
}

/** nilearn `add_suffix`: base names, then each with the suffixes of the expansion. */
function addSuffix(base: readonly string[], model: Expansion): string[] {
  const suffixes: Record<Expansion, readonly string[]> = {
    basic: [],
    derivatives: ['derivative1'],
    power2: ['power2'],
    full: ['derivative1', 'power2', 'derivative1_power2'],
  };
  const out = [...base];
  for (const b of base) for (const s of suffixes[model]) out.push(`${b}_${s}`);
  return out;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string, problems: string[]): value is T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return true;
  problems.push(`${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
  return false;
}

function finiteNumber(value: unknown, name: string, problems: string[], min = -Infinity): value is number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= min) return true;
  problems.push(`${name} must be a number${min > -Infinity ? ` >= ${min}` : ''} (got ${JSON.stringify(value)})`);
  return false;
}

function prefixed(fileName: string | undefined, msg: string): string {
  return fileName ? `${fileName}: ${msg}` : msg;
}

/** Validate the parameters the chosen strategy uses; throws one UserError listing every problem. */
function resolveParams(p: LoadConfoundsParams, fileName?: string): Required<LoadConfoundsParams> {
  const r = { ...LOAD_CONFOUNDS_DEFAULTS, ...stripUndefined(p) } as Required<LoadConfoundsParams>;
  const problems: string[] = [];
  if (!Array.isArray(r.strategy)) {
    problems.push('strategy must be a list of noise components');
  } else {
    for (const s of r.strategy) {
      if (!(STRATEGY_COMPONENTS as readonly string[]).includes(s)) {
        problems.push(`${JSON.stringify(s)} is not a supported type of confounds (one of ${STRATEGY_COMPONENTS.join(', ')})`);
      }
    }
    const has = (s: string) => r.strategy.includes(s);
    if (has('compcor') && !has('high_pass')) {
      // nilearn: fMRIPrep's CompCor is computed on high-pass filtered data, so the cosine
      // regressors must go with it.
      problems.push(`when using compcor, high_pass must be included in strategy (strategy: ${r.strategy.join(', ')})`);
    }
    if (has('motion')) oneOf(r.motion, EXPANSIONS, 'motion', problems);
    if (has('wm_csf')) oneOf(r.wm_csf, EXPANSIONS, 'wm_csf', problems);
    if (has('global_signal')) oneOf(r.global_signal, EXPANSIONS, 'global_signal', problems);
    if (has('compcor')) {
      oneOf(r.compcor, COMPCOR_METHODS, 'compcor', problems);
      if (!(r.n_compcor === 'all' || (Number.isInteger(r.n_compcor) && (r.n_compcor as number) >= 0))) {
        problems.push(`n_compcor must be "all" or an integer >= 0 (got ${JSON.stringify(r.n_compcor)})`);
      }
    }
    if (has('ica_aroma')) oneOf(r.ica_aroma, ['full', 'basic'] as const, 'ica_aroma', problems);
    if (has('scrub')) {
      finiteNumber(r.scrub, 'scrub', problems, 0);
      finiteNumber(r.fd_threshold, 'fd_threshold', problems);
      finiteNumber(r.std_dvars_threshold, 'std_dvars_threshold', problems);
    }
  }
  if (typeof r.demean !== 'boolean') problems.push(`demean must be true or false (got ${JSON.stringify(r.demean)})`);
  if (problems.length) {
    throw new UserError(prefixed(fileName, `invalid confounds strategy: ${problems.join('; ')}`), problems);
  }
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** nilearn `check_params` outcome: all present, none present, or the list of missing ones. */
function missingOf(present: ReadonlySet<string>, wanted: readonly string[]): string[] {
  return wanted.filter((c) => !present.has(c));
}

export interface LoadConfoundsOptions {
  /** Prefixed to error messages (the confounds file name). */
  fileName?: string;
}

/**
 * nilearn 0.10.4 `load_confounds` on one already-parsed confounds table.
 * @param table the confounds TSV (n/a = NaN)
 * @param meta the parsed JSON sidecar (needed for compcor), or undefined
 * @throws UserError when a parameter is invalid, a column a strategy needs is missing (the
 *   message names the columns and the strategy), or an n/a remains in a kept volume.
 */
export function loadConfounds(
  table: ConfoundTable,
  meta: Readonly<Record<string, unknown>> | undefined,
  params: LoadConfoundsParams = {},
  options: LoadConfoundsOptions = {},
): ConfoundsResult {
  const { fileName } = options;
  const p = resolveParams(params, fileName);
  const present = new Set(table.columns);
  const nScans = table.columns.length ? table.numeric(table.columns[0]).length : 0;

  const selected: string[] = [];
  const problems: string[] = [];
  /** Extra one-hot outlier regressors from scrubbing. */
  const scrubColumns: Float64Array[] = [];

  const byKeyword = (kw: string) => table.columns.filter((c) => c.includes(kw));
  // Component with a fixed list of required columns (motion, wm_csf, global_signal).
  const fixed = (component: string, setting: string, cols: string[]) => {
    const missing = missingOf(present, cols);
    if (missing.length === 0) selected.push(...cols);
    else if (missing.length === cols.length) {
      problems.push(`strategy '${component}' (${component}: ${setting}) needs the columns ${cols.join(', ')}, none of which is present`);
    } else {
      problems.push(`strategy '${component}' (${component}: ${setting}) needs missing column(s) ${missing.join(', ')}`);
    }
  };

  // Non-steady-state volumes are always detected, whatever the strategy.
  selected.push(...byKeyword('non_steady_state'));
  for (const component of new Set(p.strategy)) {
    switch (component as StrategyComponent) {
      case 'motion':
        fixed('motion', p.motion, addSuffix(['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z'], p.motion));
        break;
      case 'wm_csf':
        fixed('wm_csf', p.wm_csf, addSuffix(['csf', 'white_matter'], p.wm_csf));
        break;
      case 'global_signal':
        fixed('global_signal', p.global_signal, addSuffix(['global_signal'], p.global_signal));
        break;
      case 'high_pass':
        selected.push(...byKeyword('cosine'));
        break;
      case 'non_steady_state':
        break; // already loaded
      case 'ica_aroma':
        if (p.ica_aroma === 'basic') {
          const cols = byKeyword('aroma');
          if (cols.length) selected.push(...cols);
          else problems.push(`strategy 'ica_aroma' (ica_aroma: basic) needs columns containing "aroma", none is present`);
        }
        break;
      case 'compcor': {
        if (!meta) {
          problems.push(`strategy 'compcor' needs the confounds JSON sidecar (fMRIPrep >= 1.4), which was not found`);
          break;
        }
        let cols: string[];
        try {
          cols = findCompcorColumns(meta, p.compcor, p.n_compcor);
        } catch (e) {
          problems.push(`strategy 'compcor' (compcor: ${p.compcor}): ${(e as Error).message}`);
          break;
        }
        const missing = missingOf(present, cols);
        const setting = `compcor: ${p.compcor}, n_compcor: ${p.n_compcor}`;
        if (cols.length === 0 || missing.length === cols.length) {
          problems.push(
            cols.length === 0
              ? `strategy 'compcor' (${setting}) found no matching component in the confounds JSON`
              : `strategy 'compcor' (${setting}) needs the columns ${cols.join(', ')}, none of which is present`,
          );
        } else if (missing.length) {
          problems.push(`strategy 'compcor' (${setting}) needs missing column(s) ${missing.join(', ')}`);
        } else selected.push(...cols);
        break;
      }
      case 'scrub': {
        const missing = missingOf(present, ['framewise_displacement', 'std_dvars']);
        if (missing.length) {
          problems.push(`strategy 'scrub' needs missing column(s) ${missing.join(', ')}`);
          break;
        }
        const idx = scrubOutliers(
          table.numeric('framewise_displacement'),
          table.numeric('std_dvars'),
          p.fd_threshold,
          p.std_dvars_threshold,
          p.scrub,
        );
        for (const t of idx) scrubColumns.push(oneHot(t, nScans));
        break;
      }
    }
  }
  if (problems.length) {
    throw new UserError(
      prefixed(fileName, `confounds strategy cannot be applied: ${problems.join('; ')}`),
      problems,
    );
  }

  // Outlier regressors -> sample mask; everything else is a confound (sorted, unique).
  const isOutlier = (c: string) => c.includes('motion_outlier') || c.includes('non_steady_state');
  const outlierCols = [...new Set(selected.filter(isOutlier))].map((c) => table.numeric(c));
  const sampleMask = outliersToSampleMask([...outlierCols, ...scrubColumns], nScans);
  const names = [...new Set(selected.filter((c) => !isOutlier(c)))].sort(comparePy);
  const values = names.map((c) => Float64Array.from(table.numeric(c)));

  // fMRIPrep derivatives are n/a at the first volume: nilearn copies the second volume's value.
  if (nScans >= 2) for (const v of values) if (Number.isNaN(v[0])) v[0] = v[1];

  const kept = sampleMask ?? allIndices(nScans);
  for (let j = 0; j < names.length; j++) {
    const v = values[j];
    for (const t of kept) {
      if (Number.isNaN(v[t])) {
        throw new UserError(
          prefixed(
            fileName,
            `column ${names[j]} is n/a at row ${t + 1} (volume ${t}), a volume kept for the analysis; ` +
              'only the first row of a column may be n/a',
          ),
        );
      }
    }
  }
  if (p.demean) demean(values, sampleMask);
  return { names, values, sampleMask };
}

function allIndices(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** Mean of v over the given rows, skipping NaN (pandas / numpy nanmean); NaN if no value. */
function nanMean(v: Float64Array, rows: Int32Array | null): number {
  let s = 0;
  let n = 0;
  const len = rows ? rows.length : v.length;
  for (let i = 0; i < len; i++) {
    const x = v[rows ? rows[i] : i];
    if (!Number.isNaN(x)) {
      s += x;
      n++;
    }
  }
  return n ? s / n : NaN;
}

/**
 * nilearn `_demean_confounds`, in place. With a sample mask: subtract the mean over the kept
 * volumes from every volume. Without: sklearn `scale(with_std=False)`, i.e. subtract the mean, and
 * when the means of the result are not all within 1e-8 of 0 (np.allclose), subtract those too.
 */
function demean(values: Float64Array[], sampleMask: Int32Array | null): void {
  const sub = (v: Float64Array, m: number) => {
    for (let t = 0; t < v.length; t++) v[t] -= m;
  };
  if (sampleMask) {
    for (const v of values) sub(v, nanMean(v, sampleMask));
    return;
  }
  for (const v of values) sub(v, nanMean(v, null));
  const second = values.map((v) => nanMean(v, null));
  if (second.some((m) => !(Math.abs(m) <= 1e-8))) values.forEach((v, j) => sub(v, second[j]));
}

export type FillNa = 'zero' | 'mean' | false;

export interface SelectColumnsOptions {
  /** The confounds file, named in error messages. */
  fileName: string;
  /** What to do with n/a cells: an error (false, default), 0, or the column mean over its other rows. */
  fillNa?: FillNa;
}

/**
 * Explicit confound columns, in the order given, values as in the file (no demeaning, no
 * censoring: sampleMask is null).
 * @throws UserError naming the file and the missing columns, or the first n/a cell (column and
 *   row, 1-based data row, i.e. line row+1 of the TSV) when fillNa is false.
 */
export function selectColumns(table: ConfoundTable, names: readonly string[], options: SelectColumnsOptions): ConfoundsResult {
  const { fileName, fillNa = false } = options;
  const present = new Set(table.columns);
  const missing = names.filter((c) => !present.has(c));
  if (missing.length) {
    throw new UserError(
      `${fileName}: confound column(s) not found: ${missing.join(', ')}`,
      missing.map((c) => `${fileName}: no column ${c}`),
    );
  }
  const unique = [...new Set(names)];
  const values = unique.map((c) => Float64Array.from(table.numeric(c)));
  unique.forEach((c, j) => {
    const v = values[j];
    let nan = -1;
    for (let t = 0; t < v.length; t++) if (Number.isNaN(v[t])) { nan = t; break; }
    if (nan < 0) return;
    if (fillNa === false) {
      throw new UserError(
        `${fileName}: column ${c} is n/a at row ${nan + 1} (line ${nan + 2}); ` +
          'choose other columns or set a fill for n/a (zero or mean)',
      );
    }
    const fill = fillNa === 'zero' ? 0 : nanMean(v, null);
    if (Number.isNaN(fill)) throw new UserError(`${fileName}: column ${c} is n/a in every row`);
    for (let t = 0; t < v.length; t++) if (Number.isNaN(v[t])) v[t] = fill;
  });
  return { names: unique, values, sampleMask: null };
}
