import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InkReporter } from '../../src/ui/ink-reporter.js';
import { dashboardLines, lineText } from '../../src/ui/dashboard-lines.js';
import { RunState } from '../../src/ui/run-state.js';
import { createReporter, resolveReporterKind } from '../../src/ui/reporter.js';
import type { EngineEvent, PlanEntry } from '../../src/engine/types.js';
import { RUN, FakeStream, lastFrame, replay } from './events.js';

test('ink reporter: final frame shows the stages, counts, the failure and the summary', async () => {
  const tty = new FakeStream(true, 80, 40);
  const clock = { now: 0 };
  const r = new InkReporter({ stdout: tty, now: () => clock.now });
  replay(RUN, (e) => r.onEvent(e), clock);
  await r.close();
  const frame = lastFrame(tty).split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
  assert.deepEqual(frame, [
    'glmflow ✖ 8/11 nodes · 2 cached · 1 failed · 2 skipped                      0:04',
    '  load       ✔ 2/2 done (2 cached)',
    '  design     ✔ 2/2 done',
    '  fit        ✖ 1/2 done, 1 failed',
    '    ✖ fit/sub-02: singular design matrix <X>',
    '  contrast   ⊘ 2/4 done, 2 skipped',
    '  report     ✔ 1/1 done',
    '✖ Failed after 4.5 s: 6 computed, 2 cached, 1 failed, 2 skipped',
    '  output: out/glm',
  ]);
  // The warning is printed once, above the dashboard (Ink <Static>); info logs are not (not verbose).
  const all = tty.text();
  assert.equal(all.split('⚠ fit/sub-01: 12 voxels with zero variance').length - 1, 1);
  assert.ok(!all.includes('AR(1) with 10 bins'));
  // Calling close twice is harmless.
  await r.close();
});

test('dashboard mid-run: running nodes with spinner, progress bar, percent and elapsed time', () => {
  const state = new RunState();
  const clock = { now: 0 };
  replay(RUN.slice(0, 14), (e) => state.apply(e, clock.now), clock);
  const now = RUN[13]!.time + 1000; // 1 s after the last event
  const lines = dashboardLines(state, now, { width: 80 }).map(lineText);
  for (const l of lines) assert.ok(l.length <= 80, `fits 80 columns: ${JSON.stringify(l)}`);
  // ETA: the fit at 25% after 3.5 s needs 10.5 s more; the other fit (3.1 s spent) is expected
  // to take the designs' mean, 0.045 s, so 0 more; 4 contrasts and the report 0.045 s each.
  // 0.09 + 3.5 + 3.1 s of node time in 3.6 s since the first start: parallelism 1.86, so
  // (10.5 + 5 x 0.045) / 1.86 = 5.8 s
  assert.match(lines[0]!, /^glmflow . 4\/11 nodes · 2 cached · 2 running · ETA 0:05 +0:03$/);
  assert.equal(lines[1], '  load       ✔ 2/2 done (2 cached)');
  assert.match(lines[3]!, /^  fit        . 0\/2 done · 2 running$/);
  // fit/sub-01 started at t0+100, now = t0+3600: 3 s; 25% of a 12-cell bar = 3 cells.
  assert.match(lines[4]!, /^    sub-01   . fit\/sub-01 +███░░░░░░░░░  25% +0:03$/);
  assert.match(lines[5]!, /^    sub-02   . fit\/sub-02 +0:03$/);
  assert.equal(lines[6], '  contrast   ○ 4 queued');
  assert.equal(lines[7], '  report     ○ 1 queued');
  assert.equal(lines.length, 8);
});

function bigPlan(subjects: number, contrasts: number): PlanEntry[] {
  const out: PlanEntry[] = [];
  for (let s = 1; s <= subjects; s++) {
    const sub = String(s).padStart(3, '0');
    for (const stage of ['load', 'design', 'mask', 'fit']) {
      out.push({ id: `${stage}/sub-${sub}`, type: stage, stage, subject: sub, key: 'k', status: 'run', deps: [] });
    }
    for (let c = 0; c < contrasts; c++) {
      out.push({ id: `contrast/sub-${sub}/c${c}`, type: 'contrast', stage: 'contrast', subject: sub, key: 'k', status: 'run', deps: [] });
    }
  }
  out.push({ id: 'report', type: 'report', stage: 'report', key: 'k', status: 'run', deps: [] });
  return out;
}

