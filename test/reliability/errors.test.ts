/**
 * Issue 8 item 19: errors the user can fix cross the worker-thread boundary as user errors
 * (no stack trace anywhere); internal errors keep their stack for --verbose only;
 * `glmflow plan … | head` (a reader that goes away) ends quietly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runPipeline } from '../../src/engine/index.js';
import type { EngineEvent, Graph } from '../../src/engine/types.js';
import { serializeError } from '../../src/engine/job.js';
import { UserError } from '../../src/errors.js';
import { PlainReporter } from '../../src/ui/plain-reporter.js';
import { JsonReporter } from '../../src/ui/json-reporter.js';
import { registry } from './slow-nodes.js';
import { projectRoot } from '../helpers/paths.js';

const STACK = /\n\s+at .+:\d+:\d+/;

test('serializeError: kind user without stack, kind internal with stack', () => {
  const u = serializeError(new UserError('spec.yaml:3:1: bad', ['spec.yaml:3:1: bad']));
  assert.deepEqual(u, { name: 'UserError', kind: 'user', message: 'spec.yaml:3:1: bad', problems: ['spec.yaml:3:1: bad'] });
  const i = serializeError(new TypeError('x is undefined'));
  assert.equal(i.kind, 'internal');
  assert.match(i.stack ?? '', STACK);
  assert.deepEqual(serializeError('plain'), { name: 'Error', kind: 'internal', message: 'plain' });
});

test('worker threads: a UserError stays a user error (no stack); a bug keeps its stack for --verbose only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-errors-'));
  const graph: Graph = {
    nodes: [
      { id: 'fit/sub-01', type: 'userfail', params: {}, deps: {}, files: {}, stage: 'fit' },
      { id: 'group/x', type: 'bug', params: {}, deps: {}, files: {}, stage: 'group' },
    ],
  };
  const events: EngineEvent[] = [];
  const summary = await runPipeline(graph, {
    registry, registryModule: new URL('./slow-nodes.js', import.meta.url).href, cacheRoot: join(dir, 'cache'), useCache: true, jobs: 2,
    emit: (e) => events.push(e),
  });
  assert.equal(summary.failed, 2);
  const failed = new Map(events.filter((e) => e.event === 'node-failed').map((e) => [e.node, e as Extract<EngineEvent, { event: 'node-failed' }>]));
  const user = failed.get('fit/sub-01')!;
  assert.equal(user.userError, true);
  assert.equal(user.error, 'data/sub-01_bold.nii.gz: 10 volumes but the design has 12 rows; expected one row per volume');
  assert.equal(user.stack, undefined);
  const bug = failed.get('group/x')!;
  assert.equal(bug.userError, false);
  assert.match(bug.stack ?? '', STACK);
  assert.deepEqual(summary.failures.map((f) => [f.node, f.userError]).sort(), [['fit/sub-01', true], ['group/x', false]]);

  // Reporters: the stack only with --verbose.
  const capture = () => { let text = ''; return { stream: { write: (s: string) => { text += s; return true; } }, text: () => text }; };
  for (const verbose of [false, true]) {
    const plain = capture();
    const p = new PlainReporter({ stdout: plain.stream, verbose, colour: false });
    const json = capture();
    const j = new JsonReporter(json.stream, verbose);
    for (const e of events) { p.onEvent(e); j.onEvent(e); }
    assert.equal(STACK.test(plain.text()), verbose, plain.text());
    assert.equal(/"stack"/.test(json.text()), verbose);
    assert.match(plain.text(), /\[FAILED\] fit\/sub-01: data\/sub-01_bold\.nii\.gz: 10 volumes/);
  }
});

test('a reader that goes away (glmflow plan … | head): exit 0, no EPIPE crash', async () => {
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin', 'glmflow.js'), 'plan', join(projectRoot, 'pipelines', 'localizer.yaml'), '--cache', mkdtempSync(join(tmpdir(), 'glmflow-epipe-'))], {
      cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Close our end of stdout before glmflow writes anything: every write of it fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
});
