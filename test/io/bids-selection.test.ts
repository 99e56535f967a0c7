/**
 * Entity selection (issue 10 item 1, issue 8 item 11): data.desc, data.filters, spaces T1w and
 * templates with res-, zero-padded run labels kept as written, and several files for one run
 * refused with the entity, the values and the key that chooses.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isUserError } from '../../src/errors.js';
import { discoverBids, discoverRuns } from '../../src/io/bids.js';
import { duplicateMessage, selectingKey } from '../../src/io/bids-selection.js';
import { parseEntities } from '../../src/io/bids.js';
import { compilePipeline } from '../../src/spec/compile.js';
import { loadSpec } from '../../src/spec/load.js';
import { glmflow } from '../helpers/cli.js';
import { bold, EVENTS, mask, tempDir, writeSpec, writeTree, type TreeFiles } from '../helpers/file-tree.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let root: string;
let deriv: string;
before(async () => {
  tmp = await tempDir('select');
  root = await writeTree(join(tmp.dir, 'laion'), laion());
  deriv = join(root, 'derivatives');
});
after(async () => tmp.cleanup());

async function rejectsWith(p: Promise<unknown>, ...fragments: string[]): Promise<string> {
  let text = '';
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isUserError(e), `expected a UserError, got ${String(e)}`);
    text = [(e as Error).message, ...(e as { problems: string[] }).problems].join('\n');
    for (const f of fragments) assert.ok(text.includes(f), `message '${text}' lacks '${f}'`);
    return true;
  });
  return text;
}

const noStack = (s: string) => assert.ok(!/\n\s+at .+:\d+:\d+/.test(s), `stack trace in: ${s}`);

/** LAION-like: multi-echo raw (echo-1..3, part-mag), zero-padded sessions and runs; optcom and preproc derivatives in T1w and MNI (res-1, res-2). */
function laion(): TreeFiles {
  const files: TreeFiles = { 'task-x_bold.json': { RepetitionTime: 2 } };
  for (const run of ['01', '02']) {
    const raw = `sub-01/ses-01/func/sub-01_ses-01_task-x_run-${run}`;
    for (const echo of ['1', '2', '3']) files[`${raw}_echo-${echo}_part-mag_bold.nii.gz`] = bold();
    files[`${raw}_events.tsv`] = EVENTS;
    const d = `derivatives/sub-01/ses-01/func/sub-01_ses-01_task-x_run-${run}`;
    files[`${d}_space-T1w_desc-optcom_bold.nii.gz`] = bold();
    files[`${d}_space-T1w_desc-preproc_bold.nii.gz`] = bold();
    files[`${d}_space-T1w_desc-brain_mask.nii.gz`] = mask();
    for (const res of ['1', '2']) {
      files[`${d}_space-MNI152NLin2009cAsym_res-${res}_desc-preproc_bold.nii.gz`] = bold();
      files[`${d}_space-MNI152NLin2009cAsym_res-${res}_desc-brain_mask.nii.gz`] = mask();
    }
    files[`${d}_desc-confounds_timeseries.tsv`] = 'a\n' + '1\n'.repeat(12);
  }
  return files;
}


describe('selection helpers', () => {
  it('the key that chooses each entity', () => {
    assert.equal(selectingKey('echo'), 'data.filters.echo');
    assert.equal(selectingKey('res'), 'data.filters.res');
    assert.equal(selectingKey('space'), 'data.space');
    assert.equal(selectingKey('desc'), 'data.desc');
  });

  it('duplicate message: every differing entity with its values', () => {
    const names = ['sub-01_task-x_run-1_acq-a_echo-1_bold.nii.gz', 'sub-01_task-x_run-1_acq-b_echo-2_bold.nii.gz'];
    const m = duplicateMessage(names.map((name) => ({ name, ents: parseEntities(name) })));
    assert.equal(m, 'sub-01 task-x run-1: 2 BOLD files for one run differ in acq (values found: a, b; choose one with data.filters.acq) and in echo (values found: 1, 2; choose one with data.filters.echo)');
  });
});

describe('raw multi-echo', () => {
  it('echoes of one run: refused naming the run, the entity, the values and data.filters.echo', async () => {
    const text = await rejectsWith(
      discoverRuns({ bids: root, task: 'x', subjects: 'all', runs: 'all' }),
      'sub-01 ses-01 task-x run-01', 'echo (values found: 1, 2, 3; choose one with data.filters.echo)', 'run-02',
    );
    assert.ok(!text.includes('part (values'), 'part- does not differ, so it is not named');
  });

  it('filters: {echo: 2} selects one file per run; run-01 kept as written', async () => {
    const runs = await discoverRuns({ bids: root, task: 'x', subjects: 'all', runs: 'all', filters: { echo: '2' } });
    assert.deepEqual(runs.map((r) => r.run), ['01', '02']);
    assert.ok(runs.every((r) => r.bold.endsWith('_echo-2_part-mag_bold.nii.gz')));
    assert.equal(runs[0].events, join(root, 'sub-01/ses-01/func/sub-01_ses-01_task-x_run-01_events.tsv'));
    assert.equal(runs[0].repetitionTime, 2);
    // a numeric label matches as an integer: run 1 and echo 02 select run-01 and echo-2
    const one = await discoverRuns({ bids: root, task: 'x', subjects: 'all', runs: ['1'], filters: { echo: '02', part: 'mag' } });
    assert.deepEqual(one.map((r) => [r.run, r.entities.echo]), [['01', '2']]);
  });

  it('a filter value that no file has: the values found', async () => {
    await rejectsWith(discoverRuns({ bids: root, task: 'x', subjects: 'all', runs: 'all', filters: { echo: '4' } }), "no BOLD for task 'x' with echo-4", 'echo values found: 1, 2, 3');
  });
});

