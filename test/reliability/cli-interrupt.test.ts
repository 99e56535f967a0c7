/**
 * Issue 8 item 18 (command line): SIGINT / SIGTERM during `glmflow run` print a summary,
 * end `--ui json` with an `interrupted` event, exit 130 / 143, and keep what finished:
 * the rerun serves exactly the finished nodes from the cache and computes only the rest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { glmflow } from '../helpers/cli.js';
import { projectRoot } from '../helpers/paths.js';
import type { EngineEvent } from '../../src/engine/types.js';

const LOCALIZER = join(projectRoot, 'pipelines', 'localizer.yaml');

/** Runs `glmflow run` with --ui json and sends `signal` as soon as a node of type `atType` starts. */
function runAndSignal(args: string[], signal: NodeJS.Signals, atType: string, ui = 'json'): Promise<{ code: number | null; sig: NodeJS.Signals | null; events: EngineEvent[]; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'glmflow.js'), 'run', LOCALIZER, '--ui', ui, ...args], {
      cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!sent && (ui === 'json' ? stdout.includes(`"event":"node-start","node":"${atType}/`) : stdout.includes(`[run] ${atType}/`))) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, sig) => {
      const events = ui === 'json' ? stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as EngineEvent) : [];
      resolve({ code, sig, events, stdout, stderr });
    });
  });
}

const ids = (events: EngineEvent[], kind: string) => events.filter((e) => e.event === kind).map((e) => e.node).sort();

function tmpFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => /\.tmp-/.test(e.name)).map((e) => e.name);
}

test('SIGINT then SIGTERM mid-run: summary, final interrupted event, exit 130 / 143; the rerun computes only what had not finished', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-sigint-'));
  const common = ['--cache', join(dir, 'cache'), '--out', join(dir, 'out')];

  const first = await runAndSignal(common, 'SIGINT', 'fit');
  assert.equal(first.code, 130, first.stderr);
  const last = first.events.at(-1) as Extract<EngineEvent, { event: 'interrupted' }>;
  assert.equal(last.event, 'interrupted');
  assert.equal(last.signal, 'SIGINT');
  assert.equal(first.events.filter((e) => e.event === 'done').length, 0);
  const doneFirst = ids(first.events, 'node-done');
  const plan = first.events[0] as Extract<EngineEvent, { event: 'plan' }>;
  const interrupted = ids(first.events, 'node-interrupted');
  assert.ok(interrupted.includes('fit/sub-01/run-1'), interrupted.join(', '));
  assert.equal(last.interrupted, interrupted.length);
  assert.equal(last.computed, doneFirst.length);
  assert.equal(last.computed + last.cached + last.interrupted + last.notStarted, plan.nodes.length);
  assert.ok(last.notStarted > 0);
  assert.match(first.stderr, /SIGINT received/);
  assert.ok(!/\n\s+at .+:\d+:\d+/.test(first.stderr), first.stderr);
  assert.deepEqual(tmpFilesUnder(dir), []);

  // SIGTERM, plain output: the summary in words, exit 143
  const second = await runAndSignal(common, 'SIGTERM', 'fit', 'plain');
  assert.equal(second.code, 143, second.stderr);
  assert.match(second.stdout, /\[interrupted\] fit\/sub-01\/run-1/);
  const m = /Interrupted by SIGTERM after .*: (\d+) finished and cached \((\d+) computed, (\d+) from cache\), (\d+) interrupted, (\d+) not started/.exec(second.stdout);
  assert.ok(m, second.stdout);
  const doneSecond = [...second.stdout.matchAll(/^\[done\] (\S+)/gm)].map((x) => x[1]);
  assert.deepEqual(m.slice(1, 4).map(Number), [doneFirst.length + doneSecond.length, doneSecond.length, doneFirst.length]);
  assert.equal(Number(m[4]), [...second.stdout.matchAll(/^\[interrupted\] /gm)].length);
  assert.deepEqual(tmpFilesUnder(dir), []);

  const rerun = await glmflow(['run', LOCALIZER, '--ui', 'json', ...common]);
  assert.equal(rerun.code, 0, rerun.stderr);
  const finished = [...doneFirst, ...doneSecond].sort();
  assert.deepEqual(ids(rerun.events, 'node-cached'), finished);
  const all = plan.nodes.map((n) => n.id).sort();
  assert.deepEqual(ids(rerun.events, 'node-start'), all.filter((id) => !finished.includes(id)));
});
