/**
 * The SLURM executor's NodeRunner: each node to compute becomes one `sbatch` job that
 * runs `glmflow _run-node` on a compute node against the shared cache (see job-files.ts).
 *
 * One poller serves every job: a single `squeue` call per interval whatever the number
 * of jobs (what cluster admins ask of workflow tools), `sacct` only for jobs the
 * controller has already forgotten. Single jobs rather than arrays: the engine releases
 * nodes one at a time as their inputs appear, so arrays would have to wait for batches
 * and one failed element is harder to report and retry; on the one-node test cluster a
 * job costs ~1 s of scheduling (README, "Running on a cluster").
 */
import { mkdir, rm } from 'node:fs/promises';
import type { NodeJob, JobReporter } from '../job.js';
import { interruptedResult, type JobResult, type NodeRunner } from '../runners.js';
import type { SlurmCommands, JobState } from './commands.js';
import { describeEnd, normalizeState, phaseOf } from './states.js';
import { memRequest, sbatchArgs, type SlurmSettings } from './resources.js';
import { jobPaths, logTail, readEventsFrom, readResult, writeJobFiles, type JobPaths } from './job-files.js';

export interface SlurmRunnerOptions {
  commands: SlurmCommands;
  settings: SlurmSettings;
  /** Folder on the shared filesystem for job files and logs (removed by close() when every job succeeded). */
  jobDir: string;
  /** How a compute node starts glmflow, e.g. [process.execPath, '/path/bin/glmflow.js']. */
  command: string[];
  /** Working directory of the jobs. */
  cwd: string;
  /** Poll interval (ms). */
  pollMs?: number;
  /** How long a finished job's result file may take to appear (NFS attribute caching), ms. */
  resultGraceMs?: number;
}

