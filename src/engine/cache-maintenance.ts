/**
 * `cache prune` and `cache clear`: both act only on a folder that is a cache (cache-folder.ts)
 * and never remove what a live run (cache-leases.ts) may read or is writing.
 */
import { Cache } from './cache.js';
import { requireCacheFolder } from './cache-folder.js';
import { describeLease, liveLeases } from './cache-leases.js';
import { UserError } from '../errors.js';

/** Entries written within this long before a live run started are also spared (clock skew, rename order). */
const SLACK_MS = 5_000;

export interface PruneResult {
  removed: number;
  bytes: number;
  temporaries: number;
  /** Stale entries kept because a live run may use them. */
  spared: number;
  liveRuns: number;
  /** No cache at that path (nothing done). */
  missing: boolean;
}

/**
 * Removes the entries no node's latest run produced, and temporaries of interrupted writes.
 * Spared: entries in the plan of a live run, entries younger than the oldest live run (it may
 * have written them), everything while a live run is still planning (its keys are not known
 * yet), and temporaries of live runs.
 */
export async function pruneCache(root: string): Promise<PruneResult> {
  const result: PruneResult = { removed: 0, bytes: 0, temporaries: 0, spared: 0, liveRuns: 0, missing: false };
  if (!(await requireCacheFolder(root, 'prune'))) return { ...result, missing: true };
  const cache = new Cache(root);
  const leases = await liveLeases(root);
  result.liveRuns = leases.length;
  const planning = leases.some((l) => l.keys === null);
  const leased = new Set(leases.flatMap((l) => l.keys ?? []));
  const oldestStart = leases.length ? Math.min(...leases.map((l) => l.started)) - SLACK_MS : Infinity;
  const current = await cache.currentKeys();
  for (const e of await cache.list()) {
    if (current.has(e.key)) continue;
    if (planning || leased.has(e.key) || e.mtimeMs >= oldestStart) {
      result.spared++;
      continue;
    }
    await cache.remove(e.key);
    result.removed++;
    result.bytes += e.bytes;
  }
  const livePids = new Set(leases.map((l) => l.pid));
  result.temporaries = await cache.removeTemporaries((pid, mtimeMs) => livePids.has(pid) || mtimeMs >= oldestStart);
  return result;
}

/** Removes every entry; refused while a run holds a live lease (its entries would vanish under it). */
export async function clearCache(root: string): Promise<boolean> {
  if (!(await requireCacheFolder(root, 'clear'))) return false;
  const leases = await liveLeases(root);
  if (leases.length) {
    throw new UserError(
      `${root}: not cleared, ${leases.length} run${leases.length > 1 ? 's are' : ' is'} using this cache (${leases.map(describeLease).join('; ')}); wait for ${leases.length > 1 ? 'them' : 'it'} to finish or stop ${leases.length > 1 ? 'them' : 'it'}`,
    );
  }
  await new Cache(root).clear();
  return true;
}
