/**
 * Per-model constants of the refit (fit-labelled.ts): column sums, the whitened constant
 * series and its projections, so that SSE and r² come from two products with the data.
 */
import type { Mat } from '../core/matrix.js';
import type { LinearModel } from './regression.js';

/**
 * What the refit needs about one whitened design W (n x p) and its range basis B (r x n,
 * orthonormal rows, H = BᵀB = W·pinv(W)), so that the prediction W·θ and the residuals are
 * never formed: with z = B·wy, |H·wy|² = |z|² (a sum of squares of an orthogonal projection,
 * well conditioned even when WᵀW is not, e.g. with unscaled confounds), so
 *   |e|² = |wy|² - |z|²,   n·var(W·θ) = |z|² - (sᵀθ)²/n   (s = column sums of W).
 * Against cancellation with raw BOLD (a mean far above the noise), each voxel's series is
 * shifted by its first value c before whitening: wy' = wy - c·w1 (w1 the whitened constant
 * series), and by linearity, with b1 = pinv(W)·w1, z1 = B·w1, r1 = w1 - Bᵀz1 = (I - H)·w1
 * (r1 = 0 when the design has a constant column):
 *   θ = θ' + c·b1,  z = z' + c·z1
 *   |e|² = |wy'|² - |z'|² + 2c·r1ᵀwy' + c²|r1|²
 *   n·var(Wθ) = (|z'|² - (sᵀθ')²/n) + 2c·(z'ᵀz1 - (sᵀθ')(sᵀb1)/n) + c²·(|z1|² - (sᵀb1)²/n).
 */
export interface RefitTerms {
  colSum: Float64Array; w1: Float64Array; b1: Float64Array; r1: Float64Array; r1sq: number;
  z1: Float64Array; z1sq: number; sb1: number; rank: number;
}
export function refitTerms(model: LinearModel & { basis?: Mat }): RefitTerms {
  const w = model.whitenedDesign;
  const n = w.rows;
  const p = w.cols;
  const basis = model.basis!;
  const rank = basis.rows;
  const colSum = new Float64Array(p);
  for (let t = 0; t < n; t++) for (let j = 0; j < p; j++) colSum[j] += w.data[t * p + j];
  // whitened constant series, as ARModel.whiten transforms a column of ones
  const w1 = new Float64Array(n).fill(1);
  for (let t = n - 1; t >= 1; t--) for (let k = 1; k <= Math.min(model.rho.length, t); k++) w1[t] -= model.rho[k - 1];
  const b1 = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let acc = 0;
    for (let t = 0; t < n; t++) acc += model.calcBeta.data[j * n + t] * w1[t];
    b1[j] = acc;
  }
  const z1 = new Float64Array(rank);
  let z1sq = 0;
  for (let l = 0; l < rank; l++) {
    let acc = 0;
    for (let t = 0; t < n; t++) acc += basis.data[l * n + t] * w1[t];
    z1[l] = acc;
    z1sq += acc * acc;
  }
  const r1 = Float64Array.from(w1);
  for (let l = 0; l < rank; l++) for (let t = 0; t < n; t++) r1[t] -= basis.data[l * n + t] * z1[l];
  let r1sq = 0;
  for (let t = 0; t < n; t++) r1sq += r1[t] * r1[t];
  let sb1 = 0;
  for (let j = 0; j < p; j++) sb1 += colSum[j] * b1[j];
  return { colSum, w1, b1, r1, r1sq, z1, z1sq, sb1, rank };
}
