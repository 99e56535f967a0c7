/**
 * SIGINT / SIGTERM during `run`: the first signal aborts the run (running nodes are
 * stopped, finished ones stay cached, the reporters print a summary and `--ui json` ends
 * with an `interrupted` event); the exit code is 128 + the signal number (130 / 143), as
 * a shell reports a process killed by that signal. A second signal quits at once.
 */
import { removeTemporariesSync } from '../io/temporaries.js';

const EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export interface InterruptHandlers {
  /** Aborted (with the signal name as `reason`) on the first SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM, undefined when no signal came. */
  exitCode(): number | undefined;
  /** Restore the default behaviour of both signals. */
  dispose(): void;
}

export function installInterruptHandlers(stderr: { write(s: string): unknown } = process.stderr): InterruptHandlers {
  const controller = new AbortController();
  let received: string | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (received) {
      // Second signal: the user does not want to wait for the clean-up.
      removeTemporariesSync();
      process.exit(EXIT_CODES[received]);
    }
    received = sig;
    stderr.write(`\nglmflow: ${sig} received — stopping the running nodes (finished nodes stay cached; ${sig === 'SIGINT' ? 'Ctrl+C' : 'a second signal'} again quits at once)\n`);
    controller.abort(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    exitCode: () => (received ? EXIT_CODES[received] : undefined),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
