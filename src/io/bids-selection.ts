/**
 * Choosing one BOLD file per run among the variants BIDS allows (echo-, acq-, rec-, dir-,
 * part-, ce-, space-, res-, desc-, ...): the spec keys that select each entity, matching a
 * file against them, and the message when several files remain for one run.
 */
import { sameLabel } from './bids-labels.js';

/** Entities that identify a run of a subject (the run key); every other entity selects a variant. */
export const RUN_KEY_ENTITIES = ['sub', 'ses', 'task', 'run'] as const;

/** Entities with a spec key of their own (not in data.filters). */
export const OWN_KEY_ENTITIES = new Set(['sub', 'ses', 'task', 'run', 'space', 'desc']);

/** The spec key that chooses a value of `entity`. */
export function selectingKey(entity: string): string {
  if (entity === 'space') return 'data.space';
  if (entity === 'desc') return 'data.desc';
  if (entity === 'run') return 'data.runs';
  if (entity === 'ses') return 'data.sessions';
  return `data.filters.${entity}`;
}

/** One selection criterion: the entity must be present with this label. */
export interface EntityCriterion {
  entity: string;
  value: string;
}

/**
 * The first criterion a file fails (undefined when it passes all). `found` collects, per
 * entity, the values seen among files that passed the criteria before it, for messages.
 */
export function failedCriterion(
  ents: Record<string, string>,
  criteria: readonly EntityCriterion[],
  found: Map<string, Set<string>>,
): EntityCriterion | undefined {
  for (const c of criteria) {
    const v = ents[c.entity];
    const seen = found.get(c.entity) ?? found.set(c.entity, new Set()).get(c.entity)!;
    seen.add(v ?? '(none)');
    if (v === undefined || !sameLabel(v, c.value)) return c;
  }
  return undefined;
}

/** Key of the run a file belongs to: sub, ses, task, run. */
export function runKey(ents: Record<string, string>): string {
  return JSON.stringify(RUN_KEY_ENTITIES.map((k) => ents[k] ?? null));
}

/** Human name of a run: `sub-01 ses-2 task-x run-01`. */
export function runName(ents: Record<string, string>): string {
  return RUN_KEY_ENTITIES.filter((k) => ents[k] !== undefined).map((k) => `${k}-${ents[k]}`).join(' ');
}

/**
 * The message for several BOLD files left for one run: each entity whose value differs
 * among them, the values found and the spec key that chooses.
 */
export function duplicateMessage(files: readonly { name: string; ents: Record<string, string> }[]): string {
  const keys = new Set<string>();
  for (const f of files) for (const k of Object.keys(f.ents)) if (k !== 'suffix' && k !== 'extension') keys.add(k);
  const differing = [...keys].filter((k) => new Set(files.map((f) => f.ents[k] ?? '(none)')).size > 1);
  const parts = differing.map((k) => {
    const values = [...new Set(files.map((f) => f.ents[k] ?? '(none)'))].sort();
    return `${k} (values found: ${values.join(', ')}; choose one with ${selectingKey(k)})`;
  });
  const what = parts.length ? `differ in ${parts.join(' and in ')}` : `differ only in extension (${files.map((f) => f.name).join(', ')}); keep one of them`;
  return `${runName(files[0].ents)}: ${files.length} BOLD files for one run ${what}`;
}
