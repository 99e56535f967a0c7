/**
 * The reporters' view of a run, rebuilt from the engine's event stream alone
 * (reporters never see the engine). Pure bookkeeping: no output, no timers.
 *
 * Times are taken from the caller's clock when an event is *received* (milliseconds),
 * so the view does not depend on the unit of `EngineEvent.time`; durations of
 * finished nodes come from the events themselves (`node-done.seconds`).
 */
import type { EngineEvent, NodeStatus, PlanEntry } from '../engine/types.js';

/** Canonical pipeline stages in display order (SPEC "Nodes and the cache"). */
export const STAGE_ORDER = [
  'load', 'confounds', 'design', 'mask', 'fit', 'contrast', 'group', 'correct', 'roi', 'save', 'report',
] as const;

export interface NodeView {
  id: string;
  type: string;
  stage: string;
  subject?: string;
  label?: string;
  /** What the plan said: served from cache or to be computed (undefined if not in the plan). */
  planned?: 'cached' | 'run';
  status: NodeStatus;
  progress?: number;
  message?: string;
  /** Reception time (ms, caller's clock) of node-start. */
  startedAt?: number;
  /** Wall time of a finished node (s). */
  seconds?: number;
  error?: string;
  skipReason?: string;
  /** Scheduler job holding the node (SLURM job id) and its last state (PENDING, RUNNING, …). */
  job?: string;
  jobState?: string;
}

/** A node submitted to a scheduler that has not started on a compute node yet. */
export function isPendingOnScheduler(n: NodeView): boolean {
  return n.status === 'running' && n.jobState !== undefined && !['RUNNING', 'COMPLETING'].includes(n.jobState);
}

export interface RunSummary {
  ok: boolean;
  computed: number;
  cached: number;
  failed: number;
  skipped: number;
  seconds: number;
  outputDir?: string;
  /** Set when the run was stopped by SIGINT/SIGTERM (the `interrupted` event). */
  interrupted?: { signal?: string; nodes: number; notStarted: number };
}

export type StatusCounts = Record<NodeStatus, number>;

export interface SubjectGroup {
  /** Subject label, or '' for nodes of the stage that belong to no subject. */
  subject: string;
  nodes: NodeView[];
  counts: StatusCounts;
}

export interface StageGroup {
  stage: string;
  nodes: NodeView[];
  counts: StatusCounts;
  subjects: SubjectGroup[];
}

export function emptyCounts(): StatusCounts {
  return { queued: 0, running: 0, cached: 0, done: 0, failed: 0, skipped: 0 };
}

export function countStatuses(nodes: Iterable<NodeView>): StatusCounts {
  const c = emptyCounts();
  for (const n of nodes) c[n.status]++;
  return c;
}

/** Finished = no node of the group is queued or running. */
export function isFinished(c: StatusCounts): boolean {
  return c.queued === 0 && c.running === 0;
}

/** Stage of a node that was not in the plan: the id's first path segment ("fit/sub-01" -> "fit"). */
function stageFromId(id: string, type: string): string {
  const slash = id.indexOf('/');
  return slash > 0 ? id.slice(0, slash) : type || id;
}

export class RunState {
  readonly nodes = new Map<string, NodeView>();
  /** Reception time (ms) of the first event. */
  startedAt?: number;
  /** Set by the `done` event. */
  summary?: RunSummary;
  /** Number of nodes the plan said were cached / to run. */
  plannedCached = 0;
  plannedRun = 0;
  hasPlan = false;
  /** Reception time (ms) of the first node-start (the ETA's parallelism counts from it). */
  firstStartAt?: number;

  /** Apply one event; `now` is the reception time in ms. */
  apply(e: EngineEvent, now: number): void {
    if (this.startedAt === undefined) this.startedAt = now;
    switch (e.event) {
      case 'plan':
        this.applyPlan(e.nodes);
        return;
      case 'node-start': {
        const n = this.node(e.node, e.type);
        n.status = 'running';
        n.startedAt = now;
        this.firstStartAt ??= now;
        n.progress = undefined;
        n.message = undefined;
        return;
      }
      case 'node-state': {
        const n = this.node(e.node, e.type);
        // elapsed time of a node on a cluster counts from the start of its job, not its submission
        if (e.state === 'RUNNING' && n.jobState !== 'RUNNING') n.startedAt = now;
        n.job = e.job;
        n.jobState = e.state;
        return;
      }
      case 'node-progress': {
        const n = this.node(e.node, e.type);
        if (n.status === 'queued') {
          n.status = 'running';
          n.startedAt ??= now;
        }
        n.progress = Number.isFinite(e.progress) ? Math.min(1, Math.max(0, e.progress)) : n.progress;
        if (e.message !== undefined) n.message = e.message;
        return;
      }
      case 'node-cached': {
        const n = this.node(e.node, e.type);
        n.status = 'cached';
        n.seconds = undefined;
        return;
      }
      case 'node-done': {
        const n = this.node(e.node, e.type);
        n.status = 'done';
        n.seconds = e.seconds;
        n.progress = 1;
        return;
      }
      case 'node-failed': {
        const n = this.node(e.node, e.type);
        n.status = 'failed';
        n.error = e.error;
        if (n.startedAt !== undefined) n.seconds = (now - n.startedAt) / 1000;
        return;
      }
      case 'node-skipped': {
        const n = this.node(e.node, e.type);
        n.status = 'skipped';
        n.skipReason = e.reason;
        return;
      }
      case 'node-interrupted': {
        // Shown as skipped: it did not finish and is not cached.
        const n = this.node(e.node, e.type);
        n.status = 'skipped';
        n.skipReason = 'interrupted';
        if (n.startedAt !== undefined) n.seconds = (now - n.startedAt) / 1000;
        return;
      }
      case 'interrupted':
        // Nodes that never started stay queued in the plan view; the summary says so.
        this.summary = {
          ok: false, computed: e.computed, cached: e.cached, failed: e.failed, skipped: e.skipped, seconds: e.seconds,
          outputDir: e.outputDir, interrupted: { signal: e.signal, nodes: e.interrupted, notStarted: e.notStarted },
        };
        return;
      case 'log':
        return;
      case 'done':
        this.summary = {
          ok: e.ok,
          computed: e.computed,
          cached: e.cached,
          failed: e.failed,
          skipped: e.skipped,
          seconds: e.seconds,
          outputDir: e.outputDir,
        };
        return;
    }
  }

