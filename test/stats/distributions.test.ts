import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fCdf, fSf, normIsf, normPpf, tCdf, tSf, tTails, zFromP } from '../../src/stats/core/distributions.js';

// Reference values computed independently with mpmath (60 digits):
//   t.sf(t, v) = I_{v/(v+t²)}(v/2, 1/2) / 2,  F.sf(f; d1, d2) = I_{d2/(d2+d1 f)}(d2/2, d1/2),
//   isf(p) by bisection on erfc(z/√2)/2 = p.
const T_CASES: [number, number, number, number][] = [
  // t, dof, sf, z
  [40, 100, 1.2310538010700354086e-63, 16.799475684947823056],
  [-40, 100, 1.0, -16.799475684947823056],
  [3.5, 50, 0.00049404250331281044778, 3.2938975627598484169],
  [-2, 10, 0.96330598261462981719, -1.7904099322688289101],
  [0.3, 200, 0.38224436509466399334, 0.29959155028782357408],
  [10, 20, 1.5818908793571940812e-9, 5.922866240311307297],
  [25, 150, 1.1678447637979751449e-55, 15.672405649427889021],
  [-8, 30, 0.99999999686708876215, -5.8095039263688784584],
];
const T_CDF_NEG: [number, number, number][] = [
  [-40, 100, 1.2310538010700354086e-63],
  [-8, 30, 3.1329112378503794717e-9],
  [-2, 10, 0.036694017385370182809],
];
const F_CASES: [number, number, number, number, number][] = [
  // f, d1, d2, sf, z
  [3.0, 2, 90, 0.054790774310961776886, 1.6000767927134575301],
  [200.0, 2, 90, 7.6223576669120033322e-34, 12.069830946919665031],
  [1000.0, 3, 100, 2.1385167861339051986e-74, 18.210286438177085462],
  [0.5, 2, 50, 0.60953087052827918189, -0.27809653056874830607],
];
const ISF: [number, number][] = [
  [1e-300, 37.047096299361199237],
  [1e-100, 21.273453560965324295],
  [1e-20, 9.2623400897984075737],
  [1e-5, 4.2648907939228246285],
  [0.3, 0.52440051270804078404],
  [0.9, -1.281551565544600467],
  [0.999999, -4.7534243088228989482],
];

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

test('t survival function keeps relative precision deep in the upper tail', () => {
  for (const [t, v, sf] of T_CASES) assert.ok(rel(tSf(t, v), sf) < 1e-12, `tSf(${t}, ${v}) = ${tSf(t, v)} vs ${sf}`);
  for (const [t, v, cdf] of T_CDF_NEG) assert.ok(rel(tCdf(t, v), cdf) < 1e-12, `tCdf(${t}, ${v})`);
});

test('t tails: the finite series (|t| <= 2, integer dof) gives closed forms and scipy values', () => {
  const out = { sf: 0, cdf: 0 };
  // dof 1 (Cauchy): cdf = 1/2 + atan(x)/π; dof 2: cdf = 1/2 + x / (2 sqrt(2 + x²))
  tTails(1, 1, out);
  assert.ok(Math.abs(out.cdf - 0.75) < 1e-15 && Math.abs(out.sf - 0.25) < 1e-15, `dof 1: ${out.cdf} ${out.sf}`);
  tTails(1, 2, out);
  assert.ok(Math.abs(out.cdf - (0.5 + 1 / (2 * Math.sqrt(3)))) < 1e-15, `dof 2: ${out.cdf}`);
  // scipy.stats.t.sf / t.cdf (scipy 1.10, Debian)
  const SCIPY: [number, number, number, number][] = [
    [1.5, 290, 0.06735113561594343, 0.9326488643840566],
    [-0.7, 290, 0.7577557722424924, 0.2422442277575077],
    [2.0, 287, 0.023221205141205098, 0.9767787948587949],
    [0.01, 999, 0.4960116419642474, 0.5039883580357526],
    [-1.99, 3, 0.9296580457612181, 0.0703419542387819],
    [1.0, 4, 0.1869504831500295, 0.8130495168499705],
  ];
  for (const [x, k, sf, cdf] of SCIPY) {
    tTails(x, k, out);
    assert.ok(rel(out.sf, sf) < 1e-13 && rel(out.cdf, cdf) < 1e-13, `tTails(${x}, ${k}) = ${out.sf} ${out.cdf} vs ${sf} ${cdf}`);
  }
});

