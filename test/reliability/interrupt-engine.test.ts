/**
 * Issue 8 item 18 (engine side): an aborted run stops its running nodes, starts nothing
 * more, ends with `interrupted` (counts), caches exactly the finished nodes and leaves no
 * temporary file; a rerun computes only what had not finished.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runPipeline } from '../../src/engine/index.js';
import type { EngineEvent, Graph } from '../../src/engine/types.js';
import { registry } from './slow-nodes.js';
import { InProcessRunner, interruptedResult, type NodeRunner } from '../../src/engine/runners.js';

const REGISTRY_MODULE = new URL('./slow-nodes.js', import.meta.url).href;

function setup(slowType: 'wait' | 'stall') {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-interrupt-'));
  const log = join(dir, 'runs.log');
  process.env.GLMFLOW_TOY_LOG = log;
  writeFileSync(join(dir, 'a.txt'), '2');
  const out = join(dir, 'out');
  // a chain: source -> scale -> slow -> sum
  const graph: Graph = {
    nodes: [
      { id: 'source/a', type: 'source', params: { id: 'source/a' }, deps: {}, files: { value: join(dir, 'a.txt') }, stage: 'load' },
      { id: 'scale/a', type: 'scale', params: { id: 'scale/a', factor: 2 }, deps: { x: 'source/a' }, files: {}, stage: 'fit' },
      { id: 'slow', type: slowType, params: { id: 'slow', dir: out }, deps: { x: 'scale/a' }, files: {}, stage: 'fit' },
      { id: 'sum', type: 'sum', params: { id: 'sum' }, deps: { xs: ['slow'] }, files: {}, stage: 'group' },
    ],
  };
  const runs = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []);
  return { dir, out, graph, runs, resetLog: () => writeFileSync(log, ''), cacheRoot: join(dir, 'cache') };
}

/** Runs the graph and aborts `delayMs` after the node `slow` starts. */
async function runAndInterrupt(s: ReturnType<typeof setup>, extra: { registryModule?: string }, delayMs: number) {
  const events: EngineEvent[] = [];
  const controller = new AbortController();
  const summary = await runPipeline(s.graph, {
    registry, cacheRoot: s.cacheRoot, useCache: true, jobs: 2, signal: controller.signal, ...extra,
    emit: (e) => {
      events.push(e);
      if (e.event === 'node-start' && e.node === 'slow') setTimeout(() => controller.abort('SIGINT'), delayMs);
    },
  });
  return { summary, events };
}

const shape = (events: EngineEvent[]) =>
  events.filter((e) => e.event !== 'node-progress' && e.event !== 'log').map((e) => `${e.event} ${e.node}`);

function tmpFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (/\.tmp-/.test(e.name)) out.push(e.name);
  return out;
}

test('in-process: abort mid-run gives node-interrupted and a final interrupted event; a rerun computes only the rest', async () => {
  const s = setup('wait');
  const t0 = Date.now();
  const { summary, events } = await runAndInterrupt(s, {}, 100);
  assert.ok(Date.now() - t0 < 10_000, 'the run stops promptly');
  assert.deepEqual(shape(events), [
    'plan *',
    'node-start source/a', 'node-done source/a',
    'node-start scale/a', 'node-done scale/a',
    'node-start slow', 'node-interrupted slow',
    'interrupted *',
  ]);
  const last = events.at(-1) as Extract<EngineEvent, { event: 'interrupted' }>;
  assert.deepEqual(
    { signal: last.signal, computed: last.computed, cached: last.cached, interrupted: last.interrupted, notStarted: last.notStarted, failed: last.failed },
    { signal: 'SIGINT', computed: 2, cached: 0, interrupted: 1, notStarted: 1, failed: 0 },
  );
  assert.equal(summary.interrupted, true);
  assert.equal(summary.ok, false);
  assert.deepEqual(s.runs(), ['source/a', 'scale/a', 'slow']);

  // The rerun: the cache holds exactly the finished nodes; only the rest is computed.
  s.resetLog();
  const again = await rerun(s);
  assert.deepEqual(again.events.filter((e) => e.event === 'node-cached').map((e) => e.node), ['source/a', 'scale/a']);
  assert.deepEqual(s.runs(), ['slow', 'sum']);
  assert.equal(again.summary.ok, true);
  assert.equal(again.summary.computed, 2);
});

async function rerun(s: ReturnType<typeof setup>, extra: { registryModule?: string } = {}) {
  const events: EngineEvent[] = [];
  process.env.GLMFLOW_TOY_WAIT_MS = '10';
  try {
    const summary = await runPipeline(s.graph, { registry, cacheRoot: s.cacheRoot, useCache: true, jobs: 2, emit: (e) => events.push(e), ...extra });
    return { summary, events };
  } finally {
    delete process.env.GLMFLOW_TOY_WAIT_MS;
  }
}

test('worker threads: a node that never yields is stopped, its temporary file removed, nothing of it cached', async () => {
  const s = setup('stall');
  const t0 = Date.now();
  const { summary, events } = await runAndInterrupt(s, { registryModule: REGISTRY_MODULE }, 300);
  assert.ok(Date.now() - t0 < 20_000, 'terminating the worker stops the busy node');
  assert.deepEqual(shape(events).slice(-3), ['node-start slow', 'node-interrupted slow', 'interrupted *']);
  const last = events.at(-1) as Extract<EngineEvent, { event: 'interrupted' }>;
  assert.deepEqual([last.computed, last.interrupted, last.notStarted], [2, 1, 1]);
  assert.equal(summary.interrupted, true);
  // the stalled write had its temporary open: it is gone, and no output was renamed into place
  assert.deepEqual(tmpFilesUnder(s.out), []);
  assert.equal(existsSync(join(s.out, 'stalled.bin')), false);
  assert.deepEqual(tmpFilesUnder(s.cacheRoot), []);

  s.resetLog();
  const again = await rerun(s, { registryModule: REGISTRY_MODULE });
  assert.deepEqual(again.events.filter((e) => e.event === 'node-cached').map((e) => e.node), ['source/a', 'scale/a']);
  assert.deepEqual(s.runs(), ['slow', 'sum']);
  assert.equal(existsSync(join(s.out, 'stalled.bin')), true);
});

