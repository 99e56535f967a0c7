import type { Graph, Json, NodeDefinition, PlanEntry, PlannedNode, RunReason } from './types.js';
import { Cache, type NodeRecord } from './cache.js';
import { FileHasher } from './file-hash.js';
import type { VerifiedEntries } from './verified-entries.js';
import pLimit from 'p-limit';
import { canonicalJson, hashJson } from './canonical.js';
import { depIds, topologicalOrder } from './graph.js';

export type Registry = Record<string, NodeDefinition>;

export interface Plan {
  order: PlannedNode[];
  entries: Map<string, PlanEntry>;
  records: Map<string, NodeRecord>;
}

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
/** Input files hashed at once, and cache entries checked at once. */
const HASH_CONCURRENCY = 4;
const CHECK_CONCURRENCY = 8;

/**
 * Computes every node's key (wireit-style fingerprint) and whether its cache entry
 * can be used:
 *   key = sha256(canonical {type, version, params, dep keys, file content hashes})
 * Paths and modification times never enter a key. A cached entry counts only if it
 * reads back and verifies, or (`verified`) has the stat it had when it was last known whole;
 * side-effect nodes also need their outputs intact.
 *
 * Keys are computed in graph order (a key needs its inputs' keys); the cache is then
 * consulted for all nodes, a few at a time (file reads overlap).
 */
export async function planGraph(
  graph: Graph,
  opts: { registry: Registry; cache: Cache; hasher: FileHasher; useCache: boolean; verified?: VerifiedEntries },
): Promise<Plan> {
  const order = topologicalOrder(graph);
  const keys = new Map<string, string>();
  const entries = new Map<string, PlanEntry>();
  const records = new Map<string, NodeRecord>();

  // Hash every input file up front, a few at a time: the reads of large BOLD series overlap
  // (the hasher memoises, so the loop below finds them done), while the memory held by reads
  // in flight (up to 4 MB each) stays the same for 2 runs or 240. The first failure in
  // graph order is reported, as the sequential loop would.
  const allPaths = [...new Set(order.flatMap((n) => Object.values(n.files).flatMap((p) => asList(p))))];
  const hashing = pLimit(HASH_CONCURRENCY);
  const hashed = await Promise.allSettled(allPaths.map((p) => hashing(() => opts.hasher.hash(p))));
  const failed = hashed.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;

  for (const node of order) {
    const def = opts.registry[node.type];
    if (!def) throw new Error(`no node type '${node.type}' (node ${node.id})`);
    const deps: Record<string, string | string[]> = {};
    for (const [name, ids] of Object.entries(node.deps)) {
      deps[name] = Array.isArray(ids) ? ids.map((i) => keys.get(i)!) : keys.get(ids)!;
    }
    const files: Record<string, { path: string; hash: string }[]> = {};
    for (const [name, paths] of Object.entries(node.files)) {
      files[name] = [];
      for (const p of asList(paths)) files[name].push({ path: p, hash: await opts.hasher.hash(p) });
    }
    const fileHashes = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.map((f) => f.hash)]));
    const key = hashJson({ type: node.type, version: def.version, params: node.params, deps, files: fileHashes });
    keys.set(node.id, key);
    records.set(node.id, { id: node.id, key, type: node.type, version: def.version, params: node.params, deps, depIds: node.deps, files });
  }
  const limit = pLimit(CHECK_CONCURRENCY);
  const statuses = await Promise.all(order.map((node) => limit(() => cacheStatus(node.id))));
  order.forEach((node, i) => {
    const { status, reason } = statuses[i];
    entries.set(node.id, {
      id: node.id, type: node.type, stage: node.stage, subject: node.subject, label: node.label,
      key: keys.get(node.id)!, status, reason, deps: [...new Set(depIds(node))],
    });
  });

  /** Whether a node's entry can be used, and why not. */
  async function cacheStatus(id: string): Promise<{ status: 'cached' | 'run'; reason?: RunReason }> {
    if (!opts.useCache) return { status: 'run', reason: { kind: 'no-cache', detail: '--no-cache' } };
    const record = records.get(id)!;
    const key = record.key;
    const def = opts.registry[record.type];
    // a large entry that did not change since it was known whole is not read again
    if (!def.outputsProblem && (await opts.verified?.intact(key))) return { status: 'cached' };
    const read = await opts.cache.read(key);
    if (read.ok) {
      await opts.verified?.record(key);
      const problem = def.outputsProblem ? await def.outputsProblem(read.artifact) : undefined;
      if (problem) return { status: 'run', reason: { kind: 'outputs-missing', detail: `written outputs are damaged or missing: ${problem}` } };
      return { status: 'cached' };
    }
    opts.verified?.forget(key);
    if (read.reason === 'corrupt') {
      return { status: 'run', reason: { kind: 'corrupt-entry', detail: `cache entry ${key.slice(0, 12)} is corrupt (${read.detail}); recomputing` } };
    }
    return { status: 'run', reason: explain(record, await opts.cache.readNodeRecord(id)) };
  }
  await opts.hasher.save();
  return { order, entries, records };
}

/** Why a node whose key has no cache entry must run, by comparison with its last run. */
export function explain(now: NodeRecord, last: NodeRecord | undefined): RunReason {
  if (!last) return { kind: 'new', detail: 'never computed' };
  if (last.key === now.key) return { kind: 'new', detail: 'cache entry was removed' };
  if (last.version !== now.version) return { kind: 'version-changed', detail: `implementation ${last.version} -> ${now.version}` };
  for (const [name, keys] of Object.entries(now.deps)) {
    if (canonicalJson(keys) !== canonicalJson(last.deps[name])) {
      const ids = asList(now.depIds[name]);
      const lastKeys = asList(last.deps[name] ?? []);
      const changed = ids.filter((_, i) => asList(keys)[i] !== lastKeys[i]);
      return { kind: 'input-changed', detail: `input '${name}' changed: ${(changed.length ? changed : ids).join(', ')}` };
    }
  }
  for (const [name, files] of Object.entries(now.files)) {
    const before = last.files[name] ?? [];
    const changed = files.filter((f, i) => before[i]?.hash !== f.hash).map((f) => f.path);
    if (changed.length || before.length !== files.length) return { kind: 'file-changed', detail: `file content changed: ${(changed.length ? changed : files.map((f) => f.path)).join(', ')}` };
  }
  const diff = changedParams(now.params, last.params);
  return { kind: 'params-changed', detail: diff.length ? `parameters changed: ${diff.join(', ')}` : 'parameters changed' };
}

function changedParams(a: Json, b: Json, prefix = ''): string[] {
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: string[] = [];
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      out.push(...changedParams((a as any)[k] ?? null, (b as any)[k] ?? null, prefix ? `${prefix}.${k}` : k));
    }
    return out;
  }
  return canonicalJson(a) === canonicalJson(b) ? [] : [prefix || '(all)'];
}
