import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EventListener, Graph } from './types.js';
import { Cache } from './cache.js';
import { CacheLease } from './cache-leases.js';
import { FileHasher } from './file-hash.js';
import { VerifiedEntries } from './verified-entries.js';
import { planGraph, type Plan, type Registry } from './planner.js';
import { executePlan, type ExecutionSummary } from './executor.js';
import { InProcessRunner, WorkerRunner, type NodeRunner } from './runners.js';
import { removeTemporaries } from '../io/temporaries.js';
import { UserError } from '../errors.js';
import { SlurmRunner } from './slurm/runner.js';
import { CliSlurmCommands, type SlurmCommands } from './slurm/commands.js';
import type { SlurmSettings } from './slurm/resources.js';

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
  /** Where nodes run (default: worker threads on this machine). */
  executor?: LocalExecutor | SlurmExecutor;
}

export interface LocalExecutor { kind: 'local' }

export interface SlurmExecutor {
  kind: 'slurm';
  settings: SlurmSettings;
  /** How a compute node starts glmflow: [node, bin/glmflow.js]. */
  command: string[];
  /** The SLURM tools (a fake in tests). */
  commands?: SlurmCommands;
  pollMs?: number;
}

/**
 * Before anything is planned or submitted: the SLURM controller must answer, and the cache
 * must be one the compute nodes can read (not a private temporary folder).
 */
async function checkSlurm(opts: EngineOptions, ex: SlurmExecutor): Promise<SlurmCommands> {
  if (!opts.useCache) {
    throw new UserError('command line: --no-cache cannot be used with --executor slurm: the compute nodes exchange results through the cache, which must be on a shared filesystem (use a fresh --cache DIR instead)');
  }
  const commands = ex.commands ?? new CliSlurmCommands();
  const down = await commands.ping();
  if (down !== undefined) {
    throw new UserError(`--executor slurm: the SLURM controller does not answer (scontrol ping: ${down.split('\n')[0]}); nothing was submitted. Run on a host of the cluster, or use --executor local`);
  }
  return commands;
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
    const hasher = new FileHasher(temporary ? undefined : cache.root, temporary ? 'stat' : 'content');
    await hasher.load();
    const verified = new VerifiedEntries(temporary ? undefined : cache.root, (key) => cache.entryPath(key));
    await verified.load();
    const plan = await planGraph(graph, { registry: opts.registry, cache, hasher, useCache: opts.useCache, verified });
    await verified.save();
    return plan;
  } finally {
    if (temporary) await rm(cache.root, { recursive: true, force: true });
  }
}

export async function runPipeline(
  graph: Graph,
  opts: EngineOptions & {
    emit: EventListener; outputDir?: string; signal?: AbortSignal;
    /** Local runs: a worker pool started earlier (it is used, and closed, as if created here). */
    runner?: NodeRunner;
  },
): Promise<ExecutionSummary> {
  const slurm = opts.executor?.kind === 'slurm' ? opts.executor : undefined;
  const commands = slurm ? await checkSlurm(opts, slurm) : undefined;
  const { cache, temporary } = await effectiveCache(opts);
  let runner: NodeRunner | undefined;
  let lease: CacheLease | undefined;
  let verified: VerifiedEntries | undefined;
  // On SLURM the cluster runs the nodes: as many at once as max_jobs allows.
  const jobs = slurm ? slurm.settings.max_jobs : Math.max(1, opts.jobs);
  try {
    if (slurm) {
      runner = new SlurmRunner({
        commands: commands!, settings: slurm.settings, command: slurm.command, cwd: process.cwd(), pollMs: slurm.pollMs,
        // one folder per run, beside the cache entries on the shared filesystem
        jobDir: join(cache.root, 'slurm-jobs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`),
      });
    } else {
      // Workers start (and load the node modules) while the plan hashes the inputs.
      runner = opts.runner ?? (opts.registryModule ? new WorkerRunner(jobs, opts.registryModule, jobs) : new InProcessRunner(opts.registry));
    }
    await cache.init();
    // The lease keeps `cache prune`/`clear` from removing what this run reads or writes.
    lease = temporary ? undefined : await CacheLease.acquire(cache.root);
    const hasher = new FileHasher(temporary ? undefined : cache.root, temporary ? 'stat' : 'content');
    await hasher.load();
    verified = new VerifiedEntries(temporary ? undefined : cache.root, (key) => cache.entryPath(key));
    await verified.load();
    const plan = await planGraph(graph, { registry: opts.registry, cache, hasher, useCache: opts.useCache, verified });
    await lease?.setKeys([...plan.entries.values()].map((e) => e.key));
    return await executePlan(plan, { runner, cacheRoot: cache.root, jobs, emit: opts.emit, outputDir: opts.outputDir, signal: opts.signal, verified });
  } finally {
    await verified?.save();
    await runner?.close();
    await lease?.release();
    // An interrupted run leaves no temporary of this thread behind (the workers' are removed by the runner).
    if (opts.signal?.aborted) await removeTemporaries();
    if (temporary) await rm(cache.root, { recursive: true, force: true });
  }
}

export { Cache } from './cache.js';
export { toDot, toMermaid } from './graph.js';
export { runNodeFromJobFile } from './slurm/compute-side.js';
export { DEFAULT_SLURM, type SlurmSettings } from './slurm/resources.js';
