import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonReporter } from '../../src/ui/json-reporter.js';
import { RUN, FakeStream } from './events.js';

test('json reporter: one JSON object per line, exactly the event objects', async () => {
  const out = new FakeStream(false);
  const r = new JsonReporter(out);
  for (const e of RUN) r.onEvent(e);
  await r.close();
  const lines = out.text().split('\n');
  assert.equal(lines.pop(), '', 'output ends with a newline');
  assert.equal(lines.length, RUN.length);
  lines.forEach((line, i) => assert.deepEqual(JSON.parse(line), RUN[i]));
  // SPEC fields
  for (const line of lines) {
    const o = JSON.parse(line);
    assert.equal(typeof o.event, 'string');
    assert.equal(typeof o.node, 'string');
    assert.equal(typeof o.type, 'string');
    if (o.event === 'node-progress') assert.ok(o.progress >= 0 && o.progress <= 1);
    if (o.event === 'node-failed') assert.equal(o.error, 'singular design matrix <X>\nrank 3 < 5 columns');
  }
  assert.equal(out.writes.filter((w) => w.includes('\n')).length, RUN.length, 'one write per event');
});
