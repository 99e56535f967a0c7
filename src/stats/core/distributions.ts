/**
 * Distribution functions used by the contrast statistics, written so that both
 * tails keep full relative precision (a p-value of 1e-60 stays 1e-60, it does
 * not collapse to 0 through 1 - cdf).
 *
 * The t tails for an integer dof up to 1000 (most first-level maps) follow Cephes `stdtr`
 * (scipy's, hence nilearn's, t distribution): a finite series for |t| <= 2 and a continued
 * fraction beyond; other t and all F distribution functions come from @stdlib (regularized
 * incomplete beta). The normal quantile is computed here because @stdlib's quantile goes
 * through erfinv(2p - 1), which rounds to ±1 (→ ±Infinity) for p below ~1e-16.
 */
import { createRequire } from 'node:module';

// The @stdlib functions are loaded on first use (or by loadDistributionFunctions, which a worker
// calls while it waits for its first job): each is a graph of hundreds of small CommonJS modules
// (~0.1-0.3 s to load), and the CLI's process, which imports this module to compile a spec,
// never evaluates a t or F distribution.
const require = createRequire(import.meta.url);
type Cdf = (x: number, ...params: number[]) => number;
let tCdfFn: Cdf | undefined;
let fCdfFn: Cdf | undefined;
let normalCdfFn: Cdf | undefined;
const tCdfImpl: Cdf = (x, dof) => (tCdfFn ??= require('@stdlib/stats-base-dists-t-cdf') as Cdf)(x, dof);
const fCdfImpl: Cdf = (x, d1, d2) => (fCdfFn ??= require('@stdlib/stats-base-dists-f-cdf') as Cdf)(x, d1, d2);
const normalCdfImpl: Cdf = (x, mu, sigma) => (normalCdfFn ??= require('@stdlib/stats-base-dists-normal-cdf') as Cdf)(x, mu, sigma);

/**
 * Loads the @stdlib functions now (a worker warming up before its first job), by a dynamic
 * import that the bundle resolves to its own copy of the packages (stdlib-cdfs.ts); a function
 * used before this resolves is required as above (the same code, from node_modules).
 */
export async function loadDistributionFunctions(): Promise<void> {
  const lib = await import('./stdlib-cdfs.js');
  tCdfFn ??= lib.tCdf as Cdf;
  fCdfFn ??= lib.fCdf as Cdf;
  normalCdfFn ??= lib.normalCdf as Cdf;
}

/** Student t cumulative distribution function P(T <= x). */
export function tCdf(x: number, dof: number): number {
  return tCdfImpl(x, dof);
}

/** Student t survival function P(T > x), accurate in the upper tail (symmetry: cdf(-x)). */
export function tSf(x: number, dof: number): number {
  return tCdfImpl(-x, dof);
}

/** Both tails of a t statistic (see tTails). */
export interface Tails {
  sf: number;
  cdf: number;
}

/** Largest integer dof for which tTails takes Cephes' routes (the series: at most dof / 2 terms). */
const SERIES_MAX_DOF = 1000;

/**
 * A(x|k) = P(|T| < |x|) for an integer dof k, by the finite series of Abramowitz & Stegun
 * 26.7.3 (odd k) / 26.7.4 (even k), the route of Cephes `stdtr` (which scipy's t distribution
 * used) on this range. With θ = atan(x/√k) and z = 1 + x²/k:
 *   even k:  A = (x / √(k z)) · Σ_{j=2,4,…,k-2} tz_j,   tz_2 = 1, tz_{j+2} = tz_j (j-1)/(j z)
 *   odd k:   A = (2/π) (θ + (x/√k)/z · Σ_{j=3,5,…,k-2} tz_j),  tz_1 = 1, same recurrence
 * and P(T <= x) = (1 ± A) / 2 (sign of x). Every term is positive, and on |x| <= 2 both tails are >= 0.02,
 * so the final 1 ± A costs at most ~1.5 digits; the k/2-step recurrence adds ~k·ε. Relative
 * error: ~6e-14 at k ≈ 300, 2e-13 at k = 1000 (the distributions test bounds it against
 * @stdlib's incomplete beta; maps are written as float32, whose step is 6e-8), at a fraction of
 * the incomplete beta's cost (~k/2 multiply-adds, several times faster for k ≈ 300).
 */
