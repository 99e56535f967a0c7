#!/usr/bin/env node
// The installed `glmflow` command: runs the compiled CLI (npm ci builds it via `prepare`).
import { fileURLToPath } from 'node:url';
import { cliModuleUrl } from './cli-module.js';
import { relaunchWithHugePages } from './huge-pages.js';

const args = process.argv.slice(2);
// `run` on Linux: a child with huge pages for its arrays does the work (see huge-pages.js)
const relaunched = relaunchWithHugePages(fileURLToPath(import.meta.url), args);
if (relaunched) {
  relaunched.then((code) => { process.exitCode = code; });
} else {
  // --verbose prints stack traces of internal errors: map them to the TypeScript sources
  // (source maps are read as modules load, so this comes before the import)
  if (args.includes('--verbose')) process.setSourceMapsEnabled(true);
  import(cliModuleUrl()).then((m) => m.main(args)).then(
    (code) => { process.exitCode = code; },
    (err) => { console.error(err?.stack ?? String(err)); process.exitCode = 70; },
  );
}
