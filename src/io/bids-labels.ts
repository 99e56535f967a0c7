/**
 * BIDS label comparison: labels are compared exactly, except that two purely numeric labels
 * are also equal when they are the same integer, so a requested run "01" selects run-1 and
 * subject "1" selects sub-01; "1a" and "01a" differ. A label keeps its spelling everywhere
 * else (run-01 stays run-01 in output names).
 */

/** Subject label without the 'sub-' prefix ("sub-01" -> "01", "01" -> "01"). */
export function subjectLabel(id: string): string {
  const s = id.trim();
  return s.startsWith('sub-') ? s.slice(4) : s;
}

/** BIDS label equality, plus integer equality of two numeric labels ("1" == "01"). */
export function sameLabel(a: string, b: string): boolean {
  if (a === b) return true;
  return /^\d+$/.test(a) && /^\d+$/.test(b) && Number(a) === Number(b);
}

/** Label order: numeric labels as integers, otherwise as strings; undefined first. */
export function compareLabels(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  if (/^\d+$/.test(a) && /^\d+$/.test(b) && Number(a) !== Number(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}
