import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths.js';
import {
  computeRegressor,
  frameTimesFor,
  makeFirstLevelDesignMatrix,
  sampleCondition,
  type DesignMatrix,
  type DesignOptions,
  type Mat,
} from '../../src/stats/design/design.js';
import { cosineDrift, driftColumnCount, noDrift, polynomialDrift } from '../../src/stats/design/drift.js';
import { eventsFromColumns, mergeDuplicateEvents, type EventsTable } from '../../src/stats/design/events.js';
import { spmHrf } from '../../src/stats/design/hrf.js';
import { fullRank } from '../../src/stats/design/fullrank.js';
import { svd } from '../../src/stats/core/matrix.js';
import { Rng } from '../../src/stats/core/prng.js';

interface DesignCase {
  name: string;
  frame_times: number[];
  events: { onset: number[]; duration: number[]; trial_type: string[]; modulation?: number[] } | null;
  options: Record<string, unknown>;
  add_regs: Record<string, number[]> | null;
  columns: string[];
  matrix: number[][];
}

const ref = JSON.parse(readFileSync(fixture('design_matrices.json'), 'utf8')) as { cases: DesignCase[] };

function toEvents(e: NonNullable<DesignCase['events']>): EventsTable {
  return {
    onset: Float64Array.from(e.onset),
    duration: Float64Array.from(e.duration),
    trialType: e.trial_type,
    ...(e.modulation ? { modulation: Float64Array.from(e.modulation) } : {}),
  };
}

function toOptions(o: Record<string, unknown>, addRegs: DesignCase['add_regs'], n: number): DesignOptions {
  const opts: DesignOptions = {};
  if ('hrf_model' in o) opts.hrfModel = o.hrf_model as DesignOptions['hrfModel'];
  if ('drift_model' in o) opts.driftModel = o.drift_model as DesignOptions['driftModel'];
  if ('high_pass' in o) opts.highPass = o.high_pass as number;
  if ('drift_order' in o) opts.driftOrder = o.drift_order as number;
  if ('fir_delays' in o) opts.firDelays = o.fir_delays as number[];
  if ('min_onset' in o) opts.minOnset = o.min_onset as number;
  if ('oversampling' in o) opts.oversampling = o.oversampling as number;
  const known = ['hrf_model', 'drift_model', 'high_pass', 'drift_order', 'fir_delays', 'min_onset', 'oversampling'];
  for (const k of Object.keys(o)) assert.ok(known.includes(k), `option ${k} not mapped`);
  if (addRegs) {
    const names = Object.keys(addRegs);
    const data = new Float64Array(n * names.length);
    names.forEach((name, c) => addRegs[name].forEach((v, r) => (data[r * names.length + c] = v)));
    opts.addRegs = { names, values: { rows: n, cols: names.length, data } };
  }
  return opts;
}

/** Worst over columns of max_i |a-b| / max(1, max_i |ref|) */
function worstColumnError(dm: DesignMatrix, refM: number[][]): { worst: number; column: string } {
  const { rows, cols, data } = dm.matrix;
  let worst = 0;
  let column = '';
  for (let c = 0; c < cols; c++) {
    let scale = 1;
    let err = 0;
    for (let r = 0; r < rows; r++) {
      scale = Math.max(scale, Math.abs(refM[r][c]));
      err = Math.max(err, Math.abs(data[r * cols + c] - refM[r][c]));
    }
    if (err / scale > worst || column === '') {
      worst = Math.max(worst, err / scale);
      column = dm.columns[c];
    }
  }
  return { worst, column };
}