test('t tails: the series and the incomplete beta agree to 5e-13 over |t| <= 2 for dof 1..1000', () => {
  const out = { sf: 0, cdf: 0 };
  let worst = 0;
  for (const k of [1, 2, 3, 4, 5, 6, 7, 10, 29, 30, 99, 100, 287, 290, 318, 999, 1000]) {
    for (let x = -2; x <= 2; x += 1 / 64) {
      tTails(x, k, out);
      worst = Math.max(worst, rel(out.sf, tSf(x, k)), rel(out.cdf, tCdf(x, k)));
      assert.equal(out.sf + out.cdf, 1, `tails of ${x} (dof ${k}) sum to 1`);
    }
  }
  assert.ok(worst < 5e-13, `worst relative difference ${worst}`);
  // a non-integer dof: the incomplete beta route, bit for bit
  tTails(1.5, 290.5, out);
  assert.equal(out.sf, tSf(1.5, 290.5));
  tTails(-2.5, 290.5, out);
  assert.equal(out.cdf, tCdf(-2.5, 290.5));
});

// P(T > t) = I_{k/(k+t²)}(k/2, 1/2) / 2 by mpmath (60 digits): |t| > 2, where tTails takes the
// continued fraction for integer dof, down to p ≈ 1e-296 and out to |t| = 1e150.
const T_UPPER_TAIL: [number, number, number][] = [
  [2.0000001, 288, 0.023219561412790284218],
  [2.5, 288, 0.0064877671347656234998],
  [3.7, 288, 0.00012910992788942713635],
  [6.0, 288, 2.9562493178219635818e-9],
  [11.0, 288, 4.967902061615330065e-24],
  [25.0, 288, 1.9823078576879763636e-74],
  [38.6, 288, 3.7382966526227720502e-116],
  [62.8, 288, 2.0813269028699433584e-170],
  [90.0, 288, 3.3425337482399588168e-213],
  [2.01, 287, 0.022683385742146836348],
  [9.0, 287, 1.5921750674695722865e-17],
  [70.0, 287, 9.9869647542526694968e-183],
  [2.3, 1000, 0.010826709923919803383],
  [30.0, 1000, 7.6873437220217411056e-142],
  [44.0, 957, 2.0345826658110752278e-232],
  [3.0, 1, 0.10241638234956672582],
  [1e6, 1, 3.1830988618368456824e-7],
  [1e150, 1, 3.1830988618379067764e-151],
  [2.2, 2, 0.079404487903970085907],
  [1e100, 2, 4.999999999999999841e-201],
  [2.1, 3, 0.063282601274842298436],
  [5e4, 3, 8.821262314046055058e-15],
  [4.0, 10, 0.0012591663123683461319],
  [1e30, 10, 1.2304687499999997553e-296],
  [12.0, 30, 2.7900927075996280315e-13],
  [1e10, 30, 1.0364534652562066867e-279],
  [40.0, 100, 1.2310538010700354086e-63],
  [1000.0, 100, 3.9598093039739259539e-202],
  [700.0, 150, 8.7978208150876259727e-266],
  [2.4, 999, 0.0082886321458124206163],
];

test('t tails beyond |t| = 2 (continued fraction, integer dof): relative precision down to 1e-296', () => {
  const out = { sf: 0, cdf: 0 };
  for (const [t, k, sf] of T_UPPER_TAIL) {
    tTails(t, k, out);
    assert.ok(rel(out.sf, sf) < 2e-13, `tTails(${t}, ${k}).sf = ${out.sf} vs ${sf} (${rel(out.sf, sf)})`);
    assert.equal(out.cdf, 1 - out.sf);
    tTails(-t, k, out);
    assert.ok(rel(out.cdf, sf) < 2e-13, `tTails(${-t}, ${k}).cdf = ${out.cdf} vs ${sf}`);
    assert.equal(out.sf, 1 - out.cdf);
  }
  // beyond the smallest double, and at infinity
  tTails(1e5, 288, out);
  assert.equal(out.sf, 0);
  assert.equal(out.cdf, 1);
  tTails(-Infinity, 5, out);
  assert.equal(out.cdf, 0);
  assert.equal(out.sf, 1);
  tTails(NaN, 288, out);
  assert.ok(Number.isNaN(out.sf) && Number.isNaN(out.cdf));
});

