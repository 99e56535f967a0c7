import { problemLines } from '../errors.js';
import type { EventListener, PlanEntry, SchedulerJob } from './types.js';
import type { Plan } from './planner.js';
import type { JobResult, NodeRunner } from './runners.js';
import type { NodeJob } from './job.js';
import type { EntryStat, VerifiedEntries } from './verified-entries.js';
import { Cache } from './cache.js';
import { heights, priorityLimit } from './priority-limit.js';

/** How often a node is retried after its inputs vanished from the cache (see `compute`). */
const MAX_RECOVERIES = 3;

export interface ExecutionSummary {
  ok: boolean;
  computed: number;
  cached: number;
  failed: number;
  skipped: number;
  seconds: number;
  failures: { node: string; error: string; userError: boolean }[];
  /** The run was stopped by its AbortSignal (SIGINT/SIGTERM). */
  interrupted: boolean;
  /** Nodes running when the signal fired (nothing of them is cached). */
  interruptedNodes: number;
  /** Nodes that never started because of the interrupt. */
  notStarted: number;
}

/**
 * Runs a plan: cached nodes are reported and left alone; the others run as soon as
 * their inputs exist, at most `jobs` at once, the ready node with the longest chain of
 * dependents first (priority-limit.ts). A failed node fails only its
 * dependents (reported as skipped); everything else still runs and stays cached.
 * When `signal` aborts, running nodes end as `node-interrupted`, nothing else starts,
 * and the final event is `interrupted` (with counts) instead of `done`.
 */
