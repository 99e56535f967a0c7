/**
 * Step 3 of nilearn's run_glm: quantize the per-voxel AR coefficients so that voxels share
 * models — AR(1) by truncation to bins, AR(N>1) by k-means (see glm.ts).
 */
import { Rng } from '../core/prng.js';

/** Python's str() of a float for the label keys ('0.0', '-0.05', '1.0'). */
export function pyFloatStr(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  if (Number.isInteger(x)) return x.toFixed(1);
  return String(x);
}

/** numpy.round(x, 2): round half to even on x * 100. */
export function npRound2(x: number): number {
  const y = x * 100;
  let r = Math.round(y);
  if (Math.abs(y - Math.trunc(y)) === 0.5 && r % 2 !== 0) r -= 1; // half to even
  return r / 100;
}

export interface Groups {
  labels: Int32Array;
  rho: Float64Array[];
  keys: string[];
}

/** nilearn's AR(1) quantization: rho -> int(rho * bins) / bins (truncation toward 0). */
export function binAr1(coef: Float64Array, bins: number): Groups {
  const nVox = coef.length;
  const k = new Float64Array(nVox);
  let lo = Infinity;
  let hi = -Infinity;
  for (let v = 0; v < nVox; v++) {
    const q = coef[v] * bins;
    // astype(int) truncates; "+ 0" turns -0 into 0 (numpy ints have no -0)
    const kv = Number.isFinite(q) ? Math.trunc(q) + 0 : 0;
    k[v] = kv;
    if (kv < lo) lo = kv;
    if (kv > hi) hi = kv;
  }
  const labels = new Int32Array(nVox);
  let sorted: number[];
  if (nVox > 0 && hi - lo < 1 << 20) {
    // the usual case (|rho| up to a few): a dense table from value to label, no Set / Map
    const table = new Int32Array(hi - lo + 1).fill(-1);
    for (let v = 0; v < nVox; v++) table[k[v] - lo] = 0;
    sorted = [];
    for (let i = 0; i < table.length; i++) if (table[i] === 0) { table[i] = sorted.length; sorted.push(lo + i); }
    for (let v = 0; v < nVox; v++) labels[v] = table[k[v] - lo];
  } else {
    sorted = [...new Set(k)].sort((x, y) => x - y);
    const index = new Map<number, number>();
    sorted.forEach((kv, i) => index.set(kv, i));
    for (let v = 0; v < nVox; v++) labels[v] = index.get(k[v])!;
  }
  const rho = sorted.map((kv) => Float64Array.of(kv / bins));
  const keys = sorted.map((kv) => pyFloatStr(kv / bins));
  return { labels, rho, keys };
}

/**
 * AR(N>1): cluster the coefficient vectors into min(bins, n_voxels) clusters,
 * label voxels by their centre rounded to 2 decimals joined with '_' (as
 * nilearn), and fit each label with the centre of the first voxel carrying it
 * (nilearn's `ar_coef_[labels == val][0]`).
 */
export function clusterArN(coef: Float64Array, order: number, bins: number, seed: number): Groups {
  const nVox = coef.length / order;
  const k = Math.min(bins, nVox);
  const { centers, assign } = kmeans(coef, nVox, order, k, seed);
  const centerKey: string[] = [];
  for (let c = 0; c < k; c++) {
    const parts: string[] = [];
    for (let d = 0; d < order; d++) parts.push(pyFloatStr(npRound2(centers[c * order + d])));
    centerKey.push(parts.join('_'));
  }
  const keys = [...new Set(assign.length ? Array.from(assign, (a) => centerKey[a]) : [])].sort();
  const keyIndex = new Map<string, number>();
  keys.forEach((key, i) => keyIndex.set(key, i));
  const labels = new Int32Array(nVox);
  const rho: (Float64Array | null)[] = keys.map(() => null);
  for (let v = 0; v < nVox; v++) {
    const g = keyIndex.get(centerKey[assign[v]])!;
    labels[v] = g;
    if (!rho[g]) rho[g] = centers.slice(assign[v] * order, assign[v] * order + order);
  }
  return { labels, rho: rho as Float64Array[], keys };
}

/**
 * Deterministic k-means: k-means++ seeding on an evenly strided subsample of at
 * most 10 000 points, then Lloyd iterations on all points until no assignment
 * changes or the centre shift is below sklearn's tolerance (1e-4 x mean feature
 * variance), at most 300 iterations. Empty clusters keep their previous centre.
 */
function kmeans(data: Float64Array, nPts: number, dim: number, k: number, seed: number): { centers: Float64Array; assign: Int32Array } {
  const rng = new Rng(seed, 'ar-kmeans');
  const rand = () => rng.uniform();
  const step = Math.max(1, Math.floor(nPts / 10000));
  const sample: number[] = [];
  for (let i = 0; i < nPts; i += step) sample.push(i);
  const centers = new Float64Array(k * dim);
  const d2 = new Float64Array(sample.length).fill(Infinity);
  let chosen = sample[Math.floor(rand() * sample.length)];
  for (let c = 0; c < k; c++) {
    for (let d = 0; d < dim; d++) centers[c * dim + d] = data[chosen * dim + d];
    let sum = 0;
    for (let s = 0; s < sample.length; s++) {
      let dist = 0;
      for (let d = 0; d < dim; d++) { const z = data[sample[s] * dim + d] - centers[c * dim + d]; dist += z * z; }
      if (dist < d2[s]) d2[s] = dist;
      sum += d2[s];
    }
    if (c + 1 === k) break;
    if (sum === 0) { chosen = sample[Math.floor(rand() * sample.length)]; continue; }
    let target = rand() * sum;
    let pick = sample.length - 1;
    for (let s = 0; s < sample.length; s++) { target -= d2[s]; if (target < 0) { pick = s; break; } }
    chosen = sample[pick];
  }
  // tolerance as sklearn: tol * mean of per-feature variances
  let varMean = 0;
  for (let d = 0; d < dim; d++) {
    let s = 0; let s2 = 0;
    for (let i = 0; i < nPts; i++) { const z = data[i * dim + d]; s += z; s2 += z * z; }
    varMean += s2 / nPts - (s / nPts) ** 2;
  }
  const tol = 1e-4 * (varMean / dim);
  /** The centre closest to point i (the first one on a tie). */
  const nearest = (i: number): number => {
    let best = 0;
    let bestD = Infinity;
    for (let c = 0; c < k; c++) {
      let dist = 0;
      for (let d = 0; d < dim; d++) { const z = data[i * dim + d] - centers[c * dim + d]; dist += z * z; }
      if (dist < bestD) { bestD = dist; best = c; }
    }
    return best;
  };
  const assign = new Int32Array(nPts).fill(-1);
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  for (let iter = 0; iter < 300; iter++) {
    let changed = 0;
    sums.fill(0); counts.fill(0);
    for (let i = 0; i < nPts; i++) {
      const best = nearest(i);
      if (assign[i] !== best) { assign[i] = best; changed++; }
      counts[best]++;
      for (let d = 0; d < dim; d++) sums[best * dim + d] += data[i * dim + d];
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      for (let d = 0; d < dim; d++) {
        const nc = sums[c * dim + d] / counts[c];
        shift += (nc - centers[c * dim + d]) ** 2;
        centers[c * dim + d] = nc;
      }
    }
    if (changed === 0 || shift <= tol) {
      // final assignment consistent with the final centres
      if (shift > 0) {
        for (let i = 0; i < nPts; i++) assign[i] = nearest(i);
      }
      break;
    }
  }
  return { centers, assign };
}