test('t tails beyond |t| = 2 agree with the incomplete beta (@stdlib) to 3e-13 for dof 1..1000', () => {
  const out = { sf: 0, cdf: 0 };
  let worst = 0;
  for (const k of [1, 2, 3, 4, 5, 9, 10, 30, 99, 100, 287, 288, 500, 957, 999, 1000]) {
    // just above 2 (the fraction's slowest case) out to where p underflows
    for (let t = 2 + 1e-12; t < 1e6; t *= 1.07) {
      const ref = tSf(t, k);
      if (ref < 1e-300) break;
      tTails(t, k, out);
      worst = Math.max(worst, rel(out.sf, ref));
    }
  }
  assert.ok(worst < 3e-13, `worst relative difference ${worst}`);
});

test('F survival function keeps relative precision in the upper tail', () => {
  for (const [f, d1, d2, sf] of F_CASES) assert.ok(rel(fSf(f, d1, d2), sf) < 1e-11, `fSf(${f}, ${d1}, ${d2}) = ${fSf(f, d1, d2)} vs ${sf}`);
  assert.equal(fSf(0, 2, 10), 1);
  assert.equal(fSf(-1, 2, 10), 1);
  assert.equal(fSf(Infinity, 2, 10), 0);
  assert.ok(Math.abs(fCdf(3.0, 2, 90) + fSf(3.0, 2, 90) - 1) < 1e-15);
});

test('normal quantile is accurate over the whole range, including p far below 1e-16', () => {
  for (const [p, z] of ISF) {
    // 0.999999 is not exact in binary: its rounding alone moves isf by ~6e-12
    const tol = p > 0.5 ? 1e-10 : 2e-15 * Math.max(1, Math.abs(z));
    assert.ok(Math.abs(normIsf(p) - z) < tol, `isf(${p}) = ${normIsf(p)} vs ${z}`);
  }
  assert.equal(normPpf(0.5), 0);
  assert.equal(normPpf(0), -Infinity);
  assert.equal(normPpf(1), Infinity);
  assert.ok(Number.isNaN(normPpf(1.5)));
  // symmetry and monotonicity on a grid
  let prev = -Infinity;
  for (let e = -300; e <= -1; e += 7) {
    const p = 10 ** e;
    const z = normPpf(p);
    assert.ok(z > prev);
    prev = z;
    // 1 - p is rounded, so the symmetry is only checked where that rounding is negligible
    if (p >= 1e-6) assert.ok(Math.abs(normPpf(1 - p) + normPpf(p)) < 1e-9);
  }
});

test('zFromP reproduces nilearn z_score: sf route for upper tail, cdf route for lower tail, clipping at 1e-300', () => {
  for (const [t, v, , z] of T_CASES) {
    const got = zFromP(tSf(t, v), tCdf(t, v));
    assert.ok(Number.isFinite(got));
    assert.ok(Math.abs(got - z) < 1e-11 * Math.max(1, Math.abs(z)), `z(t=${t}, dof=${v}) = ${got} vs ${z}`);
  }
  for (const [f, d1, d2, , z] of F_CASES) {
    const got = zFromP(fSf(f, d1, d2), fCdf(f, d1, d2));
    assert.ok(Math.abs(got - z) < 1e-10 * Math.max(1, Math.abs(z)), `z(F=${f}) = ${got} vs ${z}`);
  }
  // p below 1e-300 is clipped as nilearn does: z = isf(1e-300) ≈ 37.047, finite, both signs
  assert.ok(Math.abs(zFromP(tSf(1e4, 100), tCdf(1e4, 100)) - 37.047096299361199) < 1e-12);
  assert.ok(Math.abs(zFromP(tSf(-1e4, 100), tCdf(-1e4, 100)) + 37.047096299361199) < 1e-12);
  assert.ok(zFromP(0.5, 0.5) === 0); // -0 like nilearn (norm.isf(0.5) = -0.0)
  assert.ok(Number.isNaN(zFromP(NaN, NaN)));
  // without 1 - p the sf route is used everywhere, clipped at 1 - 1e-16
  assert.ok(Math.abs(zFromP(1) - normIsf(1 - 1e-16)) < 1e-12);
});
