/**
 * Reporters on a run driven by the SLURM executor: `node-state` events (job id, state)
 * show as queued-on-SLURM vs running in the dashboard, as lines in the plain log, and
 * unchanged (with `job` and `state`) in --ui json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEvent, PlanEntry } from '../../src/engine/types.js';
import { RunState } from '../../src/ui/run-state.js';
import { dashboardLines, lineText } from '../../src/ui/dashboard-lines.js';
import { PlainReporter } from '../../src/ui/plain-reporter.js';
import { JsonReporter } from '../../src/ui/json-reporter.js';
import { FakeStream, replay } from './events.js';

const t0 = 1_700_000_000_000;
const plan = (id: string, subject: string): PlanEntry => ({ id, type: 'fit', stage: 'fit', subject, key: `k-${id}`, status: 'run', deps: [] });

const EVENTS: EngineEvent[] = [
  { event: 'plan', node: '*', type: 'pipeline', nodes: [plan('fit/sub-01', '01'), plan('fit/sub-02', '02'), plan('fit/sub-03', '03')], time: t0 },
  { event: 'node-start', node: 'fit/sub-01', type: 'fit', time: t0 + 1 },
  { event: 'node-start', node: 'fit/sub-02', type: 'fit', time: t0 + 2 },
  { event: 'node-start', node: 'fit/sub-03', type: 'fit', time: t0 + 3 },
  { event: 'node-state', node: 'fit/sub-01', type: 'fit', job: '41', state: 'PENDING', time: t0 + 100 },
  { event: 'node-state', node: 'fit/sub-02', type: 'fit', job: '42', state: 'PENDING', time: t0 + 110 },
  { event: 'node-state', node: 'fit/sub-03', type: 'fit', job: '43', state: 'PENDING', time: t0 + 120 },
  { event: 'node-state', node: 'fit/sub-01', type: 'fit', job: '41', state: 'RUNNING', time: t0 + 1000 },
];

const DONE: EngineEvent[] = [
  { event: 'node-state', node: 'fit/sub-01', type: 'fit', job: '41', state: 'COMPLETED', time: t0 + 5000 },
  { event: 'node-done', node: 'fit/sub-01', type: 'fit', key: 'k', seconds: 3.9, job: '41', state: 'COMPLETED', time: t0 + 5001 },
];

test('dashboard: nodes waiting in the SLURM queue are counted apart from running ones, with their job ids', () => {
  const state = new RunState();
  for (const e of EVENTS) state.apply(e, e.time);
  assert.equal(state.pendingOnScheduler(), 2);
  const lines = dashboardLines(state, t0 + 3000, { width: 100 }).map(lineText);
  assert.match(lines[0]!, /1 running · 2 queued on SLURM/);
  const row = (id: string) => lines.find((l) => l.includes(id))!;
  assert.match(row('fit/sub-02'), /job 42 PENDING/);
  assert.match(row('fit/sub-01'), /job 41 RUNNING/);
  // elapsed of a running job counts from its start on the compute node (t0+1000), not its submission
  assert.match(row('fit/sub-01'), /0:02\s*$/);
  for (const e of DONE) state.apply(e, e.time);
  assert.equal(state.nodes.get('fit/sub-01')!.status, 'done');
  assert.equal(state.pendingOnScheduler(), 2);
});

test('plain log: one line per submission and start, the job id on [done]', async () => {
  const out = new FakeStream(false);
  const clock = { now: 0 };
  const r = new PlainReporter({ stdout: out, now: () => clock.now });
  replay([...EVENTS, ...DONE], (e) => r.onEvent(e), clock);
  await r.close();
  const text = out.text();
  assert.match(text, /^\[pending\] fit\/sub-02 \(SLURM job 42\)$/m);
  assert.match(text, /^\[running\] fit\/sub-01 \(SLURM job 41\)$/m);
  assert.match(text, /^\[done\] fit\/sub-01 \(3\.9 s, SLURM job 41\) · 1\/3 nodes/m);
  assert.ok(!/COMPLETED/.test(text), 'the end of a job shows once, as [done]');
});

test('--ui json: node-state events and final events carry job and state', async () => {
  const out = new FakeStream(false);
  const r = new JsonReporter(out as any);
  for (const e of [...EVENTS, ...DONE]) r.onEvent(e);
  await r.close();
  const lines = out.text().trim().split('\n').map((l) => JSON.parse(l));
  const states = lines.filter((l) => l.event === 'node-state');
  assert.equal(states.length, 5);
  assert.deepEqual(states[0], { event: 'node-state', node: 'fit/sub-01', type: 'fit', job: '41', state: 'PENDING', time: t0 + 100 });
  const done = lines.find((l) => l.event === 'node-done');
  assert.equal(done.job, '41');
  assert.equal(done.state, 'COMPLETED');
});
