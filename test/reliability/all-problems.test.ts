/**
 * Issue 8 item 15: every check that can run does, and every problem is reported at once —
 * schema, semantic and data checks (contrasts against the real design columns) together,
 * in file order, without problems that only follow from another one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { compilePipeline } from '../../src/spec/compile.js';
import { isUserError } from '../../src/errors.js';
import { projectRoot } from '../helpers/paths.js';

const BIDS = join(projectRoot, 'examples', 'studyforrest-localizer');

async function problemsOf(lines: string[]): Promise<{ file: string; message: string; problems: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-all-'));
  const file = join(dir, 'spec.yaml');
  writeFileSync(file, lines.join('\n') + '\n');
  try {
    await compilePipeline(file, {});
  } catch (e) {
    if (!isUserError(e)) throw e;
    return { file, message: e.message, problems: e.problems.map((p) => p.replace(`${file}:`, '')) };
  }
  assert.fail('the spec was accepted');
}

test('schema, semantic and data problems together, in file order', async () => {
  const r = await problemsOf([
    'glmflow: 1',
    'name: all',
    `data: {bids: ${BIDS}, task: localizer}`,
    'first_level:',
    '  noise_model: ols',
    '  drift_model: cosine',
    '  hrf_model: glovr',
    '  contrasts: {faces: face - chairs, houses: house}',
    'group:',
    '  contrasts: [houses, facez]',
    '  smoothing_fwhm: -1',
  ]);
  assert.equal(r.message, `${r.file}: 4 problems in the spec and its data`);
  assert.equal(r.problems.length, 4, r.problems.join('\n'));
  assert.deepEqual(r.problems.map((p) => p.split(': ')[0]), ['7:14', '8:15', '10:23', '11:19']);
  assert.match(r.problems[0], /first_level\.hrf_model: invalid value 'glovr' \(did you mean 'glover'\?\)/);
  assert.match(r.problems[1], /first_level\.contrasts\.faces: Unknown design column "chairs"/);
  assert.match(r.problems[2], /group\.contrasts\.1: unknown contrast 'facez' \(did you mean 'faces'\?\)/);
  assert.match(r.problems[3], /group\.smoothing_fwhm: -1 is out of range/);
});

test('a refused value is only reported once: its defaults do not raise follow-up problems', async () => {
  const r = await problemsOf([
    'glmflow: 1',
    'name: once',
    `data: {bids: ${BIDS}, task: localizer}`,
    'first_level:',
    '  drift_model: polynomial',
    '  drift_order: many',
    '  contrasts: {f: face}',
  ]);
  // not also "drift_model 'polynomial' needs drift_order"
  assert.deepEqual(r.problems.map((p) => p.split(': ').slice(0, 2).join(': ')), ['6:16: first_level.drift_order']);
});

test('a problem in the data section stops only the data checks', async () => {
  const r = await problemsOf([
    'glmflow: 1',
    'name: nodata',
    'data: {bids: /nonexistent/bids, task: localizer}',
    'first_level:',
    '  noise_model: ar0',
    '  contrasts: {f: face}',
  ]);
  assert.deepEqual(r.problems.map((p) => p.split(': ').slice(0, 2).join(': ')), ['3:14: data.bids', '5:16: first_level.noise_model']);
});

test('a missing required key: the schema problems alone (nothing else can be checked)', async () => {
  const r = await problemsOf([
    'name: noversion',
    `data: {bids: ${BIDS}, task: localizer}`,
    'first_level:',
    '  noise_model: arr1',
    '  contrasts: {f: fase}',
  ]);
  assert.equal(r.problems.length, 2, r.problems.join('\n'));
  assert.match(r.problems[0], /missing required key 'glmflow'/);
  assert.match(r.problems[1], /first_level\.noise_model/);
});
