import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths.js';
import { readNifti } from '../../src/io/nifti.js';
import { readTsv } from '../../src/io/tsv.js';
import {
  labelSignals,
  cleanSignals,
  regionMeans,
  uniqueLabels,
  pivotedQrBasis,
} from '../../src/stats/image/labels-masker.js';
import type { Mat } from '../../src/stats/core/matrix.js';

interface RoiCase {
  name: string;
  labels: string;
  bold: string;
  params: { standardize: false | 'zscore_sample' };
  confound_columns: string[] | null;
  signals: string;
}

const CONFOUNDS = fixture('synth', 'derivatives', 'fmriprep', 'sub-01', 'func', 'sub-01_task-faces_run-1_desc-confounds_timeseries.tsv');

function worstDiff(got: Mat, labels: number[], ref: Awaited<ReturnType<typeof readTsv>>) {
  let maxAbs = 0;
  let maxRel = 0;
  labels.forEach((l, j) => {
    const col = ref.numeric(String(l));
    assert.equal(col.length, got.rows);
    for (let i = 0; i < got.rows; i++) {
      const d = Math.abs(got.data[i * got.cols + j] - col[i]);
      maxAbs = Math.max(maxAbs, d);
      maxRel = Math.max(maxRel, d / Math.max(Math.abs(col[i]), 1e-12));
    }
  });
  return { maxAbs, maxRel };
}

test('NiftiLabelsMasker(strategy=mean).fit_transform matches nilearn (mean_raw, zscore_conf)', async () => {
  const manifest = JSON.parse(readFileSync(fixture('roi', 'manifest.json'), 'utf8')) as { cases: RoiCase[] };
  const confounds = await readTsv(CONFOUNDS);
  for (const c of manifest.cases.filter((x) => x.name === 'mean_raw' || x.name === 'zscore_conf')) {
    const labelsImg = await readNifti(fixture(c.labels));
    const bold = await readNifti(fixture(c.bold));
    const ref = await readTsv(fixture(c.signals));
    // The selected confound columns have no n/a cells (only the derivative columns do).
    const conf = c.confound_columns?.map((name) => confounds.numeric(name));
    const res = labelSignals(bold.data, bold.dims, labelsImg.data, { standardize: c.params.standardize, confounds: conf });
    assert.deepEqual(res.labels, ref.columns.map(Number));
    assert.equal(res.signals.rows, bold.dims[3]);
    const d = worstDiff(res.signals, res.labels, ref);
    console.log(`${c.name}: worst abs diff ${d.maxAbs}, worst rel diff ${d.maxRel}`);
    if (c.name === 'mean_raw') {
      // reference written with 8 significant digits
      assert.ok(d.maxRel < 2e-7, `mean_raw rel diff ${d.maxRel}`);
    } else {
      assert.ok(d.maxAbs < 1e-6, `zscore_conf abs diff ${d.maxAbs}`);
      // Exact float64 arithmetic departs from nilearn's float32 result by nilearn's own
      // rounding error (signals ~1200 with a residual std ~3): visible, but below 1e-2.
      const exact = labelSignals(bold.data, bold.dims, labelsImg.data, {
        standardize: 'zscore_sample', confounds: conf, precision: 'float64',
      });
      const d64 = worstDiff(exact.signals, exact.labels, ref);
      console.log(`zscore_conf in float64: worst abs diff ${d64.maxAbs}`);
      assert.ok(d64.maxAbs > 1e-5 && d64.maxAbs < 1e-2, `float64 abs diff ${d64.maxAbs}`);
    }
  }
});

test('confounds with n/a cells are refused, as scipy.linalg.qr refuses NaN in nilearn', async () => {
  const confounds = await readTsv(CONFOUNDS);
  const withNa = confounds.numeric('trans_x_derivative1');
  assert.ok(Number.isNaN(withNa[0]));
  const sig: Mat = { rows: withNa.length, cols: 1, data: new Float64Array(withNa.length).map((_, i) => i % 3) };
  assert.throws(() => cleanSignals(sig, { confounds: [withNa] }), /non-finite/);
});

