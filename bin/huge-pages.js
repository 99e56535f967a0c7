// `glmflow run` on Linux relaunches itself once with glibc's huge-page tunable
// (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, glibc >= 2.35; older glibc and other C libraries
// ignore it). With it, glibc advises transparent huge pages (madvise MADV_HUGEPAGE) for the
// memory it maps for large blocks, which is where Node keeps typed arrays. A fit touches
// ~0.4 GB of fresh arrays per run; in 4 KiB pages that is ~100 000 page faults, and on these
// (virtual) machines a fault costs ~10 us: ~1 s of system time per run, a fifth of the
// first-level bench. numpy does the same for its arrays of 4 MiB and more (madvise
// MADV_HUGEPAGE on Linux), so nilearn already has it. glibc reads tunables only at process
// start, hence the relaunch: Node 20 has no exec(), so this process stays as a thin parent.
//
// Signals: a Ctrl+C in a terminal reaches both processes (one process group); a signal sent
// to the parent's pid alone (kill, a test harness, a batch system) reaches only the parent.
// The parent therefore forwards SIGINT/SIGTERM over the IPC channel once the child listens
// there, and the child (src/cli/interrupt.ts) counts a signal once when it arrives both ways;
// before that, and for SIGHUP, it forwards the signal itself (whose default action ends the
// child, as it would have ended the CLI). The child's exit code (or the signal that killed
// it) becomes the parent's.
//
// Not relaunched: commands other than `run`; non-Linux; GLIBC_TUNABLES already naming the
// tunable (the user's choice, and the child's own environment); GLMFLOW_HUGE_PAGES=0; node
// started with --inspect.
import { spawn } from 'node:child_process';

/** The environment variable that tells the relaunched CLI its parent forwards signals over IPC. */
export const SUPERVISED_ENV = 'GLMFLOW_SIGNALS_VIA_PARENT';
const TUNABLE = 'glibc.malloc.hugetlb';

/** Whether this invocation should relaunch itself with the huge-page tunable. */
function wantsRelaunch(args, env) {
  if (process.platform !== 'linux' || args[0] !== 'run') return false;
  if (env.GLMFLOW_HUGE_PAGES === '0') return false;
  // a debugger attaches to the process it started (the child would want the same port)
  if (process.execArgv.some((a) => a.startsWith('--inspect'))) return false;
  return !(env.GLIBC_TUNABLES ?? '').includes(TUNABLE);
}

/**
 * The environment `glmflow <args>` does its work in: `env` with the tunable appended to
 * GLIBC_TUNABLES, or undefined when this invocation runs in-process as it is. (The benchmark
 * spawns its measured runs with it too, so that it measures what `glmflow run` does.)
 */
export function hugePagesEnv(args, env = process.env) {
  if (!wantsRelaunch(args, env)) return undefined;
  return { ...env, GLIBC_TUNABLES: env.GLIBC_TUNABLES ? `${env.GLIBC_TUNABLES}:${TUNABLE}=1` : `${TUNABLE}=1` };
}

/**
 * Runs `glmflow <args>` in a child with the tunable set and resolves with the child's exit
 * code; resolves undefined (nothing spawned) when this invocation runs in-process.
 */
export function relaunchWithHugePages(script, args, env = process.env) {
  const childEnv = hugePagesEnv(args, env);
  if (!childEnv) return undefined;
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...childEnv, [SUPERVISED_ENV]: '1' },
  });
  let listening = false;
  child.on('message', (m) => {
    if (m?.glmflowListening) listening = true;
  });
  const forward = (signal) => {
    if (listening && signal !== 'SIGHUP' && child.connected) child.send({ glmflowSignal: signal }, () => {});
    else child.kill(signal);
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, forward);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`glmflow: could not start: ${err.message}\n`);
      resolve(70);
    });
    child.on('exit', (code, signal) => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(s, forward);
      // killed by a signal: end the same way, so a shell or a batch system sees the same
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}
