/**
 * roi/manifest.json case `roi_glm_ar1`: nilearn run_glm(signals, design, 'ar1')
 * then compute_contrast('face - scene') on NiftiLabelsMasker mean signals.
 *
 * The signals are the `mean_raw` case's table (NiftiLabelsMasker(labels).fit_transform(bold),
 * float32 values); the design is the task + cosine drift + constant part of the
 * SPM-HRF first-level design of run 1 (its columns are computed independently of the
 * confounds, so they are taken from first_level/ols_run1/design_run1.tsv).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fixture } from '../helpers/paths.js';
import { readTsv } from '../../src/io/tsv.js';
import { runGlm } from '../../src/stats/first-level/glm.js';
import { computeContrast } from '../../src/stats/first-level/contrast.js';
import { expressionToContrastVector } from '../../src/stats/first-level/contrast-expr.js';

interface RoiGlmCase {
  name: string;
  design_columns: string[];
  contrast: string;
  effect: number[][];
  variance: number[];
  stat: number[];
  z_score: number[];
}

test('ROI-level AR(1) GLM and contrast reproduce nilearn (roi_glm_ar1)', async (t) => {
  const manifest = JSON.parse(await readFile(fixture('roi', 'manifest.json'), 'utf8')) as { cases: RoiGlmCase[] };
  const ref = manifest.cases.find((c) => c.name === 'roi_glm_ar1')!;
  const signals = await readTsv(fixture('roi', 'mean_raw_signals.tsv'));
  const n = signals.nRows;
  const nRoi = signals.columns.length;
  assert.equal(nRoi, ref.stat.length);
  const y = new Float64Array(n * nRoi);
  signals.columns.forEach((c, j) => {
    const col = signals.numeric(c);
    // the table holds float32 values printed shortest-repr: fround recovers them exactly
    for (let s = 0; s < n; s++) y[s * nRoi + j] = Math.fround(col[s]);
  });
  const design = await readTsv(fixture('first_level', 'ols_run1', 'design_run1.tsv'));
  const cols = ref.design_columns;
  const x = { rows: n, cols: cols.length, data: new Float64Array(n * cols.length) };
  cols.forEach((c, j) => {
    const col = design.numeric(c);
    for (let s = 0; s < n; s++) x.data[s * cols.length + j] = col[s];
  });

  const fit = runGlm(y, x, { noiseModel: 'ar1' });
  const r = computeContrast(fit, expressionToContrastVector(ref.contrast, cols));

  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
  let worst = { effect: 0, variance: 0, stat: 0, z: 0 };
  for (let i = 0; i < nRoi; i++) {
    worst = {
      effect: Math.max(worst.effect, rel(r.effectSize[i], ref.effect[0][i])),
      variance: Math.max(worst.variance, rel(r.effectVariance[i], ref.variance[i])),
      stat: Math.max(worst.stat, rel(r.stat[i], ref.stat[i])),
      z: Math.max(worst.z, rel(r.zScore[i], ref.z_score[i])),
    };
  }
  t.diagnostic(`roi_glm_ar1 worst relative differences: ${JSON.stringify(worst)}; AR bins ${fit.models.map((m) => m.key).join(' ')}`);
  for (const [k, v] of Object.entries(worst)) assert.ok(v < 1e-8, `${k}: worst relative difference ${v}`);
});
