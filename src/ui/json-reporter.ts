/**
 * `--ui json`: one JSON object per line on stdout, exactly the engine's event objects
 * (SPEC: `event`, `node`, `type`, plus `progress` on progress events and `error` on failures).
 */
import type { EngineEvent } from '../engine/types.js';
import type { Reporter } from './reporter.js';
import { flushStream, type OutStream } from './stream.js';

export class JsonReporter implements Reporter {
  constructor(private readonly stdout: OutStream) {}

  onEvent(e: EngineEvent): void {
    this.stdout.write(JSON.stringify(e) + '\n');
  }

  close(): Promise<void> {
    return flushStream(this.stdout);
  }
}
