/**
 * Prompt release of large dropped buffers in the worker threads.
 *
 * A fit node drops a 160 MB time-major Y (and the buffers of its reader and smoother);
 * V8 frees such ArrayBuffers only at its next garbage collection, which
 * their size alone triggers late (tens of MB of external memory later), so with two fits in
 * parallel the process carried ~0.1-0.2 GB of dead buffers at its peak. The worker pool
 * therefore exposes V8's `gc()` to its threads (`exposeGcToWorkers`, before they start), and
 * nodes call `collectGarbage()` after a phase that dropped large buffers; the worker entry
 * calls it after a node that leaves much external memory behind. Where `gc` is not exposed
 * (in-process runs, tests) both are no-ops.
 */
import { setFlagsFromString } from 'node:v8';

let exposed = false;

/** Makes `gc()` available to the worker threads created from now on (process-wide V8 flag; only new contexts see it). */
export function exposeGcToWorkers(): void {
  if (exposed) return;
  exposed = true;
  setFlagsFromString('--expose-gc');
}

/** A full garbage collection now, if this thread has `gc()` (~5-20 ms with the workers' small heaps). */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