  private applyPlan(entries: PlanEntry[]): void {
    this.hasPlan = true;
    this.plannedCached = 0;
    this.plannedRun = 0;
    for (const p of entries) {
      const existing = this.nodes.get(p.id);
      const n: NodeView = existing ?? { id: p.id, type: p.type, stage: p.stage, status: 'queued' };
      n.type = p.type;
      n.stage = p.stage;
      n.subject = p.subject;
      n.label = p.label;
      n.planned = p.status;
      if (!existing) this.nodes.set(p.id, n);
      if (p.status === 'cached') this.plannedCached++;
      else this.plannedRun++;
    }
  }

  /** The node's view, created on first sight when the plan did not list it. */
  private node(id: string, type: string): NodeView {
    let n = this.nodes.get(id);
    if (!n) {
      n = { id, type, stage: stageFromId(id, type), status: 'queued' };
      this.nodes.set(id, n);
    }
    return n;
  }

  counts(): StatusCounts {
    return countStatuses(this.nodes.values());
  }

  /** Nodes submitted to a scheduler and still waiting there (counted among `running`). */
  pendingOnScheduler(): number {
    let k = 0;
    for (const n of this.nodes.values()) if (isPendingOnScheduler(n)) k++;
    return k;
  }

  /**
   * Estimated seconds until the run is done, or undefined while nothing has been computed yet.
   * Each node still to compute is expected to take the mean time of the finished nodes of its
   * type (of all types while none of its type finished), less what a running one has already
   * spent (or, when it reports progress p after t seconds, t (1 - p) / p); that work is divided by the parallelism seen so far (busy node-seconds per second
   * since the first node started), since several nodes run at once.
   */
  eta(now: number): number | undefined {
    if (this.summary || this.firstStartAt === undefined) return undefined;
    const perType = new Map<string, { n: number; seconds: number }>();
    let doneSeconds = 0;
    let doneCount = 0;
    for (const n of this.nodes.values()) {
      if (n.status !== 'done' || n.seconds === undefined) continue;
      const t = perType.get(n.type) ?? { n: 0, seconds: 0 };
      t.n++;
      t.seconds += n.seconds;
      perType.set(n.type, t);
      doneSeconds += n.seconds;
      doneCount++;
    }
    if (doneCount === 0) return undefined;
    const overall = doneSeconds / doneCount;
    let remaining = 0;
    let busy = doneSeconds;
    for (const n of this.nodes.values()) {
      if (n.status !== 'queued' && n.status !== 'running') continue;
      const t = perType.get(n.type);
      const expected = t ? t.seconds / t.n : overall;
      if (n.status === 'running' && n.startedAt !== undefined) {
        const spent = Math.max(0, (now - n.startedAt) / 1000);
        busy += spent;
        // a node that reports its progress says best how far it is
        const p = n.progress;
        remaining += p !== undefined && p > 0.02 && p < 1 ? (spent * (1 - p)) / p : Math.max(0, expected - spent);
      } else {
        remaining += expected;
      }
    }
    const wall = (now - this.firstStartAt) / 1000;
    const parallelism = wall > 0 ? Math.max(1, busy / wall) : 1;
    return remaining / parallelism;
  }

  /** Nodes finished one way or another (done, cached, failed, skipped) and the total. */
  finished(): { finished: number; total: number } {
    const c = this.counts();
    return { finished: c.done + c.cached + c.failed + c.skipped, total: this.nodes.size };
  }

  /** Seconds since the first event, or the run's own total once it is done. */
  elapsed(now: number): number {
    if (this.summary) return this.summary.seconds;
    return this.startedAt === undefined ? 0 : (now - this.startedAt) / 1000;
  }

  /**
   * Nodes grouped by stage (canonical order first, then unknown stages in plan order)
   * and, within a stage, by subject (nodes without a subject first, then subjects in plan order).
   */
  stages(): StageGroup[] {
    const byStage = new Map<string, NodeView[]>();
    for (const n of this.nodes.values()) {
      let list = byStage.get(n.stage);
      if (!list) byStage.set(n.stage, (list = []));
      list.push(n);
    }
    const known = STAGE_ORDER.filter((s) => byStage.has(s)) as string[];
    const unknown = [...byStage.keys()].filter((s) => !(STAGE_ORDER as readonly string[]).includes(s));
    return [...known, ...unknown].map((stage) => {
      const nodes = byStage.get(stage)!;
      const bySubject = new Map<string, NodeView[]>();
      for (const n of nodes) {
        const key = n.subject ?? '';
        let list = bySubject.get(key);
        if (!list) bySubject.set(key, (list = []));
        list.push(n);
      }
      const keys = [...bySubject.keys()];
      keys.sort((a, b) => (a === '' ? -1 : b === '' ? 1 : 0));
      const subjects = keys.map((subject) => {
        const list = bySubject.get(subject)!;
        return { subject, nodes: list, counts: countStatuses(list) };
      });
      return { stage, nodes, counts: countStatuses(nodes), subjects };
    });
  }
}
