import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EventListener, Graph } from './types.js';
import { Cache } from './cache.js';
import { CacheLease } from './cache-leases.js';
import { FileHasher } from './file-hash.js';
import { planGraph, type Plan, type Registry } from './planner.js';
import { executePlan, type ExecutionSummary } from './executor.js';
import { InProcessRunner, WorkerRunner, type NodeRunner } from './runners.js';
import { removeTemporaries } from './temporaries.js';

export type { Plan, Registry } from './planner.js';
export type { ExecutionSummary } from './executor.js';

export interface EngineOptions {
  registry: Registry;
  /** URL of the module exporting `registry`, for worker threads. Without it nodes run in-process. */
  registryModule?: string;
  cacheRoot: string;
  /** false = --no-cache: read and write no entry of the user's cache (a temporary one is used and removed). */
  useCache: boolean;
  jobs: number;
}

/** The cache root used when --no-cache is on: private and removed after the run. */
async function effectiveCache(opts: EngineOptions): Promise<{ cache: Cache; temporary: boolean }> {
  if (opts.useCache) return { cache: new Cache(resolve(opts.cacheRoot)), temporary: false };
  return { cache: new Cache(await mkdtemp(join(tmpdir(), 'glmflow-nocache-'))), temporary: true };
}

export async function planPipeline(graph: Graph, opts: EngineOptions): Promise<Plan> {
  const { cache, temporary } = await effectiveCache(opts);
  try {
    await cache.init();
    const hasher = new FileHasher(temporary ? undefined : cache.root);
    await hasher.load();
    return await planGraph(graph, { registry: opts.registry, cache, hasher, useCache: opts.useCache });
  } finally {
    if (temporary) await rm(cache.root, { recursive: true, force: true });
  }
}

export async function runPipeline(
  graph: Graph,
  opts: EngineOptions & { emit: EventListener; outputDir?: string; signal?: AbortSignal },
): Promise<ExecutionSummary> {
  const { cache, temporary } = await effectiveCache(opts);
  let runner: NodeRunner | undefined;
  let lease: CacheLease | undefined;
  try {
    // Workers start (and load the node modules) while the plan hashes the inputs.
    const jobs = Math.max(1, opts.jobs);
    runner = opts.registryModule ? new WorkerRunner(jobs, opts.registryModule, jobs) : new InProcessRunner(opts.registry);
    await cache.init();
    // The lease keeps `cache prune`/`clear` from removing what this run reads or writes.
    lease = temporary ? undefined : await CacheLease.acquire(cache.root);
    const hasher = new FileHasher(temporary ? undefined : cache.root);
    await hasher.load();
    const plan = await planGraph(graph, { registry: opts.registry, cache, hasher, useCache: opts.useCache });
    await lease?.setKeys([...plan.entries.values()].map((e) => e.key));
    return await executePlan(plan, { runner, cacheRoot: cache.root, jobs: opts.jobs, emit: opts.emit, outputDir: opts.outputDir, signal: opts.signal });
  } finally {
    await runner?.close();
    await lease?.release();
    // An interrupted run leaves no temporary of this thread behind (the workers' are removed by the runner).
    if (opts.signal?.aborted) await removeTemporaries();
    if (temporary) await rm(cache.root, { recursive: true, force: true });
  }
}

export { Cache } from './cache.js';
export { toDot, toMermaid } from './graph.js';
