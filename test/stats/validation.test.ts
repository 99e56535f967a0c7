/**
 * Statistical validation battery of the group-level inference (see test/helpers/validate-inference.ts):
 * on >= 200 simulated null datasets the max-t permutation family-wise error rate at alpha 0.05
 * lies in the central 95 % range of Binomial(n, 0.05), Bonferroni and BH on null data do not
 * exceed it, and on data with 10 % true effects BH's false discovery proportion averages <= 0.05.
 * Every dataset comes from a seeded generator, so the figures are fixed: no flakiness.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SimRng,
  binomCdf,
  binomPmf,
  binomialInterval,
  clopperPearson,
  covariateFweConfig,
  covariateInDesignFweConfig,
  describeFdr,
  describeFwe,
  fdrConfig,
  fdrSimulation,
  fweSimulation,
  oneSampleFweConfig,
  simulateNoise,
  FWE_GRID,
  type FweResult,
} from '../helpers/validate-inference.js';

test('binomial helpers match scipy', () => {
  // scipy.stats.binom.interval(0.95, n, 0.05)
  assert.deepEqual(binomialInterval(200, 0.05), [4, 16]);
  assert.deepEqual(binomialInterval(300, 0.05), [8, 23]);
  assert.deepEqual(binomialInterval(500, 0.05), [16, 35]);
  assert.deepEqual(binomialInterval(1000, 0.05), [37, 64]);
  assert.ok(Math.abs(binomCdf(16, 200, 0.05) - 0.9762005402528273) < 1e-12);
  assert.ok(Math.abs(binomPmf(10, 200, 0.05) - 0.12835737340035233) < 1e-12);
  // Clopper-Pearson = beta.ppf(0.025, k, n-k+1), beta.ppf(0.975, k+1, n-k)
  const [a, b] = clopperPearson(15, 300);
  assert.ok(Math.abs(a - 0.028251201968496384) < 1e-10 && Math.abs(b - 0.08112735717076422) < 1e-10);
  const [c, d] = clopperPearson(10, 200);
  assert.ok(Math.abs(c - 0.024234165472108552) < 1e-10 && Math.abs(d - 0.09002753770135137) < 1e-10);
  // closed forms at k = 0 and k = n
  assert.deepEqual(clopperPearson(0, 50)[0], 0);
  assert.ok(Math.abs(clopperPearson(0, 50)[1] - (1 - 0.025 ** (1 / 50))) < 1e-12);
  assert.ok(Math.abs(clopperPearson(50, 50)[0] - 0.025 ** (1 / 50)) < 1e-12);
});

test('simulated noise: seeded, unit variance after smoothing, spatially correlated', () => {
  const a = simulateNoise(new SimRng(1), 3, FWE_GRID);
  const b = simulateNoise(new SimRng(1), 3, FWE_GRID);
  assert.deepEqual(Array.from(a), Array.from(b));
  // interior voxels over many subjects: variance ~1, neighbour correlation of a FWHM-2 field
  const [nx, ny, nz] = FWE_GRID.dims;
  const nSub = 400;
  const Y = simulateNoise(new SimRng(2), nSub, FWE_GRID);
  const V = nx * ny * nz;
  let ss = 0;
  let sxy = 0;
  let m = 0;
  for (let s = 0; s < nSub; s++)
    for (let z = 2; z < nz - 2; z++)
      for (let y = 2; y < ny - 2; y++)
        for (let x = 2; x < nx - 2; x++) {
          const v = x + nx * (y + ny * z);
          ss += Y[s * V + v] ** 2;
          sxy += Y[s * V + v] * Y[s * V + v + 1];
          m++;
        }
  const variance = ss / m;
  const rho = sxy / ss;
  // a Gaussian kernel of FWHM f voxels correlates neighbours by exp(-1 / (4 sigma^2)), sigma = f / 2.3548
  const sigma = FWE_GRID.fwhm / Math.sqrt(8 * Math.log(2));
  const rhoTheory = Math.exp(-1 / (4 * sigma * sigma));
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  assert.ok(Math.abs(rho - rhoTheory) < 0.05, `neighbour correlation ${rho} vs ${rhoTheory}`);
});

function checkNullFwe(r: FweResult, t: { diagnostic: (s: string) => void }, label: string): void {
  const n = r.config.nDatasets;
  const [lo, hi] = binomialInterval(n, r.config.alpha);
  t.diagnostic(describeFwe(label, r));
  assert.ok(n >= 200);
  assert.ok(
    r.permRejections >= lo && r.permRejections <= hi,
    `max-t FWE ${r.permRejections}/${n} outside the 95% range [${lo}, ${hi}] of Binomial(${n}, ${r.config.alpha})`,
  );
  // equivalently (up to the discreteness at the ends): alpha lies in the exact Clopper-Pearson
  // 95 % interval of the observed rate
  const [cpLo, cpHi] = clopperPearson(r.permRejections, n);
  assert.ok(cpLo <= r.config.alpha && r.config.alpha <= cpHi, `alpha outside [${cpLo}, ${cpHi}]`);
  // parametric corrections may be conservative on smooth data, never liberal
  assert.ok(r.bonferroniRejections <= hi, `Bonferroni FWE ${r.bonferroniRejections}/${n} > ${hi}`);
  assert.ok(r.fdrRejections <= hi, `BH on null data: ${r.fdrRejections}/${n} datasets with discoveries > ${hi}`);
}

test('one-sample sign-flip max-t: FWE rate on 300 smooth null datasets is within the binomial range of 0.05', (t) => {
  checkNullFwe(fweSimulation(oneSampleFweConfig()), t, 'one-sample, sign flipping');
});

test('covariate with intercept confound, row permutation: FWE rate on 200 null datasets', (t) => {
  checkNullFwe(fweSimulation(covariateFweConfig()), t, 'covariate + intercept confound, row permutation');
});

test('[covariate, intercept] design (nilearn selects sign flipping): FWE rate on 200 null datasets', (t) => {
  checkNullFwe(fweSimulation(covariateInDesignFweConfig()), t, '[covariate, intercept] design, sign flipping');
});

test('BH FDR at q = 0.05: mean false discovery proportion <= 0.05 on 500 datasets with 10 % true effects', (t) => {
  const r = fdrSimulation(fdrConfig());
  t.diagnostic(describeFdr(r));
  assert.equal(r.nTrue, 144);
  assert.equal(r.nVoxels, 1440);
  assert.ok(r.meanFdp <= r.config.alpha, `mean FDP ${r.meanFdp} > ${r.config.alpha}`);
  // BH controls FDR at pi0 * q = 0.045: the mean FDP is near it, not 0 because nothing is found
  assert.ok(r.meanFdp > 0.03, `mean FDP ${r.meanFdp} suspiciously low`);
  assert.ok(r.meanPower > 0.4 && r.meanPower < 0.7, `power ${r.meanPower}`);
});