interface Active {
  id: string;
  report: JobReporter;
  paths: JobPaths;
  state: string;
  /** Polls in a row in which squeue did not list the job. */
  missing: number;
  settle: (final: JobState) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SlurmRunner implements NodeRunner {
  /** Jobs submitted and not seen ending (cancelled by close()). */
  private readonly active = new Map<string, Active>();
  private polling?: Promise<void>;
  private closed = false;
  private failedAny = false;
  /** Bytes of each job's events file already relayed. */
  private readonly eventsOffsets = new Map<string, number>();
  private readonly pollMs: number;

  constructor(private readonly o: SlurmRunnerOptions) {
    this.pollMs = o.pollMs ?? 500;
  }

  async run(job: NodeJob, report: JobReporter, signal?: AbortSignal): Promise<JobResult> {
    const attempts = 1 + Math.max(0, this.o.settings.retries);
    for (let attempt = 1; ; attempt++) {
      const r = await this.attempt(job, report, attempt, signal);
      if (r.kind === 'retry' && attempt < attempts && !signal?.aborted) {
        report.warn(`${r.message}; submitting it again (attempt ${attempt + 1} of ${attempts})`);
        continue;
      }
      if (!r.result.ok) this.failedAny = true;
      return r.result;
    }
  }

  private async attempt(job: NodeJob, report: JobReporter, attempt: number, signal?: AbortSignal):
    Promise<{ kind: 'final'; result: JobResult } | { kind: 'retry'; message: string; result: JobResult }> {
    // what SLURM reports (out of memory, time limit, sbatch refusals) is for the user to fix: no stack trace
    const fail = (message: string, name = 'Error'): JobResult => ({ ok: false, error: { name, message, kind: 'user' } });
    if (signal?.aborted || this.closed) return { kind: 'final', result: interruptedResult() };
    await mkdir(this.o.jobDir, { recursive: true });
    const paths = jobPaths(this.o.jobDir, job.id, attempt);
    await writeJobFiles(paths, job, this.o.command);
    const mem = await memRequest(this.o.settings, job);
    let id: string;
    try {
      id = await this.o.commands.submit(sbatchArgs(this.o.settings, { nodeId: job.id, mem, log: paths.log, cwd: this.o.cwd }), paths.script);
    } catch (e) {
      return {
        kind: 'final',
        result: fail(`node ${job.id}: sbatch refused the job (--mem=${mem}${this.o.settings.time ? ` --time=${this.o.settings.time}` : ''}): ${(e as Error).message}`),
      };
    }
    report.state?.(id, 'PENDING');

    let cancelledByUs = false;
    const final = await new Promise<JobState>((resolve) => {
      const entry: Active = {
        id, report, paths, state: 'PENDING', missing: 0,
        settle: (s) => {
          this.active.delete(id);
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
      };
      const onAbort = () => {
        cancelledByUs = true;
        // scancel, then report at once: the run is ending and must not wait for the queue
        void this.o.commands.cancel([id]).catch(() => undefined).then(() => entry.settle({ state: 'CANCELLED' }));
      };
      this.active.set(id, entry);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.ensurePolling();
    });
    await this.drainEvents(paths, report, this.eventsOffsetOf(id));
    this.eventsOffsets.delete(id);

    const state = normalizeState(final.state);
    if (state !== 'CANCELLED' || !cancelledByUs) report.state?.(id, state);
    const ctx = { node: job.id, job: id, mem, time: this.o.settings.time, log: paths.log };
    if (cancelledByUs) return { kind: 'final', result: fail(`node ${job.id}: interrupted; SLURM job ${id} cancelled`) };
    const phase = phaseOf(state);
    if (phase === 'completed' || state === 'FAILED') {
      // the node's own account: its error (a user error keeps its name, so no stack trace is shown)
      const result = await this.waitForResult(paths, phase === 'completed');
      if (result?.ok) return { kind: 'final', result: { ok: true, seconds: result.seconds } };
      if (result && !result.ok) return { kind: 'final', result: { ok: false, error: { ...result.error, message: `${result.error.message} (SLURM job ${id}, log ${paths.log})` } } };
    }
    const tail = await logTail(paths.log);
    const message = describeEnd(state, ctx) + (tail ? `\n--- last lines of the log ---\n${tail}` : '');
    if (phase === 'retry') return { kind: 'retry', message: describeEnd(state, ctx), result: fail(message) };
    return { kind: 'final', result: fail(message) };
  }

  private eventsOffsetOf(id: string): number {
    return this.eventsOffsets.get(id) ?? 0;
  }

  private async drainEvents(paths: JobPaths, report: JobReporter, offset: number): Promise<number> {
    const { events, offset: next } = await readEventsFrom(paths.events, offset);
    for (const e of events) {
      if (e.kind === 'progress') report.progress(e.fraction, e.message);
      else if (e.kind === 'warn') report.warn(e.message);
    }
    return next;
  }

  /** The result file; after COMPLETED it may lag on NFS, so wait a little for it. */
  private async waitForResult(paths: JobPaths, expected: boolean) {
    const deadline = Date.now() + (expected ? this.o.resultGraceMs ?? 10_000 : 1_000);
    for (;;) {
      const r = await readResult(paths.result);
      if (r || Date.now() >= deadline) return r;
      await sleep(200);
    }
  }

  private ensurePolling(): void {
    if (this.polling) return;
    this.polling = this.pollLoop().finally(() => {
      this.polling = undefined;
      if (this.active.size > 0 && !this.closed) this.ensurePolling();
    });
  }

  private async pollLoop(): Promise<void> {
    while (this.active.size > 0 && !this.closed) {
      await sleep(this.pollMs);
      let queue: Map<string, JobState>;
      try {
        queue = await this.o.commands.queue();
      } catch {
        continue; // a slow or restarting controller: ask again next time
      }
      const gone: Active[] = [];
      for (const a of [...this.active.values()]) {
        const q = queue.get(a.id);
        if (!q) {
          if (++a.missing >= 3) gone.push(a);
          continue;
        }
        a.missing = 0;
        const state = normalizeState(q.state);
        const phase = phaseOf(state);
        if (phase === 'pending' || phase === 'running') {
          if (state !== a.state) {
            a.state = state;
            a.report.state?.(a.id, state);
          }
          if (phase === 'running') this.eventsOffsets.set(a.id, await this.drainEvents(a.paths, a.report, this.eventsOffsetOf(a.id)));
        } else {
          a.settle({ state });
        }
      }
      if (gone.length > 0) {
        // the controller forgot them (MinJobAge passed): ask the accounting, else trust the result file
        let acct = new Map<string, JobState>();
        try {
          acct = await this.o.commands.finished(gone.map((a) => a.id));
        } catch {
          /* no accounting */
        }
        for (const a of gone) {
          const s = acct.get(a.id);
          if (s && !['pending', 'running'].includes(phaseOf(s.state))) a.settle(s);
          else if (!s) a.settle({ state: (await readResult(a.paths.result)) ? 'COMPLETED' : 'UNKNOWN' });
        }
      }
    }
  }

  /** Cancels every job still running (no jobs left behind) and removes the job files if all went well. */
  async close(): Promise<void> {
    this.closed = true;
    const ids = [...this.active.keys()];
    if (ids.length > 0) {
      await this.o.commands.cancel(ids).catch(() => undefined);
      for (const a of [...this.active.values()]) a.settle({ state: 'CANCELLED' });
    }
    await this.polling;
    if (!this.failedAny && ids.length === 0) await rm(this.o.jobDir, { recursive: true, force: true });
  }
}
