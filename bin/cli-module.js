// Which compiled CLI `glmflow` runs: the esbuild bundle (dist/bundle/glmflow.js, built by
// scripts/bundle.mjs in `npm run build` / `prepare`) when it is at least as new as tsc's output,
// else tsc's dist/src/cli/main.js (after a bare `npx tsc`, a bundle left from an earlier build
// would run old code). Both export the same `main`.
import { statSync } from 'node:fs';

const BUNDLE = new URL('../dist/bundle/glmflow.js', import.meta.url);
const UNBUNDLED = new URL('../dist/src/cli/main.js', import.meta.url);

const mtimeMs = (url) => {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return undefined;
  }
};

/** URL of the CLI module to import. */
export function cliModuleUrl() {
  const bundle = mtimeMs(BUNDLE);
  const tsc = mtimeMs(UNBUNDLED);
  return bundle !== undefined && (tsc === undefined || bundle >= tsc) ? BUNDLE.href : UNBUNDLED.href;
}
