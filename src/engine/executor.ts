import pLimit from 'p-limit';
import type { EventListener, PlanEntry, SchedulerJob } from './types.js';
import type { Plan } from './planner.js';
import type { NodeRunner } from './runners.js';
import type { NodeJob } from './job.js';

export interface ExecutionSummary {
  ok: boolean;
  computed: number;
  cached: number;
  failed: number;
  skipped: number;
  seconds: number;
  failures: { node: string; error: string; userError: boolean }[];
}

/**
 * Runs a plan: cached nodes are reported and left alone; the others run as soon as
 * their inputs exist, at most `jobs` at once (p-limit). A failed node fails only its
 * dependents (reported as skipped); everything else still runs and stays cached.
 */
export async function executePlan(
  plan: Plan,
  opts: { runner: NodeRunner; cacheRoot: string; jobs: number; emit: EventListener; outputDir?: string; signal?: AbortSignal },
): Promise<ExecutionSummary> {
  const started = performance.now();
  const limit = pLimit(Math.max(1, opts.jobs));
  const emit = opts.emit;
  const now = () => Date.now();
  const entries = [...plan.entries.values()];
  emit({ event: 'plan', node: '*', type: 'pipeline', nodes: entries, time: now() });

  const nodeById = new Map(plan.order.map((n) => [n.id, n]));
  const summary: ExecutionSummary = { ok: true, computed: 0, cached: 0, failed: 0, skipped: 0, seconds: 0, failures: [] };
  const outcome = new Map<string, Promise<boolean>>();

  const runNode = async (entry: PlanEntry): Promise<boolean> => {
    const depResults = await Promise.all(entry.deps.map((d) => outcome.get(d)!));
    if (entry.status === 'cached') {
      summary.cached++;
      emit({ event: 'node-cached', node: entry.id, type: entry.type, key: entry.key, time: now() });
      return true;
    }
    if (depResults.some((ok) => !ok)) {
      const failedDeps = entry.deps.filter((_, i) => !depResults[i]);
      summary.skipped++;
      emit({ event: 'node-skipped', node: entry.id, type: entry.type, reason: `input failed: ${failedDeps.join(', ')}`, time: now() });
      return false;
    }
    return limit(async () => {
      if (opts.signal?.aborted) {
        summary.skipped++;
        emit({ event: 'node-skipped', node: entry.id, type: entry.type, reason: 'interrupted before it started', time: now() });
        return false;
      }
      const record = plan.records.get(entry.id)!;
      const node = nodeById.get(entry.id)!;
      const job: NodeJob = {
        id: entry.id, type: entry.type, key: entry.key, params: node.params,
        deps: record.deps, files: node.files, cacheRoot: opts.cacheRoot, record,
      };
      emit({ event: 'node-start', node: entry.id, type: entry.type, time: now() });
      // the scheduler job holding the node (SLURM), carried by its final event
      const sched: SchedulerJob = {};
      const result = await opts.runner.run(job, {
        progress: (progress, message) =>
          emit({ event: 'node-progress', node: entry.id, type: entry.type, progress: Math.min(1, Math.max(0, progress)), message, time: now() }),
        warn: (message) => emit({ event: 'log', node: entry.id, type: entry.type, level: 'warn', message, time: now() }),
        state: (job, state) => {
          sched.job = job;
          sched.state = state;
          emit({ event: 'node-state', node: entry.id, type: entry.type, job, state, time: now() });
        },
      }, opts.signal);
      if (result.ok) {
        summary.computed++;
        emit({ event: 'node-done', node: entry.id, type: entry.type, key: entry.key, seconds: result.seconds, ...sched, time: now() });
        return true;
      }
      const userError = result.error.name === 'UserError';
      const text = [result.error.message, ...(result.error.problems ?? [])].join('\n');
      summary.failed++;
      summary.failures.push({ node: entry.id, error: text, userError });
      emit({
        event: 'node-failed', node: entry.id, type: entry.type,
        error: userError || !result.error.stack ? text : `${text}\n${result.error.stack}`,
        ...sched,
        time: now(),
      });
      return false;
    });
  };

  // Plan order is topological, so every dependency's promise exists before its dependents ask for it.
  for (const node of plan.order) outcome.set(node.id, runNode(plan.entries.get(node.id)!));
  await Promise.all(outcome.values());
  summary.ok = summary.failed === 0 && summary.skipped === 0;
  summary.seconds = (performance.now() - started) / 1000;
  emit({
    event: 'done', node: '*', type: 'pipeline', ok: summary.ok, computed: summary.computed, cached: summary.cached,
    failed: summary.failed, skipped: summary.skipped, seconds: summary.seconds, outputDir: opts.outputDir, time: now(),
  });
  return summary;
}
