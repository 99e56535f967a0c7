import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths.js';
import {
  loadConfounds,
  selectColumns,
  tableFromColumns,
  type ConfoundTable,
  type LoadConfoundsParams,
} from '../../src/stats/confounds/confounds.js';
import { removeShortSegments } from '../../src/stats/confounds/scrub.js';
import { findCompcorColumns } from '../../src/stats/confounds/compcor.js';

/** Minimal TSV reader for the fixtures (n/a -> NaN). */
function readTsv(path: string): ConfoundTable & { nRows: number } {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const columns = lines[0].split('\t');
  const cols: Record<string, Float64Array> = {};
  columns.forEach((c) => (cols[c] = new Float64Array(lines.length - 1)));
  for (let r = 1; r < lines.length; r++) {
    const cells = lines[r].split('\t');
    columns.forEach((c, j) => (cols[c][r - 1] = cells[j] === 'n/a' ? NaN : Number(cells[j])));
  }
  return { ...tableFromColumns(cols, columns), nRows: lines.length - 1 };
}

interface Case {
  name: string;
  params: LoadConfoundsParams;
  confounds: string;
  sample_mask: number[] | null;
}
const manifest = JSON.parse(readFileSync(fixture('confounds', 'manifest.json'), 'utf8')) as { input: string; cases: Case[] };
const input = readTsv(fixture(manifest.input));
const meta = JSON.parse(readFileSync(fixture(manifest.input.replace(/\.tsv$/, '.json')), 'utf8')) as Record<string, unknown>;

/** Worst elementwise |a - b| / |b| (absolute difference where b is exactly 0). */
function worstRelError(got: Float64Array, want: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / (want[i] === 0 ? 1 : Math.abs(want[i]));
    if (!(d <= worst)) worst = d; // NaN propagates as a failure
  }
  return worst;
}

for (const c of manifest.cases) {
  test(`load_confounds parity: ${c.name}`, () => {
    const ref = readTsv(fixture(c.confounds));
    const out = loadConfounds(input, meta, c.params);
    assert.deepEqual(out.names, [...ref.columns], 'column names and order');
    let worst = 0;
    out.names.forEach((n, j) => {
      assert.equal(out.values[j].length, ref.nRows);
      worst = Math.max(worst, worstRelError(out.values[j], ref.numeric(n)));
    });
    console.log(`# ${c.name}: ${out.names.length} columns, worst relative error ${worst.toExponential(2)}, sample mask ${out.sampleMask?.length ?? 'null'} volumes`);
    assert.ok(worst <= 1e-6, `worst relative error ${worst}`);
    assert.deepEqual(out.sampleMask === null ? null : [...out.sampleMask], c.sample_mask);
  });
}

// ---------------------------------------------------------------- hand-checked small cases

const N = 12;
/** A small synthetic confounds table: motion basic columns (with a derivative), FD / std_dvars. */
function synth(extra: Record<string, number[]> = {}): ConfoundTable {
  const cols: Record<string, Float64Array> = {};
  const base = ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z'];
  base.forEach((c, k) => (cols[c] = Float64Array.from({ length: N }, (_, t) => (k + 1) * t + (t % 3))));
  cols.trans_x_derivative1 = Float64Array.from({ length: N }, (_, t) => (t === 0 ? NaN : 10 + t));
  cols.framewise_displacement = Float64Array.from({ length: N }, (_, t) => (t === 0 ? NaN : 0.1));
  cols.std_dvars = Float64Array.from({ length: N }, (_, t) => (t === 0 ? NaN : 1));
  for (const [k, v] of Object.entries(extra)) cols[k] = Float64Array.from(v);
  return tableFromColumns(cols);
}
const motionBasic = ['rot_x', 'rot_y', 'rot_z', 'trans_x', 'trans_y', 'trans_z'];