function tCentralSeries(ax: number, k: number): number {
  const w = 1 / (1 + (ax * ax) / k);
  // Σ_j tz_j = Σ_m C_m w^m (w = 1/z), with C_m = Π_{i<=m} (j_i - 1)/j_i precomputed per k:
  // one multiply-add per term and no division in the loop
  const c = seriesCoefficients(k);
  // Σ_m C_m w^m = Σ_{r<8} w^r P_r(y) with y = w⁸ and P_r the terms m ≡ r (mod 8): eight Horner
  // chains that run side by side (a single chain is bound by the latency of each multiply-add,
  // ~k/2 of them in a row; eight take an eighth of the steps and still fit the FP units)
  const w2 = w * w;
  const w4 = w2 * w2;
  const y = w4 * w4;
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  let p4 = 0;
  let p5 = 0;
  let p6 = 0;
  let p7 = 0;
  for (let m = c.length - 8; m >= 0; m -= 8) {
    p0 = p0 * y + c[m];
    p1 = p1 * y + c[m + 1];
    p2 = p2 * y + c[m + 2];
    p3 = p3 * y + c[m + 3];
    p4 = p4 * y + c[m + 4];
    p5 = p5 * y + c[m + 5];
    p6 = p6 * y + c[m + 6];
    p7 = p7 * y + c[m + 7];
  }
  const f = (p0 + w * (p1 + w * (p2 + w * p3))) + w4 * (p4 + w * (p5 + w * (p6 + w * p7)));
  if (k & 1) {
    const xsqk = ax / Math.sqrt(k);
    return (2 / Math.PI) * (Math.atan(xsqk) + (k > 1 ? f * xsqk * w : 0));
  }
  return f * ax * Math.sqrt(w / k);
}

/**
 * P(T > ax) for ax > 2 and an integer dof k: 0.5 · I_x(k/2, 1/2) with x = k / (k + ax²), the
 * route of Cephes `stdtr` for |t| > 2 (scipy's t distribution, hence nilearn's p-values): its
 * `incbet` takes, for these arguments (x below the mean a / (a + b), Cephes' `y < 0` case),
 * the continued fraction of A&S 26.5.8 (Cephes `incbcf`):
 *   I_x(a, b) = x^a (1-x)^b / (a B(a, b)) · 1 / (1 + d_1 / (1 + d_2 / (1 + …)))
 *   d_{2m+1} = −(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),   d_{2m} = m(b−m) x / ((a+2m−1)(a+2m))
 * which here converges in at most ~45 steps (x <= k/(k+4) < (a+1)/(a+b+2); fewer as |t| grows).
 * The convergents are the forward (Wallis) recurrence A_n = A_{n−1} + d_n A_{n−2} (same for B):
 * two chains of multiply-adds with no division in them (a division per step only to test
 * convergence, off the chains; |d_n| < 1.4, so A and B cannot overflow in these few steps). The
 * x- and t-free parts of d_n and 1 / (a B(a, 1/2)) are tabulated once per dof
 * (tailTables). Every term is computed without cancellation: 1 − x = ax² / (k + ax²) and
 * log x = −log1p(ax²/k), so the relative error stays ~1e-14 (at most ~1e-13, as @stdlib's:
 * ~|log p| · ε from the power, and the fraction's last steps near |t| = 2) down to the smallest
 * doubles (the distributions test bounds it against mpmath; maps are float32), where
 * @stdlib's incomplete beta (what this replaces on this range) costs several times more and,
 * for each worker's first map, ~0.2 s of compiling its graph of functions.
 */
function tUpperTailFraction(ax: number, k: number): number {
  const ax2 = ax * ax;
  // beyond |t| = 1e100 (p > 0 there only for dof 1 and 2) ax² could overflow: x = k / ax / ax
  const big = ax > 1e100;
  const x = big ? k / ax / ax : k / (k + ax2);
  const logX = big ? Math.log(k) - 2 * Math.log(ax) : -Math.log1p(ax2 / k);
  const log1mX = big ? -Math.log1p(x) : Math.log(ax2 / (k + ax2));
  const tab = tailTables(k);
  const al = tab.odd;
  const be = tab.even;
  // n = 1: A_1 = 1 + d_1, B_1 = 1 (A_0 = B_0 = 1, A_{-1} = 1, B_{-1} = 0)
  let a2 = 1;
  let b2 = 1;
  let a1 = 1 + al[0] * x;
  let b1 = 1;
  let f = a1;
  for (let m = 1; m < al.length; m++) {
    let d = be[m] * x;
    let an = a1 + d * a2;
    let bn = b1 + d * b2;
    a2 = a1; b2 = b1; a1 = an; b1 = bn;
    d = al[m] * x;
    an = a1 + d * a2;
    bn = b1 + d * b2;
    a2 = a1; b2 = b1; a1 = an; b1 = bn;
    const g = a1 / b1;
    if (Math.abs(g - f) <= 1.2e-16 * g) { f = g; break; }
    f = g;
  }
  // x^a (1-x)^b / (a B(a, b)) with a = k/2, b = 1/2, times 1/f (the fraction is 1 / f)
  const power = Math.exp(0.5 * k * logX + 0.5 * log1mX);
  return 0.5 * (power * tab.norm) / f;
}

