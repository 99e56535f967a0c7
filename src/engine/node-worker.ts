/**
 * Worker-thread entry: runs one node job at a time for the WorkerRunner.
 * The registry module (node types) is imported by URL so the engine itself
 * never depends on the node implementations.
 */
import { parentPort } from 'node:worker_threads';
import type { NodeDefinition } from './types.js';
import { executeJob, serializeError, type NodeJob } from './job.js';
import { onTemporary } from '../io/temporaries.js';
import { collectGarbage } from './garbage.js';

/** External memory (ArrayBuffers) a finished node may leave to the next automatic collection. */
const LEFT_OVER_BYTES = 48 * 2 ** 20;

// The main thread removes what a terminated (interrupted) worker leaves behind.
onTemporary((event, path) => parentPort!.postMessage({ kind: 'temporary', event, path }));

type Msg = { kind: 'run'; job: NodeJob; registryModule: string } | { kind: 'warm'; registryModule: string };

/** A registry module: the node types, and optionally what a worker loads ahead of its first job. */
interface RegistryModule { registry: Record<string, NodeDefinition>; warmWorker?: () => void | Promise<void> }

const modules = new Map<string, Promise<RegistryModule>>();
function registryModule(url: string): Promise<RegistryModule> {
  if (!modules.has(url)) modules.set(url, import(url) as Promise<RegistryModule>);
  return modules.get(url)!;
}
const registryFrom = (url: string) => registryModule(url).then((m) => m.registry);

parentPort!.on('message', async (msg: Msg) => {
  if (msg.kind === 'warm') {
    // load the node modules now, and what the registry asks a warm worker to load (lazily loaded
    // libraries: loaded here, during the planning, rather than inside the first node that needs
    // them); a failure surfaces again when a job needs them
    registryModule(msg.registryModule).then((m) => m.warmWorker?.()).catch(() => modules.delete(msg.registryModule));
    return;
  }
  if (msg.kind !== 'run') return;
  const controller = new AbortController();
  try {
    const registry = await registryFrom(msg.registryModule);
    const def = registry[msg.job.type];
    if (!def) throw new Error(`no node type '${msg.job.type}'`);
    const report = {
      progress: (fraction: number, message?: string) => parentPort!.postMessage({ kind: 'progress', fraction, message }),
      warn: (message: string) => parentPort!.postMessage({ kind: 'warn', message }),
    };
    const seconds = await executeJob(msg.job, def, report, controller.signal);
    parentPort!.postMessage({ kind: 'done', seconds });
    // The node's inputs and outputs are dropped now: free them before the next node allocates
    // (after 'done', so that the node counts as finished as soon as its entry is written; the
    // next job's message waits for this collection).
    if (process.memoryUsage().arrayBuffers > LEFT_OVER_BYTES) collectGarbage();
  } catch (e) {
    parentPort!.postMessage({ kind: 'failed', error: serializeError(e) });
  }
});