test('dashboard stays compact for hundreds of nodes', () => {
  const plan = bigPlan(60, 4); // 60 * 8 + 1 = 481 nodes
  const state = new RunState();
  state.apply({ event: 'plan', node: '', type: '', nodes: plan, time: 0 }, 0);
  const ev = (e: EngineEvent) => state.apply(e, 1000);
  for (const n of plan) {
    if (n.stage === 'load' || n.stage === 'design' || n.stage === 'mask') ev({ event: 'node-cached', node: n.id, type: n.type, key: 'k', time: 0 });
  }
  // 20 fits done, 2 running, one failed; the rest queued.
  plan.filter((n) => n.stage === 'fit').slice(0, 20).forEach((n) => ev({ event: 'node-done', node: n.id, type: 'fit', key: 'k', seconds: 2, time: 0 }));
  ev({ event: 'node-start', node: 'fit/sub-021', type: 'fit', time: 0 });
  ev({ event: 'node-progress', node: 'fit/sub-021', type: 'fit', progress: 0.5, time: 0 });
  ev({ event: 'node-start', node: 'fit/sub-022', type: 'fit', time: 0 });
  ev({ event: 'node-failed', node: 'fit/sub-023', type: 'fit', error: 'out of memory', time: 0 });
  const lines = dashboardLines(state, 5000, { width: 80 }).map(lineText);
  assert.deepEqual(lines.slice(1).map((l) => l.trimEnd().replace(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/g, '*').replace(/ +0:0\d$/, '').replace(/ {2,}/g, '  ')), [
    '  load  ✔ 60/60 done (60 cached)',
    '  design  ✔ 60/60 done (60 cached)',
    '  mask  ✔ 60/60 done (60 cached)',
    '  fit  * 20/60 done · 2 running · 37 queued · 1 failed',
    '  sub-021  * fit/sub-021  ██████░░░░░░  50%',
    '  sub-022  * fit/sub-022',
    '  ✖ fit/sub-023: out of memory',
    '  contrast  ○ 240 queued',
    '  report  ○ 1 queued',
  ]);
  // With a short terminal the frame is cut to its height, keeping the header.
  const short = dashboardLines(state, 5000, { width: 80, maxRows: 6 }).map(lineText);
  assert.equal(short.length, 6);
  assert.match(short[0]!, /^glmflow/);
  assert.match(short[5]!, /… 5 more lines/);
});

test('dashboard expands a few subjects of an active stage, one line each', () => {
  const plan = bigPlan(3, 1);
  const state = new RunState();
  state.apply({ event: 'plan', node: '', type: '', nodes: plan, time: 0 }, 0);
  for (const n of plan.filter((p) => p.stage !== 'fit' && p.stage !== 'contrast' && p.stage !== 'report')) {
    state.apply({ event: 'node-done', node: n.id, type: n.type, key: 'k', seconds: 1, time: 0 }, 0);
  }
  state.apply({ event: 'node-cached', node: 'fit/sub-001', type: 'fit', key: 'k', time: 0 }, 0);
  state.apply({ event: 'node-start', node: 'fit/sub-002', type: 'fit', time: 0 }, 0);
  const lines = dashboardLines(state, 2000, { width: 80 }).map((l) => lineText(l).trimEnd());
  const fit = lines.findIndex((l) => l.startsWith('  fit'));
  assert.equal(lines[fit + 1], '    sub-001  ✔ 1/1 done (1 cached)');
  assert.match(lines[fit + 2]!, /^    sub-002  . fit\/sub-002 +0:02$/);
  assert.equal(lines[fit + 3], '    sub-003  ○ 1 queued');
});

test('createReporter: auto picks ink on a TTY and plain otherwise', async () => {
  assert.equal(resolveReporterKind('auto', { isTTY: true }, {}), 'ink');
  assert.equal(resolveReporterKind('auto', { isTTY: true }, { TERM: 'dumb' }), 'plain');
  assert.equal(resolveReporterKind('auto', { isTTY: false }, {}), 'plain');
  assert.equal(resolveReporterKind('auto', { isTTY: true }, { CI: 'true' }), 'plain');
  assert.equal(resolveReporterKind('auto', { isTTY: true }, { CONTINUOUS_INTEGRATION: '1' }), 'plain');
  assert.equal(resolveReporterKind('auto', { isTTY: true }, { CI: 'false' }), 'ink');
  assert.equal(resolveReporterKind('json', { isTTY: true }, {}), 'json');
  const out = new FakeStream(false);
  const err = new FakeStream(false);
  const io = { stdout: out as unknown as NodeJS.WriteStream, stderr: err as unknown as NodeJS.WriteStream };
  const plain = await createReporter('auto', io);
  assert.equal(plain.constructor.name, 'PlainReporter');
  const json = await createReporter('json', io);
  json.onEvent(RUN[1]!);
  await json.close();
  assert.equal(out.text(), JSON.stringify(RUN[1]) + '\n');
});
