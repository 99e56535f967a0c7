/**
 * The files through which the login node and a compute node talk (no sockets: only the
 * shared filesystem, written by atomic rename where a reader must see a whole file):
 *   <dir>/<n>.job.json      the NodeJob (type, params, input keys, cache root) + file names below
 *   <dir>/<n>.sh            the batch script: `exec node bin/glmflow.js _run-node <n>.job.json`
 *   <dir>/<n>.log           the job's stdout and stderr (sbatch --output)
 *   <dir>/<n>.events.jsonl  progress and warnings, appended by the compute side
 *   <dir>/<n>.result.json   {ok, seconds} or {ok:false, error}, written last
 * The artifact itself goes straight into the content-addressed cache.
 */
import { open, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import type { NodeJob, SerializedError } from '../job.js';

export interface JobFile {
  job: NodeJob;
  events: string;
  result: string;
}

export type NodeResult = { ok: true; seconds: number } | { ok: false; error: SerializedError };

export type ComputeEvent = { kind: 'progress'; fraction: number; message?: string } | { kind: 'warn'; message: string };

export interface JobPaths { jobFile: string; script: string; log: string; events: string; result: string }

/** File names for attempt `attempt` of a node (each attempt has its own files). */
export function jobPaths(dir: string, nodeId: string, attempt: number): JobPaths {
  const base = join(dir, `${nodeId.replace(/[^A-Za-z0-9._=+-]/g, '_')}.${attempt}`);
  return { jobFile: `${base}.job.json`, script: `${base}.sh`, log: `${base}.log`, events: `${base}.events.jsonl`, result: `${base}.result.json` };
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Writes the job file and the batch script. `command`: how to start glmflow on a compute node. */
export async function writeJobFiles(paths: JobPaths, job: NodeJob, command: string[]): Promise<void> {
  const file: JobFile = { job, events: paths.events, result: paths.result };
  await writeFileAtomic(paths.jobFile, [Buffer.from(JSON.stringify(file))]);
  const script = [
    '#!/bin/sh',
    `# glmflow node ${job.id} (${job.type}), key ${job.key}`,
    `exec ${[...command, '_run-node', paths.jobFile].map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
  await writeFile(paths.script, script);
  await chmod(paths.script, 0o755);
}

export async function readJobFile(path: string): Promise<JobFile> {
  return JSON.parse(await readFile(path, 'utf8'));
}

export async function readResult(path: string): Promise<NodeResult | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Reads the events appended since `offset`; returns them and the new offset (only whole lines). */
export async function readEventsFrom(path: string, offset: number): Promise<{ events: ComputeEvent[]; offset: number }> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return { events: [], offset };
  }
  try {
    const { size } = await fh.stat();
    if (size <= offset) return { events: [], offset };
    const buf = Buffer.alloc(size - offset);
    await fh.read(buf, 0, buf.length, offset);
    const end = buf.lastIndexOf(0x0a);
    if (end < 0) return { events: [], offset };
    const events: ComputeEvent[] = [];
    for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line));
      } catch {
        /* a torn line from a crashed writer: skip it */
      }
    }
    return { events, offset: offset + end + 1 };
  } finally {
    await fh.close();
  }
}

/** The last lines of a job's log, for a failure message. */
export async function logTail(path: string, lines = 15): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
