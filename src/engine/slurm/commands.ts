/**
 * The SLURM command-line tools the runner uses, behind one small interface so the
 * runner's logic is tested with a fake and run for real against `sbatch`, `squeue`,
 * `sacct` and `scancel`. Every call has a timeout: against a dead controller the
 * tools block for 10 s or more.
 */
import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';

export interface JobState { state: string; reason?: string }

export interface SlurmCommands {
  /** `scontrol ping`: undefined when the controller answers, else why not. */
  ping(): Promise<string | undefined>;
  /** `sbatch --parsable ARGS SCRIPT`: the job id. Throws with sbatch's message. */
  submit(args: string[], script: string): Promise<string>;
  /** States of this user's jobs the controller still knows (`squeue -t all`), by job id. */
  queue(): Promise<Map<string, JobState>>;
  /** Final states of jobs the controller forgot (`sacct`), by job id; absent = unknown. */
  finished(ids: string[]): Promise<Map<string, JobState>>;
  /** `scancel IDS`. */
  cancel(ids: string[]): Promise<void>;
}

export class CommandError extends Error {
  constructor(readonly command: string, message: string, readonly notFound = false) {
    super(message);
  }
}

function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      if (e.code === 'ENOENT') return reject(new CommandError(cmd, `${cmd} not found (is SLURM installed on this host and on PATH?)`, true));
      if (e.killed) return reject(new CommandError(cmd, `${cmd} did not answer within ${timeoutMs / 1000} s`));
      reject(new CommandError(cmd, (String(stderr).trim() || String(stdout).trim() || e.message).split('\n').slice(0, 5).join('\n')));
    });
  });
}

/** "id|STATE|reason" lines -> map. */
export function parseStateLines(text: string): Map<string, JobState> {
  const out = new Map<string, JobState>();
  for (const line of text.split('\n')) {
    const [id, state, reason] = line.trim().split('|');
    if (!id || !state) continue;
    // sacct lists steps as "123.batch"; the allocation line "123" is the job's state
    if (id.includes('.')) continue;
    out.set(id, { state, reason: reason || undefined });
  }
  return out;
}

export class CliSlurmCommands implements SlurmCommands {
  private readonly user = userInfo().username;

  async ping(): Promise<string | undefined> {
    try {
      const out = await run('scontrol', ['ping'], 20_000);
      if (/\bUP\b/.test(out)) return undefined;
      return out.trim() || 'scontrol ping gave no answer';
    } catch (e) {
      return (e as Error).message;
    }
  }

  async submit(args: string[], script: string): Promise<string> {
    const out = await run('sbatch', ['--parsable', ...args, script], 60_000);
    // --parsable prints "jobid" or "jobid;cluster"
    const id = out.trim().split(';')[0]!;
    if (!/^\d+$/.test(id)) throw new CommandError('sbatch', `unexpected sbatch output: ${out.trim()}`);
    return id;
  }

  async queue(): Promise<Map<string, JobState>> {
    return parseStateLines(await run('squeue', ['-h', '-t', 'all', '-u', this.user, '-o', '%i|%T|%r']));
  }

  async finished(ids: string[]): Promise<Map<string, JobState>> {
    if (ids.length === 0) return new Map();
    const args = ['-n', '-P', '-X', '-o', 'JobIDRaw,State,ExitCode', '-j', ids.join(',')];
    try {
      return parseStateLines(await run('sacct', args));
    } catch {
      // no slurmdbd: the job completion log (JobCompType=jobcomp/filetxt), if the cluster keeps one
      try {
        return parseStateLines(await run('sacct', ['-c', ...args]));
      } catch {
        return new Map();
      }
    }
  }

  async cancel(ids: string[]): Promise<void> {
    if (ids.length > 0) await run('scancel', ids, 30_000);
  }
}
