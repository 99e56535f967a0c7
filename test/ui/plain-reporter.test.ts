import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlainReporter } from '../../src/ui/plain-reporter.js';
import { useColour } from '../../src/ui/stream.js';
import { RUN, FakeStream, replay } from './events.js';

const EXPECTED = `glmflow: 11 nodes: 2 cached, 9 to run
[cached] load/sub-01
[cached] load/sub-02
[run] design/sub-01/run-1
[done] design/sub-01/run-1 (0.0 s) · 3/11 nodes · ETA 0.3 s
[run] design/sub-02/run-1
[done] design/sub-02/run-1 (0.1 s) · 4/11 nodes · ETA 0.3 s
[run] fit/sub-01
[progress] fit/sub-01 12% (chunk 2/16)
[run] fit/sub-02
[progress] fit/sub-01 20%
[FAILED] fit/sub-02: singular design matrix <X>
    rank 3 < 5 columns
[skipped] contrast/sub-02/faceVsScene: depends on failed fit/sub-02
[skipped] contrast/sub-02/face: depends on failed fit/sub-02
[warn] fit/sub-01: 12 voxels with zero variance
[done] fit/sub-01 (3.2 s) · 8/11 nodes · ETA 3.3 s
[run] contrast/sub-01/faceVsScene
[done] contrast/sub-01/faceVsScene (0.2 s) · 9/11 nodes · ETA 1.1 s
[run] contrast/sub-01/face
[done] contrast/sub-01/face (0.2 s) · 10/11 nodes · ETA 0.7 s
[run] report
[done] report (0.8 s) · 11/11 nodes
Failed after 4.5 s: 6 computed, 2 cached, 1 failed, 2 skipped. Output: out/glm
`;

// [done] lines say how far the run is: finished nodes of all and the ETA (RunState.eta: e.g. after
// fit/sub-01, 3 nodes of unknown type at the mean 1.1 s of the 3 finished ones, 3.3 s, in 3.3 s
// of node time over 3.3 s since the first start, parallelism 1).
test('plain reporter: exact line log of a run (progress throttled to 10% or 2 s)', async () => {
  const out = new FakeStream(false);
  const clock = { now: 0 };
  const r = new PlainReporter({ stdout: out, now: () => clock.now });
  replay(RUN, (e) => r.onEvent(e), clock);
  await r.close();
  // 5% (<10%, 100 ms) suppressed; 12% printed (>=10%); 18% suppressed (+6%, 100 ms);
  // 20% printed (2.2 s since the last line); 25% suppressed; 100% never printed.
  assert.equal(out.text(), EXPECTED);
  assert.ok(!/\u001b\[/.test(out.text()), 'no ANSI codes when not a TTY');
});

test('plain reporter: warnings to stderr, verbose plan listing and info logs', async () => {
  const out = new FakeStream(false);
  const err = new FakeStream(false);
  const clock = { now: 0 };
  const r = new PlainReporter({ stdout: out, stderr: err, verbose: true, now: () => clock.now });
  replay(RUN, (e) => r.onEvent(e), clock);
  await r.close();
  assert.equal(err.text(), '[warn] fit/sub-01: 12 voxels with zero variance\n');
  const lines = out.text().split('\n');
  assert.equal(lines[1], '  cached load/sub-01');
  assert.equal(lines[3], '  run    design/sub-01/run-1 (new: not in cache)');
  assert.ok(lines.includes('[info] fit/sub-01: AR(1) with 10 bins'));
  assert.ok(!out.text().includes('[warn]'));
});

test('plain reporter: colours only on a TTY and never with NO_COLOR', () => {
  const tty = new FakeStream(true);
  assert.equal(useColour(tty, {}), true);
  assert.equal(useColour(tty, { NO_COLOR: '1' }), false);
  assert.equal(useColour(tty, { TERM: 'dumb' }), false);
  assert.equal(useColour(new FakeStream(false), {}), false);
  const r = new PlainReporter({ stdout: tty, colour: true });
  r.onEvent({ event: 'node-failed', node: 'fit/sub-02', type: 'fit', error: 'boom', time: 0 });
  assert.equal(tty.text(), '\u001b[31m\u001b[1m[FAILED]\u001b[0m fit/sub-02: boom\n');
});

test('plain reporter: a slow node prints a progress line every 2 s even with small steps', () => {
  const out = new FakeStream(false);
  const clock = { now: 0 };
  const r = new PlainReporter({ stdout: out, now: () => clock.now });
  r.onEvent({ event: 'node-start', node: 'fit/x', type: 'fit', time: 0 });
  for (let s = 1; s <= 9; s++) {
    clock.now = s * 1000;
    r.onEvent({ event: 'node-progress', node: 'fit/x', type: 'fit', progress: s / 100, time: clock.now });
  }
  assert.deepEqual(out.text().trim().split('\n'), [
    '[run] fit/x',
    '[progress] fit/x 2%',
    '[progress] fit/x 4%',
    '[progress] fit/x 6%',
    '[progress] fit/x 8%',
  ]);
});
