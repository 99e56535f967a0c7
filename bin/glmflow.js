#!/usr/bin/env node
// The installed `glmflow` command: runs the compiled CLI (npm ci builds it via `prepare`).
import { cliModuleUrl } from './cli-module.js';

// --verbose prints stack traces of internal errors: map them to the TypeScript sources
// (source maps are read as modules load, so this comes before the import)
if (process.argv.includes('--verbose')) process.setSourceMapsEnabled(true);
import(cliModuleUrl()).then((m) => m.main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err?.stack ?? String(err)); process.exitCode = 70; },
);
