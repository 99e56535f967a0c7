/** Subjects left out of `subjects: all` are listed with the reason (issue 8 item 10). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { noticeLines } from '../../src/cli/notices.js';
import { discoverBids } from '../../src/io/bids.js';
import { glmflow } from '../helpers/cli.js';
import { bold, EVENTS, mask, tempDir, writeSpec, writeTree } from '../helpers/file-tree.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let root: string;
before(async () => {
  tmp = await tempDir('skipped');
  const d = 'derivatives/fmriprep';
  root = await writeTree(join(tmp.dir, 'ds'), {
    'task-x_bold.json': { RepetitionTime: 2 },
    'task-y_bold.json': { RepetitionTime: 2 },
    'sub-01/func/sub-01_task-x_bold.nii.gz': bold(),
    'sub-01/func/sub-01_task-x_events.tsv': EVENTS,
    [`${d}/sub-01/func/sub-01_task-x_space-T1w_desc-preproc_bold.nii.gz`]: bold(),
    [`${d}/sub-01/func/sub-01_task-x_space-T1w_desc-brain_mask.nii.gz`]: mask(),
    // sub-02: another task only
    'sub-02/func/sub-02_task-y_bold.nii.gz': bold(),
    'sub-02/func/sub-02_task-y_events.tsv': EVENTS,
    [`${d}/sub-02/func/sub-02_task-y_space-T1w_desc-preproc_bold.nii.gz`]: bold(),
    // sub-03: raw only (not preprocessed)
    'sub-03/func/sub-03_task-x_bold.nii.gz': bold(),
    'sub-03/func/sub-03_task-x_events.tsv': EVENTS,
  });
});
after(async () => tmp.cleanup());

describe('skipped subjects', () => {
  it('discovery gives each skipped subject and why', async () => {
    const deriv = join(root, 'derivatives', 'fmriprep');
    const withDeriv = await discoverBids({ bids: root, derivatives: deriv, task: 'x', subjects: 'all', runs: 'all' });
    assert.deepEqual(withDeriv.runs.map((r) => r.subject), ['01']);
    assert.deepEqual(withDeriv.skipped, [
      { subject: '02', reason: `no BOLD for task 'x' in ${deriv} (tasks: y)` },
      { subject: '03', reason: `in the raw dataset but not in the derivatives (${deriv})` },
    ]);
    const raw = await discoverBids({ bids: root, task: 'x', subjects: 'all', runs: 'all' });
    assert.deepEqual(raw.runs.map((r) => r.subject), ['01', '03']);
    assert.deepEqual(raw.skipped, [{ subject: '02', reason: "no BOLD for task 'x' (tasks: y)" }]);
    // an explicitly requested subject without the task is an error giving the reason
    const asked = await discoverBids({ bids: root, derivatives: deriv, task: 'x', subjects: ['01', '02'], runs: 'all' }).catch((e: Error & { problems: string[] }) => e);
    assert.ok(asked instanceof Error && 'problems' in asked);
    assert.match(asked.message, /requested subject\(s\) sub-02/);
    assert.deepEqual(asked.problems, [`sub-02: no BOLD for task 'x' in ${deriv} (tasks: y)`]);
    // a selection that leaves a subject without runs says which criterion
    const sel = await discoverBids({ bids: root, task: 'x', subjects: 'all', runs: 'all', filters: { acq: 'fast' } }).catch((e: Error) => e);
    assert.ok(sel instanceof Error && /with acq-fast/.test(sel.message), String(sel));
  });

  it('validate and plan list them on stderr; the analysis goes on with the others', async () => {
    const spec = await writeSpec(join(root, 'spec.yaml'), { bids: '.', derivatives: 'derivatives/fmriprep' });
    for (const cmd of ['validate', 'plan']) {
      const r = await glmflow([cmd, spec, '--cache', join(tmp.dir, 'cache')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^glmflow: skipped sub-02: no BOLD for task 'x' in .* \(tasks: y\)$/m);
      assert.match(r.stderr, /^glmflow: skipped sub-03: in the raw dataset but not in the derivatives/m);
    }
  });

  it('run prints the skipped subjects and data warnings, not the events warnings its load nodes give', () => {
    const c = { skipped: [{ subject: '02', reason: 'r' }], warnings: ['w'], eventWarnings: ['e'] };
    assert.deepEqual(noticeLines(c, 'run'), ['glmflow: skipped sub-02: r', 'glmflow: warning: w']);
    assert.deepEqual(noticeLines(c, 'validate'), ['glmflow: skipped sub-02: r', 'glmflow: warning: w', 'glmflow: warning: e']);
  });
});
