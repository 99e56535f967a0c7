import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isUserError } from '../../src/errors.js';
import { discoverRuns, parseEntities, readParticipants, sameLabel, subjectLabel } from '../../src/io/bids.js';
import { examplesDir, fixture } from '../helpers/paths.js';

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'glmflow-bids-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Build a tree: keys are relative paths, values file contents (objects are written as JSON). */
async function tree(name: string, files: Record<string, string | object>): Promise<string> {
  const root = join(tmp, name);
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

async function rejectsUser(p: Promise<unknown>, ...fragments: string[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isUserError(e), `expected a UserError, got ${String(e)}`);
    for (const f of fragments) assert.ok((e as Error).message.includes(f), `message '${(e as Error).message}' lacks '${f}'`);
    return true;
  });
}

const EV = 'onset\tduration\ttrial_type\n1\t1\ta\n';

describe('parseEntities / labels', () => {
  it('parses entities, suffix and extension', () => {
    assert.deepEqual(parseEntities('/x/sub-01_ses-2_task-faces_run-1_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz'), {
      sub: '01', ses: '2', task: 'faces', run: '1', space: 'MNI152NLin2009cAsym', desc: 'preproc', suffix: 'bold', extension: '.nii.gz',
    });
    assert.deepEqual(parseEntities('task-localizer_bold.json'), { task: 'localizer', suffix: 'bold', extension: '.json' });
    assert.deepEqual(parseEntities('participants.tsv'), { suffix: 'participants', extension: '.tsv' });
  });

  it('subjectLabel and sameLabel', () => {
    assert.equal(subjectLabel('sub-01'), '01');
    assert.equal(subjectLabel(' 01 '), '01');
    assert.ok(sameLabel('1', '01'));
    assert.ok(!sameLabel('1a', '01a'));
    assert.ok(!sameLabel('1', '2'));
  });
});

describe('discoverRuns on the fixtures', () => {
  it('synth: fMRIPrep derivatives, 2 runs, space MNI152NLin2009cAsym', async () => {
    const bids = fixture('synth');
    const derivatives = fixture('synth', 'derivatives', 'fmriprep');
    const runs = await discoverRuns({ bids, derivatives, task: 'faces', space: 'MNI152NLin2009cAsym', subjects: 'all', runs: 'all' });
    assert.equal(runs.length, 2);
    assert.deepEqual(runs.map((r) => [r.subject, r.session, r.run]), [['01', undefined, '1'], ['01', undefined, '2']]);
    const d = join(derivatives, 'sub-01', 'func');
    assert.equal(runs[0].bold, join(d, 'sub-01_task-faces_run-1_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz'));
    assert.equal(runs[0].events, join(bids, 'sub-01', 'func', 'sub-01_task-faces_run-1_events.tsv'));
    assert.equal(runs[1].confounds, join(d, 'sub-01_task-faces_run-2_desc-confounds_timeseries.tsv'));
    assert.equal(runs[1].confoundsJson, undefined);
    assert.equal(runs[1].brainMask, join(d, 'sub-01_task-faces_run-2_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz'));
    assert.equal(runs[0].repetitionTime, 2);
    assert.equal(runs[0].sidecar.TaskName, 'faces');
    // space is optional when only one is present; run "01" matches run-1
    const one = await discoverRuns({ bids, derivatives, task: 'faces', subjects: ['sub-01'], runs: ['01'] });
    assert.deepEqual(one.map((r) => r.run), ['1']);
    await rejectsUser(discoverRuns({ bids, derivatives, task: 'faces', subjects: 'all', runs: ['3'] }), 'run(s) 3 not found', 'sub-01', 'runs available: 1, 2');
    await rejectsUser(discoverRuns({ bids, derivatives, task: 'faces', space: 'T1w', subjects: 'all', runs: 'all' }), "space 'T1w'", 'spaces found: MNI152NLin2009cAsym');
  });

  it('studyforrest: raw only, top-level task-localizer_bold.json sidecar, TR 2', async () => {
    const bids = join(examplesDir, 'studyforrest-localizer');
    const runs = await discoverRuns({ bids, task: 'localizer', subjects: 'all', runs: 'all' });
    assert.equal(runs.length, 1);
    const r = runs[0];
    assert.equal(r.bold, join(bids, 'sub-01', 'func', 'sub-01_task-localizer_run-1_bold.nii.gz'));
    assert.equal(r.events, join(bids, 'sub-01', 'func', 'sub-01_task-localizer_run-1_events.tsv'));
    assert.equal(r.repetitionTime, 2);
    assert.equal(r.confounds, undefined);
    assert.deepEqual(r.sidecarFiles, [join(bids, 'task-localizer_bold.json'), join(bids, 'sub-01', 'func', 'sub-01_task-localizer_run-1_bold.json')]);
    assert.equal(r.sidecar.Manufacturer, 'Philips');
    await rejectsUser(discoverRuns({ bids, task: 'rest', subjects: 'all', runs: 'all' }), "no BOLD for task 'rest'", 'tasks found: localizer');
    await rejectsUser(discoverRuns({ bids, task: 'localizer', subjects: ['02', 'sub-03'], runs: 'all' }), 'sub-02, sub-03 not found', 'available: sub-01');
  });

  it('readParticipants', async () => {
    const t = await readParticipants(fixture('synth'));
    assert.ok(t);
    assert.deepEqual(t.columns, ['participant_id', 'age']);
    assert.deepEqual(t.raw('participant_id').map((id) => subjectLabel(id!)), ['01']);
    assert.deepEqual(Array.from(t.numeric('age')), [38]);
    assert.equal(await readParticipants(tmp), undefined);
  });
});

