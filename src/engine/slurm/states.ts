/**
 * SLURM job states (squeue %T / sacct State) and what each means for a node.
 * Names as in `man squeue` (JOB STATE CODES); sacct may add words ("CANCELLED by 0").
 */

export type StatePhase =
  /** waiting for resources or held: the node is queued on the cluster */
  | 'pending'
  /** a compute node is running it */
  | 'running'
  /** the job ended; the node's own result file says how */
  | 'completed'
  /** ended for a reason the user cannot fix: submitted again while retries remain */
  | 'retry'
  /** ended for a reason that fails the node */
  | 'failed';

const PENDING = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESIZING', 'SUSPENDED', 'STOPPED', 'RESV_DEL_HOLD']);
const RUNNING = new Set(['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING']);
/** Preemption and hardware trouble: retried (what Snakemake and Nextflow do for these). */
const RETRY = new Set(['NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL']);

/** The bare state name: "CANCELLED by 1000" -> "CANCELLED", "cancelled+" -> "CANCELLED". */
export function normalizeState(raw: string): string {
  return raw.trim().split(/\s+/)[0]!.replace(/\+$/, '').toUpperCase();
}

export function phaseOf(state: string): StatePhase {
  const s = normalizeState(state);
  if (PENDING.has(s)) return 'pending';
  if (RUNNING.has(s)) return 'running';
  if (s === 'COMPLETED') return 'completed';
  if (RETRY.has(s)) return 'retry';
  return 'failed';
}

export interface FailureContext {
  node: string;
  job: string;
  /** The --mem request, e.g. "1536M". */
  mem: string;
  /** The --time request, or undefined for the partition's default. */
  time?: string;
  /** The job's log file (stdout and stderr of the compute side). */
  log: string;
}

/**
 * What the user reads when a job ended without a result: which node, what SLURM said,
 * and the setting to change when there is one (SPEC: a job killed for memory or time
 * names the node and the setting to raise).
 */
export function describeEnd(state: string, ctx: FailureContext): string {
  const s = normalizeState(state);
  const head = `node ${ctx.node}: SLURM job ${ctx.job}`;
  switch (s) {
    case 'OUT_OF_MEMORY':
      return `${head} was killed for exceeding its memory request (--mem=${ctx.mem}, state OUT_OF_MEMORY); ` +
        `raise execution.slurm.mem (e.g. --set execution.slurm.mem=${suggestMore(ctx.mem)}). Log: ${ctx.log}`;
    case 'TIMEOUT':
    case 'DEADLINE':
      return `${head} reached its time limit (${ctx.time ? `--time=${ctx.time}` : "the partition's default time"}, state ${s}); ` +
        `raise execution.slurm.time (e.g. --set execution.slurm.time=${ctx.time ? doubleTime(ctx.time) : '"02:00:00"'}). Log: ${ctx.log}`;
    case 'CANCELLED':
      return `${head} was cancelled (state CANCELLED: scancel, or an administrator). Log: ${ctx.log}`;
    case 'NODE_FAIL':
      return `${head} ended because its compute node failed (state NODE_FAIL). Log: ${ctx.log}`;
    case 'PREEMPTED':
      return `${head} was preempted by a job of higher priority (state PREEMPTED). Log: ${ctx.log}`;
    case 'BOOT_FAIL':
      return `${head} could not start: its compute node failed to boot (state BOOT_FAIL). Log: ${ctx.log}`;
    case 'FAILED':
      return `${head} failed (state FAILED) before the node could report an error; see its log: ${ctx.log}`;
    case 'COMPLETED':
      return `${head} completed but the node wrote no result (is the cache folder shared with the compute nodes?). Log: ${ctx.log}`;
    default:
      return `${head} ended in state ${s}. Log: ${ctx.log}`;
  }
}

/** Twice a SLURM memory size ("1536M" -> "3G", "4G" -> "8G"). */
export function suggestMore(mem: string): string {
  const m = /^(\d+)([KMGT]?)$/i.exec(mem);
  if (!m) return '"8G"';
  const unit = (m[2] || 'M').toUpperCase();
  const mb = Number(m[1]) * ({ K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 } as Record<string, number>)[unit]! * 2;
  return mb >= 1024 ? `${Math.ceil(mb / 1024)}G` : `${Math.ceil(mb)}M`;
}

/** Twice a SLURM time ("00:30:00" -> "01:00:00"); other forms are returned doubled in minutes. */
function doubleTime(time: string): string {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(time);
  if (!m) return '"02:00:00"';
  // SLURM: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S"
  let seconds: number;
  const [d, a, b, c] = [Number(m[1] ?? 0), Number(m[2]), m[3] === undefined ? undefined : Number(m[3]), m[4] === undefined ? undefined : Number(m[4])];
  if (m[1] !== undefined) seconds = d * 86400 + a * 3600 + (b ?? 0) * 60 + (c ?? 0);
  else if (c !== undefined) seconds = a * 3600 + b! * 60 + c;
  else if (b !== undefined) seconds = a * 60 + b;
  else seconds = a * 60;
  const t = seconds * 2;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `"${pad(Math.floor(t / 3600))}:${pad(Math.floor((t % 3600) / 60))}:${pad(t % 60)}"`;
}