test('removeShortSegments: leading, inner and trailing short segments', () => {
  // 0..2 (3 < 5) removed, 4..9 (6) kept, 11..19 (9) kept.
  assert.deepEqual(removeShortSegments([3, 10], 20, 5), [0, 1, 2, 3, 10]);
  // 0..5 (6) kept, 7..8 (2) removed, 10..11 (2) removed.
  assert.deepEqual(removeShortSegments([6, 9], 12, 5), [6, 7, 8, 9, 10, 11]);
  // A gap of exactly minSegment volumes is kept (nilearn: diff < scrub + 1 removes gaps < scrub).
  assert.deepEqual(removeShortSegments([5, 11], 17, 5), [5, 11]);
  assert.deepEqual(removeShortSegments([5, 10], 16, 5), [5, 6, 7, 8, 9, 10]);
});

test('scrub: FD / DVARS thresholds, segment length, sample mask', () => {
  const fd = Array.from({ length: N }, (_, t) => (t === 0 ? NaN : t === 4 ? 0.9 : 0.1));
  const dv = Array.from({ length: N }, (_, t) => (t === 0 ? NaN : t === 9 ? 5 : 1));
  const table = synth({ framewise_displacement: fd, std_dvars: dv });
  const p: LoadConfoundsParams = { strategy: ['motion', 'scrub'], motion: 'basic', fd_threshold: 0.5, std_dvars_threshold: 3 };
  // scrub 0: only volumes 4 (FD) and 9 (DVARS) go; NaN in row 0 never exceeds a threshold.
  const r0 = loadConfounds(table, undefined, { ...p, scrub: 0 });
  assert.deepEqual([...r0.sampleMask!], [0, 1, 2, 3, 5, 6, 7, 8, 10, 11]);
  assert.deepEqual(r0.names, motionBasic);
  // scrub 5: leading 0..3 (4 < 5), inner 5..8 (4 < 5) and trailing 10..11 (2 < 5) go too -> nothing left.
  const r5 = loadConfounds(table, undefined, { ...p, scrub: 5 });
  assert.deepEqual([...r5.sampleMask!], []);
  // scrub 4: leading 0..3 and inner 5..8 are long enough; trailing 10..11 goes.
  const r4 = loadConfounds(table, undefined, { ...p, scrub: 4 });
  assert.deepEqual([...r4.sampleMask!], [0, 1, 2, 3, 5, 6, 7, 8]);
  // Values keep every volume; the mean over the kept volumes is 0.
  const j = r4.names.indexOf('rot_x');
  assert.equal(r4.values[j].length, N);
  const keptMean = [...r4.sampleMask!].reduce((s, t) => s + r4.values[j][t], 0) / r4.sampleMask!.length;
  assert.ok(Math.abs(keptMean) < 1e-12);
  // No outlier at all and no non-steady-state column: sample mask is null.
  const none = loadConfounds(synth(), undefined, { ...p, scrub: 5 });
  assert.equal(none.sampleMask, null);
});

