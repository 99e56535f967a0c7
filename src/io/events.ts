import { readTsv } from './tsv.js';
import { eventsFromColumns, type EventsTable } from '../stats/design/events.js';
import { UserError } from '../errors.js';

/**
 * Reads a BIDS `_events.tsv` into an EventsTable (onset, duration, trial_type,
 * optional modulation). Problems are UserErrors naming the file and column.
 */
export async function readEvents(path: string): Promise<{ table: EventsTable; warnings: string[] }> {
  const t = await readTsv(path);
  const known = new Set(['onset', 'duration', 'trial_type', 'modulation']);
  const check = eventsFromColumns({
    onset: t.has('onset') ? t.numeric('onset') : undefined,
    duration: t.has('duration') ? t.numeric('duration') : undefined,
    trialType: t.has('trial_type') ? t.raw('trial_type').map((v) => v ?? 'n/a') : undefined,
    modulation: t.has('modulation') ? t.numeric('modulation') : undefined,
    otherColumns: t.columns.filter((c) => !known.has(c)),
  });
  if (!check.table) {
    throw new UserError(`${path}: invalid events file (columns: ${t.columns.join(', ')})`, check.errors);
  }
  return { table: check.table, warnings: check.warnings.filter((w) => !w.startsWith('The following unexpected columns')) };
}
