/**
 * SIGINT / SIGTERM during `run`: the first signal aborts the run (running nodes are
 * stopped, finished ones stay cached, the reporters print a summary and `--ui json` ends
 * with an `interrupted` event); the exit code is 128 + the signal number (130 / 143), as
 * a shell reports a process killed by that signal. A second signal quits at once.
 *
 * Under the huge-page relaunch (bin/huge-pages.js) the parent forwards the signals it gets
 * over IPC, and a terminal's Ctrl+C reaches this process directly as well: the signals that
 * came each way are counted apart and the larger count is what happened, so one Ctrl+C is
 * one signal, and a kill sent to either process alone still counts. If the parent goes away
 * (the IPC channel closes), the run stops as on SIGTERM.
 */
import { removeTemporariesSync } from '../io/temporaries.js';

/** Set by bin/huge-pages.js in the relaunched CLI: its parent forwards signals over IPC. */
const SUPERVISED_ENV = 'GLMFLOW_SIGNALS_VIA_PARENT';

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
  let direct = 0;
  let forwarded = 0;
  let handled = 0;
  const count = (sig: NodeJS.Signals) => {
    if (Math.max(direct, forwarded) > handled) {
      handled++;
      handler(sig);
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    direct++;
    count(sig);
  };
  const onForwarded = (message: unknown) => {
    const sig = (message as { glmflowSignal?: unknown } | null)?.glmflowSignal;
    if (sig !== 'SIGINT' && sig !== 'SIGTERM') return;
    forwarded++;
    count(sig);
  };
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
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const supervised = process.env[SUPERVISED_ENV] === '1' && process.send !== undefined;
  // not for the processes this one starts (their parent is not the relaunching one)
  delete process.env[SUPERVISED_ENV];
  // the parent gone (killed with SIGKILL, say): stop as on SIGTERM rather than run on unseen
  const onOrphaned = () => onForwarded({ glmflowSignal: 'SIGTERM' });
  if (supervised) {
    process.on('message', onForwarded);
    process.on('disconnect', onOrphaned);
    // from now on the parent forwards signals as messages, not as signals
    process.send!({ glmflowListening: true });
    // the channel must not keep this process alive once the run is over
    process.channel?.unref();
  }
  return {
    signal: controller.signal,
    exitCode: () => (received ? EXIT_CODES[received] : undefined),
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (supervised) {
        process.off('message', onForwarded);
        process.off('disconnect', onOrphaned);
      }
    },
  };
}
