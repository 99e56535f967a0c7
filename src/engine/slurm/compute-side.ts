/**
 * What runs inside a SLURM job (`glmflow _run-node JOBFILE`): the node, from its type,
 * parameters and input keys alone, reading inputs from and writing its artifact to the
 * shared cache — the same `executeJob` the worker threads run, so outputs are
 * byte-identical to the local executor's. Progress and warnings are appended to the
 * events file; the result file is written last (atomically) and read by the login node.
 */
import { appendFileSync } from 'node:fs';
import { writeFileAtomic } from '../../io/atomic.js';
import { executeJob, serializeError } from '../job.js';
import type { NodeDefinition } from '../types.js';
import { readJobFile, type ComputeEvent, type NodeResult } from './job-files.js';

/** Returns the process exit code: 0 when the node's artifact is in the cache, 1 otherwise. */
export async function runNodeFromJobFile(path: string, registry: Record<string, NodeDefinition>): Promise<number> {
  const file = await readJobFile(path);
  const { job } = file;
  const append = (e: ComputeEvent) => {
    try {
      appendFileSync(file.events, JSON.stringify(e) + '\n');
    } catch {
      /* progress is best effort; the result file is what counts */
    }
  };
  // at most ~4 progress lines a second: the login node polls about twice a second
  let lastProgress = 0;
  const report = {
    progress: (fraction: number, message?: string) => {
      const t = Date.now();
      if (t - lastProgress < 250 && fraction < 1) return;
      lastProgress = t;
      append({ kind: 'progress', fraction, message });
    },
    warn: (message: string) => append({ kind: 'warn', message }),
  };
  // No SIGTERM handler: scancel's SIGTERM ends the process at once. The cache stays
  // consistent (entries appear by rename only; `cache prune` removes stray temporaries).
  let result: NodeResult;
  try {
    const def = registry[job.type];
    if (!def) throw new Error(`no node type '${job.type}' in this glmflow (is the same version installed on the compute nodes?)`);
    result = { ok: true, seconds: await executeJob(job, def, report, new AbortController().signal) };
  } catch (e) {
    result = { ok: false, error: serializeError(e) };
    process.stderr.write(`glmflow: node ${job.id} failed: ${result.error.message}\n`);
  }
  await writeFileAtomic(file.result, [Buffer.from(JSON.stringify(result))]);
  return result.ok ? 0 : 1;
}
