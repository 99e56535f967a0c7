import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths.js';
import {
  gloverDispersionDerivative,
  gloverHrf,
  gloverTimeDerivative,
  hrfKernels,
  spmDispersionDerivative,
  spmHrf,
  spmTimeDerivative,
} from '../../src/stats/design/hrf.js';
import { logGamma } from '../../src/stats/core/gamma.js';

interface HrfCase {
  kernel: string;
  t_r: number;
  oversampling: number;
  time_length: number;
  onset: number;
  values: number[];
}

const ref = JSON.parse(readFileSync(fixture('hrf.json'), 'utf8')) as { cases: HrfCase[] };

const FNS: Record<string, (tr: number, os: number, tl: number, onset: number) => Float64Array> = {
  spm: spmHrf,
  glover: gloverHrf,
  spm_time_derivative: spmTimeDerivative,
  glover_time_derivative: gloverTimeDerivative,
  spm_dispersion_derivative: spmDispersionDerivative,
  glover_dispersion_derivative: gloverDispersionDerivative,
};

/** max |a-b| / max(1, max|ref|) */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

/** max |a-b| / max|ref| (the stricter figure, since kernels are far below 1) */
function peakRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

test('every hrf.json kernel matches nilearn to 1e-6 relative', (t) => {
  assert.ok(ref.cases.length >= 36);
  for (const c of ref.cases) {
    const fn = FNS[c.kernel];
    assert.ok(fn, `unknown kernel ${c.kernel}`);
    const got = fn(c.t_r, c.oversampling, c.time_length, c.onset);
    const name = `${c.kernel} tr=${c.t_r} os=${c.oversampling}`;
    assert.equal(got.length, c.values.length, name + ' length');
    const rel = relErr(got, c.values);
    const peak = peakRelErr(got, c.values);
    t.diagnostic(`${name}: rel ${rel.toExponential(2)}, rel-to-peak ${peak.toExponential(2)}`);
    assert.ok(rel <= 1e-6, `${name}: ${rel}`);
    assert.ok(peak <= 1e-6, `${name} (relative to the kernel peak): ${peak}`);
  }
});

test('kernels: spm and glover sum to 1, peak near 5 s, derivatives sum to ~0', () => {
  for (const k of [spmHrf(2, 50), gloverHrf(2, 50)]) {
    const sum = k.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12);
    let arg = 0;
    for (let i = 1; i < k.length; i++) if (k[i] > k[arg]) arg = i;
    const tPeak = (arg * 32) / (k.length - 1);
    assert.ok(tPeak > 4 && tPeak < 6, `peak at ${tPeak}`);
  }
  // a difference of two unit-sum kernels sums to 0
  for (const k of [spmTimeDerivative(2), gloverDispersionDerivative(1, 16)]) {
    assert.ok(Math.abs(k.reduce((a, b) => a + b, 0)) < 1e-10);
  }
});

test('hrfKernels: model -> number and shape of kernels', () => {
  assert.equal(hrfKernels('spm', 2, 50).length, 1);
  assert.equal(hrfKernels('glover + derivative', 2, 50).length, 2);
  assert.equal(hrfKernels('spm + derivative + dispersion', 2, 50).length, 3);
  const fir = hrfKernels('fir', 2, 4, [0, 2]);
  assert.deepEqual([...fir[0]], [0.25, 0.25, 0.25, 0.25]);
  assert.deepEqual([...fir[1]], [0, 0, 0, 0, 0, 0, 0, 0, 0.25, 0.25, 0.25, 0.25]);
  assert.deepEqual([...hrfKernels(null, 2, 3)[0]], [1, 0, 0]);
  assert.throws(() => hrfKernels('canonical' as never, 2, 50));
  assert.deepEqual([...hrfKernels('spm + derivative', 2, 50)[1]], [...spmTimeDerivative(2, 50)]);
});

test('logGamma against exact factorials and Gamma(1/2)', () => {
  let f = 1;
  for (let n = 1; n <= 20; n++) {
    if (n > 1) f *= n - 1;
    assert.ok(Math.abs(logGamma(n) - Math.log(f)) <= 1e-13 * Math.max(1, Math.log(f)), `n=${n}`);
  }
  assert.ok(Math.abs(logGamma(0.5) - Math.log(Math.sqrt(Math.PI))) < 1e-14);
});
