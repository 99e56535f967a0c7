/**
 * Issue 8 items 16 and 17: input files are read strictly and their problems name the file.
 * Invalid UTF-8 (spec, TSV, JSON) is refused with file:line:col; a confounds file with the
 * wrong number of rows names itself and the BOLD file; each problem is printed once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { decodeUtf8, firstInvalidByte } from '../../src/io/text.js';
import { readTsv } from '../../src/io/tsv.js';
import { readConfounds } from '../../src/pipeline/confound-table.js';
import { UserError } from '../../src/errors.js';
import { glmflow } from '../helpers/cli.js';
import { fixture } from '../helpers/paths.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

test('firstInvalidByte: the first byte of the bad sequence', () => {
  assert.equal(firstInvalidByte(bytes('ab', [0xff], 'c')), 2); // never valid
  assert.equal(firstInvalidByte(bytes('ab', [0xe2, 0x82], 'c')), 2); // sequence cut short by 'c'
  assert.equal(firstInvalidByte(bytes('é', [0x80])), 2); // lone continuation byte
  assert.equal(firstInvalidByte(bytes('ab', [0xc0, 0xaf])), 2); // overlong '/'
  assert.equal(firstInvalidByte(bytes('abc', [0xe2, 0x82])), 3); // unfinished at the end of the file
});

test('decodeUtf8: valid text (BOM dropped), or file:line:col of the bad byte', () => {
  assert.equal(decodeUtf8(bytes([0xef, 0xbb, 0xbf], 'glmflow: 1\nname: café\n'), 'x.yaml'), 'glmflow: 1\nname: café\n');
  assert.throws(
    () => decodeUtf8(bytes('glmflow: 1\nname: caf', [0xe9], '\n'), 'spec.yaml'),
    (e: unknown) => e instanceof UserError && e.message === 'spec.yaml:2:10: invalid UTF-8 (byte 0xE9 at offset 20); expected a UTF-8 text file (re-save it with UTF-8 encoding)',
  );
  // the column counts characters, not bytes
  assert.throws(() => decodeUtf8(bytes('é', [0xff]), 'f.tsv'), /^UserError: f\.tsv:1:2: invalid UTF-8 \(byte 0xFF at offset 2\)/);
});

test('a spec in Latin-1: validate exits 2 naming file, line and column', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-utf8-'));
  const spec = join(dir, 'latin1.yaml');
  writeFileSync(spec, bytes('glmflow: 1\nname: r', [0xe9], 'sum', [0xe9], '\n'));
  const r = await glmflow(['validate', spec]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `glmflow: ${spec}:2:8: invalid UTF-8 (byte 0xE9 at offset 18); expected a UTF-8 text file (re-save it with UTF-8 encoding)\n`);
});

test('TSV and JSON sidecars: invalid UTF-8 is refused with the line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-utf8-'));
  const tsv = join(dir, 'events.tsv');
  writeFileSync(tsv, bytes('onset\tduration\ttrial_type\n0\t1\tface\n2\t1\tf', [0xe4], 'ce\n'));
  await assert.rejects(readTsv(tsv), { name: 'UserError', message: `${tsv}:3:6: invalid UTF-8 (byte 0xE4 at offset 40); expected a UTF-8 text file (re-save it with UTF-8 encoding)` });
  const conf = join(dir, 'conf.tsv');
  writeFileSync(conf, 'csf\twhite_matter\n1\t2\n3\t4\n');
  const json = join(dir, 'conf.json');
  writeFileSync(json, bytes('{\n  "csf": {"Method": "', [0xb5], '"}\n}\n'));
  await assert.rejects(
    readConfounds(conf, json, { selection: { strategy: ['wm_csf'] } as never, fill_na: false }),
    { name: 'UserError', message: new RegExp(`^${json.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:22: invalid UTF-8 \\(byte 0xB5`) },
  );
});

test('confounds with fewer rows than volumes: the message names the confounds file and the BOLD', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-conf-rows-'));
  const conf = join(dir, 'sub-01_desc-confounds_timeseries.tsv');
  writeFileSync(conf, 'csf\n1\n2\n3\n');
  await assert.rejects(
    readConfounds(conf, undefined, { selection: ['csf'], fill_na: false, volumes: { count: 5, bold: 'sub-01_bold.nii.gz' } }),
    { name: 'UserError', message: `${conf}: 3 rows but sub-01_bold.nii.gz has 5 volumes; expected one row per volume` },
  );
});

test('validate: every confounds problem of every run, each once, naming its file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-conf-cli-'));
  const bids = join(dir, 'bids');
  cpSync(fixture('synth'), bids, { recursive: true });
  const func = join(bids, 'derivatives', 'fmriprep', 'sub-01', 'func');
  const conf1 = join(func, 'sub-01_task-faces_run-1_desc-confounds_timeseries.tsv');
  const conf2 = join(func, 'sub-01_task-faces_run-2_desc-confounds_timeseries.tsv');
  const bold1 = join(func, 'sub-01_task-faces_run-1_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz');
  // run 1: 49 data rows instead of 110; run 2: a selected column is missing
  writeFileSync(conf1, readFileSync(conf1, 'utf8').split('\n').slice(0, 50).join('\n') + '\n');
  const lines2 = readFileSync(conf2, 'utf8').split('\n');
  writeFileSync(conf2, lines2.map((l) => l.split('\t').filter((_, i) => lines2[0].split('\t')[i] !== 'csf').join('\t')).join('\n'));
  const spec = join(dir, 'conf.yaml');
  writeFileSync(spec, stringify({
    glmflow: 1, name: 'conf',
    data: { bids, derivatives: join(bids, 'derivatives', 'fmriprep'), task: 'faces', space: 'MNI152NLin2009cAsym' },
    output: join(dir, 'out'),
    first_level: { t_r: 2, noise_model: 'ols', mask: 'derivatives', confounds: ['csf', 'white_matter'], contrasts: { face: 'face' } },
  }));
  const r = await glmflow(['validate', spec]);
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(r.stderr.trim().split('\n'), [
    `glmflow: ${spec}: 2 problems with the data`,
    `  ${conf1}: 49 rows but ${bold1} has 110 volumes; expected one row per volume`,
    `  ${conf2}: confound column(s) not found: csf`,
  ]);
});
