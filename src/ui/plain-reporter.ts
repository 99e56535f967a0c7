/**
 * `--ui plain` (and `auto` when stdout is not a terminal): a line log that reads well in
 * CI logs and files. Colours only on a TTY without NO_COLOR.
 *
 *   glmflow: 24 nodes: 8 cached, 16 to run
 *   [cached] load/sub-01
 *   [run] fit/sub-01
 *   [progress] fit/sub-01 40% (chunk 4/10)
 *   [done] fit/sub-01 (3.2 s)
 *   [FAILED] fit/sub-02: singular design matrix
 *   Failed after 12.3 s: 15 computed, 8 cached, 1 failed, 0 skipped. Output: out/glm
 */
import type { EngineEvent } from '../engine/types.js';
import { formatDuration, formatPercent } from './format.js';
import type { Reporter } from './reporter.js';
import { flushStream, useColour, type OutStream } from './stream.js';

export interface PlainReporterOptions {
  stdout: OutStream;
  /** Warnings go here (default: stdout). */
  stderr?: OutStream;
  /** Also list every planned node with its reason, and info-level logs. */
  verbose?: boolean;
  /** Clock in ms (tests pass a fake one). */
  now?: () => number;
  /** Force colours on/off (default: only on a TTY without NO_COLOR). */
  colour?: boolean;
}

/** A progress line is printed when progress advanced this much since the last one ... */
const PROGRESS_STEP = 0.1;
/** ... or this many ms went by since the last line for that node. */
const PROGRESS_INTERVAL_MS = 2000;

const ANSI = {
  reset: '\u001b[0m',
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  blue: '\u001b[34m',
  cyan: '\u001b[36m',
} as const;
type Style = keyof typeof ANSI;

/** The summary of an interrupted run, in words (also used by the dashboard). */
export function interruptedSummary(e: Extract<EngineEvent, { event: 'interrupted' }>): string {
  const by = e.signal ? ` by ${e.signal}` : '';
  const failed = e.failed ? `, ${e.failed} failed` : '';
  const skipped = e.skipped ? `, ${e.skipped} skipped` : '';
  return (
    `Interrupted${by} after ${formatDuration(e.seconds)}: ${e.computed + e.cached} finished and cached (${e.computed} computed, ${e.cached} from cache), ` +
    `${e.interrupted} interrupted, ${e.notStarted} not started${failed}${skipped}. Run the same command again to compute the rest.`
  );
}

export class PlainReporter implements Reporter {
  private readonly out: OutStream;
  private readonly err: OutStream;
  private readonly verbose: boolean;
  private readonly now: () => number;
  private readonly colour: boolean;
  /** Per running node: progress and time (ms) of the last printed line. */
  private readonly lastProgress = new Map<string, { fraction: number; at: number }>();

  constructor(opts: PlainReporterOptions) {
    this.out = opts.stdout;
    this.err = opts.stderr ?? opts.stdout;
    this.verbose = opts.verbose ?? false;
    this.now = opts.now ?? Date.now;
    this.colour = opts.colour ?? useColour(opts.stdout);
  }

  private paint(text: string, ...styles: Style[]): string {
    if (!this.colour || styles.length === 0) return text;
    return styles.map((s) => ANSI[s]).join('') + text + ANSI.reset;
  }

  private line(text: string, stream: OutStream = this.out): void {
    stream.write(text + '\n');
  }

  onEvent(e: EngineEvent): void {
    switch (e.event) {
      case 'plan': {
        const cached = e.nodes.filter((n) => n.status === 'cached').length;
        const run = e.nodes.length - cached;
        this.line(`glmflow: ${e.nodes.length} node${e.nodes.length === 1 ? '' : 's'}: ${cached} cached, ${run} to run`);
        if (this.verbose) {
          for (const n of e.nodes) {
            const why = n.status === 'run' && n.reason ? ` (${n.reason.kind}: ${n.reason.detail})` : '';
            this.line(this.paint(`  ${n.status === 'cached' ? 'cached' : 'run   '} ${n.id}${why}`, 'dim'));
          }
        }
        return;
      }
      case 'node-start':
        this.lastProgress.set(e.node, { fraction: 0, at: this.now() });
        this.line(`${this.paint('[run]', 'cyan')} ${e.node}`);
        return;
      case 'node-state':
        // SLURM: one line when the job is submitted and one when it starts; the end shows in [done]/[FAILED]
        if (e.state === 'PENDING' || e.state === 'RUNNING') this.line(`${this.paint(`[${e.state.toLowerCase()}]`, 'dim')} ${e.node} (SLURM job ${e.job})`);
        return;
      case 'node-progress': {
        const now = this.now();
        const last = this.lastProgress.get(e.node) ?? { fraction: 0, at: now };
        if (!this.lastProgress.has(e.node)) this.lastProgress.set(e.node, last);
        const p = e.progress;
        if (!(p < 1) || !(p > last.fraction)) return;
        if (p - last.fraction < PROGRESS_STEP && now - last.at < PROGRESS_INTERVAL_MS) return;
        this.lastProgress.set(e.node, { fraction: p, at: now });
        const msg = e.message ? ` (${e.message})` : '';
        this.line(`${this.paint('[progress]', 'dim')} ${e.node} ${formatPercent(p)}${msg}`);
        return;
      }
      case 'node-cached':
        this.line(`${this.paint('[cached]', 'blue')} ${e.node}`);
        return;
      case 'node-done':
        this.lastProgress.delete(e.node);
        this.line(`${this.paint('[done]', 'green')} ${e.node} (${formatDuration(e.seconds)}${e.job ? `, SLURM job ${e.job}` : ''})`);
        return;
      case 'node-failed': {
        this.lastProgress.delete(e.node);
        // Multi-line errors: continuation lines indented under the first.
        // Stack traces of internal errors only with --verbose (user errors have none).
        const text = this.verbose && e.stack ? `${e.error}\n${e.stack}` : e.error;
        const msg = text.replace(/\r?\n/g, '\n    ');
        this.line(`${this.paint('[FAILED]', 'red', 'bold')} ${e.node}: ${msg}`);
        return;
      }
      case 'node-interrupted':
        this.lastProgress.delete(e.node);
        this.line(`${this.paint('[interrupted]', 'yellow')} ${e.node}`);
        return;
      case 'interrupted':
        this.line(this.paint(interruptedSummary(e), 'yellow', 'bold'));
        return;
      case 'node-skipped':
        this.line(`${this.paint('[skipped]', 'yellow')} ${e.node}: ${e.reason}`);
        return;
      case 'log': {
        if (e.level === 'info' && !this.verbose) return;
        const where = e.node ? `${e.node}: ` : '';
        const tag = e.level === 'warn' ? this.paint('[warn]', 'yellow') : this.paint('[info]', 'dim');
        this.line(`${tag} ${where}${e.message}`, e.level === 'warn' ? this.err : this.out);
        return;
      }
      case 'done': {
        const counts = `${e.computed} computed, ${e.cached} cached, ${e.failed} failed, ${e.skipped} skipped`;
        const head = e.ok
          ? this.paint(`Done in ${formatDuration(e.seconds)}`, 'green', 'bold')
          : this.paint(`Failed after ${formatDuration(e.seconds)}`, 'red', 'bold');
        const out = e.outputDir ? `. Output: ${e.outputDir}` : '';
        this.line(`${head}: ${counts}${out}`);
        return;
      }
    }
  }

  async close(): Promise<void> {
    await flushStream(this.out);
    if (this.err !== this.out) await flushStream(this.err);
  }
}
