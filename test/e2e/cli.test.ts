/** The command line contract: exit codes, messages without stack traces, graph formats. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { glmflow } from '../helpers/cli.js';
import { projectRoot } from '../helpers/paths.js';

const LOCALIZER = join(projectRoot, 'pipelines', 'localizer.yaml');
const noStack = (s: string) => assert.ok(!/\n\s+at .+:\d+:\d+/.test(s), `stack trace in: ${s}`);

test('usage errors exit 2 with a message and no stack trace', async () => {
  for (const args of [['frobnicate'], ['run'], ['run', LOCALIZER, '--jobs', '0'], ['run', LOCALIZER, '--bogus'], ['graph', LOCALIZER, '--format', 'png'], ['cache', 'nope'], []]) {
    const r = await glmflow(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^glmflow: /);
    noStack(r.stderr);
  }
  const missing = await glmflow(['validate', '/nonexistent/spec.yaml']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /\/nonexistent\/spec\.yaml/);
});

test('a spec with 5 mistakes: exit 2 and 5 messages with line:col', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-cli-'));
  const spec = join(dir, 'bad.yaml');
  writeFileSync(spec, [
    'glmflow: 1',
    'name: bad',
    'data: {bids: ., task: x}',
    'first_level:',
    '  hrf_modle: spm',
    '  high_pass: fast',
    '  slice_time_ref: 1.5',
    '  noise_model: arr1',
    '  contrasts: {a: face}',
    'author: me',
    '',
  ].join('\n'));
  const r = await glmflow(['validate', spec]);
  assert.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n').slice(1);
  assert.equal(lines.length, 5, r.stderr);
  assert.deepEqual(lines.map((l) => /bad\.yaml:(\d+):(\d+)/.exec(l)?.slice(1).join(':')), ['5:3', '6:14', '7:19', '8:16', '10:1']);
  assert.match(r.stderr, /did you mean 'hrf_model'/);
  assert.match(r.stderr, /did you mean 'ar1'/);
  noStack(r.stderr);
});

test('validate, graph (mermaid and dot), version', async () => {
  const v = await glmflow(['validate', LOCALIZER]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /valid — 1 subject, 1 run, 4 first-level contrasts/);
  const m = await glmflow(['graph', LOCALIZER]);
  assert.equal(m.code, 0);
  assert.match(m.stdout, /^flowchart LR/);
  assert.match(m.stdout, /fit_sub_01_run_1 --> contrast_sub_01_faceVsScene/);
  const d = await glmflow(['graph', LOCALIZER, '--format', 'dot']);
  assert.match(d.stdout, /^digraph glmflow/);
  assert.match(d.stdout, /"mask\/sub-01" -> "fit\/sub-01\/run-1";/);
  const ver = await glmflow(['--version']);
  assert.match(ver.stdout, /^glmflow \d+\.\d+\.\d+/);
});