interface TailTables {
  /** t- and x-free parts of d_{2m+1} (index m) and d_{2m} (index m; index 0 unused). */
  odd: Float64Array;
  even: Float64Array;
  /** 1 / (a B(a, 1/2)) for a = k/2. */
  norm: number;
}

/** Steps tabulated for the continued fraction: past its worst case (|t| just above 2, k = 1000). */
const FRACTION_STEPS = 64;

let cachedTailK = -1;
let cachedTail: TailTables = { odd: new Float64Array(0), even: new Float64Array(0), norm: 0 };

function tailTables(k: number): TailTables {
  if (k === cachedTailK) return cachedTail;
  const a = k / 2;
  const b = 0.5;
  const odd = new Float64Array(FRACTION_STEPS);
  const even = new Float64Array(FRACTION_STEPS);
  for (let m = 0; m < FRACTION_STEPS; m++) {
    odd[m] = -((a + m) * (a + b + m)) / ((a + 2 * m) * (a + 2 * m + 1));
    even[m] = (m * (b - m)) / ((a + 2 * m - 1) * (a + 2 * m));
  }
  // 1 / (a B(a, 1/2)) = Γ(a + 1/2) / (Γ(a + 1) Γ(1/2)):
  //   even k (a integer):        Π_{i=1..a} (2i − 1) / (2i)
  //   odd k (a = n + 1/2):       (2/π) Π_{i=1..n} (2i) / (2i + 1)
  let norm: number;
  if (k % 2 === 0) {
    norm = 1;
    for (let i = 1; i <= a; i++) norm *= (2 * i - 1) / (2 * i);
  } else {
    norm = 2 / Math.PI;
    for (let i = 1; i <= (k - 1) / 2; i++) norm *= (2 * i) / (2 * i + 1);
  }
  cachedTailK = k;
  cachedTail = { odd, even, norm };
  return cachedTail;
}

let cachedK = -1;
let cachedCoefficients = new Float64Array(0);

/**
 * C_0 = 1, C_m = C_{m-1} (j-1)/j for j = 2m+2 (even k) or 2m+1 (odd k), m up to the last j <= k - 2;
 * then zeros to a length that is a multiple of 8.
 */
function seriesCoefficients(k: number): Float64Array {
  if (k === cachedK) return cachedCoefficients;
  const odd = k & 1;
  const n = odd ? Math.max(1, (k - 1) / 2) : k / 2;
  // zeros up to a multiple of 8 (tCentralSeries reads eight coefficients per step)
  const c = new Float64Array((n + 7) & ~7);
  c[0] = 1;
  for (let m = 1; m < n; m++) {
    const j = odd ? 2 * m + 1 : 2 * m;
    c[m] = c[m - 1] * ((j - 1) / j);
  }
  cachedK = k;
  cachedCoefficients = c;
  return c;
}

/**
 * out.sf = P(T > x) and out.cdf = P(T <= x) from one evaluation, both tails accurate. For an
 * integer dof up to 1000 (Cephes `stdtr`'s two routes): the finite series above for |x| <= 2
 * (where neither tail is small), the continued fraction for the smaller tail beyond, and
 * 1 − that tail for the other one. Otherwise @stdlib's t cdf, which evaluates one tail by the
 * incomplete beta function of x² and returns 1 − tail for x > 0, so sf(x) = cdf(−x) and
 * cdf(x) = 1 − sf(x) (the accurate one is the small one). Maps of a million t values make this
 * the hot path of a contrast.
 */
