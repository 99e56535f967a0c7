import { readFileSync } from 'node:fs';

/** glmflow's version, from package.json (two folders above the compiled src/). */
export function glmflowVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      return JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')).version;
    } catch {
      /* try the next layout */
    }
  }
  return 'unknown';
}