test('non-steady-state columns are removed through the sample mask, always', () => {
  const nss0 = Array.from({ length: N }, (_, t) => (t === 0 ? 1 : 0));
  const nss1 = Array.from({ length: N }, (_, t) => (t === 1 ? 1 : 0));
  const table = synth({ non_steady_state_outlier00: nss0, non_steady_state_outlier01: nss1 });
  const r = loadConfounds(table, undefined, { strategy: ['motion'], motion: 'basic', demean: false });
  assert.deepEqual(r.names, motionBasic);
  assert.deepEqual([...r.sampleMask!], [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  // Undemeaned values are the file's values.
  assert.deepEqual([...r.values[r.names.indexOf('trans_y')]], [...table.numeric('trans_y')]);
  // demean: the mean is taken over the kept volumes and removed from all of them.
  const d = loadConfounds(table, undefined, { strategy: ['motion'], motion: 'basic' });
  const raw = table.numeric('rot_z');
  const m = raw.slice(2).reduce((s, x) => s + x, 0) / (N - 2);
  d.values[d.names.indexOf('rot_z')].forEach((x, t) => assert.ok(Math.abs(x - (raw[t] - m)) < 1e-12));
  // Empty strategy: no confounds, but non-steady-state volumes are still censored.
  const e = loadConfounds(table, undefined, { strategy: [] });
  assert.deepEqual(e.names, []);
  assert.deepEqual([...e.sampleMask!], [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
});

test('n/a in the first row is filled from the second row; elsewhere in a kept volume it is an error', () => {
  const cols: Record<string, Float64Array> = {
    csf: Float64Array.from([1, 2, 3, 4]),
    csf_derivative1: Float64Array.from([NaN, 1, 1, 1]),
    white_matter: Float64Array.from([5, 6, 7, 9]),
    white_matter_derivative1: Float64Array.from([NaN, 1, 1, 2]),
  };
  const r = loadConfounds(tableFromColumns(cols), undefined, { strategy: ['wm_csf'], wm_csf: 'derivatives', demean: false });
  assert.deepEqual(r.names, ['csf', 'csf_derivative1', 'white_matter', 'white_matter_derivative1']);
  assert.deepEqual([...r.values[1]], [1, 1, 1, 1]);
  assert.deepEqual([...r.values[3]], [1, 1, 1, 2]);
  // Demeaned without a sample mask: mean over all volumes after the fill.
  const d = loadConfounds(tableFromColumns(cols), undefined, { strategy: ['wm_csf'], wm_csf: 'derivatives' });
  assert.deepEqual([...d.values[3]], [-0.25, -0.25, -0.25, 0.75]);
  assert.deepEqual([...d.values[0]], [-1.5, -0.5, 0.5, 1.5]);
  const bad = { ...cols, white_matter: Float64Array.from([5, 6, NaN, 9]) };
  assert.throws(
    () => loadConfounds(tableFromColumns(bad), undefined, { strategy: ['wm_csf'] }, { fileName: 'sub-01_desc-confounds_timeseries.tsv' }),
    (e: Error) => e.name === 'UserError' && /sub-01_desc-confounds_timeseries\.tsv/.test(e.message) && /white_matter/.test(e.message) && /row 3\b/.test(e.message),
  );
});

test('missing columns name the columns and the strategy', () => {
  const table = synth();
  assert.throws(
    () => loadConfounds(table, undefined, { strategy: ['motion'], motion: 'derivatives' }),
    (e: Error) =>
      e.name === 'UserError' && /'motion'/.test(e.message) && /trans_y_derivative1/.test(e.message) &&
      /rot_z_derivative1/.test(e.message) && !/trans_x_derivative1\b/.test(e.message),
  );
  assert.throws(
    () => loadConfounds(table, undefined, { strategy: ['motion', 'wm_csf', 'global_signal'], motion: 'basic' }),
    (e: Error) => /'wm_csf'/.test(e.message) && /csf, white_matter/.test(e.message) && /'global_signal'/.test(e.message),
  );
  const noDvars = tableFromColumns({ framewise_displacement: new Float64Array(N) });
  assert.throws(() => loadConfounds(noDvars, undefined, { strategy: ['scrub'] }), /'scrub'.*std_dvars/);
  assert.throws(() => loadConfounds(input, undefined, { strategy: ['high_pass', 'compcor'] }), /'compcor'.*JSON/);
  assert.throws(() => loadConfounds(input, meta, { strategy: ['compcor'] }), /high_pass must be included/);
  assert.throws(() => loadConfounds(input, meta, { strategy: ['motoin'] }), /"motoin" is not a supported/);
  assert.throws(() => loadConfounds(input, meta, { strategy: ['motion'], motion: 'quadratic' as never }), /motion must be one of/);
  assert.throws(() => loadConfounds(input, meta, { strategy: ['ica_aroma'], ica_aroma: 'basic' }), /'ica_aroma'.*aroma/);
  // A compcor column listed in the JSON but absent from the TSV.
  const metaExtra = { ...meta, t_comp_cor_03: { Method: 'tCompCor', Retained: true } };
  assert.throws(
    () => loadConfounds(input, metaExtra, { strategy: ['high_pass', 'compcor'], compcor: 'temporal' }),
    /'compcor'.*t_comp_cor_03/,
  );
});

test('compcor selection from the JSON metadata (fMRIPrep >= 21 and older layouts)', () => {
  const w = ['w_comp_cor_00', 'w_comp_cor_01', 'w_comp_cor_02', 'w_comp_cor_03'];
  const c = ['c_comp_cor_00', 'c_comp_cor_01', 'c_comp_cor_02'];
  assert.deepEqual(findCompcorColumns(meta, 'anat_separated', 'all'), [...w, ...c]);
  assert.deepEqual(findCompcorColumns(meta, 'anat_separated', 2), ['w_comp_cor_00', 'w_comp_cor_01', 'c_comp_cor_00', 'c_comp_cor_01']);
  assert.deepEqual(findCompcorColumns(meta, 'temporal_anat_combined', 2), ['t_comp_cor_00', 't_comp_cor_01', 'a_comp_cor_00', 'a_comp_cor_01']);
  assert.deepEqual(findCompcorColumns(meta, 'temporal', 'all'), ['t_comp_cor_00', 't_comp_cor_01', 't_comp_cor_02']);
  assert.deepEqual(findCompcorColumns(meta, 'anat_combined', 9).length, 5);
  // fMRIPrep 1.4-20.x: every anatomical component is a_comp_cor_XX, the mask is in the JSON.
  const old = {
    a_comp_cor_00: { Mask: 'combined' }, a_comp_cor_01: { Mask: 'combined' },
    a_comp_cor_02: { Mask: 'CSF' }, a_comp_cor_03: { Mask: 'CSF' }, a_comp_cor_04: { Mask: 'WM' },
    dropped_0: { Mask: 'WM', Retained: false },
  };
  assert.deepEqual(findCompcorColumns(old, 'anat_separated', 1), ['a_comp_cor_04', 'a_comp_cor_02']);
  assert.deepEqual(findCompcorColumns(old, 'anat_combined', 'all'), ['a_comp_cor_00', 'a_comp_cor_01']);
  // Through loadConfounds: sorted names, cosine regressors included.
  const r = loadConfounds(input, meta, { strategy: ['high_pass', 'compcor'], compcor: 'temporal_anat_separated', n_compcor: 1 });
  assert.deepEqual(r.names, ['c_comp_cor_00', 'cosine00', 't_comp_cor_00', 'w_comp_cor_00']);
});

test('defaults are nilearn 0.10.4 defaults (motion full + high_pass + wm_csf basic)', () => {
  const r = loadConfounds(input, meta);
  assert.equal(r.names.length, 24 + 1 + 2);
  assert.deepEqual(r.names.slice(0, 3), ['cosine00', 'csf', 'rot_x']);
  assert.ok(r.names.includes('trans_z_derivative1_power2'));
  assert.deepEqual([...r.sampleMask!], Array.from({ length: 27 }, (_, i) => i + 3));
});

test('selectColumns: explicit list, n/a handling', () => {
  const file = 'sub-01_task-x_desc-confounds_timeseries.tsv';
  const r = selectColumns(input, ['trans_x', 'csf'], { fileName: file });
  assert.deepEqual(r.names, ['trans_x', 'csf']);
  assert.deepEqual([...r.values[1]], [...input.numeric('csf')]);
  assert.equal(r.sampleMask, null);
  assert.throws(
    () => selectColumns(input, ['trans_x', 'csf_derivative1'], { fileName: file }),
    (e: Error) => e.name === 'UserError' && e.message.includes(file) && /csf_derivative1/.test(e.message) && /row 1\b/.test(e.message),
  );
  assert.throws(() => selectColumns(input, ['trans_x', 'nope', 'nada'], { fileName: file }), (e: Error) =>
    e.message.includes(file) && /nope, nada/.test(e.message));
  const t = tableFromColumns({ a: Float64Array.from([NaN, 2, 4, NaN]), b: Float64Array.from([1, 1, 1, 1]) });
  assert.deepEqual([...selectColumns(t, ['a', 'b'], { fileName: file, fillNa: 'zero' }).values[0]], [0, 2, 4, 0]);
  assert.deepEqual([...selectColumns(t, ['a'], { fileName: file, fillNa: 'mean' }).values[0]], [3, 2, 4, 3]);
  assert.throws(() => selectColumns(t, ['b', 'a'], { fileName: file }), /column a is n\/a at row 1 \(line 2\)/);
  // The caller's table is not modified.
  assert.ok(Number.isNaN(t.numeric('a')[0]));
});
