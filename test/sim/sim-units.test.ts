/** The simulator's building blocks: PRNG, AR(1) series, eigen-solver, cosines, paradigm, participants, CLI options. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isUserError } from '../../src/errors.js';
import { parseSimulateArgs } from '../../src/cli/simulate-command.js';
import { compcorFromGram, fmriprepCosines } from '../../src/sim/confounds.js';
import { prepareOutputDir, simulateDataset } from '../../src/sim/dataset.js';
import { BLOCK_DURATION, makeBlocks } from '../../src/sim/paradigm.js';
import { makePhantom } from '../../src/sim/phantom.js';
import { fnv1a, Rng } from '../../src/stats/core/prng.js';
import { makeSubjects } from '../../src/sim/subjects.js';
import { ar1Series, framewiseDisplacement } from '../../src/sim/timeseries.js';

describe('prng', () => {
  it('FNV-1a matches the published test vectors', () => {
    assert.equal(fnv1a(''), 0x811c9dc5);
    assert.equal(fnv1a('a'), 0xe40c292c);
    assert.equal(fnv1a('foobar'), 0xbf9cf968);
  });

  it('same seed and stream give the same numbers; other streams and seeds differ', () => {
    const a = new Rng(7, 's');
    const b = new Rng(7, 's');
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    assert.deepEqual(Array.from({ length: 5 }, () => b.nextU32()), xs);
    assert.notDeepEqual(Array.from({ length: 5 }, () => new Rng(7, 't').nextU32()), xs);
    const c = new Rng(8, 's');
    assert.notDeepEqual(Array.from({ length: 5 }, () => c.nextU32()), xs);
    // seeds above 2^32 use the high word too
    assert.notEqual(new Rng(2 ** 32 + 7, 's').nextU32(), xs[0]);
    assert.throws(() => new Rng(-1, 's'));
    assert.throws(() => new Rng(1.5, 's'));
  });

  it('uniform in [0, 1) with mean 1/2, variance 1/12; Box-Muller normals with mean 0, variance 1, kurtosis 3', () => {
    const r = new Rng(0, 'moments');
    const n = 200000;
    let s = 0;
    let s2 = 0;
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      s += u;
      s2 += u * u;
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
    }
    assert.ok(lo >= 0 && hi < 1);
    assert.ok(Math.abs(s / n - 0.5) < 0.003);
    assert.ok(Math.abs(s2 / n - (s / n) ** 2 - 1 / 12) < 0.002);
    let m1 = 0;
    let m2 = 0;
    let m4 = 0;
    let tail = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      m1 += z;
      m2 += z * z;
      m4 += z ** 4;
      if (Math.abs(z) > 1.959964) tail++;
    }
    assert.ok(Math.abs(m1 / n) < 0.01, `mean ${m1 / n}`);
    assert.ok(Math.abs(m2 / n - 1) < 0.015, `variance ${m2 / n}`);
    assert.ok(Math.abs(m4 / n - 3) < 0.1, `4th moment ${m4 / n}`);
    assert.ok(Math.abs(tail / n - 0.05) < 0.003, `P(|z| > 1.96) = ${tail / n}`);
  });

  it('shuffled is a permutation', () => {
    const p = new Rng(3, 'perm').shuffled([0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual([...p].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('time series', () => {
  it('AR(1): stationary variance sd^2 and lag-1 autocorrelation rho', () => {
    const x = ar1Series(new Rng(0, 'ar'), 100000, 0.3, 2);
    let m = 0;
    for (const v of x) m += v;
    m /= x.length;
    let c0 = 0;
    let c1 = 0;
    for (let t = 0; t < x.length; t++) {
      c0 += (x[t] - m) ** 2;
      if (t > 0) c1 += (x[t] - m) * (x[t - 1] - m);
    }
    assert.ok(Math.abs(c0 / x.length - 4) < 0.1, `variance ${c0 / x.length}`);
    assert.ok(Math.abs(c1 / c0 - 0.3) < 0.015, `rho ${c1 / c0}`);
  });

  it('framewise displacement: Power et al. (rotations on a 50 mm sphere), n/a first', () => {
    const p = [[0, 0.1], [0, -0.2], [0, 0], [0, 0.001], [0, 0], [0, -0.002]].map((a) => Float64Array.from(a));
    const fd = framewiseDisplacement(p);
    assert.ok(Number.isNaN(fd[0]));
    assert.ok(Math.abs(fd[1] - (0.1 + 0.2 + 50 * 0.003)) < 1e-12);
  });
});

describe('confound helpers', () => {
  it('fMRIPrep cosines: floor(2 m TR / 128) - 1 orthonormal columns over the steady-state volumes, 0 in the dummy row', () => {
    const c = fmriprepCosines(110, 2);
    assert.equal(c.length, Math.floor((2 * 109 * 2) / 128) - 1);
    assert.equal(fmriprepCosines(300, 2).length, 8);
    for (let a = 0; a < c.length; a++) {
      assert.equal(c[a][0], 0);
      for (let b = 0; b < c.length; b++) {
        let s = 0;
        for (let t = 1; t < 110; t++) s += c[a][t] * c[b][t];
        assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-12);
      }
      let mean = 0;
      for (let t = 1; t < 110; t++) mean += c[a][t];
      assert.ok(Math.abs(mean) < 1e-12, 'orthogonal to the constant');
    }
  });

  it('CompCor from a Gram matrix: a rank-one signal is the first component, variance explained sums to <= 1', () => {
    const n = 21;
    const m = n - 1;
    const r = new Rng(2, 'cc');
    const signal = Float64Array.from({ length: m }, (_, t) => Math.sin(t / 3));
    // 30 voxels = 5 * signal + small noise; Gram = M M^T
    const cols = Array.from({ length: 30 }, () => Float64Array.from(signal, (s) => 5 * s + 0.01 * r.normal()));
    const g = new Float64Array(m * m);
    for (const c of cols) for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) g[i * m + j] += c[i] * c[j];
    const res = compcorFromGram(g, n, 3);
    assert.equal(res.components.length, 3);
    const first = res.components[0];
    assert.equal(first[0], 0);
    const norm = Math.hypot(...signal);
    const cos = Math.abs(signal.reduce((s, v, t) => s + v * first[t + 1], 0)) / norm;
    assert.ok(cos > 0.9999, `cosine with the signal ${cos}`);
    assert.ok(res.explained[0] > 0.99 && res.explained.reduce((a, b) => a + b, 0) <= 1 + 1e-12);
    assert.ok(res.singular[0] > res.singular[1] && res.singular[1] >= res.singular[2]);
  });
});

describe('paradigm, phantom, participants', () => {
  it('blocks: each triple shows the 3 categories, >= 6 s rest, ending >= 16 s before the run ends, for several run lengths', () => {
    for (const [secs, expected] of [[220, 9], [240, 9], [400, 18], [100, 3], [80, 3]] as const) {
      const b = makeBlocks(new Rng(0, `events-${secs}`), secs);
      assert.equal(b.length, expected, `${secs} s run`);
      for (let i = 0; i < b.length; i += 3) assert.deepEqual(b.slice(i, i + 3).map((x) => x.trialType).sort(), ['face', 'object', 'scene']);
      for (let i = 1; i < b.length; i++) assert.ok(b[i].onset >= b[i - 1].onset + BLOCK_DURATION + 6 - 0.011);
      assert.ok(b[b.length - 1].onset + BLOCK_DURATION <= secs - 16 + 0.011);
      assert.ok(b[0].onset >= 6 && b[0].onset <= 10);
    }
  });

  it('phantom: four disjoint 33-voxel spheres inside the brain, scene regions mirrored; mni4 grid too', () => {
    for (const g of ['small', 'mni4'] as const) {
      const ph = makePhantom(g);
      assert.equal(ph.regions.length, 4);
      const seen = new Set<number>();
      for (const r of ph.regions) {
        assert.equal(r.voxels.length, 33, `${g} ${r.name}`);
        for (const v of r.voxels) {
          assert.equal(ph.mask[v], 1);
          assert.ok(!seen.has(v));
          seen.add(v);
        }
      }
      const [, left, right] = ph.regions;
      assert.deepEqual(left.centreMm, [-right.centreMm[0], right.centreMm[1], right.centreMm[2]]);
    }
  });

  it('participants: ages stratified over 20-65 (one per stratum), sexes balanced, subject order random', () => {
    const s = makeSubjects(0, 8);
    assert.deepEqual(s.map((x) => x.label), ['01', '02', '03', '04', '05', '06', '07', '08']);
    const strata = s.map((x) => Math.min(7, Math.floor(((x.age - 20) / 45) * 8 + 1e-9))).sort();
    // rounding to whole years can push an age over a stratum edge by < 1 year
    assert.ok(new Set(strata).size >= 7, `strata ${strata}`);
    assert.equal(s.filter((x) => x.sex === 'F').length, 4);
    const ages = s.map((x) => x.age);
    assert.notDeepEqual(ages, [...ages].sort((a, b) => a - b));
    assert.equal(makeSubjects(0, 120)[99].label, '100');
  });
});

describe('simulate command options', () => {
  it('parses the options with their defaults', () => {
    const d = parseSimulateArgs(['out']);
    assert.deepEqual(d.options, { subjects: 8, sessions: 0, runs: 2, layout: 'default', seed: 0, grid: 'small', volumes: 110, tr: 2, trialSd: 0 });
    const o = parseSimulateArgs(['out', '--subjects', '3', '--sessions', '4', '--runs', '1', '--layout', 'laion', '--seed', '42', '--grid', 'mni4', '--volumes', '60', '--trial-sd', '0.3', '--force']);
    assert.deepEqual(o.options, { subjects: 3, sessions: 4, runs: 1, layout: 'laion', seed: 42, grid: 'mni4', volumes: 60, tr: 2, trialSd: 0.3 });
    assert.equal(o.force, true);
    assert.equal(parseSimulateArgs(['--help']).help, true);
  });

  it('rejects bad options as user errors', async () => {
    const bad = [[], ['a', 'b'], ['out', '--subjects', 'x'], ['out', '--grid', 'mni2'], ['out', '--layout', 'hcp'], ['out', '--sessions', 'two'], ['out', '--seed', '-1'], ['out', '--frobnicate'], ['out', '--trial-sd', 'x'], ['out', '--trial-sd', '-1']];
    for (const args of bad) assert.throws(() => parseSimulateArgs(args), (e: unknown) => isUserError(e), args.join(' '));
    for (const o of [{ subjects: 0 }, { runs: 0 }, { volumes: 10 }, { sessions: 100 }]) {
      await assert.rejects(simulateDataset(join(tmpdir(), 'glmflow-sim-never'), o), (e: unknown) => isUserError(e) && /must be an integer/.test((e as Error).message));
    }
  });

  it('refuses a non-empty folder that is not a simulation, unless forced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glmflow-sim-dir-'));
    try {
      writeFileSync(join(dir, 'thesis.tex'), 'x');
      await assert.rejects(prepareOutputDir(dir, ['01'], false), (e: unknown) => isUserError(e) && /not empty/.test((e as Error).message));
      await prepareOutputDir(dir, ['01'], true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('simulate --sessions (default layout)', () => {
  it('writes ses-01..ses-N with the runs of each, ses- in every name, one ground-truth entry per session and run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glmflow-sim-ses-'));
    try {
      const r = await simulateDataset(dir, { subjects: 1, sessions: 2, runs: 2, volumes: 40 });
      const bolds = r.files.filter((f) => f.endsWith('_bold.nii.gz'));
      assert.deepEqual(bolds, ['01', '02'].flatMap((ses) => ['1', '2'].map((run) =>
        `derivatives/fmriprep/sub-01/ses-${ses}/func/sub-01_ses-${ses}_task-faces_run-${run}_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz`)));
      assert.ok(r.files.includes('sub-01/ses-02/func/sub-01_ses-02_task-faces_run-2_events.tsv'));
      assert.ok(!r.files.some((f) => f.includes('echo-') || f.includes('rois/')), 'no laion files in the default layout');
      const gt = JSON.parse(readFileSync(join(dir, 'ground_truth.json'), 'utf8'));
      assert.deepEqual(gt.subjects[0].runs.map((x: { session: string; run: string }) => `${x.session}/${x.run}`), ['01/1', '01/2', '02/1', '02/2']);
      assert.equal(gt.generator.sessions, 2);
      // each session's runs are their own draws (not copies of the first session)
      const a = readFileSync(join(dir, 'sub-01/ses-01/func/sub-01_ses-01_task-faces_run-1_events.tsv'), 'utf8');
      const b = readFileSync(join(dir, 'sub-01/ses-02/func/sub-01_ses-02_task-faces_run-1_events.tsv'), 'utf8');
      assert.notEqual(a, b);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
