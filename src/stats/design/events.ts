/**
 * The experimental paradigm (BIDS events) as column arrays, with the checks nilearn 0.10.4
 * applies in `check_events` / `handle_modulation_of_duplicate_events`.
 * The IO layer parses the TSV; this module only validates and normalises the columns.
 */

export interface EventsTable {
  onset: Float64Array;
  duration: Float64Array;
  trialType: string[];
  /** Per-event amplitude; 1 when absent. */
  modulation?: Float64Array;
}

/** Columns as read from an events file; missing columns are undefined. */
export interface RawEventColumns {
  onset?: ArrayLike<number>;
  duration?: ArrayLike<number>;
  trialType?: string[];
  modulation?: ArrayLike<number>;
  /** Names of any other columns present in the file (nilearn warns that they are ignored). */
  otherColumns?: string[];
}

export interface EventsCheck {
  /** The table, or null when `errors` is non-empty. */
  table: EventsTable | null;
  /** Problems that make the events unusable (nilearn raises ValueError for these). */
  errors: string[];
  /** What nilearn warns about (missing trial_type, null durations, ignored columns). */
  warnings: string[];
}

/**
 * Build an EventsTable from raw columns: 'onset' and 'duration' are required and must not
 * hold NaN; a missing 'trial_type' becomes 'dummy' for every event (with a warning).
 */
export function eventsFromColumns(raw: RawEventColumns): EventsCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (raw.onset === undefined) errors.push('The provided events data has no onset column.');
  if (raw.duration === undefined) errors.push('The provided events data has no duration column.');
  if (errors.length) return { table: null, errors, warnings };
  const n = raw.onset!.length;
  let trialType = raw.trialType;
  if (trialType === undefined) {
    warnings.push("'trial_type' column not found in the given events data.");
    trialType = new Array<string>(n).fill('dummy');
  }
  const table: EventsTable = {
    onset: Float64Array.from(raw.onset!),
    duration: Float64Array.from(raw.duration!),
    trialType: trialType.slice(),
  };
  if (raw.modulation !== undefined) table.modulation = Float64Array.from(raw.modulation);
  if (raw.otherColumns && raw.otherColumns.length) {
    warnings.push(`The following unexpected columns in events data will be ignored: ${raw.otherColumns.join(', ')}`);
  }
  errors.push(...validateEvents(table));
  if (errors.length) return { table: null, errors, warnings };
  warnings.push(...eventsWarnings(table));
  return { table, errors, warnings };
}

/** Problems that make a table unusable; empty when it is valid. */
export function validateEvents(ev: EventsTable): string[] {
  const problems: string[] = [];
  const n = ev.onset.length;
  if (ev.duration.length !== n) problems.push(`duration has ${ev.duration.length} values, onset has ${n}.`);
  if (ev.trialType.length !== n) problems.push(`trial_type has ${ev.trialType.length} values, onset has ${n}.`);
  if (ev.modulation && ev.modulation.length !== n) {
    problems.push(`modulation has ${ev.modulation.length} values, onset has ${n}.`);
  }
  const nanRows = (a: Float64Array) => {
    const rows: number[] = [];
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) rows.push(i);
    return rows;
  };
  for (const [name, col] of [
    ['onset', ev.onset],
    ['duration', ev.duration],
    ['modulation', ev.modulation],
  ] as const) {
    if (!col) continue;
    const bad = nanRows(col);
    if (bad.length) {
      problems.push(
        `The following column must not contain nan values: ${name} (event rows ${bad
          .slice(0, 10)
          .map((r) => r + 1)
          .join(', ')}${bad.length > 10 ? ', ...' : ''})`,
      );
    }
  }
  for (let i = 0; i < ev.trialType.length; i++) {
    if (typeof ev.trialType[i] !== 'string') {
      problems.push(`trial_type of event row ${i + 1} is not a string.`);
      break;
    }
  }
  return problems;
}

/** nilearn's warning for conditions that contain events of duration 0 (modelled as delta functions). */
export function eventsWarnings(ev: EventsTable): string[] {
  const nullDur = new Set<string>();
  for (let i = 0; i < ev.duration.length; i++) if (ev.duration[i] === 0) nullDur.add(ev.trialType[i]);
  if (nullDur.size === 0) return [];
  const list = [...nullDur].sort(compareCodePoints).map((c) => `- '${c}'\n`).join('');
  return [`The following conditions contain events with null duration:\n${list}`];
}

/**
 * Merge events with the same (trial_type, onset, duration), summing their modulation
 * (nilearn groups with pandas groupby(sort=False): first-appearance order is kept).
 */
export function mergeDuplicateEvents(ev: EventsTable): { table: EventsTable; warnings: string[] } {
  const n = ev.onset.length;
  const index = new Map<string, number>();
  const onset: number[] = [];
  const duration: number[] = [];
  const trialType: string[] = [];
  const modulation: number[] = [];
  for (let i = 0; i < n; i++) {
    const key = JSON.stringify([ev.trialType[i], ev.onset[i], ev.duration[i]]);
    const m = ev.modulation ? ev.modulation[i] : 1;
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, onset.length);
      onset.push(ev.onset[i]);
      duration.push(ev.duration[i]);
      trialType.push(ev.trialType[i]);
      modulation.push(m);
    } else {
      modulation[at] += m;
    }
  }
  const warnings =
    onset.length !== n
      ? ['Duplicated events were detected. Amplitudes of these events will be summed. You might want to verify your inputs.']
      : [];
  return {
    table: {
      onset: Float64Array.from(onset),
      duration: Float64Array.from(duration),
      trialType,
      modulation: Float64Array.from(modulation),
    },
    warnings,
  };
}

/** Order of numpy.unique on strings (Unicode code points), not locale order. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
}

/** The sorted distinct conditions (numpy.unique order). */
export function conditionNames(ev: EventsTable): string[] {
  return [...new Set(ev.trialType)].sort(compareCodePoints);
}
