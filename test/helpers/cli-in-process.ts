/** Runs the CLI entry point in the test process, for cases refused before anything runs. */
import { main } from '../../src/cli/main.js';

export interface InProcessResult { code: number; stderr: string }

/**
 * The CLI's `main` in this process (the refusals happen before any node runs, so no worker
 * starts): a spawn per case cost seconds of module loading on a busy machine.
 */
export async function mainInProcess(args: string[], opts: { env?: Record<string, string> } = {}): Promise<InProcessResult> {
  // only stderr is captured: the test runner reports through this process's stdout
  const saved = { err: process.stderr.write, env: { ...process.env } };
  let stderr = '';
  process.stderr.write = ((c: string) => ((stderr += String(c)), true)) as typeof process.stderr.write;
  Object.assign(process.env, opts.env ?? {});
  try {
    return { code: await main(args), stderr };
  } finally {
    process.stderr.write = saved.err;
    for (const k of Object.keys(opts.env ?? {})) if (saved.env[k] === undefined) delete process.env[k];
    else process.env[k] = saved.env[k];
  }
}

