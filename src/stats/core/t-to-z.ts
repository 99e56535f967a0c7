/**
 * z-scores of t statistics as nilearn's compute_contrast gives them (p-value of the t
 * distribution, then the normal quantile, both tails kept accurate), and a fast tabulated
 * version for one fixed dof, for maps with millions of t values (single-trial series):
 * exact values on a grid of step 1/128 over |t| <= 16, cubic (Catmull-Rom) interpolation
 * between them (error far below the 1e-3 parity tolerance: z(t) is smooth, |z''''| < 1 on
 * that range, h^4 ≈ 4e-9), the exact route outside the grid.
 */
import { tTails, zFromP } from './distributions.js';

/** nilearn's dof cap (DEF_DOFMAX) in compute_contrast. */
const DOF_MAX = 1e10;

/** z of a t statistic with `dof` degrees of freedom (one-sided p-value, nilearn's z_score). */
export function tToZ(t: number, dof: number): number {
  const { sf, cdf } = tTails(t, Math.min(dof, DOF_MAX), { sf: 0, cdf: 0 });
  return zFromP(sf, cdf);
}

const STEP = 1 / 128;
const RANGE = 16;

/** tToZ(·, dof) as a tabulated function (see the module comment). */
export function tToZTable(dof: number): (t: number) => number {
  const nNodes = Math.round((2 * RANGE) / STEP) + 1;
  // one extra node on each side for the end intervals' cubic
  const z = new Float64Array(nNodes + 2);
  for (let i = 0; i < nNodes + 2; i++) z[i] = tToZ(-RANGE + (i - 1) * STEP, dof);
  return (t: number) => {
    if (!(t > -RANGE && t < RANGE)) return Number.isNaN(t) ? NaN : tToZ(t, dof);
    const u = (t + RANGE) / STEP;
    const i = Math.floor(u);
    const f = u - i;
    const p0 = z[i];
    const p1 = z[i + 1];
    const p2 = z[i + 2];
    const p3 = z[i + 3];
    return p1 + 0.5 * f * (p2 - p0 + f * (2 * p0 - 5 * p1 + 4 * p2 - p3 + f * (3 * (p1 - p2) + p3 - p0)));
  };
}
