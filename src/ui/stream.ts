/**
 * The little a reporter needs from an output stream, so tests can pass fakes.
 * `process.stdout` / `process.stderr` satisfy it.
 */
export interface OutStream {
  write(chunk: string, cb?: (err?: Error | null) => void): boolean;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/** Resolves once everything written to `s` so far has been handed to the OS (or at once for fakes). */
export function flushStream(s: OutStream): Promise<void> {
  return new Promise((resolve) => {
    try {
      const anyStream = s as OutStream & { writableLength?: number; _writableState?: unknown };
      if (anyStream._writableState === undefined && anyStream.writableLength === undefined) {
        resolve();
        return;
      }
      s.write('', () => resolve());
    } catch {
      resolve();
    }
  });
}

/** Colours only on a TTY, and never when NO_COLOR is set (https://no-color.org). */
export function useColour(s: OutStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return s.isTTY === true;
}
