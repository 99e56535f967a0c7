import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Artifact, ArraySelection, NodeDefinition, NodeInputs } from './types.js';
import type { NodeRecord } from './cache.js';
import { Cache } from './cache.js';
import type { EntryStat } from './verified-entries.js';
import { isUserError } from '../errors.js';
import { releaseTemporary, trackTemporary } from '../io/temporaries.js';

/**
 * Everything a node run needs, as plain data: it can cross a worker-thread
 * boundary today and a cluster scheduler tomorrow. Inputs are cache keys.
 */
export interface NodeJob {
  id: string;
  type: string;
  key: string;
  params: unknown;
  /** input name -> cache key(s) of upstream artifacts */
  deps: Record<string, string | string[]>;
  files: Record<string, string | string[]>;
  cacheRoot: string;
  record: NodeRecord;
  /**
   * Input entries known whole (written by a node of this run, or verified), with the stat
   * their file had then: read without checksumming while the file still has it (verified-entries.ts).
   */
  intactInputs?: Record<string, EntryStat>;
}

/**
 * An error as plain data (it crosses worker threads and, later, cluster jobs).
 * `kind: 'user'` = a UserError (the user can fix it: shown without a stack trace);
 * `'internal'` = a bug or an unexpected fault. `missingKeys`: cache entries that vanished (MissingInputError).
 */
export interface SerializedError { name: string; message: string; kind: 'user' | 'internal'; stack?: string; problems?: string[]; missingKeys?: string[] }

/**
 * An input entry is missing or damaged (e.g. pruned by another process during the run):
 * the executor recomputes the node that produced it and tries again.
 */
export class MissingInputError extends Error {
  constructor(message: string, readonly missingKeys: string[]) {
    super(message);
    this.name = 'MissingInputError';
  }
}

export function serializeError(e: unknown): SerializedError {
  if (isUserError(e)) return { name: e.name, kind: 'user', message: e.message, problems: e.problems.length ? e.problems : undefined };
  if (e instanceof Error) return { name: e.name, kind: 'internal', message: e.message, stack: e.stack, problems: (e as any).problems, missingKeys: (e as any).missingKeys };
  return { name: 'Error', kind: 'internal', message: String(e) };
}

/** Thrown inside a job when its run was interrupted (AbortSignal). */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}

/** What a running node tells the outside world while it runs. */
export interface JobReporter {
  progress(fraction: number, message?: string): void;
  warn(message: string): void;
  /** A scheduler job now holds the node (SLURM: job id and state such as PENDING, RUNNING). */
  state?(job: string, state: string): void;
}

/** Read inputs from the cache, run the node, write its artifact. Returns seconds spent. */
export async function executeJob(job: NodeJob, def: NodeDefinition, report: JobReporter, signal: AbortSignal): Promise<number> {
  const started = performance.now();
  const cache = new Cache(job.cacheRoot);
  const nodes: Record<string, Artifact | Artifact[]> = {};
  const lazy: NodeInputs['lazy'] = {};
  const read = async (name: string, key: string, select?: ArraySelection): Promise<Artifact> => {
    const known = job.intactInputs?.[key];
    const r = select ? await cache.readSelected(key, select, known) : await cache.read(key, known);
    if (!r.ok) throw new MissingInputError(`input '${name}' (entry ${key.slice(0, 12)}) is ${r.reason}${r.detail ? `: ${r.detail}` : ''}`, [key]);
    return r.artifact;
  };
  const streamed = new Set(def.streamedInputs ?? []);
  for (const [name, keys] of Object.entries(job.deps)) {
    if (streamed.has(name)) lazy[name] = (Array.isArray(keys) ? keys : [keys]).map((key) => (select?: ArraySelection) => read(name, key, select));
  }
  // All other inputs are read concurrently (file reads overlap; each is verified as it arrives).
  const inputs = Object.entries(job.deps).filter(([name]) => !streamed.has(name)).map(async ([name, keys]) => {
    const list = Array.isArray(keys) ? keys : [keys];
    const loaded = await Promise.all(list.map((key) => read(name, key)));
    nodes[name] = Array.isArray(keys) ? loaded : loaded[0];
  });
  const settled = await Promise.allSettled(inputs);
  const failed = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
  if (failed.length && failed.every((e) => e instanceof MissingInputError)) {
    // report every vanished input at once, so they are recomputed together
    throw new MissingInputError(failed.map((e) => e.message).join('; '), failed.flatMap((e) => e.missingKeys));
  }
  if (failed.length) throw failed.find((e) => !(e instanceof MissingInputError));
  if (signal.aborted) throw new InterruptedError();
  const scratchDir = trackTemporary(await mkdtemp(join(tmpdir(), 'glmflow-node-')));
  try {
    const artifact = await def.run({ progress: (f, m) => report.progress(f, m), warn: (m) => report.warn(m), signal, scratchDir }, job.params, { nodes, files: job.files, keys: job.deps, lazy });
    // An interrupted node stores nothing: only finished nodes are cached.
    if (signal.aborted) throw new InterruptedError();
    const seconds = (performance.now() - started) / 1000;
    await cache.write(job.key, artifact, { node: job.id, type: job.type, seconds });
    await cache.writeNodeRecord(job.record);
    return seconds;
  } finally {
    await rm(scratchDir, { recursive: true, force: true });
    releaseTemporary(scratchDir);
  }
}
