/**
 * Design diagnostics through the pipeline (SPEC: `…_run-N_design-corr.tsv` and `.png`,
 * `…_contrast-NAME_matrix.png`): run 1 of the synthetic dataset (nilearn's diagnostics
 * reference design) has a correlation TSV equal to pandas' design_matrix.corr(); run 2 gets a
 * second face condition with the same onsets and longer events, a collinear pair that must
 * come out as a warning event naming the run, the columns, r and the VIFs, and as flags in
 * the design artifact's meta.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { PNG } from 'pngjs';
import { fixture } from '../helpers/paths.js';
import { compilePipeline } from '../../src/spec/compile.js';
import { runPipeline } from '../../src/engine/index.js';
import { registry } from '../../nodes/index.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { Cache } from '../../src/engine/cache.js';
import type { DesignMeta } from '../../nodes/lib/artifacts.js';

const manifest = JSON.parse(readFileSync(fixture('diagnostics', 'manifest.json'), 'utf8'));
const ols = manifest.cases.find((c: any) => c.name === 'ols_run1');

/** A TSV of numbers with a header row and a row-name column; empty and 'n/a' cells are NaN. */
function readCorr(path: string): { columns: string[]; rows: string[]; values: number[][] } {
  const lines = readFileSync(path, 'utf8').replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
  return {
    columns: lines[0].slice(1),
    rows: lines.slice(1).map((l) => l[0]),
    values: lines.slice(1).map((l) => l.slice(1).map((x) => (x === '' || x === 'n/a' ? NaN : Number(x)))),
  };
}

