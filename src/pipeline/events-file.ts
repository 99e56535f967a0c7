/**
 * Reading a BIDS events file: the TSV (src/io) checked and turned into the design's EventsTable
 * (src/stats/design/events.ts). In src/pipeline because it joins the two (IO never imports stats).
 */
import { readTsv, parseNumberCell, type Table } from '../io/tsv.js';
import { eventsFromColumns, type EventsTable } from '../stats/design/events.js';
import { UserError } from '../errors.js';

/** At most this many bad cells are listed in one message. */
const MAX_LISTED = 10;

/**
 * Reads a BIDS `_events.tsv` into an EventsTable (onset, duration, trial_type,
 * optional modulation). Problems are UserErrors naming the file, line and column.
 *
 * As nilearn (which reads the file with pandas, so 'n/a' is NaN):
 * - events whose trial_type is n/a are dropped (nilearn's groupby over trial_type drops NaN
 *   keys), with a warning giving how many (also returned alone as `dropped`);
 * - without a trial_type column every event is condition 'dummy' (with a warning);
 * - onset and duration must be numbers in every row (nilearn refuses NaN), and a duration
 *   must not be negative (an event cannot end before it starts).
 */
export async function readEvents(path: string): Promise<{ table: EventsTable; warnings: string[]; dropped?: string }> {
  const t = await readTsv(path);
  const known = new Set(['onset', 'duration', 'trial_type', 'modulation']);
  const cellProblems = [...checkTimingColumn(t, 'onset'), ...checkTimingColumn(t, 'duration')];
  if (cellProblems.length) {
    const shown = cellProblems.slice(0, MAX_LISTED);
    if (cellProblems.length > MAX_LISTED) shown.push(`${path}: ... and ${cellProblems.length - MAX_LISTED} more`);
    throw new UserError(shown.length === 1 ? shown[0] : `${path}: ${cellProblems.length} invalid onset/duration cells`, shown);
  }

  // Rows kept: all, unless trial_type is n/a (nilearn drops those events).
  const trialRaw = t.has('trial_type') ? t.raw('trial_type') : undefined;
  const keep: number[] = [];
  for (let r = 0; r < t.nRows; r++) if (!trialRaw || trialRaw[r] !== null) keep.push(r);
  const warnings: string[] = [];
  let droppedNote: string | undefined;
  if (trialRaw && keep.length < t.nRows) {
    const dropped = t.nRows - keep.length;
    droppedNote =
      `dropped ${dropped} of ${t.nRows} event${t.nRows === 1 ? '' : 's'} whose trial_type is n/a (as nilearn does)` +
      (keep.length === 0 ? '; no event is left, so the design has no condition column' : '');
    warnings.push(droppedNote);
  }
  const pick = (a: Float64Array) => Float64Array.from(keep, (r) => a[r]);
  const check = eventsFromColumns({
    onset: t.has('onset') ? pick(t.numeric('onset')) : undefined,
    duration: t.has('duration') ? pick(t.numeric('duration')) : undefined,
    trialType: trialRaw ? keep.map((r) => trialRaw[r] as string) : undefined,
    modulation: t.has('modulation') ? pick(t.numeric('modulation')) : undefined,
    otherColumns: t.columns.filter((c) => !known.has(c)),
  });
  if (!check.table) {
    throw new UserError(`${path}: invalid events file (columns: ${t.columns.join(', ')})`, check.errors);
  }
  warnings.push(...check.warnings.filter((w) => !w.startsWith('The following unexpected columns')));
  return { table: check.table, warnings, ...(droppedNote ? { dropped: droppedNote } : {}) };
}

/** One problem per bad cell of an onset / duration column: missing, not a number, negative duration. */
function checkTimingColumn(t: Table, col: 'onset' | 'duration'): string[] {
  if (!t.has(col)) return []; // a missing column is reported by eventsFromColumns
  const cells = t.raw(col);
  const out: string[] = [];
  for (let r = 0; r < cells.length; r++) {
    const at = `${t.file}: line ${t.line(r)} (event row ${r + 1}), column '${col}'`;
    const v = parseNumberCell(cells[r]);
    if (v === undefined) out.push(`${at}: '${cells[r]}' is not a number; expected seconds`);
    else if (Number.isNaN(v)) out.push(`${at}: the value is missing (${cells[r] === null ? 'n/a' : `'${cells[r]}'`}); every event needs its ${col} in seconds`);
    else if (!Number.isFinite(v)) out.push(`${at}: '${cells[r]}' is not a finite number of seconds`);
    else if (col === 'duration' && v < 0) out.push(`${at}: negative duration ${cells[r]}; expected a duration >= 0 seconds`);
  }
  return out;
}