test('aborted before anything runs: every node not started, no node event', async () => {
  const s = setup('wait');
  const controller = new AbortController();
  controller.abort('SIGTERM');
  const events: EngineEvent[] = [];
  const summary = await runPipeline(s.graph, { registry, cacheRoot: s.cacheRoot, useCache: true, jobs: 2, signal: controller.signal, emit: (e) => events.push(e) });
  assert.deepEqual(shape(events), ['plan *', 'interrupted *']);
  const last = events.at(-1) as Extract<EngineEvent, { event: 'interrupted' }>;
  assert.deepEqual([last.signal, last.computed, last.cached, last.interrupted, last.notStarted], ['SIGTERM', 0, 0, 0, 4]);
  assert.equal(summary.interrupted, true);
  assert.deepEqual(s.runs(), []);
});

test('reporters: the interrupted node and the final summary in words (plain) and on the dashboard', async () => {
  const { PlainReporter } = await import('../../src/ui/plain-reporter.js');
  const { RunState } = await import('../../src/ui/run-state.js');
  const { dashboardLines, lineText } = await import('../../src/ui/dashboard-lines.js');
  const events: EngineEvent[] = [
    { event: 'plan', node: '*', type: 'pipeline', nodes: [
      { id: 'load/a', type: 'load', stage: 'load', key: 'k1', status: 'cached', deps: [] },
      { id: 'fit/a', type: 'fit', stage: 'fit', key: 'k2', status: 'run', deps: ['load/a'] },
      { id: 'save/a', type: 'save', stage: 'save', key: 'k3', status: 'run', deps: ['fit/a'] },
    ], time: 0 },
    { event: 'node-cached', node: 'load/a', type: 'load', key: 'k1', time: 1 },
    { event: 'node-start', node: 'fit/a', type: 'fit', time: 2 },
    { event: 'node-interrupted', node: 'fit/a', type: 'fit', time: 3 },
    { event: 'interrupted', node: '*', type: 'pipeline', signal: 'SIGINT', computed: 0, cached: 1, failed: 0, skipped: 0, interrupted: 1, notStarted: 1, seconds: 2.5, time: 4 },
  ];
  let text = '';
  const plain = new PlainReporter({ stdout: { write: (s: string) => { text += s; return true; } }, colour: false });
  const state = new RunState();
  for (const e of events) { plain.onEvent(e); state.apply(e, 0); }
  assert.deepEqual(text.trim().split('\n').slice(-2), [
    '[interrupted] fit/a',
    'Interrupted by SIGINT after 2.5 s: 1 finished and cached (0 computed, 1 from cache), 1 interrupted, 1 not started. Run the same command again to compute the rest.',
  ]);
  const frame = dashboardLines(state, 10, { width: 200 }).map(lineText).join('\n');
  assert.match(frame, /Interrupted by SIGINT after 2\.5 s: 1 finished and cached, 1 interrupted, 1 not started/);
});

test('an interrupt that races a node publishing its entry: the node counts as finished, not interrupted, and a rerun uses it', async () => {
  const s = setup('wait');
  const controller = new AbortController();
  const inner = new InProcessRunner(registry);
  // The node `slow` completes and publishes its entry; SIGINT arrives before the runner reports,
  // so the runner says "interrupted" (as a worker terminated in that instant would).
  const racing: NodeRunner = {
    async run(job, report, signal) {
      const result = await inner.run(job, report, signal);
      if (job.id !== 'slow') return result;
      controller.abort('SIGINT');
      return interruptedResult();
    },
    close: () => inner.close(),
  };
  const events: EngineEvent[] = [];
  const slowWait = process.env.GLMFLOW_TOY_WAIT_MS;
  process.env.GLMFLOW_TOY_WAIT_MS = '1';
  try {
    await runPipeline(s.graph, { registry, cacheRoot: s.cacheRoot, useCache: true, jobs: 2, signal: controller.signal, runner: racing, emit: (e) => events.push(e) });
  } finally {
    if (slowWait === undefined) delete process.env.GLMFLOW_TOY_WAIT_MS;
    else process.env.GLMFLOW_TOY_WAIT_MS = slowWait;
  }
  assert.deepEqual(shape(events), [
    'plan *',
    'node-start source/a', 'node-done source/a',
    'node-start scale/a', 'node-done scale/a',
    'node-start slow', 'node-done slow',
    'interrupted *',
  ]);
  const last = events.at(-1) as Extract<EngineEvent, { event: 'interrupted' }>;
  assert.deepEqual({ computed: last.computed, interrupted: last.interrupted, notStarted: last.notStarted }, { computed: 3, interrupted: 0, notStarted: 1 });
  // the rerun finds all three in the cache and computes only `sum`
  s.resetLog();
  const rerun: EngineEvent[] = [];
  await runPipeline(s.graph, { registry, cacheRoot: s.cacheRoot, useCache: true, jobs: 2, emit: (e) => rerun.push(e) });
  assert.deepEqual(rerun.filter((e) => e.event === 'node-cached').map((e) => e.node).sort(), ['scale/a', 'slow', 'source/a']);
  assert.deepEqual(s.runs(), ['sum']);
});