test('region means: sorted labels without background, mask, non-finite data', () => {
  const dims = [4, 1, 1, 2];
  const labels = Float32Array.from([7, 2, 2, 0]);
  const data = Float32Array.from([1, 2, 4, 100, 3, NaN, 6, 100]);
  assert.deepEqual(uniqueLabels(labels), [2, 7]);
  const r = regionMeans(data, dims, labels, { signalPrecision: 'float64' });
  assert.deepEqual(r.labels, [2, 7]);
  assert.deepEqual(r.voxelCounts, [2, 1]);
  // t0: label 2 -> (2+4)/2, label 7 -> 1; t1: NaN counts as 0 -> (0+6)/2, label 7 -> 3
  assert.deepEqual(Array.from(r.signals.data), [3, 1, 3, 3]);
  // A label fully outside the mask keeps its column, filled with zeros.
  const masked = regionMeans(data, dims, labels, { mask: Uint8Array.from([0, 1, 1, 1]) });
  assert.deepEqual(masked.labels, [2, 7]);
  assert.deepEqual(Array.from(masked.signals.data), [3, 0, 3, 0]);
});

test('signal.clean: confounds regressed out, duplicate confounds harmless, z-scoring', () => {
  const n = 40;
  const a = new Float64Array(n).map((_, i) => Math.sin(i * 0.5));
  const b = new Float64Array(n).map((_, i) => (i % 5) - 2 + 0.1 * i);
  const noise = new Float64Array(n).map((_, i) => Math.cos(i * 1.7) * 0.3);
  const sig: Mat = { rows: n, cols: 1, data: new Float64Array(n).map((_, i) => 50 + 2 * a[i] - b[i] + noise[i]) };
  const out = cleanSignals(sig, { confounds: [a, b] });
  // Residual is orthogonal to the centred confounds; the mean (50 + ...) survives.
  for (const c of [a, b]) {
    let mc = 0;
    for (const v of c) mc += v / n;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += (c[i] - mc) * out.data[i];
    assert.ok(Math.abs(dot) < 1e-9, `dot ${dot}`);
  }
  let mean = 0;
  for (const v of out.data) mean += v / n;
  let m0 = 0;
  for (const v of sig.data) m0 += v / n;
  assert.ok(Math.abs(mean - m0) < 1e-9);
  // A repeated / rescaled confound and a constant column change nothing (pivoted QR rank cut).
  const dup = cleanSignals(sig, { confounds: [a, b, a.map((v) => 3 * v + 1), new Float64Array(n).fill(4)] });
  for (let i = 0; i < n; i++) assert.ok(Math.abs(dup.data[i] - out.data[i]) < 1e-9);
  const q = pivotedQrBasis(Float64Array.from([1, 2, 2, 4, 3, 6]), 3, 2);
  assert.equal(q.cols, 1);
  // zscore_sample: mean 0, sample std 1; 'zscore' uses the population std.
  const z = cleanSignals(sig, { standardize: 'zscore_sample' });
  let s1 = 0, s2 = 0;
  for (const v of z.data) { s1 += v; s2 += v * v; }
  assert.ok(Math.abs(s1) < 1e-9 && Math.abs(s2 / (n - 1) - 1) < 1e-12);
  const zp = cleanSignals(sig, { standardize: 'zscore' });
  s2 = 0;
  for (const v of zp.data) s2 += v * v;
  assert.ok(Math.abs(s2 / n - 1) < 1e-12);
  // psc: 100 * (x - mean) / |mean|
  const psc = cleanSignals(sig, { standardize: 'psc' });
  assert.ok(Math.abs(psc.data[3] - (100 * (sig.data[3] - m0)) / m0) < 1e-9);
  // detrend removes a linear trend exactly
  const trend: Mat = { rows: n, cols: 1, data: new Float64Array(n).map((_, i) => 3 + 0.5 * i) };
  const dt = cleanSignals(trend, { detrend: true });
  for (const v of dt.data) assert.ok(Math.abs(v) < 1e-12);
});