test('every design_matrices.json case matches nilearn: columns, order, values to 1e-6 relative', (t) => {
  assert.equal(ref.cases.length, 9);
  for (const c of ref.cases) {
    const ft = Float64Array.from(c.frame_times);
    const warnings: string[] = [];
    const opts = { ...toOptions(c.options, c.add_regs, ft.length), onWarning: (m: string) => warnings.push(m) };
    const dm = makeFirstLevelDesignMatrix(ft, c.events ? toEvents(c.events) : null, opts);
    assert.deepEqual(dm.columns, c.columns, c.name + ' columns');
    assert.equal(dm.matrix.rows, c.matrix.length, c.name + ' rows');
    assert.equal(dm.matrix.cols, c.matrix[0].length, c.name + ' cols');
    const { worst, column } = worstColumnError(dm, c.matrix);
    t.diagnostic(`${c.name}: worst relative error ${worst.toExponential(2)} (column ${column})`);
    assert.ok(worst <= 1e-6, `${c.name}: ${worst} in ${column}`);
  }
});

test('null-duration events are warned about', () => {
  const c = ref.cases.find((x) => x.name === 'modulated_unsorted_zero_duration')!;
  const warnings: string[] = [];
  makeFirstLevelDesignMatrix(Float64Array.from(c.frame_times), toEvents(c.events!), {
    hrfModel: 'spm',
    onWarning: (m) => warnings.push(m),
  });
  assert.ok(warnings.some((w) => w.includes("null duration:\n- 'a'\n- 'b'\n")), warnings.join('|'));
});

