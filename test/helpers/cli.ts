import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './paths.js';
import type { EngineEvent } from '../../src/engine/types.js';

export interface CliResult { code: number; stdout: string; stderr: string; events: EngineEvent[] }

/** Runs the installed CLI (bin/glmflow.js, compiled code) as a user would. */
export function glmflow(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'glmflow.js'), ...args], {
      cwd: opts.cwd ?? projectRoot,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const events: EngineEvent[] = [];
      if (args.includes('json')) {
        for (const line of stdout.split('\n')) if (line.trim()) events.push(JSON.parse(line));
      }
      resolve({ code: code ?? -1, stdout, stderr, events });
    });
  });
}

/** Node ids with a given event in a --ui json run. */
export const nodesWith = (r: CliResult, event: string) =>
  r.events.filter((e) => e.event === event).map((e) => e.node).sort();