export async function executePlan(
  plan: Plan,
  opts: {
    runner: NodeRunner; cacheRoot: string; jobs: number; emit: EventListener; outputDir?: string; signal?: AbortSignal;
    /** Entries written by this run are recorded as whole here (the next plan need not read them back). */
    verified?: VerifiedEntries;
  },
): Promise<ExecutionSummary> {
  const started = performance.now();
  const limit = priorityLimit(Math.max(1, opts.jobs));
  const emit = opts.emit;
  const now = () => Date.now();
  const entries = [...plan.entries.values()];
  const priority = heights(plan.order.map((n) => n.id), (id) => plan.entries.get(id)!.deps);
  emit({ event: 'plan', node: '*', type: 'pipeline', nodes: entries, time: now() });

  const nodeById = new Map(plan.order.map((n) => [n.id, n]));
  const summary: ExecutionSummary = {
    ok: true, computed: 0, cached: 0, failed: 0, skipped: 0, seconds: 0, failures: [], interrupted: false, interruptedNodes: 0, notStarted: 0,
  };
  const signal = opts.signal;
  const outcome = new Map<string, Promise<boolean>>();
  const producerOf = new Map(entries.map((e) => [e.key, e]));
  const cache = new Cache(opts.cacheRoot);

  /** The recorded stats of the input entries known whole (NodeJob.intactInputs). */
  const intactInputs = (deps: Record<string, string | string[]>): Record<string, EntryStat> | undefined => {
    const known: Record<string, EntryStat> = {};
    for (const keys of Object.values(deps)) {
      for (const key of Array.isArray(keys) ? keys : [keys]) {
        const st = opts.verified?.known(key);
        if (st) known[key] = st;
      }
    }
    return Object.keys(known).length ? known : undefined;
  };

  const runNode = async (entry: PlanEntry): Promise<boolean> => {
    const depResults = await Promise.all(entry.deps.map((d) => outcome.get(d)!));
    if (entry.status === 'cached') {
      summary.cached++;
      emit({ event: 'node-cached', node: entry.id, type: entry.type, key: entry.key, time: now() });
      return true;
    }
    if (signal?.aborted) {
      summary.notStarted++;
      return false;
    }
    if (depResults.some((ok) => !ok)) {
      const failedDeps = entry.deps.filter((_, i) => !depResults[i]);
      summary.skipped++;
      emit({ event: 'node-skipped', node: entry.id, type: entry.type, reason: `input failed: ${failedDeps.join(', ')}`, time: now() });
      return false;
    }
    return compute(entry);
  };

  /**
   * One attempt at a node, within the concurrency limit, with the scheduler job that held it
   * (SLURM); null when the run was interrupted before it started.
   */
  const attempt = (entry: PlanEntry): Promise<{ result: JobResult; sched: SchedulerJob; seconds: number } | null> =>
    limit(priority.get(entry.id)!, async () => {
      if (signal?.aborted) return null;
      const record = plan.records.get(entry.id)!;
      const node = nodeById.get(entry.id)!;
      const job: NodeJob = {
        id: entry.id, type: entry.type, key: entry.key, params: node.params,
        deps: record.deps, files: node.files, cacheRoot: opts.cacheRoot, record, intactInputs: intactInputs(record.deps),
      };
      emit({ event: 'node-start', node: entry.id, type: entry.type, time: now() });
      // the scheduler job holding the node (SLURM), carried by its final event
      const sched: SchedulerJob = {};
      const t0 = performance.now();
      const result = await opts.runner.run(job, {
        progress: (progress, message) =>
          emit({ event: 'node-progress', node: entry.id, type: entry.type, progress: Math.min(1, Math.max(0, progress)), message, time: now() }),
        warn: (message) => emit({ event: 'log', node: entry.id, type: entry.type, level: 'warn', message, time: now() }),
        state: (job, state) => {
          sched.job = job;
          sched.state = state;
          emit({ event: 'node-state', node: entry.id, type: entry.type, job, state, time: now() });
        },
      }, signal);
      const seconds = (performance.now() - t0) / 1000;
      // recorded while the slot is held (the stat is I/O, longer than the turn of the event loop
      // the limit waits), so that the nodes waiting for this one are queued before the slot is
      // given away (priority-limit.ts)
      if (result.ok) await opts.verified?.record(entry.key);
      return { result, sched, seconds };
    });

  /**
   * Runs a node. When an input entry vanished from the cache meanwhile (another process pruned
   * or cleared it), the node that produced it is computed again and the node retried, at most
   * MAX_RECOVERIES times, instead of failing the run.
   */
  const compute = async (entry: PlanEntry): Promise<boolean> => {
    for (let tries = 0; ; tries++) {
      const tried = await attempt(entry);
      if (tried === null) {
        summary.notStarted++;
        return false;
      }
      const { result, sched } = tried;
      // The signal can race a node's last step: its entry may already be published (the rename
      // that does it is atomic) when the runner reports the interrupt. Then the node finished,
      // and the summary says so rather than "interrupted" for a result the next run will use.
      const finished = result.ok || (result.interrupted === true && (await cache.has(entry.key)));
      if (finished) {
        summary.computed++;
        // a node interrupted after publishing its entry (one that finished was recorded in attempt)
        if (!result.ok) await opts.verified?.record(entry.key);
        emit({ event: 'node-done', node: entry.id, type: entry.type, key: entry.key, seconds: result.ok ? result.seconds : tried.seconds, ...sched, time: now() });
        return true;
      }
      if (result.interrupted) {
        summary.interruptedNodes++;
        emit({ event: 'node-interrupted', node: entry.id, type: entry.type, time: now() });
        return false;
      }
      const missing = result.error.missingKeys ?? [];
      const producers = missing.map((k) => producerOf.get(k));
      if (missing.length && tries < MAX_RECOVERIES && producers.every((p): p is PlanEntry => p !== undefined)) {
        emit({
          event: 'log', node: entry.id, type: entry.type, level: 'warn', time: now(),
          message: `the cache entr${missing.length > 1 ? 'ies' : 'y'} of ${producers.map((p) => p.id).join(', ')} vanished during the run (removed by another process?); computing ${missing.length > 1 ? 'them' : 'it'} again`,
        });
        if ((await Promise.all(producers.map(recompute))).every(Boolean)) continue;
      }
      const userError = result.error.kind === 'user';
      const lines = problemLines(result.error);
      // a summary line above several detailed problems; one line when they say the same
      const text = (lines.length > 1 ? [result.error.message, ...lines] : lines).join('\n');
      summary.failed++;
      summary.failures.push({ node: entry.id, error: text, userError });
      // The stack of an internal error travels beside the message; reporters show it with --verbose.
      emit({
        event: 'node-failed', node: entry.id, type: entry.type, error: text, userError,
        ...(userError || !result.error.stack ? {} : { stack: result.error.stack }),
        ...sched,
        time: now(),
      });
      return false;
    }
  };

  /** Computes a producer again; concurrent requests for the same one share a single run. */
  const recomputing = new Map<string, Promise<boolean>>();
  const recompute = (entry: PlanEntry): Promise<boolean> => {
    let p = recomputing.get(entry.id);
    if (!p) {
      p = compute(entry).finally(() => recomputing.delete(entry.id));
      recomputing.set(entry.id, p);
    }
    return p;
  };

  // Plan order is topological, so every dependency's promise exists before its dependents ask for it.
  for (const node of plan.order) outcome.set(node.id, runNode(plan.entries.get(node.id)!));
  await Promise.all(outcome.values());
  summary.seconds = (performance.now() - started) / 1000;
  if (signal?.aborted) {
    summary.interrupted = true;
    summary.ok = false;
    emit({
      event: 'interrupted', node: '*', type: 'pipeline', ...(typeof signal.reason === 'string' ? { signal: signal.reason } : {}),
      computed: summary.computed, cached: summary.cached, failed: summary.failed, skipped: summary.skipped,
      interrupted: summary.interruptedNodes, notStarted: summary.notStarted, seconds: summary.seconds, outputDir: opts.outputDir, time: now(),
    });
    return summary;
  }
  summary.ok = summary.failed === 0 && summary.skipped === 0;
  emit({
    event: 'done', node: '*', type: 'pipeline', ok: summary.ok, computed: summary.computed, cached: summary.cached,
    failed: summary.failed, skipped: summary.skipped, seconds: summary.seconds, outputDir: opts.outputDir, time: now(),
  });
  return summary;
}
