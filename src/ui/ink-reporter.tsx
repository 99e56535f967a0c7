/**
 * `--ui ink` (and `auto` on a terminal): a live dashboard of the DAG drawn with Ink.
 * The content is computed by `dashboardLines` (pure); this file only keeps the
 * state current, ticks the spinner/clock and renders the lines.
 *
 * Events are applied to the state immediately but the view is re-rendered at most
 * every BATCH_MS (progress events of many nodes must not each cost a React render).
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { Box, Static, Text, render, useStdout, type Instance } from 'ink';
import type { EngineEvent } from '../engine/types.js';
import { dashboardLines, type Line } from './dashboard-lines.js';
import type { Reporter } from './reporter.js';
import { RunState } from './run-state.js';
import type { OutStream } from './stream.js';

const BATCH_MS = 50;
const TICK_MS = 100;

export interface InkReporterOptions {
  stdout: OutStream;
  stderr?: OutStream;
  /** Also show info-level log messages (warnings are always shown). */
  verbose?: boolean;
  /** Clock in ms (tests pass a fake one). */
  now?: () => number;
}

interface LogLine {
  id: number;
  level: 'info' | 'warn';
  text: string;
}

/** The state plus a tiny subscription mechanism for `useSyncExternalStore`. */
class DashboardStore {
  readonly state = new RunState();
  readonly logs: LogLine[] = [];
  private version = 0;
  private readonly listeners = new Set<() => void>();
  constructor(readonly now: () => number) {}

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };
  getVersion = (): number => this.version;
  notify(): void {
    this.version++;
    for (const fn of this.listeners) fn();
  }
}

function StyledLine({ line }: { line: Line }) {
  return (
    <Text wrap="truncate-end">
      {line.map((s, i) => (
        <Text key={i} color={s.color} dimColor={s.dim} bold={s.bold}>
          {s.text}
        </Text>
      ))}
    </Text>
  );
}

function Dashboard({ store }: { store: DashboardStore }) {
  useSyncExternalStore(store.subscribe, store.getVersion);
  // Read the size on every render (the tick re-renders, so a resize is picked up).
  const { stdout } = useStdout();
  const width = Math.max(40, stdout.columns || 80);
  const rows = stdout.rows;
  const [, setTick] = useState(0);
  const finished = store.state.summary !== undefined;
  useEffect(() => {
    if (finished) return undefined;
    const t = setInterval(() => setTick((x) => x + 1), TICK_MS);
    t.unref?.();
    return () => clearInterval(t);
  }, [finished]);
  const maxRows = rows && rows > 4 ? rows - 1 : undefined;
  const lines = dashboardLines(store.state, store.now(), { width, maxRows });
  return (
    <>
      <Static items={store.logs.slice()}>
        {(l) => (
          <Text key={l.id} color={l.level === 'warn' ? 'yellow' : 'gray'}>
            {l.text}
          </Text>
        )}
      </Static>
      <Box flexDirection="column">
        {lines.map((line, i) => (
          <StyledLine key={i} line={line} />
        ))}
      </Box>
    </>
  );
}

export class InkReporter implements Reporter {
  private readonly store: DashboardStore;
  private readonly instance: Instance;
  private readonly verbose: boolean;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private nextLogId = 0;

  constructor(opts: InkReporterOptions) {
    this.store = new DashboardStore(opts.now ?? Date.now);
    this.verbose = opts.verbose ?? false;
    const stdout = opts.stdout as NodeJS.WriteStream;
    this.instance = render(<Dashboard store={this.store} />, {
      stdout,
      stderr: (opts.stderr ?? opts.stdout) as NodeJS.WriteStream,
      // Only take over console.* when drawing on the real terminal.
      patchConsole: stdout === process.stdout,
      exitOnCtrlC: false,
    });
  }

  onEvent(e: EngineEvent): void {
    if (this.closed) return;
    this.store.state.apply(e, this.store.now());
    if (e.event === 'log' && (e.level === 'warn' || this.verbose)) {
      const where = e.node ? `${e.node}: ` : '';
      this.store.logs.push({ id: this.nextLogId++, level: e.level, text: `${e.level === 'warn' ? '⚠' : 'ℹ'} ${where}${e.message}` });
    }
    if (e.event === 'done' || e.event === 'interrupted') {
      this.flush();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), BATCH_MS);
      this.timer.unref?.();
    }
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.store.notify();
  }

  /** Draws the final frame, unmounts and resolves once the output is written. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    // Let React commit the last update before Ink takes its final frame.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const exited = this.instance.waitUntilExit();
    this.instance.unmount();
    await exited;
  }
}
