/**
 * Temporary files and folders of the node runs in this thread (atomic-write temporaries,
 * scratch folders). An interrupted run removes them: a worker thread that is terminated
 * mid-write never reaches its own `finally`, so each temporary is also announced to a
 * listener (the worker forwards it to the main thread, which removes what is left).
 */
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

type Listener = (event: 'add' | 'remove', path: string) => void;

const live = new Set<string>();
let listener: Listener | undefined;

/** Set by the worker-thread entry to forward temporaries to the main thread. */
export function onTemporary(fn: Listener | undefined): void {
  listener = fn;
}

/** `path` is a temporary until `releaseTemporary(path)`. Returns `path`. */
export function trackTemporary(path: string): string {
  live.add(path);
  listener?.('add', path);
  return path;
}

/** `path` was renamed into place or removed. */
export function releaseTemporary(path: string): void {
  live.delete(path);
  listener?.('remove', path);
}

/** Temporaries not released yet (tests). */
export function liveTemporaries(): string[] {
  return [...live];
}

/** Remove the given temporaries (default: every live one of this thread). */
export async function removeTemporaries(paths: Iterable<string> = live): Promise<void> {
  const list = [...paths];
  await Promise.all(list.map((p) => rm(p, { recursive: true, force: true }).catch(() => undefined)));
  for (const p of list) live.delete(p);
}

/** Synchronous variant for a process that is about to exit. */
export function removeTemporariesSync(paths: Iterable<string> = live): void {
  for (const p of [...paths]) {
    try {
      rmSync(p, { recursive: true, force: true });
    } catch {
      // best effort: the process is exiting
    }
    live.delete(p);
  }
}
