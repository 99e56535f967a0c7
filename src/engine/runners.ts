import { Worker } from 'node:worker_threads';
import type { NodeDefinition } from './types.js';
import { executeJob, serializeError, type JobReporter, type NodeJob, type SerializedError } from './job.js';

export type JobResult = { ok: true; seconds: number } | { ok: false; error: SerializedError };

export interface NodeRunner {
  /** Runs one node; `signal` aborts it when the run is interrupted (SIGINT/SIGTERM). */
  run(job: NodeJob, report: JobReporter, signal?: AbortSignal): Promise<JobResult>;
  close(): Promise<void>;
}

/** Runs nodes on the main thread (tests, debugging, --jobs 1 with `inProcess`). */
export class InProcessRunner implements NodeRunner {
  constructor(private readonly registry: Record<string, NodeDefinition>) {}
  async run(job: NodeJob, report: JobReporter): Promise<JobResult> {
    try {
      const def = this.registry[job.type];
      if (!def) throw new Error(`no node type '${job.type}'`);
      return { ok: true, seconds: await executeJob(job, def, report, new AbortController().signal) };
    } catch (e) {
      return { ok: false, error: serializeError(e) };
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
  private readonly workerUrl = new URL('./node-worker.js', import.meta.url);

  /**
   * `prewarm`: start that many workers right away and have them import the node registry,
   * so that their start-up (~0.3 s of module loading each) overlaps the planning (input
   * hashing) instead of delaying the first nodes.
   */
  constructor(private readonly size: number, private readonly registryModule: string, prewarm = 0) {
    for (let i = 0; i < Math.min(prewarm, size); i++) {
      const worker = this.spawn();
      worker.postMessage({ kind: 'warm', registryModule });
      this.idle.push(worker);
    }
  }

  private spawn(): Worker {
    const worker = new Worker(this.workerUrl);
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

  async run(job: NodeJob, report: JobReporter): Promise<JobResult> {
    const worker = await this.acquire();
    return new Promise<JobResult>((resolve) => {
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (msg: any) => {
        if (msg.kind === 'progress') return report.progress(msg.fraction, msg.message);
        if (msg.kind === 'warn') return report.warn(msg.message);
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
        resolve({ ok: false, error: { name: 'Error', message: `worker exited with code ${code} (out of memory?)` } });
      };
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