describe('discoverRuns on built trees', () => {
  it('sessions, inheritance (top < subject < session < file), sorting, SliceTiming', async () => {
    const files: Record<string, string | object> = {
      'task-x_bold.json': { RepetitionTime: 3, SliceTiming: [0, 1, 2], Level: 'top', Top: true },
      'sub-02/sub-02_task-x_bold.json': { Level: 'subject', RepetitionTime: 2.5 },
      'sub-02/ses-b/sub-02_ses-b_task-x_bold.json': { Level: 'session' },
      'sub-02/ses-b/func/sub-02_ses-b_task-x_run-10_bold.json': { Level: 'file' },
      'task-y_bold.json': { RepetitionTime: 9 }, // another task: must not apply
      'sub-02/sub-02_task-x_run-2_bold.json': { RunTwo: true }, // applies to run-2 only
    };
    for (const sub of ['02', '10']) {
      for (const ses of ['a', 'b']) {
        for (const run of ['2', '10']) {
          const stem = `sub-${sub}/ses-${ses}/func/sub-${sub}_ses-${ses}_task-x_run-${run}`;
          files[`${stem}_bold.nii.gz`] = 'x';
          files[`${stem}_events.tsv`] = EV;
        }
      }
    }
    const bids = await tree('sessions', files);
    const runs = await discoverRuns({ bids, task: 'x', subjects: 'all', runs: 'all' });
    assert.deepEqual(
      runs.map((r) => `${r.subject}/${r.session}/${r.run}`),
      ['02/a/2', '02/a/10', '02/b/2', '02/b/10', '10/a/2', '10/a/10', '10/b/2', '10/b/10'],
    );
    const r = runs.find((x) => x.subject === '02' && x.session === 'b' && x.run === '10')!;
    assert.equal(r.sidecar.Level, 'file');
    assert.equal(r.sidecar.Top, true);
    assert.equal(r.repetitionTime, 2.5); // subject level overrides top level
    assert.deepEqual(r.sliceTiming, [0, 1, 2]);
    assert.equal(r.sidecar.RunTwo, undefined);
    assert.equal(runs.find((x) => x.subject === '02' && x.session === 'a' && x.run === '2')!.sidecar.RunTwo, true);
    assert.equal(runs.find((x) => x.subject === '02' && x.session === 'a')!.sidecar.Level, 'subject');
    assert.equal(runs.find((x) => x.subject === '10')!.repetitionTime, 3);
    assert.equal(runs[0].events, join(bids, 'sub-02', 'ses-a', 'func', 'sub-02_ses-a_task-x_run-2_events.tsv'));
  });

  it('several spaces: UserError listing them unless one is chosen; raw JSON then derivative JSON', async () => {
    const d = 'derivatives/fmriprep/sub-01/func/sub-01_task-x_run-1';
    const bids = await tree('spaces', {
      'task-x_bold.json': { RepetitionTime: 2, Raw: true },
      'sub-01/func/sub-01_task-x_run-1_bold.nii.gz': 'x',
      'sub-01/func/sub-01_task-x_run-1_events.tsv': EV,
      [`${d}_space-T1w_desc-preproc_bold.nii.gz`]: 'x',
      [`${d}_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz`]: 'x',
      [`${d}_space-MNI152NLin2009cAsym_desc-preproc_bold.json`]: { RepetitionTime: 2.2 },
      [`${d}_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz`]: 'x',
      [`${d}_space-T1w_desc-brain_mask.nii.gz`]: 'x',
      [`${d}_desc-confounds_regressors.tsv`]: 'a\n1\n',
      [`${d}_desc-confounds_regressors.json`]: {},
    });
    const derivatives = join(bids, 'derivatives', 'fmriprep');
    await rejectsUser(discoverRuns({ bids, derivatives, task: 'x', subjects: 'all', runs: 'all' }), 'differ in space', 'MNI152NLin2009cAsym, T1w', 'data.space');
    const [r] = await discoverRuns({ bids, derivatives, task: 'x', space: 'T1w', subjects: 'all', runs: 'all' });
    assert.equal(r.bold, join(bids, `${d}_space-T1w_desc-preproc_bold.nii.gz`));
    assert.equal(r.brainMask, join(bids, `${d}_space-T1w_desc-brain_mask.nii.gz`));
    assert.equal(r.confounds, join(bids, `${d}_desc-confounds_regressors.tsv`));
    assert.equal(r.confoundsJson, join(bids, `${d}_desc-confounds_regressors.json`));
    assert.equal(r.repetitionTime, 2);
    const [m] = await discoverRuns({ bids, derivatives, task: 'x', space: 'MNI152NLin2009cAsym', subjects: 'all', runs: 'all' });
    assert.equal(m.repetitionTime, 2.2); // the derivative's own JSON wins
    assert.equal(m.sidecar.Raw, true);
    assert.equal(m.brainMask, join(bids, `${d}_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz`));
  });

  it('missing events names the expected path; events fall back to the derivatives', async () => {
    const bids = await tree('noevents', {
      'sub-01/func/sub-01_task-x_run-1_bold.nii.gz': 'x',
      'sub-01/func/sub-01_task-x_run-2_bold.nii.gz': 'x',
      'sub-01/func/sub-01_task-x_run-2_events.tsv': EV,
    });
    await rejectsUser(
      discoverRuns({ bids, task: 'x', subjects: 'all', runs: 'all' }),
      join(bids, 'sub-01', 'func', 'sub-01_task-x_run-1_events.tsv'),
      'events file not found',
    );
    // only run 2 requested: fine
    assert.equal((await discoverRuns({ bids, task: 'x', subjects: 'all', runs: ['2'] })).length, 1);

    const b2 = await tree('derivevents', {
      'sub-01/anat/x.txt': '',
      'deriv/sub-01/func/sub-01_task-x_desc-preproc_bold.nii.gz': 'x',
      'deriv/sub-01/func/sub-01_task-x_events.tsv': EV,
    });
    const [r] = await discoverRuns({ bids: b2, derivatives: join(b2, 'deriv'), task: 'x', subjects: 'all', runs: 'all' });
    assert.equal(r.events, join(b2, 'deriv', 'sub-01', 'func', 'sub-01_task-x_events.tsv'));
    assert.equal(r.run, undefined);
    await rejectsUser(
      discoverRuns({ bids: b2, derivatives: join(b2, 'deriv'), task: 'x', subjects: 'all', runs: ['1'] }),
      'run(s) 1 not found',
      'no run- entity',
    );
  });

  it('top-level events.tsv applies by inheritance', async () => {
    const bids = await tree('topevents', {
      'task-x_events.tsv': EV,
      'sub-01/func/sub-01_task-x_bold.nii': 'x',
    });
    const [r] = await discoverRuns({ bids, task: 'x', subjects: 'all', runs: 'all' });
    assert.equal(r.events, join(bids, 'task-x_events.tsv'));
  });

  it('errors: missing folders, no subjects, unknown subject, bad JSON', async () => {
    const missing = join(tmp, 'does-not-exist');
    await rejectsUser(discoverRuns({ bids: missing, task: 'x', subjects: 'all', runs: 'all' }), missing, 'BIDS folder not found');
    const empty = await tree('empty', { 'dataset_description.json': {} });
    await rejectsUser(discoverRuns({ bids: empty, task: 'x', subjects: 'all', runs: 'all' }), empty, 'no subject folders');
    await rejectsUser(discoverRuns({ bids: empty, derivatives: missing, task: 'x', subjects: 'all', runs: 'all' }), missing, 'derivatives folder not found');
    const two = await tree('two', {
      'sub-01/func/sub-01_task-x_bold.nii.gz': 'x',
      'sub-01/func/sub-01_task-x_events.tsv': EV,
      'sub-02/func/sub-02_task-y_bold.nii.gz': 'x',
      'sub-02/func/sub-02_task-y_events.tsv': EV,
      'sub-02/func/sub-02_task-y_bold.json': '{ bad json',
    });
    await rejectsUser(discoverRuns({ bids: two, task: 'x', subjects: ['03'], runs: 'all' }), 'sub-03 not found', 'available: sub-01, sub-02');
    // subjects: all skips sub-02 (no task x); asking for it explicitly is an error
    assert.equal((await discoverRuns({ bids: two, task: 'x', subjects: 'all', runs: 'all' })).length, 1);
    await rejectsUser(discoverRuns({ bids: two, task: 'x', subjects: ['01', '02'], runs: 'all' }), "no BOLD for task 'x'", 'sub-02');
    await rejectsUser(discoverRuns({ bids: two, task: 'y', subjects: 'all', runs: 'all' }), 'sub-02_task-y_bold.json', 'invalid JSON');
  });
});
