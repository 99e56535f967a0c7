#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner,
// shows the spec reporter, and ends with a plain "N passed, N failed" line that CI reads.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const testRoot = join(root, 'dist', 'test');
const filter = process.argv.slice(2);

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
function withoutCiFlags(env) {
  const out = { ...env };
  delete out.CI;
  delete out.CONTINUOUS_INTEGRATION;
  return out;
}
let files = collect(testRoot).sort();
if (filter.length) files = files.filter((f) => filter.some((s) => f.includes(s)));
if (files.length === 0) {
  // node --test with no file would run every test it finds
  console.error(`no compiled test file under ${testRoot} matches ${filter.map((s) => `'${s}'`).join(', ') || '(none built: npm run build)'}`);
  process.exit(2);
}
const tap = join(mkdtempSync(join(tmpdir(), 'glmflow-tests-')), 'result.tap');
const res = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-reporter=spec', '--test-reporter-destination=stdout',
   '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
  // Without CI/CONTINUOUS_INTEGRATION: Ink draws no live frames when they are set (is-in-ci), and the
  // dashboard tests drive Ink on a fake TTY. The CI rule itself is tested in ink-reporter.test.
  { stdio: 'inherit', cwd: root, env: withoutCiFlags(process.env) },
);
let passed = 0, failed = 0, skipped = 0;
try {
  const text = readFileSync(tap, 'utf8');
  passed = Number(/^# pass (\d+)/m.exec(text)?.[1] ?? 0);
  failed = Number(/^# fail (\d+)/m.exec(text)?.[1] ?? 0);
  skipped = Number(/^# skipped (\d+)/m.exec(text)?.[1] ?? 0);
} catch { failed = Math.max(1, failed); }
if (res.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || res.status !== 0 ? 1 : 0);
