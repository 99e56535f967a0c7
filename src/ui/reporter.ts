/**
 * Reporters turn the engine's typed event stream into what the user sees.
 * They see only events (never the engine), so any engine, a replayed JSON log
 * or a test can drive them.
 */
import type { EngineEvent } from '../engine/types.js';

export interface Reporter {
  onEvent(e: EngineEvent): void;
  /** Finish the output (final frame / flush) and release the terminal. */
  close(): Promise<void>;
}

export type ReporterKind = 'auto' | 'ink' | 'plain' | 'json';

export interface ReporterOptions {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  verbose?: boolean;
  /** Clock in ms, for tests (default Date.now). */
  now?: () => number;
}

/**
 * Which reporter `auto` picks: the dashboard on an interactive terminal, the line log otherwise.
 * A CI job counts as "otherwise" even with a TTY: Ink draws no live frames when CI or
 * CONTINUOUS_INTEGRATION is set (its is-in-ci rule, copied here), so the dashboard would stay blank
 * until the run ended.
 */
export function resolveReporterKind(
  kind: ReporterKind,
  stdout: { isTTY?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): 'ink' | 'plain' | 'json' {
  if (kind !== 'auto') return kind;
  const dumb = env.TERM === 'dumb';
  const set = (k: string) => k in env && env[k] !== '0' && env[k] !== 'false';
  const ci = set('CI') || set('CONTINUOUS_INTEGRATION');
  return stdout.isTTY === true && !dumb && !ci ? 'ink' : 'plain';
}

export async function createReporter(kind: ReporterKind, opts: ReporterOptions): Promise<Reporter> {
  const chosen = resolveReporterKind(kind, opts.stdout);
  switch (chosen) {
    case 'json': {
      const { JsonReporter } = await import('./json-reporter.js');
      return new JsonReporter(opts.stdout, opts.verbose);
    }
    case 'plain': {
      const { PlainReporter } = await import('./plain-reporter.js');
      return new PlainReporter({ stdout: opts.stdout, stderr: opts.stderr, verbose: opts.verbose, now: opts.now });
    }
    case 'ink': {
      // Loaded lazily: React and Ink are only paid for when drawing a dashboard.
      const { InkReporter } = await import('./ink-reporter.js');
      return new InkReporter({ stdout: opts.stdout, stderr: opts.stderr, verbose: opts.verbose, now: opts.now });
    }
  }
}
