/**
 * What each node's job asks SLURM for, and the sbatch command line.
 *
 * Memory: `mem: auto` estimates from the node's input sizes (its upstream cache entries
 * and its input files), 512 MB for Node.js and the node code plus 3x the inputs, 5x for
 * `fit` (it holds the masked data, the design products and the whitened copy of an
 * AR(1) pass at once). Compressed NIfTI inputs count 4x their file size (int16 stored
 * data compresses about 2x and is read as float32). Rounded up to 256 MB.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeJob } from '../job.js';

export interface SlurmSettings {
  partition?: string;
  account?: string;
  qos?: string;
  /** Jobs submitted and not finished at once. */
  max_jobs: number;
  time?: string;
  /** 'auto' or a SLURM size. */
  mem: string;
  /** Resubmissions after NODE_FAIL / PREEMPTED / BOOT_FAIL. */
  retries: number;
  extra_args?: string[];
}

export const DEFAULT_SLURM: SlurmSettings = { max_jobs: 100, mem: 'auto', retries: 1 };

const MB = 1024 * 1024;
const BASE_MB = 512;
const FACTOR: Record<string, number> = { fit: 5 };
const DEFAULT_FACTOR = 3;

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Bytes the node reads: upstream cache entries plus input files (compressed ones as unpacked). */
export async function inputBytes(job: NodeJob): Promise<number> {
  const keys = Object.values(job.deps).flatMap((k) => (Array.isArray(k) ? k : [k]));
  const files = Object.values(job.files).flatMap((f) => (Array.isArray(f) ? f : [f]));
  const entry = (key: string) => join(job.cacheRoot, 'objects', key.slice(0, 2), `${key}.bin`);
  const sizes = await Promise.all([
    ...keys.map((k) => sizeOf(entry(k))),
    ...files.map(async (f) => (await sizeOf(f)) * (f.endsWith('.gz') ? 4 : 1)),
  ]);
  return sizes.reduce((a, b) => a + b, 0);
}

/** Memory estimate in MB for a node type and its input size. */
export function estimateMemMB(type: string, bytes: number): number {
  const mb = BASE_MB + ((FACTOR[type] ?? DEFAULT_FACTOR) * bytes) / MB;
  return Math.ceil(mb / 256) * 256;
}

/** The --mem value: the spec's size, or the estimate. */
export async function memRequest(settings: SlurmSettings, job: NodeJob): Promise<string> {
  if (settings.mem !== 'auto') return settings.mem;
  return `${estimateMemMB(job.type, await inputBytes(job))}M`;
}

/** SLURM job names: "glmflow-" and the node id, without characters a shell or squeue would mangle. */
export function jobName(nodeId: string): string {
  return `glmflow-${nodeId.replace(/[^A-Za-z0-9._/=+:-]/g, '_')}`;
}

/** sbatch options for one node (the script path and --parsable are added by the command layer). */
export function sbatchArgs(settings: SlurmSettings, o: { nodeId: string; mem: string; log: string; cwd: string }): string[] {
  const args = [
    `--job-name=${jobName(o.nodeId)}`,
    `--output=${o.log}`,
    `--chdir=${o.cwd}`,
    '--nodes=1',
    '--ntasks=1',
    // nodes are single-threaded (WebAssembly kernels, one worker each)
    '--cpus-per-task=1',
    `--mem=${o.mem}`,
  ];
  if (settings.time) args.push(`--time=${settings.time}`);
  if (settings.partition) args.push(`--partition=${settings.partition}`);
  if (settings.account) args.push(`--account=${settings.account}`);
  if (settings.qos) args.push(`--qos=${settings.qos}`);
  // last, so the user's options win over ours
  args.push(...(settings.extra_args ?? []));
  return args;
}
