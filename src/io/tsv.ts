/**
 * Tab-separated tables (BIDS events, confounds, participants; our design matrices).
 *
 * Parsing uses papaparse with delimiter '\t' and keeps the table column-wise.
 * BIDS marks missing values with 'n/a'; raw() returns them (and empty cells) as null,
 * numeric() as NaN. numeric() also accepts the missing-value tokens pandas' read_csv turns into
 * NaN ('NaN', 'NA', 'null', ...) and 'inf' / 'Infinity', since nilearn reads these files with
 * pandas. Every problem is a UserError naming the file, the line and the column.
 */
import { readTextFile } from './text.js';
import Papa from 'papaparse';
import { UserError } from '../errors.js';
import { writeFileAtomic, type WrittenFile } from './atomic.js';

export interface Table {
  /** The file the table came from (used in messages). */
  file: string;
  columns: string[];
  nRows: number;
  /** Cell strings of a column; 'n/a' and '' are null. */
  raw(col: string): (string | null)[];
  /** A column as numbers; missing cells are NaN; a non-numeric cell is a UserError naming file, column and row. */
  numeric(col: string): Float64Array;
  has(col: string): boolean;
  /** 1-based line number in the file of data row `row` (0-based). */
  line(row: number): number;
  /** True when every non-missing cell of the column is a number. */
  isNumeric(col: string): boolean;
}

/** Tokens read as NaN by numeric() (pandas' default na_values, plus BIDS 'n/a'). */
const NA_TOKENS = new Set([
  'n/a', 'N/A', 'NA', 'na', '<NA>', 'NaN', 'nan', '-NaN', '-nan', 'NULL', 'null', 'None',
  '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '1.#IND', '1.#QNAN',
]);
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INF = /^([+-]?)(inf|infinity)$/i;

/** Number value of a cell, NaN for a missing cell, undefined when the cell is not a number. */
export function parseNumberCell(cell: string | null): number | undefined {
  if (cell === null) return NaN;
  const s = cell.trim();
  if (s === '' || NA_TOKENS.has(s)) return NaN;
  if (DECIMAL.test(s)) return Number(s);
  const m = INF.exec(s);
  if (m) return m[1] === '-' ? -Infinity : Infinity;
  return undefined;
}

function isMissing(cell: string): boolean {
  return cell === '' || cell === 'n/a';
}

/** Parse TSV text; `fileName` names the source in error messages. */
export function parseTsv(text: string, fileName: string): Table {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // UTF-8 byte order mark
  const parsed = Papa.parse<string[]>(text, { delimiter: '\t', header: false, skipEmptyLines: false });
  // papaparse reports structural problems (e.g. an unclosed quote) in `errors`.
  const fatal = parsed.errors.filter((e) => e.type === 'Quotes');
  if (fatal.length > 0) {
    const e = fatal[0];
    throw new UserError(`${fileName}: line ${(e.row ?? 0) + 1}: ${e.message}`);
  }
  // Line numbers: row i of papaparse is line i + 1 (BIDS tables have no quoted newlines).
  const lines = parsed.data;
  const blank = (r: string[]) => r.length === 0 || (r.length === 1 && r[0].trim() === '');
  let h = 0;
  while (h < lines.length && blank(lines[h])) h++;
  if (h === lines.length) throw new UserError(`${fileName}: empty table (no header line)`);
  const columns = lines[h].map((c) => c.trim());
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new UserError(`${fileName}: line ${h + 1}: duplicate column name '${c}'`);
    seen.add(c);
  }

  const cells: (string | null)[][] = columns.map(() => []);
  const lineOf: number[] = []; // line number of each data row
  const problems: string[] = [];
  for (let i = h + 1; i < lines.length; i++) {
    const r = lines[i];
    if (blank(r)) continue; // blank lines (typically the trailing newline) carry no row
    if (r.length !== columns.length) {
      problems.push(`${fileName}: line ${i + 1} has ${r.length} fields, expected ${columns.length} (the header has ${columns.length} columns)`);
      continue;
    }
    for (let c = 0; c < r.length; c++) cells[c].push(isMissing(r[c]) ? null : r[c]);
    lineOf.push(i + 1);
  }
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more line(s))` : '';
    throw new UserError(problems[0] + more, problems);
  }

  const index = new Map(columns.map((c, i) => [c, i]));
  const numericCache = new Map<string, Float64Array>();
  const colIndex = (col: string): number => {
    const i = index.get(col);
    if (i === undefined) throw new UserError(`${fileName}: no column '${col}' (columns: ${columns.join(', ')})`);
    return i;
  };

  return {
    file: fileName,
    columns,
    nRows: lineOf.length,
    has: (col) => index.has(col),
    line: (row) => lineOf[row],
    raw: (col) => cells[colIndex(col)].slice(),
    numeric(col) {
      const cached = numericCache.get(col);
      if (cached) return cached.slice();
      const src = cells[colIndex(col)];
      const out = new Float64Array(src.length);
      for (let r = 0; r < src.length; r++) {
        const v = parseNumberCell(src[r]);
        if (v === undefined) {
          throw new UserError(`${fileName}: column '${col}' row ${r + 1} (line ${lineOf[r]}): '${src[r]}' is not a number`);
        }
        out[r] = v;
      }
      numericCache.set(col, out);
      return out.slice();
    },
    isNumeric(col) {
      return cells[colIndex(col)].every((c) => parseNumberCell(c) !== undefined);
    },
  };
}

/** Read and parse a TSV file. */
export async function readTsv(path: string): Promise<Table> {
  let text: string;
  try {
    text = await readTextFile(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${path}: file not found`);
    if (code === 'EISDIR') throw new UserError(`${path}: is a directory, expected a .tsv file`);
    throw new UserError(`${path}: cannot read (${(e as Error).message})`);
  }
  return parseTsv(text, path);
}

/**
 * One cell as text: numbers at full precision (shortest round-trip form, like Python's repr),
 * NaN / null / undefined as 'n/a', infinities as 'inf' / '-inf' (as pandas writes them).
 */
export function formatTsvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return 'n/a';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'n/a';
    if (v === Infinity) return 'inf';
    if (v === -Infinity) return '-inf';
    return String(v);
  }
  if (/[\t\r\n]/.test(v)) throw new Error(`TSV cell contains a tab or newline: ${JSON.stringify(v)}`);
  return v;
}

/** The TSV text of a table (header line + one line per row, '\n' line ends, trailing newline). */
export function formatTsv(columns: string[], rows: (string | number | null)[][]): string {
  const lines = [columns.map((c) => formatTsvCell(c)).join('\t')];
  for (let r = 0; r < rows.length; r++) {
    if (rows[r].length !== columns.length) {
      throw new Error(`formatTsv: row ${r + 1} has ${rows[r].length} cells, expected ${columns.length}`);
    }
    lines.push(rows[r].map(formatTsvCell).join('\t'));
  }
  return lines.join('\n') + '\n';
}

/** Write a TSV file atomically (temporary file + rename), creating parent folders. */
export async function writeTsv(path: string, columns: string[], rows: (string | number | null)[][]): Promise<WrittenFile> {
  return writeFileAtomic(path, [Buffer.from(formatTsv(columns, rows), 'utf8')]);
}
