import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isUserError } from '../../src/errors.js';
import { formatTsvCell, parseTsv, readTsv, writeTsv } from '../../src/io/tsv.js';
import { examplesDir, fixture } from '../helpers/paths.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'glmflow-tsv-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function throwsUser(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isUserError(e), `expected a UserError, got ${String(e)}`);
    for (const f of fragments) assert.ok((e as Error).message.includes(f), `message '${(e as Error).message}' lacks '${f}'`);
    return true;
  });
}

describe('parseTsv', () => {
  it('reads columns, n/a and empty cells, numbers', () => {
    const t = parseTsv('onset\tduration\ttrial_type\n1.5\t2\tface\n3\tn/a\t\n\n', 'ev.tsv');
    assert.equal(t.file, 'ev.tsv');
    assert.deepEqual(t.columns, ['onset', 'duration', 'trial_type']);
    assert.equal(t.nRows, 2);
    assert.deepEqual(t.raw('trial_type'), ['face', null]);
    assert.deepEqual(t.raw('duration'), ['2', null]);
    assert.deepEqual(Array.from(t.numeric('onset')), [1.5, 3]);
    assert.deepEqual(Array.from(t.numeric('duration')), [2, NaN]);
    assert.ok(t.has('onset') && !t.has('modulation'));
    assert.ok(t.isNumeric('duration'));
    assert.ok(!t.isNumeric('trial_type'));
  });

  it('numbers: exponents, signs, inf, pandas NA tokens; CRLF and BOM', () => {
    const t = parseTsv('\ufeffx\r\n-1e-3\r\n+.5\r\ninf\r\n-Infinity\r\nNaN\r\nNA\r\n7.\r\n', 'a.tsv');
    assert.deepEqual(t.columns, ['x']);
    assert.deepEqual(Array.from(t.numeric('x')), [-0.001, 0.5, Infinity, -Infinity, NaN, NaN, 7]);
  });

  it('a non-numeric cell names file, column, row and line', () => {
    const t = parseTsv('a\tb\n1\t2\n3\tabc\n', 'conf.tsv');
    throwsUser(() => t.numeric('b'), "conf.tsv: column 'b' row 2 (line 3): 'abc' is not a number");
    throwsUser(() => parseTsv('a\n0x10\n', 'h.tsv').numeric('a'), "'0x10' is not a number");
    throwsUser(() => t.raw('c'), "conf.tsv: no column 'c'", 'columns: a, b');
  });

  it('a row with the wrong number of fields gives its line number', () => {
    throwsUser(() => parseTsv('a\tb\n1\t2\n3\n4\t5\t6\n', 'bad.tsv'), 'bad.tsv: line 3 has 1 fields, expected 2', '1 more line');
    throwsUser(() => parseTsv('', 'empty.tsv'), 'empty.tsv: empty table');
    throwsUser(() => parseTsv('a\ta\n1\t2\n', 'dup.tsv'), "dup.tsv: line 1: duplicate column name 'a'");
  });

  it('reads the fixtures: synth confounds (n/a in the first row) and studyforrest events', async () => {
    const c = await readTsv(fixture('synth', 'derivatives', 'fmriprep', 'sub-01', 'func', 'sub-01_task-faces_run-1_desc-confounds_timeseries.tsv'));
    assert.equal(c.columns.length, 16);
    assert.equal(c.nRows, 110);
    assert.equal(c.columns[0], 'trans_x');
    assert.equal(c.numeric('trans_x')[0], -0.01865048404601628);
    assert.ok(Number.isNaN(c.numeric('framewise_displacement')[0]));
    assert.equal(c.numeric('global_signal')[0], 1193.9328982336294);
    const e = await readTsv(join(examplesDir, 'studyforrest-localizer', 'sub-01', 'func', 'sub-01_task-localizer_run-1_events.tsv'));
    assert.deepEqual(e.columns, ['onset', 'duration', 'trial_type', 'stim_file']);
    assert.equal(e.nRows, 192);
    assert.equal(e.numeric('onset')[0], 12.028);
    assert.equal(e.raw('trial_type')[0], 'face');
    assert.ok(!e.isNumeric('stim_file'));
  });

  it('readTsv: missing file is a UserError naming it', async () => {
    const f = join(dir, 'missing.tsv');
    await assert.rejects(readTsv(f), (e: unknown) => isUserError(e) && (e as Error).message === `${f}: file not found`);
  });
});

describe('writeTsv', () => {
  it('round-trips full-precision numbers, n/a for NaN and null, atomically into new folders', async () => {
    const f = join(dir, 'x', 'y', 'design.tsv');
    const vals = [0.1 + 0.2, -1e-7, 123456789.123456789, Math.PI, 5e-324, -0];
    await writeTsv(f, ['name', 'v', 'w'], [
      ...vals.map((v, i) => [`r${i}`, v, i] as (string | number | null)[]),
      ['nan', NaN, null],
    ]);
    const text = await readFile(f, 'utf8');
    assert.equal(text.split('\n')[1], 'r0\t0.30000000000000004\t0');
    assert.ok(text.endsWith('nan\tn/a\tn/a\n'));
    const t = await readTsv(f);
    assert.deepEqual(Array.from(t.numeric('v')).slice(0, vals.length), vals.map((v) => (Object.is(v, -0) ? 0 : v)));
    assert.deepEqual(t.raw('w').slice(-1), [null]);
    assert.deepEqual(await readdir(join(dir, 'x', 'y')), ['design.tsv']);
  });

  it('formats cells like pandas for infinities and refuses tabs in strings', () => {
    assert.equal(formatTsvCell(Infinity), 'inf');
    assert.equal(formatTsvCell(-Infinity), '-inf');
    assert.equal(formatTsvCell(undefined), 'n/a');
    assert.throws(() => formatTsvCell('a\tb'));
  });
});
