/** The TR of a run: VolumeTiming, sidecar vs header disagreement (issue 8 items 8 and 9). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { discoverRuns } from '../../src/io/bids.js';
import { repetitionTime, type RunTiming } from '../../src/pipeline/repetition-time.js';
import { glmflow } from '../helpers/cli.js';
import { bold, EVENTS, tempDir, writeSpec, writeTree } from '../helpers/file-tree.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
before(async () => {
  tmp = await tempDir('tr');
});
after(async () => tmp.cleanup());

const timing = (sidecar: Record<string, unknown>, over: Partial<RunTiming> = {}): RunTiming => ({
  sidecar, sidecarSource: Object.fromEntries(Object.keys(sidecar).map((k) => [k, '/d/sub-01_task-x_bold.json'])),
  bold: '/d/sub-01_task-x_bold.nii.gz', headerTr: 2, headerTimeUnit: 'sec', nVolumes: 4, ...over,
});

describe('repetitionTime', () => {
  it('sidecar RepetitionTime agreeing with the header: used, no note', () => {
    assert.deepEqual(repetitionTime('auto', timing({ RepetitionTime: 2 })), { tr: 2, notes: [] });
    assert.deepEqual(repetitionTime('auto', timing({ RepetitionTime: 2.0004 })), { tr: 2.0004, notes: [] }); // rounding in the header
  });

  it('sidecar and header disagree: the sidecar is used, the warning gives both values', () => {
    const r = repetitionTime('auto', timing({ RepetitionTime: 1.5 }));
    assert.ok('tr' in r);
    assert.equal(r.tr, 1.5);
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0], /pixdim\[4\] \(2 s\) disagrees with \/d\/sub-01_task-x_bold\.json \(1\.5 s\); using 1\.5 s from the sidecar/);
  });

  it('a header TR in milliseconds is converted before comparing', () => {
    assert.deepEqual(repetitionTime('auto', timing({ RepetitionTime: 2 }, { headerTr: 2000, headerTimeUnit: 'msec' })), { tr: 2, notes: [] });
  });

  it('no sidecar TR: the header TR; neither: a problem asking for first_level.t_r', () => {
    assert.deepEqual(repetitionTime('auto', timing({})), { tr: 2, notes: [] });
    const r = repetitionTime('auto', timing({}, { headerTr: 0 }));
    assert.ok('problem' in r && /set first_level\.t_r/.test(r.problem));
  });

  it('an explicit t_r wins; a different sidecar RepetitionTime is a warning (as nilearn)', () => {
    const r = repetitionTime(3, timing({ RepetitionTime: 1.5 }));
    assert.ok('tr' in r && r.tr === 3);
    assert.match(r.notes[0], /first_level\.t_r \(3 s\) differs from RepetitionTime in \/d\/sub-01_task-x_bold\.json \(1\.5 s\)/);
    assert.deepEqual(repetitionTime(2, timing({ RepetitionTime: 2 })), { tr: 2, notes: [] });
  });

  it('regular VolumeTiming from 0: its spacing is the TR, said so', () => {
    const r = repetitionTime('auto', timing({ VolumeTiming: [0, 2.5, 5, 7.5] }, { headerTr: 2.5 }));
    assert.ok('tr' in r);
    assert.equal(r.tr, 2.5);
    assert.match(r.notes[0], /sub-01_task-x_bold\.json: no RepetitionTime; VolumeTiming is regularly spaced, so its spacing 2\.5 s is used/);
    // ... and the header disagreement is still reported
    const d = repetitionTime('auto', timing({ VolumeTiming: [0, 2.5, 5, 7.5] }, { headerTr: 1 }));
    assert.ok('tr' in d && d.tr === 2.5 && d.notes.some((n) => /pixdim\[4\] \(1 s\)/.test(n)));
  });

  it('irregular, shifted or mis-sized VolumeTiming: refused naming the sidecar', () => {
    for (const [vt, what] of [
      [[0, 2, 6, 8], 'not regularly spaced'],
      [[1, 3, 5, 7], 'starts at 1 s'],
      [[0, 2, 4], 'has 3 values but'],
      ['fast', 'must be a list'],
    ] as const) {
      const r = repetitionTime('auto', timing({ VolumeTiming: vt }));
      assert.ok('problem' in r, String(vt));
      assert.ok(r.problem.startsWith('/d/sub-01_task-x_bold.json: '), r.problem);
      assert.ok(r.problem.includes(what), r.problem);
    }
  });

  it('a non-numeric RepetitionTime is a problem, not a silent fallback to the header', () => {
    const r = repetitionTime('auto', timing({ RepetitionTime: '2s' }));
    assert.ok('problem' in r && r.problem.includes('RepetitionTime "2s" is not a positive number'));
  });
});

describe('TR checks on a dataset', () => {
  it('discovery records which sidecar set each key (most specific wins)', async () => {
    const root = await writeTree(join(tmp.dir, 'inherit'), {
      'task-x_bold.json': { RepetitionTime: 2, VolumeTiming: [0, 1] },
      'sub-01/func/sub-01_task-x_bold.json': { RepetitionTime: 2.5 },
      'sub-01/func/sub-01_task-x_bold.nii.gz': bold(),
      'sub-01/func/sub-01_task-x_events.tsv': EVENTS,
    });
    const [r] = await discoverRuns({ bids: root, task: 'x', subjects: 'all', runs: 'all' });
    assert.equal(r.sidecarSource.RepetitionTime, join(root, 'sub-01/func/sub-01_task-x_bold.json'));
    assert.equal(r.sidecarSource.VolumeTiming, join(root, 'task-x_bold.json'));
  });

  it('validate: irregular VolumeTiming is exit 2 naming the sidecar; a TR disagreement is a warning', async () => {
    const side = 'sub-01/func/sub-01_task-x_bold.json';
    const root = await writeTree(join(tmp.dir, 'cli'), {
      [side]: { VolumeTiming: [0, 2, 4, 8, 10, 12, 14, 16, 18, 20, 22, 24] },
      'sub-01/func/sub-01_task-x_bold.nii.gz': bold({ volumes: 12, tr: 2 }),
      'sub-01/func/sub-01_task-x_events.tsv': EVENTS,
    });
    const spec = await writeSpec(join(root, 'spec.yaml'), { bids: '.' });
    const bad = await glmflow(['validate', spec]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.ok(bad.stderr.includes(`${join(root, side)}: VolumeTiming is not regularly spaced`), bad.stderr);

    await writeTree(root, { [side]: { RepetitionTime: 1.5 } });
    const warned = await glmflow(['validate', spec]);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /glmflow: warning: .*pixdim\[4\] \(2 s\) disagrees with .*sub-01_task-x_bold\.json \(1\.5 s\); using 1\.5 s/);
  });
});