test('design correlation TSV/PNG per run match pandas corr(); a collinear pair warns; contrast matrix figures', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-designdiag-'));
  const bids = join(dir, 'bids');
  cpSync(fixture('synth'), bids, { recursive: true });
  // run 2: every face event also as 'faceLong' (same onset, 1.5 s instead of 1 s)
  const ev = join(bids, 'sub-01', 'func', 'sub-01_task-faces_run-2_events.tsv');
  const lines = readFileSync(ev, 'utf8').trim().split('\n');
  const longs = lines.slice(1).map((l) => l.split('\t')).filter((c) => c[2] === 'face').map((c) => [c[0], '1.5', 'faceLong'].join('\t'));
  assert.ok(longs.length >= 5);
  writeFileSync(ev, [...lines, ...longs].join('\n') + '\n');

  const spec = join(dir, 'spec.yaml');
  writeFileSync(spec, stringify({
    glmflow: 1, name: 'design-diagnostics',
    data: { bids, derivatives: join(bids, 'derivatives', 'fmriprep'), task: 'faces', space: 'MNI152NLin2009cAsym', runs: ['1', '2'] },
    output: join(dir, 'out'),
    first_level: {
      t_r: ols.params.t_r, hrf_model: ols.params.hrf_model, drift_model: ols.params.drift_model, high_pass: ols.params.high_pass,
      noise_model: ols.params.noise_model, signal_scaling: ols.params.signal_scaling, mask: 'derivatives', confounds: ols.confound_columns,
      contrasts: { faceVsScene: 'face - scene', effects: [[1, 0, 0], [0, 0, 1]] }, outputs: ['z_score'],
    },
    report: false,
  }));
  const compiled = await compilePipeline(spec, {});
  const events: EngineEvent[] = [];
  const summary = await runPipeline(compiled.graph, { registry, cacheRoot: join(dir, 'cache'), useCache: true, jobs: 2, emit: (e) => events.push(e) });
  assert.equal(summary.ok, true, JSON.stringify(summary.failures));
  const sub = join(dir, 'out', 'first_level', 'sub-01');

  // run 1 = nilearn's design of the diagnostics reference: same columns, same correlations
  const ours = readCorr(join(sub, 'sub-01_run-1_design-corr.tsv'));
  const ref = readCorr(fixture('diagnostics', 'ols_run1', 'design_corr.tsv'));
  assert.deepEqual(ours.columns, ref.columns);
  assert.deepEqual(ours.rows, ref.columns);
  let worst = 0;
  ref.values.forEach((row, i) => row.forEach((y, j) => {
    const x = ours.values[i][j];
    assert.equal(Number.isNaN(x), Number.isNaN(y), `${ref.columns[i]} x ${ref.columns[j]}: n/a in one only`);
    if (!Number.isNaN(y)) worst = Math.max(worst, Math.abs(x - y));
  }));
  t.diagnostic(`run-1 design correlation: max |r - r_nilearn| = ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-6, `max |r - r_nilearn| = ${worst}`);
  assert.ok(readFileSync(join(sub, 'sub-01_run-1_design-corr.tsv'), 'utf8').split('\n').at(-2)!.startsWith('constant\tn/a\tn/a'), "the constant's correlations are n/a");

  // run 2: the collinear pair, as a warning event of its design node only
  const warnings = events.filter((e): e is Extract<EngineEvent, { event: 'log' }> => e.event === 'log' && e.level === 'warn');
  const collinear = warnings.filter((w) => /collinear design columns/.test(w.message));
  assert.equal(collinear.length, 1, JSON.stringify(warnings.map((w) => w.message)));
  assert.equal(collinear[0].node, 'design/sub-01/run-2');
  const m = /^design of run-2: collinear design columns \(\|r\| >= 0\.9\): face ~ faceLong r = (0\.\d{3})$/.exec(collinear[0].message);
  assert.ok(m, collinear[0].message);
  const run2 = readCorr(join(sub, 'sub-01_run-2_design-corr.tsv'));
  const r = run2.values[run2.rows.indexOf('face')][run2.columns.indexOf('faceLong')];
  assert.ok(r > 0.9 && r < 1, `r(face, faceLong) = ${r}`);
  assert.equal(m[1], r.toFixed(3), 'the warning carries the r of the TSV');
  const vifWarning = warnings.find((w) => /variance inflation factor/.test(w.message));
  assert.ok(vifWarning && vifWarning.node === 'design/sub-01/run-2', 'VIF warning for run 2');
  assert.match(vifWarning.message, /^design of run-2: high variance inflation factor \(VIF >= 10\): face VIF = [\d.e+]+; faceLong VIF = [\d.e+]+$/);

  // the flags travel in the design artifact's meta (what the report reads)
  const done = events.find((e) => e.event === 'node-done' && e.node === 'design/sub-01/run-2') as { key: string } | undefined;
  assert.ok(done);
  const entry = await new Cache(join(dir, 'cache')).read(done.key);
  assert.ok(entry.ok);
  const meta = entry.artifact.meta as unknown as Required<DesignMeta>;
  assert.ok(meta.collinearity, "the design node records its collinearity");
  const taskPairs = meta.collinearity.pairs.filter((x) => x.task);
  assert.deepEqual(taskPairs.map((x) => [x.a, x.b]), [['face', 'faceLong']]);
  assert.equal(taskPairs[0].r, r, 'TSV and meta agree');
  assert.deepEqual(meta.collinearity.vif.map((v) => v.column), ['face', 'faceLong', 'object', 'scene']);
  assert.deepEqual(meta.collinearity.vif.map((v) => v.flagged), [true, true, false, false]);
  assert.ok(meta.warnings.some((w) => /collinear design columns/.test(w)), 'the warning is kept in meta.warnings (shown by the report)');

  // figures: correlation (constant and drifts left out), contrast matrices
  for (const f of ['sub-01_run-1_design-corr.png', 'sub-01_run-2_design-corr.png', 'sub-01_contrast-faceVsScene_matrix.png', 'sub-01_contrast-effects_matrix.png']) {
    assert.ok(existsSync(join(sub, f)), `missing ${f}`);
    const img = PNG.sync.read(readFileSync(join(sub, f)));
    assert.ok(img.width > 200 && img.height > 80, `${f}: ${img.width}x${img.height}`);
  }
  rmSync(dir, { recursive: true, force: true });
});
