/**
 * The very long run's path (issue 10 item 5) through the whole pipeline: with the fit's memory
 * budget forced tiny (GLMFLOW_FIT_MEMORY_MB), the synth runs are spilled to a voxel-blocked
 * temporary file and fitted a block at a time; every output map (z, stat, effect, variance,
 * p, residual variance) must have the same bytes as with the in-memory path, for AR(1) with
 * per-voxel scaling, and OLS with grand-mean scaling and censored volumes. The spill file is
 * gone afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { referenceDir } from '../helpers/paths.js';
import { compilePipeline } from '../../src/spec/compile.js';
import { runPipeline } from '../../src/engine/index.js';
import { liveTemporaries } from '../../src/io/temporaries.js';
import { registry } from '../../nodes/index.js';

/** The synth dataset with std_dvars and two high-motion volumes per run (for a scrubbing strategy). */
function dataset(dir: string): string {
  const bids = join(dir, 'bids');
  cpSync(join(referenceDir, 'synth'), bids, { recursive: true });
  for (const r of ['1', '2']) {
    const conf = join(bids, 'derivatives', 'fmriprep', 'sub-01', 'func', `sub-01_task-faces_run-${r}_desc-confounds_timeseries.tsv`);
    const lines = readFileSync(conf, 'utf8').trim().split('\n');
    const fd = lines[0].split('\t').indexOf('framewise_displacement');
    const out = [lines[0] + '\tstd_dvars'];
    lines.slice(1).forEach((l, i) => {
      const c = l.split('\t');
      if (i === 40 + Number(r) || i === 41 + Number(r)) c[fd] = '0.9';
      out.push(c.join('\t') + '\t' + (i === 0 ? 'n/a' : '1.0'));
    });
    writeFileSync(conf, out.join('\n') + '\n');
  }
  return bids;
}

async function run(dir: string, name: string, firstLevel: Record<string, unknown>, budgetMb?: string) {
  const bids = join(dir, 'bids');
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({
    glmflow: 1, name: 'spill',
    data: { bids, derivatives: join(bids, 'derivatives', 'fmriprep'), task: 'faces', space: 'MNI152NLin2009cAsym', runs: ['1', '2'] },
    output: join(dir, name),
    first_level: {
      t_r: 'auto', hrf_model: 'spm', drift_model: 'cosine', high_pass: 0.01, mask: 'derivatives',
      confounds: ['trans_x', 'trans_y', 'trans_z', 'rot_x', 'rot_y', 'rot_z', 'csf', 'white_matter'],
      contrasts: { face: 'face', faceVsScene: 'face - scene' }, outputs: ['z_score', 'stat', 'effect_size', 'effect_variance', 'p_value'],
      ...firstLevel,
    },
    report: false,
  }));
  const compiled = await compilePipeline(file, {});
  const messages: string[] = [];
  const saved = process.env.GLMFLOW_FIT_MEMORY_MB;
  if (budgetMb === undefined) delete process.env.GLMFLOW_FIT_MEMORY_MB;
  else process.env.GLMFLOW_FIT_MEMORY_MB = budgetMb;
  try {
    const summary = await runPipeline(compiled.graph, {
      registry, cacheRoot: join(dir, `cache-${name}`), useCache: true, jobs: 1,
      emit: (e: any) => { if (e.event === 'node-progress' && typeof e.message === 'string') messages.push(e.message); },
    });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
  } finally {
    if (saved === undefined) delete process.env.GLMFLOW_FIT_MEMORY_MB;
    else process.env.GLMFLOW_FIT_MEMORY_MB = saved;
  }
  return { out: join(dir, name, 'first_level', 'sub-01'), messages };
}

function maps(folder: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const f of readdirSync(folder).filter((f) => f.endsWith('.nii.gz')).sort()) m.set(f, readFileSync(join(folder, f)));
  return m;
}

const cases: [string, Record<string, unknown>][] = [
  ['ar1, 6 mm, signal_scaling 0', { noise_model: 'ar1', smoothing_fwhm: 6, signal_scaling: 0 }],
  ['ols, no smoothing, signal_scaling [0, 1], scrubbed volumes', { noise_model: 'ols', smoothing_fwhm: null, signal_scaling: [0, 1], confounds: { strategy: ['motion', 'wm_csf', 'scrub'], motion: 'basic', wm_csf: 'basic', scrub: 0, fd_threshold: 0.5, std_dvars_threshold: 3 } }],
];

for (const [label, firstLevel] of cases) {
  test(`spilled fit = in-memory fit, every output map byte for byte (${label})`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'glmflow-spill-'));
    dataset(dir);
    try {
      const mem = await run(dir, 'memory', firstLevel);
      assert.ok(!mem.messages.some((m) => m.startsWith('spilling')), 'the default budget holds the synth runs in memory');
      // 0.25 MiB: blocks of ~140 voxels (the last one shorter), ~24 rows per write, a few
      // models per refit pass
      const sp = await run(dir, 'spill', firstLevel, '0.25');
      const spills = sp.messages.filter((m) => m.startsWith('spilling'));
      assert.equal(spills.length, 2, `both runs spilled: ${spills.join(' | ')}`);
      t.diagnostic(spills[0]);
      t.diagnostic(sp.messages.find((m) => m.startsWith('timings:')) ?? '');
      const a = maps(mem.out);
      const b = maps(sp.out);
      assert.ok(a.size >= 12, `maps: ${[...a.keys()].join(', ')}`);
      assert.ok([...a.keys()].some((f) => f.includes('residvar')));
      assert.deepEqual([...b.keys()], [...a.keys()]);
      for (const [f, bytes] of a) assert.ok(bytes.equals(b.get(f)!), `${f} differs between the spilled and the in-memory fit`);
      assert.deepEqual(liveTemporaries().filter((p) => p.includes('spill-')), [], 'no spill file left');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
