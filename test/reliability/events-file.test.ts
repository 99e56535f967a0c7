/** Events files off the happy path: n/a trial types, bad onset / duration cells, no trial_type (issue 8 item 7). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isUserError } from '../../src/errors.js';
import { readEvents } from '../../src/pipeline/events-file.js';
import { glmflow } from '../helpers/cli.js';
import { bold, tempDir, writeSpec, writeTree } from '../helpers/file-tree.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
before(async () => {
  tmp = await tempDir('events');
});
after(async () => tmp.cleanup());

async function eventsFile(name: string, text: string): Promise<string> {
  await writeTree(tmp.dir, { [name]: text });
  return join(tmp.dir, name);
}

async function rejectsWith(p: Promise<unknown>, ...fragments: string[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isUserError(e), `expected a UserError, got ${String(e)}`);
    const all = [(e as Error).message, ...(e as { problems: string[] }).problems].join('\n');
    for (const f of fragments) assert.ok(all.includes(f), `message '${all}' lacks '${f}'`);
    return true;
  });
}

const noStack = (s: string) => assert.ok(!/\n\s+at .+:\d+:\d+/.test(s), `stack trace in: ${s}`);

describe('readEvents', () => {
  it("drops events whose trial_type is n/a (as nilearn) and says how many", async () => {
    const p = await eventsFile('na.tsv', 'onset\tduration\ttrial_type\n0\t1\ta\n2\t1\tn/a\n4\t1\tb\n6\t1\t\n8\t1\ta\n');
    const { table, warnings, dropped } = await readEvents(p);
    assert.deepEqual(table.trialType, ['a', 'b', 'a']);
    assert.deepEqual([...table.onset], [0, 4, 8]);
    assert.ok(!table.trialType.includes('n/a'));
    assert.match(dropped ?? '', /dropped 2 of 5 events whose trial_type is n\/a/);
    assert.ok(warnings.includes(dropped!));
  });

  it('a file without n/a trial types drops nothing and says nothing about it', async () => {
    const p = await eventsFile('ok.tsv', 'onset\tduration\ttrial_type\n0\t1\ta\n2\t1\tb\n');
    const { table, dropped } = await readEvents(p);
    assert.equal(table.onset.length, 2);
    assert.equal(dropped, undefined);
  });

  it("no trial_type column: every event is condition 'dummy', with nilearn's warning", async () => {
    const p = await eventsFile('dummy.tsv', 'onset\tduration\n0\t1\n5\t1\n');
    const { table, warnings } = await readEvents(p);
    assert.deepEqual(table.trialType, ['dummy', 'dummy']);
    assert.ok(warnings.some((w) => w.includes("'trial_type' column not found")));
  });

  it('non-numeric onset: UserError naming file, line and column', async () => {
    const p = await eventsFile('text.tsv', 'onset\tduration\ttrial_type\n0\t1\ta\nsoon\t1\tb\n');
    await rejectsWith(readEvents(p), p, 'line 3', "column 'onset'", "'soon' is not a number");
  });

  it('n/a onset and n/a duration: UserError naming each cell', async () => {
    const p = await eventsFile('naonset.tsv', 'onset\tduration\ttrial_type\nn/a\t1\ta\n3\tn/a\tb\n');
    await rejectsWith(readEvents(p), p, "line 2 (event row 1), column 'onset'", "line 3 (event row 2), column 'duration'", 'missing');
  });

  it('negative duration: UserError naming the row', async () => {
    const p = await eventsFile('neg.tsv', 'onset\tduration\ttrial_type\n0\t1\ta\n3\t-2\tb\n');
    await rejectsWith(readEvents(p), p, 'line 3', "column 'duration'", 'negative duration -2');
  });

  it('infinite onset is refused', async () => {
    const p = await eventsFile('inf.tsv', 'onset\tduration\ttrial_type\ninf\t1\ta\n');
    await rejectsWith(readEvents(p), p, "column 'onset'", 'not a finite number');
  });
});

describe('events problems through the CLI', () => {
  it('validate warns about dropped n/a events naming the file; a bad onset is exit 2 without a stack trace', async () => {
    const events = 'sub-01/func/sub-01_task-x_events.tsv';
    const root = await writeTree(join(tmp.dir, 'cli'), {
      'sub-01/func/sub-01_task-x_bold.nii.gz': bold(),
      'sub-01/func/sub-01_task-x_bold.json': { RepetitionTime: 2 },
      [events]: 'onset\tduration\ttrial_type\n0\t2\ta\n6\t2\tn/a\n12\t2\ta\n',
    });
    const spec = await writeSpec(join(root, 'spec.yaml'), { bids: '.' });
    const ok = await glmflow(['validate', spec]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(ok.stderr.includes(`glmflow: warning: ${join(root, events)}: dropped 1 of 3 events whose trial_type is n/a`), ok.stderr);

    await writeTree(root, { [events]: 'onset\tduration\ttrial_type\n0\t2\ta\nlater\t2\ta\n' });
    const bad = await glmflow(['validate', spec]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.ok(bad.stderr.includes(`${join(root, events)}: line 3 (event row 2), column 'onset'`), bad.stderr);
    noStack(bad.stderr);
  });
});
