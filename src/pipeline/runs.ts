import type { BidsRun } from '../io/bids.js';

/** `ses-a_run-1` style label of a run within its subject (used in node ids and file names). */
export function runLabel(r: BidsRun): string {
  const parts: string[] = [];
  if (r.session) parts.push(`ses-${r.session}`);
  if (r.run) parts.push(`run-${r.run}`);
  return parts.length ? parts.join('_') : `task-${r.task}`;
}

/** Node-id path of a run: `sub-01/ses-a/run-1`. */
export function runPath(r: BidsRun): string {
  return [`sub-${r.subject}`, ...(r.session ? [`ses-${r.session}`] : []), ...(r.run ? [`run-${r.run}`] : r.session ? [] : [`task-${r.task}`])].join('/');
}