test('SPM design matrices: nilearn-style regressors are close to SPM (relative squared error < 0.1)', (t) => {
  const spm = JSON.parse(readFileSync(fixture('spm_design_matrices.json'), 'utf8')) as Record<string, unknown> & {
    events: { trial_type: string[]; onset: number[] };
  };
  const ft = Float64Array.from({ length: 100 }, (_, i) => i);
  for (const [key, dur] of [
    ['block_duration_1', 1],
    ['block_duration_10', 10],
  ] as const) {
    const spmM = spm[key] as number[][];
    const events: EventsTable = {
      onset: Float64Array.from(spm.events.onset),
      duration: new Float64Array(spm.events.onset.length).fill(dur),
      trialType: spm.events.trial_type,
    };
    const dm = makeFirstLevelDesignMatrix(ft, events, { hrfModel: 'spm', driftModel: null });
    assert.deepEqual(dm.columns, ['c0', 'c1', 'c2', 'constant']);
    const { rows, cols, data } = dm.matrix;
    // nilearn's test: ((spm - ours)**2).sum() / (spm**2).sum() < .1 over the whole matrix
    let num = 0;
    let den = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        num += (spmM[r][c] - data[r * cols + c]) ** 2;
        den += spmM[r][c] ** 2;
      }
    }
    t.diagnostic(`${key}: relative squared error ${(num / den).toExponential(3)}`);
    assert.ok(num / den < 0.1, `${key}: ${num / den}`);
  }
  // SPM's DCT basis (constant first, 3 cosines) vs nilearn's (4 cosines, constant last):
  // nilearn's test asserts spm[:, 1:] == ours[:, :-2] (nilearn keeps one more cosine).
  const cos = spm['cosine_nt20_tr1_hp0.1'] as number[][];
  const ftc = Float64Array.from({ length: 20 }, (_, i) => i);
  const ours = cosineDrift(0.1, ftc);
  assert.equal(ours.cols, cos[0].length + 1);
  for (let r = 0; r < 20; r++) assert.equal(cos[r][0], 1);
  let worst = 0;
  for (let k = 1; k < cos[0].length; k++) {
    for (let r = 0; r < 20; r++) worst = Math.max(worst, Math.abs(cos[r][k] - ours.data[r * ours.cols + k - 1]));
  }
  for (let r = 0; r < 20; r++) assert.equal(ours.data[r * ours.cols + ours.cols - 1], 1);
  t.diagnostic(`SPM DCT basis: max abs difference of the cosine columns ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-10, `DCT ${worst}`);
});

test('a single zero-duration event at t=0 gives the kernel sampled on the frame grid', () => {
  const tr = 2;
  const n = 30;
  const ft = frameTimesFor(n, tr, 0);
  const { data, cols } = computeRegressor({ onset: [0], duration: [0], amplitude: [1] }, 'spm', ft, 'x', 50, [0], -24);
  assert.equal(cols, 1);
  // the impulse sits on the first grid point >= 0, i.e. at index 24 s / dt = 600 of the grid
  // starting at -24 s, and spans one grid step; so at frame time k*tr the regressor is
  // spmHrf[k * 50] (the kernel's own grid has step 32/(800-1), slightly wider than dt,
  // so compare to the kernel sampled at the same index).
  const h = spmHrf(tr, 50);
  for (let k = 0; k < n; k++) {
    const expected = k * 50 < h.length ? h[k * 50] : 0;
    assert.ok(Math.abs(data[k] - expected) < 1e-12, `frame ${k}: ${data[k]} vs ${expected}`);
  }
  // amplitude scales linearly
  const twice = computeRegressor({ onset: [0], duration: [0], amplitude: [2] }, 'spm', ft, 'x');
  for (let k = 0; k < n; k++) assert.ok(Math.abs(twice.data[k] - 2 * data[k]) < 1e-15);
});

test('sampleCondition: onsets on the oversampled grid, durations, overlap adds up', () => {
  const ft = Float64Array.from([0, 1, 2, 3, 4]);
  // grid: linspace(0 + -2, 4 * 1.25 = 5, rint(4/4*(5+2)*2+1) = 15) -> step 0.5
  const { regressor, hrFrameTimes } = sampleCondition(
    { onset: [0, 0.5, 3], duration: [1, 0, 10], amplitude: [1, 2, 3] },
    ft,
    2,
    -2,
  );
  assert.deepEqual([...hrFrameTimes], [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]);
  // event 1 covers [0, 1) -> indices 4, 5; event 2 (zero duration, at 0.5) lasts one step: index 5;
  // event 3 runs from 3 (index 10) to the clipped end (index 14, where its offset is subtracted)
  assert.deepEqual([...regressor], [0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 3, 3, 3, 3, 0]);
});

test('frameTimesFor follows FirstLevelModel (linspace with slice_time_ref)', () => {
  const ft = frameTimesFor(150, 0.8, 0.5);
  const c = ref.cases.find((x) => x.name === 'tr08_addregs_oversampling16')!;
  assert.deepEqual([...ft], c.frame_times);
  assert.deepEqual([...frameTimesFor(4, 2, 0)], [0, 2, 4, 6]);
});

test('cosine drift: orthonormal DCT columns, order floor(2 n hp dt), constant last', () => {
  const ft = frameTimesFor(100, 2, 0);
  const d = cosineDrift(0.01, ft);
  assert.deepEqual(d.columns, ['drift_1', 'drift_2', 'drift_3', 'drift_4', 'constant']);
  for (let a = 0; a < d.cols - 1; a++) {
    for (let b = 0; b < d.cols - 1; b++) {
      let s = 0;
      for (let r = 0; r < d.rows; r++) s += d.data[r * d.cols + a] * d.data[r * d.cols + b];
      assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-12, `<${a},${b}> = ${s}`);
    }
    // and orthogonal to the constant (zero mean)
    let m = 0;
    for (let r = 0; r < d.rows; r++) m += d.data[r * d.cols + a];
    assert.ok(Math.abs(m) < 1e-12);
  }
  const warnings: string[] = [];
  const sat = makeFirstLevelDesignMatrix(frameTimesFor(10, 2), null, { highPass: 0.3, onWarning: (w) => warnings.push(w) });
  assert.equal(sat.columns.length, 10); // order capped at n - 1, plus the constant
  assert.ok(warnings.some((w) => w.startsWith('High-pass filter will span all accessible frequencies')));
});

test('polynomial drift: orthogonal columns of increasing degree, constant last', () => {
  const ft = frameTimesFor(20, 1.5);
  const d = polynomialDrift(3, ft);
  assert.deepEqual(d.columns, ['drift_1', 'drift_2', 'drift_3', 'constant']);
  for (let a = 0; a < d.cols; a++) {
    for (let b = a + 1; b < d.cols; b++) {
      let s = 0;
      for (let r = 0; r < d.rows; r++) s += d.data[r * d.cols + a] * d.data[r * d.cols + b];
      assert.ok(Math.abs(s) < 1e-10, `<${a},${b}> = ${s}`);
    }
  }
  // drift_1 is t/tmax minus its mean
  const tmax = ft[ft.length - 1];
  let mean = 0;
  for (const x of ft) mean += x / tmax / ft.length;
  for (let r = 0; r < d.rows; r++) assert.ok(Math.abs(d.data[r * d.cols] - (ft[r] / tmax - mean)) < 1e-12);
});

test('events: validation, dummy trial type, duplicates summed', () => {
  const missing = eventsFromColumns({ duration: [1] });
  assert.equal(missing.table, null);
  assert.ok(missing.errors.some((e) => e.includes('no onset column')));
  const nan = eventsFromColumns({ onset: [1, NaN], duration: [1, 1], trialType: ['a', 'a'] });
  assert.equal(nan.table, null);
  assert.ok(nan.errors.some((e) => e.includes('must not contain nan values: onset')));
  const dummy = eventsFromColumns({ onset: [1, 2], duration: [0, 1], otherColumns: ['response_time'] });
  assert.deepEqual(dummy.table!.trialType, ['dummy', 'dummy']);
  assert.ok(dummy.warnings.some((w) => w.includes("'trial_type' column not found")));
  assert.ok(dummy.warnings.some((w) => w.includes('unexpected columns in events data will be ignored: response_time')));
  assert.ok(dummy.warnings.some((w) => w.includes("null duration:\n- 'dummy'")));
  const dm = makeFirstLevelDesignMatrix(frameTimesFor(20, 2), dummy.table, { hrfModel: 'spm', driftModel: null });
  assert.deepEqual(dm.columns, ['dummy', 'constant']);
  // hrf_model None ('none'): the event train itself, sampled at the frames: the 2 s box at 2 s
  // covers frames 2 and 3 (not 4, its offset), the 0.5 s box at 5 s covers frame 5 only
  const boxes = makeFirstLevelDesignMatrix(
    frameTimesFor(10, 1),
    { onset: Float64Array.from([2, 5]), duration: Float64Array.from([2, 0.5]), trialType: ['b', 'b'] },
    { hrfModel: 'none' as never, driftModel: null },
  );
  assert.deepEqual(
    Array.from({ length: 10 }, (_, r) => Math.round(boxes.matrix.data[r * 2] * 1e9) / 1e9),
    [0, 0, 1, 1, 0, 1, 0, 0, 0, 0],
  );

  const dup = mergeDuplicateEvents({
    onset: Float64Array.from([10, 30, 70, 70, 10, 30]),
    duration: new Float64Array(6).fill(1),
    trialType: ['c0', 'c0', 'c0', 'c0', 'c1', 'c1'],
  });
  assert.deepEqual(dup.table.trialType, ['c0', 'c0', 'c0', 'c1', 'c1']);
  assert.deepEqual([...dup.table.onset], [10, 30, 70, 10, 30]);
  assert.deepEqual([...dup.table.modulation!], [1, 1, 2, 1, 1]);
  assert.equal(dup.warnings.length, 1);
});

test('column order: conditions sorted, then added regressors, then drifts; names checked', () => {
  const ft = frameTimesFor(40, 2);
  const events: EventsTable = {
    onset: Float64Array.from([5, 20, 35, 50]),
    duration: Float64Array.from([2, 2, 2, 2]),
    trialType: ['zeta', 'Alpha', 'beta', 'zeta'],
  };
  const values: Mat = { rows: 40, cols: 2, data: Float64Array.from({ length: 80 }, (_, i) => Math.sin(i)) };
  const dm = makeFirstLevelDesignMatrix(ft, events, {
    hrfModel: 'glover + derivative',
    driftModel: 'polynomial',
    driftOrder: 2,
    addRegs: { values },
  });
  assert.deepEqual(dm.columns, [
    'Alpha', 'Alpha_derivative', 'beta', 'beta_derivative', 'zeta', 'zeta_derivative',
    'reg0', 'reg1', 'drift_1', 'drift_2', 'constant',
  ]);
  assert.equal(dm.matrix.data[6], values.data[0]);
  assert.equal(dm.matrix.data[7], values.data[1]);
  assert.throws(() =>
    makeFirstLevelDesignMatrix(ft, events, { addRegs: { names: ['constant'], values: { rows: 40, cols: 1, data: new Float64Array(40) } } }),
  /unique/);
  assert.throws(() => makeFirstLevelDesignMatrix(ft, events, { addRegs: { names: ['a'], values } }), /names/);
  // derivative regressors are orthogonal to their main regressor
  const { cols, data } = dm.matrix;
  let s = 0;
  for (let r = 0; r < 40; r++) s += data[r * cols] * data[r * cols + 1];
  assert.ok(Math.abs(s) < 1e-12);
});

test('fullRank: leaves well-conditioned matrices alone, regularises singular ones to cond 1e15', () => {
  const good = Float64Array.from([1, 0, 0, 1, 1, 1]);
  const r1 = fullRank(good, 3, 2);
  assert.equal(r1.regularized, false);
  assert.ok(Math.abs(r1.cond - Math.sqrt(3)) < 1e-12);
  // two identical columns -> singular
  const bad = Float64Array.from([1, 1, 2, 2, 3, 3, 4, 4]);
  const r2 = fullRank(bad, 4, 2);
  assert.equal(r2.regularized, true);
  // still close to the input, and no longer exactly singular
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(r2.data[i] - bad[i]) < 1e-12);
  // a condition without any event inside the run gives a zero column: nilearn warns and regularises
  const warnings: string[] = [];
  makeFirstLevelDesignMatrix(
    frameTimesFor(20, 2),
    { onset: Float64Array.from([5, 500]), duration: Float64Array.from([1, 1]), trialType: ['a', 'late'] },
    { hrfModel: 'spm', driftModel: null, onWarning: (w) => warnings.push(w) },
  );
  assert.ok(warnings.includes('Matrix is singular at working precision, regularizing...'), warnings.join('|'));
});

/** Minimal TSV reader for the fixtures (n/a -> NaN). */
function readTsv(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  return { header: lines[0].split('\t'), rows: lines.slice(1).map((l) => l.split('\t')) };
}

test('FirstLevelModel design matrices of the synth dataset (events + confounds + frame times)', (t) => {
  const manifest = JSON.parse(readFileSync(fixture('first_level', 'manifest.json'), 'utf8')) as {
    cases: {
      name: string;
      runs: { events: string; confounds: string }[];
      confound_columns: string[];
      params: Record<string, unknown>;
      design_matrices: string[];
    }[];
  };
  let checked = 0;
  for (const c of manifest.cases) {
    c.design_matrices.forEach((dmPath, runIdx) => {
      const refDm = readTsv(fixture(dmPath));
      const n = refDm.rows.length;
      const ev = readTsv(fixture(c.runs[runIdx].events));
      const col = (tab: { header: string[]; rows: string[][] }, name: string) =>
        tab.rows.map((r) => (r[tab.header.indexOf(name)] === 'n/a' ? NaN : Number(r[tab.header.indexOf(name)])));
      const events: EventsTable = {
        onset: Float64Array.from(col(ev, 'onset')),
        duration: Float64Array.from(col(ev, 'duration')),
        trialType: ev.rows.map((r) => r[ev.header.indexOf('trial_type')]),
      };
      const conf = readTsv(fixture(c.runs[runIdx].confounds));
      const k = c.confound_columns.length;
      const values = new Float64Array(n * k);
      c.confound_columns.forEach((name, j) => col(conf, name).forEach((v, r) => (values[r * k + j] = v)));
      const p = c.params;
      const tr = p.t_r as number;
      const dm = makeFirstLevelDesignMatrix(frameTimesFor(n, tr, (p.slice_time_ref as number) ?? 0), events, {
        hrfModel: p.hrf_model as DesignOptions['hrfModel'],
        driftModel: p.drift_model as DesignOptions['driftModel'],
        ...(p.high_pass !== undefined ? { highPass: p.high_pass as number } : {}),
        ...(p.drift_order !== undefined ? { driftOrder: p.drift_order as number } : {}),
        ...(p.fir_delays !== undefined ? { firDelays: p.fir_delays as number[] } : {}),
        addRegs: { names: c.confound_columns, values: { rows: n, cols: k, data: values } },
      });
      assert.deepEqual(dm.columns, refDm.header, `${c.name} run ${runIdx + 1} columns`);
      const refM = refDm.rows.map((r) => r.map(Number));
      const { worst, column } = worstColumnError(dm, refM);
      t.diagnostic(`${dmPath}: worst relative error ${worst.toExponential(2)} (column ${column})`);
      assert.ok(worst <= 1e-6, `${dmPath}: ${worst} in ${column}`);
      checked++;
    });
  }
  assert.ok(checked >= 8);
});

test('driftColumnCount gives the column count of the drift basis without building it', () => {
  for (const [n, tr, hp] of [[156, 2, 0.01], [110, 2, 0.008], [50, 0.7, 0.1], [156, 2, 0.226], [156, 2, 1e9], [20, 2, 1e-9]] as const) {
    const ft = frameTimesFor(n, tr, 0.5);
    assert.equal(driftColumnCount('cosine', ft, hp, 1), cosineDrift(hp, ft).cols, `cosine n=${n} tr=${tr} hp=${hp}`);
  }
  const ft = frameTimesFor(30, 2, 0);
  for (const order of [0, 1, 3, 12]) assert.equal(driftColumnCount('polynomial', ft, 0.01, order), polynomialDrift(order, ft).cols);
  assert.equal(driftColumnCount('none', ft, 0.01, 1), noDrift(ft).cols);
  // 156 scans at 2 s, 0.01 Hz: floor(2 * 156 * 0.01 * 2) = 6 cosines + the constant
  assert.equal(driftColumnCount('cosine', frameTimesFor(156, 2, 0), 0.01, 1), 7);
});

test('fullRank around cmax: regularises from cond 1e15 up (Jacobi shortcut below cmax / 100, Golub-Kahan from there)', () => {
  const rng = new Rng(7, 'full-rank');
  const n = 60;
  const p = 8;
  // orthonormal columns by modified Gram-Schmidt of random vectors
  const orthonormal = (rows: number) => {
    const cols: number[][] = [];
    for (let l = 0; l < p; l++) {
      const v = Array.from({ length: rows }, () => rng.normal());
      for (const q of cols) {
        const d = v.reduce((acc, x, i) => acc + x * q[i], 0);
        for (let i = 0; i < rows; i++) v[i] -= d * q[i];
      }
      const norm = Math.hypot(...v);
      cols.push(v.map((x) => x / norm));
    }
    return cols;
  };
  const condOf = (data: Float64Array) => {
    const { s } = svd({ rows: n, cols: p, data }, { u: false });
    return Math.max(...s) / Math.min(...s);
  };
  // X = Q diag(s) Wᵀ with singular values from 1 down to 1 / cond, geometrically
  for (const [cond, regularized] of [[10, false], [1e12, false], [5e13, false], [2e14, false], [1e16, true], [Infinity, true]] as const) {
    const q = orthonormal(n);
    const w = orthonormal(p);
    const s = Array.from({ length: p }, (_, l) => cond ** (-l / (p - 1)));
    const data = new Float64Array(n * p);
    for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) for (let l = 0; l < p; l++) data[i * p + j] += q[l][i] * s[l] * w[l][j];
    const r = fullRank(data, n, p);
    assert.equal(r.regularized, regularized, `cond ${cond}: regularised ${r.regularized}`);
    if (!regularized) {
      assert.equal(r.data, data, 'left as it is');
      assert.ok(Math.abs(r.cond / cond - 1) < 0.05, `cond ${r.cond} for ${cond}`);
    } else {
      // lifted to the condition number cmax, and close to the input
      assert.ok(Math.abs(condOf(r.data) / 1e15 - 1) < 0.1, `regularised cond ${condOf(r.data)}`);
      for (let i = 0; i < data.length; i++) assert.ok(Math.abs(r.data[i] - data[i]) < 1e-12);
    }
  }
});
