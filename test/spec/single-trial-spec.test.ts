/** The single_trial section: defaults, contrasts optional with it (required without), FIR and derivative HRFs refused. */
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
  const firProblems = semanticProblems(await loadSpec(fir, []), { checkPaths: false });
  assert.ok(firProblems.some((p) => /single_trial: hrf_model 'fir' gives several regressors per trial/.test(p)), firProblems.join('\n'));

  // derivative HRFs likewise: the message names the key to change and the HRFs accepted
  const deriv = writeFile(dir, 'deriv.yaml', yaml(`
    glmflow: 1
    data: {bids: ., task: faces}
    first_level: {confounds: [], hrf_model: spm + derivative}
    single_trial: {method: lss}
  `));
  const derivProblems = semanticProblems(await loadSpec(deriv, []), { checkPaths: false });
  assert.equal(derivProblems.length, 1, derivProblems.join('\n'));
  assert.match(derivProblems[0], /single_trial: hrf_model 'spm \+ derivative' gives several regressors per trial, which single_trial does not split .*expected first_level\.hrf_model spm, glover or none with single_trial/);
});