export function tTails(x: number, dof: number, out: Tails): Tails {
  if (Number.isInteger(dof) && dof >= 1 && dof <= SERIES_MAX_DOF && !Number.isNaN(x)) {
    if (x >= -2 && x <= 2) {
      const a = tCentralSeries(Math.abs(x), dof);
      out.cdf = x < 0 ? 0.5 - 0.5 * a : 0.5 + 0.5 * a;
      out.sf = x < 0 ? 0.5 + 0.5 * a : 0.5 - 0.5 * a;
      return out;
    }
    const tail = x === Infinity || x === -Infinity ? 0 : tUpperTailFraction(Math.abs(x), dof);
    if (x > 0) {
      out.sf = tail;
      out.cdf = 1 - tail;
    } else {
      out.cdf = tail;
      out.sf = 1 - tail;
    }
    return out;
  }
  if (x > 0) {
    out.sf = tCdfImpl(-x, dof);
    out.cdf = 1 - out.sf;
  } else {
    out.cdf = tCdfImpl(x, dof);
    out.sf = x === 0 ? 0.5 : 1 - out.cdf;
  }
  return out;
}

/** scipy t.isf(q, dof) by bisection on the t survival function (full precision in the tail). */
export function tIsf(q: number, dof: number): number {
  if (q <= 0) return Infinity;
  if (q >= 1) return -Infinity;
  if (q > 0.5) return -tIsf(1 - q, dof);
  let lo = 0;
  let hi = 1;
  while (tSf(hi, dof) > q) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return Infinity;
  }
  for (let i = 0; i < 2000; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (tSf(mid, dof) > q) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Fisher F cumulative distribution function P(F <= x) with (d1, d2) degrees of freedom. */
export function fCdf(x: number, d1: number, d2: number): number {
  return fCdfImpl(x, d1, d2);
}

/**
 * F survival function P(F > x). If X ~ F(d1, d2) then 1/X ~ F(d2, d1), so
 * P(X > x) = P(1/X < 1/x) = cdf(1/x; d2, d1), which is accurate for tiny p.
 */
export function fSf(x: number, d1: number, d2: number): number {
  if (Number.isNaN(x) || Number.isNaN(d1) || Number.isNaN(d2)) return NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return fCdfImpl(1 / x, d2, d1);
}

/** Standard normal cdf Φ(x) (erfc based: accurate relative precision in the lower tail). */
export function normCdf(x: number): number {
  return normalCdfImpl(x, 0, 1);
}

/** Standard normal survival function 1 - Φ(x) = Φ(-x). */
export function normSf(x: number): number {
  return normalCdfImpl(-x, 0, 1);
}

/**
 * Standard normal quantile Φ⁻¹(p) (like scipy.special.ndtri), by Wichura's
 * algorithm AS 241 (PPND16, Applied Statistics 37:477-484, 1988): rational
 * approximations accurate to about 1e-16 relative, evaluated on min(p, 1 - p)
 * so the lower tail keeps full precision down to the smallest doubles.
 * ±Infinity at 0 and 1.
 */
export function normPpf(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r
      + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
      + 133.14166789178437745) * r + 3.387132872796366608)
      / (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r
      + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
      + 42.313330701600911252) * r + 1);
  }
  // For p > 0.5, 1 - p is exact in floating point (Sterbenz lemma).
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
      + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
      + 4.6303378461565452959) * r + 1.42343711074968357734)
      / (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
      + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
      + 2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    x = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
      + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
      + 5.4637849111641143699) * r + 6.6579046435011037772)
      / (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
      + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
      + 0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -x : x;
}

/** Inverse survival function of the standard normal: z such that P(Z > z) = q (scipy norm.isf = -ndtri(q)). */
export function normIsf(q: number): number {
  return -normPpf(q);
}

function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * nilearn.glm._utils.z_score for one value: the z-score of a one-sided p-value,
 * using 1 - p (computed separately from the cdf) when that is the more accurate
 * route. Both inputs are clipped to [1e-300, 1 - 1e-16] first, exactly as nilearn
 * does, so |z| is bounded by ~37.05 (finite) for any statistic.
 *   z = isf(p)            when isf(p) >= 0
 *   z = ppf(1 - p)        otherwise (if oneMinusP is given)
 */
export function zFromP(p: number, oneMinusP?: number): number {
  const pc = clip(p, 1e-300, 1 - 1e-16);
  // isf(pc) < 0 exactly when pc > 0.5: only then does nilearn take the cdf route
  // (at pc = 0.5, isf gives -0, which is not < 0). NaN stays NaN.
  if (oneMinusP !== undefined && pc > 0.5) return normPpf(clip(oneMinusP, 1e-300, 1 - 1e-16));
  return normIsf(pc);
}
