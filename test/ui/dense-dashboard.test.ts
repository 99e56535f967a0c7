import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dashboardLines, lineText } from '../../src/ui/dashboard-lines.js';
import { RunState } from '../../src/ui/run-state.js';
import { InkReporter } from '../../src/ui/ink-reporter.js';
import type { EngineEvent, PlanEntry } from '../../src/engine/types.js';
import { FakeStream, frameWhen } from './events.js';

/**
 * A dense subject as the compiler plans it: one subject, 240 runs (30 sessions x 8) with load,
 * confounds, design, fit and residuals per run, one mask, 2 contrasts with their saves: 1 206 nodes.
 */
function densePlan(): PlanEntry[] {
  const out: PlanEntry[] = [];
  const add = (id: string, stage: string, label?: string) =>
    out.push({ id, type: stage, stage, subject: 'sub-01', key: `k-${id}`, status: 'run', deps: [], ...(label ? { label } : {}) });
  add('mask/sub-01', 'mask');
  for (let s = 1; s <= 30; s++) {
    for (let r = 1; r <= 8; r++) {
      const run = `ses-${String(s).padStart(2, '0')}_run-${r}`;
      for (const stage of ['load', 'confounds', 'design', 'fit']) add(`${stage}/sub-01/${run}`, stage, run);
      out.push({ id: `save/sub-01/${run}/residuals`, type: 'save', stage: 'save', subject: 'sub-01', label: `${run} residuals`, key: 'k', status: 'run', deps: [] });
    }
  }
  for (const c of ['face', 'faceVsHouse']) {
    add(`contrast/sub-01/${c}`, 'contrast', c);
    add(`save/sub-01/${c}`, 'save', c);
  }
  add('save/sub-01/design', 'save', 'design');
  return out;
}

/** Mid-run: loads, confounds and designs cached, 150 fits done, 6 running, 5 fits and 2 saves failed. */
function midRun(): { state: RunState; running: string[]; failed: string[]; plan: PlanEntry[] } {
  const plan = densePlan();
  const state = new RunState();
  state.apply({ event: 'plan', node: '*', type: 'pipeline', nodes: plan, time: 0 }, 0);
  const ev = (e: EngineEvent, at: number) => state.apply(e, at);
  for (const n of plan) if (['load', 'confounds', 'design'].includes(n.stage)) ev({ event: 'node-cached', node: n.id, type: n.type, key: n.key, time: 0 }, 0);
  ev({ event: 'node-start', node: 'mask/sub-01', type: 'mask', time: 0 }, 0);
  ev({ event: 'node-done', node: 'mask/sub-01', type: 'mask', key: 'k', seconds: 1, time: 0 }, 1000);
  const fits = plan.filter((n) => n.stage === 'fit');
  fits.slice(0, 150).forEach((n, i) => {
    ev({ event: 'node-start', node: n.id, type: 'fit', time: 0 }, 1000 + i * 1000);
    ev({ event: 'node-done', node: n.id, type: 'fit', key: n.key, seconds: 2, time: 0 }, 1000 + i * 1000 + 2000);
  });
  const failed = fits.slice(150, 155).map((n) => n.id);
  for (const id of failed) {
    ev({ event: 'node-start', node: id, type: 'fit', time: 0 }, 152_000);
    ev({ event: 'node-failed', node: id, type: 'fit', error: 'singular design matrix\nrank 3 < 5', time: 0 }, 153_000);
  }
  const saves = plan.filter((n) => n.stage === 'save').slice(0, 2).map((n) => n.id);
  for (const id of saves) ev({ event: 'node-failed', node: id, type: 'save', error: 'disk full', time: 0 }, 153_000);
  failed.push(...saves);
  const running = fits.slice(155, 161).map((n) => n.id);
  running.forEach((id, i) => {
    ev({ event: 'node-start', node: id, type: 'fit', time: 0 }, 153_000 + i * 100);
    ev({ event: 'node-progress', node: id, type: 'fit', progress: 0.1 * (i + 1), time: 0 }, 154_000);
  });
  return { state, running, failed, plan };
}

test('dashboard with 1 206 nodes: within the terminal, every running and failed node listed, counts right', () => {
  const { state, running, failed, plan } = midRun();
  assert.ok(plan.length >= 1000);
  for (const rows of [24, 40]) {
    const lines = dashboardLines(state, 155_000, { width: 100, maxRows: rows - 1 }).map(lineText);
    assert.ok(lines.length <= rows - 1, `${lines.length} lines in a ${rows}-row terminal`);
    for (const l of lines) assert.ok(l.length <= 100);
    const text = lines.join('\n');
    for (const id of running) assert.ok(text.includes(id.split('/').pop()!), `running ${id} listed (${rows} rows)`);
    for (const id of failed) assert.ok(text.includes(id), `failed ${id} listed (${rows} rows)`);
    // header: finished of all (720 cached + mask + 150 fits), cached, running, failed, an ETA
    assert.match(lines[0]!, /^glmflow . 871\/1206 nodes · 720 cached · 6 running · 7 failed · ETA \d+:\d\d/);
    // stages collapse to one count line each when there is room
    if (rows === 40) {
      assert.ok(lines.includes('  load       ✔ 240/240 done (240 cached)'));
      assert.ok(lines.some((l) => /^  fit {8}. 150\/240 done · 6 running · 79 queued · 5 failed$/.test(l)));
      assert.ok(lines.includes('  save       ○ 0/243 done · 241 queued · 2 failed'), text);
    }
  }
});

test('dashboard with 1 206 nodes in a tiny terminal: header first, running and failures before stage lines, a count of the rest', () => {
  const { state, running } = midRun();
  const lines = dashboardLines(state, 155_000, { width: 100, maxRows: 10 }).map(lineText);
  assert.equal(lines.length, 10);
  assert.match(lines[0]!, /^glmflow .* 871\/1206 nodes/);
  // 8 rows of body: the 6 running fits and the first 2 failures, then the count of what is left
  for (const id of running) assert.ok(lines.some((l) => l.includes(id.split('/').pop()!)), id);
  assert.match(lines[9]!, /… 5 more running or failed not shown \(\d+ lines in all\)/);
});

test('ink dashboard with 1 206 nodes draws a frame no taller than the terminal', async () => {
  const { plan } = midRun();
  const tty = new FakeStream(true, 80, 24);
  const clock = { now: 0 };
  const r = new InkReporter({ stdout: tty, now: () => clock.now });
  r.onEvent({ event: 'plan', node: '*', type: 'pipeline', nodes: plan, time: 0 });
  for (const n of plan.slice(0, 600)) r.onEvent({ event: 'node-cached', node: n.id, type: n.type, key: n.key, time: 0 });
  const fits = plan.filter((n) => n.stage === 'fit');
  for (const n of fits.slice(0, 4)) r.onEvent({ event: 'node-start', node: n.id, type: 'fit', time: 0 });
  r.onEvent({ event: 'node-failed', node: fits[5]!.id, type: 'fit', error: 'boom', time: 0 });
  clock.now = 5000;
  const drawn = await frameWhen(tty, (f) => f.includes(fits[0]!.label!) && f.includes(fits[5]!.id));
  const frame = drawn.split('\n').filter((l) => l.trim() !== '');
  assert.ok(frame.length <= 24, `${frame.length} rows`);
  assert.ok(frame.some((l) => l.includes(fits[0]!.label!)), frame.join('\n'));
  assert.ok(frame.some((l) => l.includes(fits[5]!.id)), frame.join('\n'));
  await r.close();
});
