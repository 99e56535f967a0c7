/**
 * Distribution functions used by the contrast statistics, written so that both
 * tails keep full relative precision (a p-value of 1e-60 stays 1e-60, it does
 * not collapse to 0 through 1 - cdf).
 *
 * The t and F distribution functions come from @stdlib (regularized incomplete
 * beta); the normal quantile is computed here because @stdlib's quantile goes
 * through erfinv(2p - 1), which rounds to ±1 (→ ±Infinity) for p below ~1e-16.
 */
import tCdfImpl from '@stdlib/stats-base-dists-t-cdf';
import fCdfImpl from '@stdlib/stats-base-dists-f-cdf';
import normalCdfImpl from '@stdlib/stats-base-dists-normal-cdf';

/** Student t cumulative distribution function P(T <= x). */
export function tCdf(x: number, dof: number): number {
  return tCdfImpl(x, dof);
}

/** Student t survival function P(T > x), accurate in the upper tail (symmetry: cdf(-x)). */
export function tSf(x: number, dof: number): number {
  return tCdfImpl(-x, dof);
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

const INV_SQRT_2PI = 0.3989422804014327;

/** Lower-tail quantile for 0 < p <= 0.5 (result <= 0). */
function lowerTailQuantile(p: number): number {
  // Starting point: Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4) ...
  const t = Math.sqrt(-2 * Math.log(p));
  let x = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
  // ... then Halley steps on Φ(x) - p, with Φ from erfc (full relative precision
  // in this tail). Convergence is cubic: two or three steps reach double precision.
  for (let it = 0; it < 8; it++) {
    const phi = INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    if (phi === 0) break;
    const u = (normCdf(x) - p) / phi;
    const dx = u / (1 + 0.5 * x * u);
    x -= dx;
    if (Math.abs(dx) <= 1e-16 * Math.max(1, Math.abs(x))) break;
  }
  return x;
}

/** Standard normal quantile Φ⁻¹(p) (like scipy.special.ndtri); ±Infinity at 0 and 1. */
export function normPpf(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  // For p > 0.5, 1 - p is exact in floating point (Sterbenz), so the upper half
  // reduces to the lower tail without losing precision.
  return p < 0.5 ? lowerTailQuantile(p) : -lowerTailQuantile(1 - p);
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
  const zSf = normIsf(pc);
  if (oneMinusP === undefined || !(zSf < 0)) return zSf;
  return normPpf(clip(oneMinusP, 1e-300, 1 - 1e-16));
}
