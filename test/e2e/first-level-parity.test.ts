/**
 * Every first-level case of nilearn's reference (test/fixtures/reference/first_level)
 * run through the whole pipeline: spec -> graph -> nodes -> NIfTI outputs, compared
 * map by map and by VALUE with the README's parity rule for each kind of map
 * (test/helpers/compare.ts: corr >= 0.9999 and 99.9th percentile of the kind's difference
 * <= 1e-3 inside the mask), and the brain mask over the whole grid (a superset fails).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { fixture, referenceDir } from '../helpers/paths.js';
import { compareMapFiles, compareMaskFiles, kindOfStat } from '../helpers/compare.js';
import { compilePipeline } from '../../src/spec/compile.js';
import { runPipeline } from '../../src/engine/index.js';
import { registry } from '../../nodes/index.js';

interface Case {
  name: string;
  runs: { bold: string }[];
  confound_columns: string[] | null;
  params: Record<string, unknown>;
  mask_given: boolean;
  mask: string;
  outputs: Record<string, { definition: string | number[][]; stat_type: 't' | 'F' } & Record<string, string>>;
}

const manifest = JSON.parse(readFileSync(fixture('first_level', 'manifest.json'), 'utf8')) as { cases: Case[] };
const LABEL: Record<string, (s: 't' | 'F') => string> = {
  z_score: () => 'z', stat: (s) => s, effect_size: () => 'effect', effect_variance: () => 'variance', p_value: () => 'p',
};

function specFor(c: Case, dir: string): string {
  const p = c.params as any;
  const spec = {
    glmflow: 1,
    name: c.name,
    data: {
      bids: join(referenceDir, 'synth'),
      derivatives: join(referenceDir, 'synth', 'derivatives', 'fmriprep'),
      task: 'faces',
      space: 'MNI152NLin2009cAsym',
      runs: c.runs.map((r) => /_run-(\d+)_/.exec(r.bold)![1]),
    },
    output: join(dir, 'out'),
    first_level: {
      t_r: p.t_r,
      hrf_model: p.hrf_model,
      ...(p.fir_delays ? { fir_delays: p.fir_delays } : {}),
      drift_model: p.drift_model,
      ...(p.high_pass !== undefined ? { high_pass: p.high_pass } : {}),
      ...(p.drift_order !== undefined ? { drift_order: p.drift_order } : {}),
      noise_model: p.noise_model,
      ...(p.smoothing_fwhm ? { smoothing_fwhm: p.smoothing_fwhm } : {}),
      signal_scaling: p.signal_scaling,
      mask: c.mask_given ? join(referenceDir, c.mask) : 'auto',
      confounds: c.confound_columns ?? [],
      contrasts: Object.fromEntries(Object.entries(c.outputs).map(([k, v]) => [k, v.definition])),
      r_square: true,
    },
    report: false,
  };
  const file = join(dir, `${c.name}.yaml`);
  writeFileSync(file, stringify(spec));
  return file;
}

for (const c of manifest.cases) {
  test(`first-level parity through the pipeline: ${c.name}`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), `glmflow-parity-${c.name}-`));
    const compiled = await compilePipeline(specFor(c, dir), {});
    const summary = await runPipeline(compiled.graph, { registry, cacheRoot: join(dir, 'cache'), useCache: false, jobs: 2, emit: () => {} });
    assert.equal(summary.ok, true, JSON.stringify(summary.failures));
    const mask = join(referenceDir, c.mask);
    const failures: string[] = [];
    for (const [name, o] of Object.entries(c.outputs)) {
      for (const output of Object.keys(LABEL)) {
        const stat = LABEL[output](o.stat_type);
        const ours = join(dir, 'out', 'first_level', 'sub-01', `sub-01_contrast-${name}_stat-${stat}.nii.gz`);
        const cmp = await compareMapFiles(ours, join(referenceDir, o[output]), mask, kindOfStat(stat));
        t.diagnostic(`${name} ${output}: ${cmp.text}`);
        if (!cmp.ok) failures.push(`${name} ${output}: ${cmp.text}`);
      }
    }
    // r_square (single-run cases have nilearn's map)
    if ((c as any).r_square) {
      const rs = await compareMapFiles(join(dir, 'out', 'first_level', 'sub-01', 'sub-01_run-1_stat-rsquare.nii.gz'), join(referenceDir, (c as any).r_square), mask, 'rsquare');
      t.diagnostic(`r_square: ${rs.text}`);
      if (!(rs.ok && rs.maxAbs <= 1e-5)) failures.push(`r_square: ${rs.text}`);
    }
    assert.deepEqual(failures, []);
    // the brain mask used is nilearn's (given, or compute_epi_mask for epi_mask_ols), voxel for voxel over the grid
    const maskCmp = await compareMaskFiles(join(dir, 'out', 'first_level', 'sub-01', 'sub-01_mask.nii.gz'), mask);
    assert.ok(maskCmp.same, `mask: ${maskCmp.extra} voxels more, ${maskCmp.missing} fewer than nilearn's`);
    rmSync(dir, { recursive: true, force: true });
  });
}
