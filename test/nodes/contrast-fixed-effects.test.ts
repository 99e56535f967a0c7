import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contrast } from '../../nodes/contrast.js';
import { glmToArtifact } from '../../nodes/lib/glm-artifact.js';
import type { DesignMeta } from '../../nodes/lib/artifacts.js';
import type { Artifact } from '../../src/engine/types.js';
import { runGlm, type GlmResult } from '../../src/stats/first-level/glm.js';
import { contrastStatistics, fixedEffectContrast } from '../../src/stats/first-level/contrast.js';
import { contrastMatrixFor } from '../../src/pipeline/contrast-definition.js';
import { Rng } from '../../src/stats/core/prng.js';

/**
 * Small runs with their own designs (lengths differ; run 3 has its columns in another order,
 * so each run gets its own contrast vector): face, house, a drift and the constant; AR(1) fits
 * of 40 voxels.
 */
function runs(n: number): { fits: GlmResult[]; designs: DesignMeta[] } {
  const fits: GlmResult[] = [];
  const designs: DesignMeta[] = [];
  for (let r = 0; r < n; r++) {
    const rng = new Rng(7, `run-${r}`);
    const nScans = 60 + 5 * r;
    const columns = r === 3 ? ['house', 'face', 'drift_1', 'constant'] : ['face', 'house', 'drift_1', 'constant'];
    const p = columns.length;
    const x = new Float64Array(nScans * p);
    for (let t = 0; t < nScans; t++) {
      const row = columns.map((c) => (c === 'constant' ? 1 : c === 'drift_1' ? Math.cos((Math.PI * t) / nScans) : rng.uniform() < 0.3 ? 1 : 0));
      x.set(row, t * p);
    }
    const nVox = 40;
    const y = new Float32Array(nScans * nVox);
    for (let t = 0; t < nScans; t++) {
      for (let v = 0; v < nVox; v++) y[t * nVox + v] = 100 + (v % 5) * x[t * p + columns.indexOf('face')] + 0.5 * (r + 1) * rng.normal();
    }
    fits.push(runGlm(y, { rows: nScans, cols: p, data: x }, { noiseModel: 'ar1', bins: 4 }));
    designs.push({ columns, nScans, tr: 2, warnings: [], run: `run-${r}`, sampleMask: null });
  }
  return { fits, designs };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

for (const definition of ['face - house', 'face', [[1, 0, 0, 0], [0, 1, 0, 0]]] as const) {
  test(`contrast node: fixed effects streamed over 6 runs equal the all-runs-in-memory computation (${JSON.stringify(definition)})`, async () => {
    const { fits, designs } = runs(6);
    // the runs' fits as cache artifacts, read one at a time: never two loaded at once
    let outstanding = 0;
    let maxOutstanding = 0;
    let loads = 0;
    const lazy = fits.map((f, i) => async (): Promise<Artifact> => {
      loads++;
      outstanding++;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      await new Promise((r) => setImmediate(r));
      queueMicrotask(() => outstanding--);
      return glmToArtifact(f, `run-${i}`, []);
    });
    const warnings: string[] = [];
    const out = await contrast.run(
      { progress: () => undefined, warn: (m) => warnings.push(m), signal: new AbortController().signal, scratchDir: '' },
      { name: 'c', definition: definition as never },
      { nodes: { designs: designs.map((d) => ({ meta: d as never, arrays: {} })) }, files: {}, keys: {}, lazy: { fits: lazy } },
    );
    assert.equal(loads, 6);
    assert.equal(maxOutstanding, 1, 'one run loaded at a time');
    // the previous implementation: every run's fit in memory, nilearn's _compute_fixed_effect_contrast
    const defs = designs.map((d) => contrastMatrixFor(definition, d.columns));
    const statType = defs[0].statType;
    const reference = contrastStatistics(fixedEffectContrast(fits, defs.map((d) => (statType === 't' ? Array.from(d.rows[0]) : d.rows.map((r) => Array.from(r)))), statType));
    close(out.arrays.z_score, reference.zScore, 'z');
    close(out.arrays.stat, reference.stat, 'stat');
    close(out.arrays.effect_size, reference.effectSize, 'effect');
    close(out.arrays.effect_variance, reference.effectVariance, 'variance');
    assert.equal((out.meta as { dof: number }).dof, reference.dof);
    if (typeof definition !== 'string') assert.ok(warnings.includes('Running approximate fixed effects on F statistics.'));
  });
}
