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

test('a spec with 6 mistakes (schema, unknown keys, a contrast naming a missing condition): exit 2 and all 6 at once, in file order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-cli-'));
  const spec = join(dir, 'bad.yaml');
  writeFileSync(spec, [
    'glmflow: 1',
    'name: bad',
    `data: {bids: ${join(projectRoot, 'examples', 'studyforrest-localizer')}, task: localizer}`,
    'first_level:',
    '  hrf_modle: spm',
    '  high_pass: fast',
    '  slice_time_ref: 1.5',
    '  noise_model: arr1',
    '  contrasts: {a: fase - house, b: face}',
    'author: me',
    '',
  ].join('\n'));
  const r = await glmflow(['validate', spec]);
  assert.equal(r.code, 2);
  // The contrast is checked against the real design columns even though the schema found problems.
  assert.deepEqual(r.stderr.trim().split('\n'), [
    `glmflow: ${spec}: 6 problems in the spec and its data`,
    `  ${spec}:5:3: first_level: unknown key 'hrf_modle' — did you mean 'hrf_model'?`,
    `  ${spec}:6:14: first_level.high_pass: got the text 'fast'; expected a frequency in Hz > 0`,
    `  ${spec}:7:19: first_level.slice_time_ref: 1.5 is out of range; expected a number from 0 to 1`,
    `  ${spec}:8:16: first_level.noise_model: invalid value 'arr1' (did you mean 'ar1'?); expected 'ols' or 'arN' with N from 1 to 99 (e.g. 'ar1')`,
    `  ${spec}:9:15: first_level.contrasts.a: Unknown design column "fase" in contrast "fase - house". The design has columns: body, face, house, object, scene, scramble, drift_1, drift_2, drift_3, drift_4, drift_5, drift_6, constant (design of sub-01 run-1)`,
    `  ${spec}:10:1: unknown top-level key 'author'; expected one of: glmflow, name, data, output, first_level, single_trial, group, roi, report, execution`,
  ]);
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
