/**
 * The engine's public contract: what a node type declares, what it returns,
 * and the typed event stream every reporter consumes.
 *
 * The engine never imports statistics, IO of neuroimaging formats or a UI:
 * node modules (in `nodes/`) glue those to this contract.
 */

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * What a node produces and the cache stores: a JSON document plus named
 * typed arrays (stored as raw little-endian bytes, never as JSON numbers).
 */
export interface Artifact {
  meta: Json;
  arrays: Record<string, TypedArray>;
}

/** Reported by a running node; `fraction` in 0..1. */
export type ProgressFn = (fraction: number, message?: string) => void;

export interface NodeRunContext {
  /** Report progress of a long node (e.g. after each voxel chunk). */
  progress: ProgressFn;
  /** A warning the user should see (shown by reporters; the run goes on). */
  warn: (message: string) => void;
  /** Aborted when the run is interrupted. */
  signal: AbortSignal;
  /** A scratch folder private to this node run, removed afterwards. */
  scratchDir: string;
}

/**
 * Which arrays of an entry to read (`Cache.readSelected`): `true` for the whole array, or some
 * rows of an array stored row-major as `rowCount` equal rows (e.g. a fit's theta, p x voxels).
 * Rows not asked for read as zero; arrays not named are absent.
 */
export type ArraySelection = Record<string, true | { rows: readonly number[]; rowCount: number }>;

/**
 * Inputs handed to a node: artifacts of upstream nodes (read from the cache by
 * key) and file inputs (paths; their *content* hash is part of the node key).
 */
export interface NodeInputs {
  nodes: Record<string, Artifact | Artifact[]>;
  files: Record<string, string | string[]>;
  /** Cache keys of the upstream artifacts (for provenance records). */
  keys: Record<string, string | string[]>;
  /**
   * Inputs the node declared in `streamedInputs`: not read before `run`, but one loader
   * per artifact, so a node can hold one large input at a time (memory flat in the count).
   * A loader given an `ArraySelection` reads only those arrays (or rows of one) of the entry.
   */
  lazy: Record<string, ((select?: ArraySelection) => Promise<Artifact>)[]>;
}

export interface NodeDefinition<P = any> {
  /** Node type, e.g. "fit". */
  type: string;
  /** Implementation version: bump whenever the results of `run` change. */
  version: string;
  /** Human description for `graph` and docs. */
  description: string;
  /** Input names read on demand through `inputs.lazy` instead of before `run`. */
  streamedInputs?: string[];
  /** Runs from parameters and inputs alone (no shared memory with other nodes). */
  run(ctx: NodeRunContext, params: P, inputs: NodeInputs): Promise<Artifact>;
  /**
   * For nodes with side effects outside the cache (writing outputs): undefined when
   * the side effects recorded in `artifact` are still intact, else why not (e.g. a file
   * is missing or differs from the bytes written). Such a cached node is run again.
   */
  outputsProblem?(artifact: Artifact): Promise<string | undefined>;
}

/** One node of a compiled pipeline, before keys are computed. */
export interface PlannedNode {
  /** Stable id, e.g. "fit/sub-01". */
  id: string;
  type: string;
  params: Json;
  /** Input name -> upstream node id(s). */
  deps: Record<string, string | string[]>;
  /** Input name -> file path(s), hashed by content. */
  files: Record<string, string | string[]>;
  /** Grouping for reporters: pipeline stage and subject label when relevant. */
  stage: string;
  subject?: string;
  /** Short label for reporters. */
  label?: string;
}

export interface Graph {
  nodes: PlannedNode[];
}

export type NodeStatus = 'queued' | 'running' | 'cached' | 'done' | 'failed' | 'skipped';

/** Why a node must run (for `plan`). */
export interface RunReason {
  kind: 'no-cache' | 'new' | 'params-changed' | 'input-changed' | 'file-changed' | 'version-changed' | 'outputs-missing' | 'corrupt-entry';
  detail: string;
}

export interface PlanEntry {
  id: string;
  type: string;
  stage: string;
  subject?: string;
  label?: string;
  key: string;
  status: 'cached' | 'run';
  reason?: RunReason;
  deps: string[];
}

/** The typed event stream (SPEC: `--ui json` prints one per line). */
export type EngineEvent =
  | { event: 'plan'; node: string; type: string; nodes: PlanEntry[]; time: number }
  | { event: 'node-start'; node: string; type: string; time: number }
  /** A node's scheduler job changed state (SLURM executor: `job` id, `state` PENDING, RUNNING, …). */
  | { event: 'node-state'; node: string; type: string; job: string; state: string; time: number }
  | { event: 'node-progress'; node: string; type: string; progress: number; message?: string; time: number }
  | { event: 'node-cached'; node: string; type: string; key: string; time: number }
  | { event: 'node-done'; node: string; type: string; key: string; seconds: number; time: number } & SchedulerJob
  | { event: 'node-failed'; node: string; type: string; error: string; userError?: boolean; stack?: string; time: number } & SchedulerJob
  | { event: 'node-interrupted'; node: string; type: string; time: number }
  | { event: 'node-skipped'; node: string; type: string; reason: string; time: number }
  | { event: 'log'; node: string; type: string; level: 'info' | 'warn'; message: string; time: number }
  | { event: 'done'; node: string; type: string; ok: boolean; computed: number; cached: number; failed: number; skipped: number; seconds: number; outputDir?: string; time: number }
  /**
   * Final event of a run stopped by SIGINT/SIGTERM (instead of `done`): finished nodes
   * (computed now + served from cache) are cached, a rerun computes only the rest.
   */
  | { event: 'interrupted'; node: string; type: string; signal?: string; computed: number; cached: number; failed: number; skipped: number; interrupted: number; notStarted: number; seconds: number; outputDir?: string; time: number };

/** On nodes run by a scheduler (SLURM): its job id and last state (SPEC: events carry `job` and `state`). */
export interface SchedulerJob { job?: string; state?: string }

export type EventListener = (e: EngineEvent) => void;
