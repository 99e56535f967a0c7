#!/usr/bin/env node
// The installed `glmflow` command: runs the compiled CLI (npm ci builds it via `prepare`).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err?.stack ?? String(err)); process.exitCode = 70; },
);