describe('derivatives: desc, spaces, res', () => {
  it("desc defaults to preproc; space T1w; the mask of the same space", async () => {
    const [r] = await discoverRuns({ bids: root, derivatives: deriv, task: 'x', space: 'T1w', subjects: 'all', runs: ['01'] });
    assert.ok(r.bold.endsWith('run-01_space-T1w_desc-preproc_bold.nii.gz'), r.bold);
    assert.ok(r.brainMask?.endsWith('run-01_space-T1w_desc-brain_mask.nii.gz'));
    assert.ok(r.confounds?.endsWith('run-01_desc-confounds_timeseries.tsv'));
  });

  it('desc: optcom selects the tedana output; an unknown desc lists the ones found', async () => {
    const runs = await discoverRuns({ bids: root, derivatives: deriv, task: 'x', desc: 'optcom', subjects: 'all', runs: 'all' });
    assert.deepEqual(runs.map((r) => r.entities.desc), ['optcom', 'optcom']);
    assert.deepEqual(runs.map((r) => r.entities.space), ['T1w', 'T1w']);
    await rejectsWith(discoverRuns({ bids: root, derivatives: deriv, task: 'x', desc: 'denoised', subjects: 'all', runs: 'all' }), 'desc-denoised', 'desc values found: optcom, preproc', '*_desc-denoised_bold');
  });

  it('template with two resolutions: refused naming res and data.filters.res; filters: {res: 2} chooses', async () => {
    const q = { bids: root, derivatives: deriv, task: 'x', space: 'MNI152NLin2009cAsym', subjects: 'all' as const, runs: 'all' as const };
    await rejectsWith(discoverRuns(q), 'res (values found: 1, 2; choose one with data.filters.res)', '2 runs have several BOLD files');
    const runs = await discoverRuns({ ...q, filters: { res: '2' } });
    assert.equal(runs.length, 2);
    assert.ok(runs.every((r) => r.bold.includes('_res-2_desc-preproc_bold') && r.brainMask!.includes('_res-2_desc-brain_mask')));
  });

  it('no space chosen with several: refused naming space and data.space', async () => {
    await rejectsWith(discoverRuns({ bids: root, derivatives: deriv, task: 'x', subjects: 'all', runs: 'all' }), 'space (values found: MNI152NLin2009cAsym, T1w; choose one with data.space)');
  });
});

describe('spec keys and outputs', () => {
  it('data.filters: numbers kept as written; own-key entities refused by the schema', async () => {
    const spec = await writeSpec(join(root, 'filters.yaml'), { bids: '.', filters: { echo: 2, res: '02' } });
    const loaded = await loadSpec(spec);
    assert.deepEqual(loaded.spec.data!.filters, { echo: '2', res: '02' });
    const bad = await writeSpec(join(root, 'badfilter.yaml'), { bids: '.', filters: { space: 'T1w', 'echo-': 1 } });
    await rejectsWith(loadSpec(bad), "invalid name 'space'", 'data.space', "invalid name 'echo-'");
    const rawDesc = await writeSpec(join(root, 'rawdesc.yaml'), { bids: '.', desc: 'optcom' });
    await rejectsWith(compilePipeline(rawDesc, {}), 'data.desc', 'expected data.derivatives to be set');
  });

  it('compile: run-01 stays run-01 in node ids and output names; data.desc reaches discovery', async () => {
    const spec = await writeSpec(join(root, 'optcom.yaml'), { bids: '.', derivatives: 'derivatives', desc: 'optcom' }, { mask: 'derivatives' });
    const c = await compilePipeline(spec, {});
    const ids = c.graph.nodes.map((n) => n.id);
    assert.ok(ids.includes('fit/sub-01/ses-01/run-01'), ids.join(' '));
    const fit = c.graph.nodes.find((n) => n.id === 'fit/sub-01/ses-01/run-01')!;
    assert.ok((fit.files.bold as string).endsWith('_space-T1w_desc-optcom_bold.nii.gz'));
    const design = c.graph.nodes.find((n) => n.id === 'save/sub-01/design')!;
    assert.deepEqual((design.params as { runs: string[] }).runs, ['sub-01_ses-01_run-01', 'sub-01_ses-01_run-02']);
    assert.deepEqual(c.skipped, []);
  });

  it('validate with echoes of one run: exit 2 naming the entity, never "duplicate node ids"', async () => {
    const spec = await writeSpec(join(root, 'raw.yaml'), { bids: '.' });
    for (const cmd of ['validate', 'plan']) {
      const r = await glmflow([cmd, spec, '--cache', join(tmp.dir, 'cache')]);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.includes('echo (values found: 1, 2, 3; choose one with data.filters.echo)'), r.stderr);
      assert.ok(!r.stderr.includes('duplicate node ids'));
      noStack(r.stderr);
    }
    const fixed = await glmflow(['validate', spec, '--set', 'data.filters.echo=1']);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /1 subject, 2 runs/);
  });

  it('discoverBids reports no skipped subject when every subject has the task', async () => {
    const found = await discoverBids({ bids: root, task: 'x', subjects: 'all', runs: 'all', filters: { echo: '1' } });
    assert.deepEqual(found.skipped, []);
  });
});
