/**
 * `--ui json`: one JSON object per line on stdout, exactly the engine's event objects
 * (SPEC: `event`, `node`, `type`, plus `progress` on progress events and `error` on failures).
 */
import type { EngineEvent } from '../engine/types.js';
import type { Reporter } from './reporter.js';
import { flushStream, type OutStream } from './stream.js';

export class JsonReporter implements Reporter {
  /** `verbose`: keep the `stack` of internal node errors in `node-failed` events. */
  constructor(private readonly stdout: OutStream, private readonly verbose = false) {}

  onEvent(e: EngineEvent): void {
    if (e.event === 'node-failed' && e.stack && !this.verbose) {
      const { stack: _stack, ...rest } = e;
      this.stdout.write(JSON.stringify(rest) + '\n');
      return;
    }
    this.stdout.write(JSON.stringify(e) + '\n');
  }

  close(): Promise<void> {
    return flushStream(this.stdout);
  }
}
