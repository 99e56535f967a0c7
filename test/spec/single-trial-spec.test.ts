/** The single_trial section: defaults, contrasts optional with it (required without), FIR and derivative HRFs accepted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSpec } from '../../src/spec/load.js';
import { semanticProblems } from '../../src/spec/semantic.js';
import { tempDir, writeFile, yaml } from './helpers.js';

test('single_trial: defaults, first_level.contrasts optional with it and required without it', async () => {
  const dir = tempDir();
  const withSt = writeFile(dir, 'st.yaml', yaml(`
    glmflow: 1
    data: {bids: ., task: faces}
    first_level: {confounds: []}
    single_trial: {conditions: [face]}
  `));
  const l = await loadSpec(withSt, []);
  assert.deepEqual(l.spec.single_trial, { method: 'lss', conditions: ['face'], outputs: ['effect_size', 'z_score'] });
  assert.deepEqual(l.spec.first_level!.contrasts, {});
  assert.deepEqual(semanticProblems(l, { checkPaths: false }), []);

  const without = writeFile(dir, 'plain.yaml', yaml(`
    glmflow: 1
    data: {bids: ., task: faces}
    first_level: {confounds: []}
  `));
  const problems = semanticProblems(await loadSpec(without, []), { checkPaths: false });
  assert.equal(problems.length, 1);
  assert.match(problems[0], /first_level: missing required key 'contrasts' \(needed unless single_trial is set\)/);

  const fir = writeFile(dir, 'fir.yaml', yaml(`
    glmflow: 1
    data: {bids: ., task: faces}
    first_level: {confounds: [], hrf_model: fir, fir_delays: [0, 1]}
    single_trial: {method: lsa}
  `));
  // multi-column HRFs: every trial gets all its columns (single-trial.ts); nothing refused
  assert.deepEqual(semanticProblems(await loadSpec(fir, []), { checkPaths: false }), []);
  for (const hrf of ['spm + derivative', 'spm + derivative + dispersion', 'glover + derivative', 'glover + derivative + dispersion']) {
    for (const method of ['lss', 'lsa']) {
      const deriv = writeFile(dir, 'deriv.yaml', yaml(`
        glmflow: 1
        data: {bids: ., task: faces}
        first_level: {confounds: [], hrf_model: ${hrf}}
        single_trial: {method: ${method}}
      `));
      assert.deepEqual(semanticProblems(await loadSpec(deriv, []), { checkPaths: false }), [], `${hrf} ${method}`);
    }
  }
  // FIR still needs its delays, with or without single_trial
  const noDelays = writeFile(dir, 'fir-nodelays.yaml', yaml(`
    glmflow: 1
    data: {bids: ., task: faces}
    first_level: {confounds: [], hrf_model: fir}
    single_trial: {method: lss}
  `));
  const firProblems = semanticProblems(await loadSpec(noDelays, []), { checkPaths: false });
  assert.equal(firProblems.length, 1, firProblems.join('\n'));
  assert.match(firProblems[0], /hrf_model 'fir' needs fir_delays/);
});
