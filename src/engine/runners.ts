import { Worker } from 'node:worker_threads';
import type { NodeDefinition } from './types.js';
import { executeJob, InterruptedError, serializeError, type JobReporter, type NodeJob, type SerializedError } from './job.js';
import { removeTemporaries } from '../io/temporaries.js';
import { exposeGcToWorkers } from './garbage.js';
import { isBundled } from '../bundled.js';

/**
 * `interrupted`: the run's AbortSignal fired while the node ran. Its temporaries are removed; its
 * entry is cached only if the node published it just before (the executor checks).
 */
export type JobResult = { ok: true; seconds: number } | { ok: false; error: SerializedError; interrupted?: boolean };

/**
 * Runs one node job. `signal` aborts the run (SIGINT/SIGTERM): the runner then resolves
 * promptly with `{ ok: false, interrupted: true }` and leaves no temporary behind.
 * (Every runner — in-process, worker threads, SLURM — has exactly this shape.)
 */
export interface NodeRunner {
  run(job: NodeJob, report: JobReporter, signal?: AbortSignal): Promise<JobResult>;
  close(): Promise<void>;
}

export const interruptedResult = (): JobResult => ({ ok: false, interrupted: true, error: { name: 'InterruptedError', kind: 'internal', message: 'interrupted' } });

/** Resolves with the interrupted result when `signal` aborts (never when there is no signal). */
function whenAborted(signal: AbortSignal | undefined): { promise: Promise<JobResult>; dispose: () => void } {
  if (!signal) return { promise: new Promise<JobResult>(() => undefined), dispose: () => undefined };
  let onAbort = () => undefined as void;
  const promise = new Promise<JobResult>((resolve) => {
    onAbort = () => resolve(interruptedResult());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/** Runs nodes on the main thread (tests, debugging, --jobs 1 with `inProcess`). */
export class InProcessRunner implements NodeRunner {
  constructor(private readonly registry: Record<string, NodeDefinition>) {}
  async run(job: NodeJob, report: JobReporter, signal?: AbortSignal): Promise<JobResult> {
    if (signal?.aborted) return interruptedResult();
    const work = (async (): Promise<JobResult> => {
      try {
        const def = this.registry[job.type];
        if (!def) throw new Error(`no node type '${job.type}'`);
        return { ok: true, seconds: await executeJob(job, def, report, signal ?? new AbortController().signal) };
      } catch (e) {
        if (e instanceof InterruptedError || signal?.aborted) return interruptedResult();
        return { ok: false, error: serializeError(e) };
      }
    })();
    // A node on this thread cannot be stopped from outside: it sees the signal, and the
    // run does not wait for it (executeJob caches nothing once the signal has fired).
    const aborted = whenAborted(signal);
    try {
      const result = await Promise.race([work, aborted.promise]);
      if (!result.ok && result.interrupted) await removeTemporaries();
      return result;
    } finally {
      aborted.dispose();
    }
  }
  async close(): Promise<void> {}
}

/**
 * A pool of worker threads, one node at a time per worker. Workers are created
 * lazily and reused; a worker that crashes is replaced and the node fails with
 * the crash message (other nodes are unaffected).
 */
export class WorkerRunner implements NodeRunner {
  private idle: Worker[] = [];
  private all = new Set<Worker>();
  private waiting: ((w: Worker) => void)[] = [];
  // the bundle's worker entry (dist/bundle/node-worker.js) when running bundled: this file's URL
  // is then dist/src/engine/runners.js's (scripts/bundle.mjs)
  private readonly workerUrl = new URL(isBundled ? '../../bundle/node-worker.js' : './node-worker.js', import.meta.url);

  /**
   * `prewarm`: start that many workers right away and have them import the node registry,
   * so that their start-up (~0.3 s of module loading each) overlaps the planning (input
   * hashing) instead of delaying the first nodes.
   */
  constructor(private readonly size: number, private readonly registryModule: string, prewarm = 0) {
    exposeGcToWorkers();
    for (let i = 0; i < Math.min(prewarm, size); i++) {
      const worker = this.spawn();
      worker.postMessage({ kind: 'warm', registryModule });
      this.idle.push(worker);
    }
  }

  private spawn(): Worker {
    // a thread does not inherit process.setSourceMapsEnabled (glmflow --verbose): stack traces
    // of its nodes name the TypeScript sources only with the flag
    const worker = new Worker(this.workerUrl, process.sourceMapsEnabled ? { execArgv: [...process.execArgv, '--enable-source-maps'] } : {});
    worker.unref();
    this.all.add(worker);
    return worker;
  }

  private acquire(): Promise<Worker> {
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    if (this.all.size < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(w: Worker): void {
    const next = this.waiting.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  async run(job: NodeJob, report: JobReporter, signal?: AbortSignal): Promise<JobResult> {
    if (signal?.aborted) return interruptedResult();
    const worker = await this.acquire();
    if (signal?.aborted) {
      this.release(worker);
      return interruptedResult();
    }
    // Temporaries the worker has open: removed here if the worker is terminated mid-write.
    const temporaries = new Set<string>();
    return new Promise<JobResult>((resolve) => {
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
      };
      // Nodes compute in tight loops (WebAssembly kernels) that never yield to a message:
      // an interrupted node's worker is terminated, not asked to stop.
      const onAbort = () => {
        cleanup();
        this.all.delete(worker);
        // Messages the worker posted before it stopped are still delivered (Node drains the
        // thread's port before 'exit', which terminate() waits for): a temporary it announced
        // just before (e.g. the node record written after the entry) is removed too.
        worker.on('message', trackTemporaries);
        void worker.terminate()
          .then(() => worker.off('message', trackTemporaries))
          .then(() => removeTemporaries(temporaries))
          .then(() => resolve(interruptedResult()));
      };
      const trackTemporaries = (msg: any) => {
        if (msg.kind !== 'temporary') return false;
        if (msg.event === 'add') temporaries.add(msg.path);
        else temporaries.delete(msg.path);
        return true;
      };
      const onMessage = (msg: any) => {
        if (msg.kind === 'progress') return report.progress(msg.fraction, msg.message);
        if (msg.kind === 'warn') return report.warn(msg.message);
        if (trackTemporaries(msg)) return;
        cleanup();
        this.release(worker);
        resolve(msg.kind === 'done' ? { ok: true, seconds: msg.seconds } : { ok: false, error: msg.error });
      };
      const onError = (err: Error) => {
        cleanup();
        this.all.delete(worker);
        void worker.terminate();
        resolve({ ok: false, error: serializeError(err) });
      };
      const onExit = (code: number) => {
        cleanup();
        this.all.delete(worker);
        resolve({ ok: false, error: { name: 'Error', kind: 'internal', message: `worker exited with code ${code} (out of memory?)` } });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ kind: 'run', job, registryModule: this.registryModule });
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.all].map((w) => w.terminate()));
    this.all.clear();
    this.idle = [];
  }
}
