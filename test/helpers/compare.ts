import { readNifti } from '../../src/io/nifti.js';

export interface MapComparison { n: number; corr: number; p999: number; maxAbs: number }

/** Correlation and 99.9th percentile of |a - b| inside the mask (the reference README's parity figures). */
export function compareInMask(a: ArrayLike<number>, b: ArrayLike<number>, mask: ArrayLike<number>): MapComparison {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] > 0) { xs.push(a[i]); ys.push(b[i]); }
  const n = xs.length;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
    d[i] = Math.abs(xs[i] - ys[i]);
  }
  d.sort();
  const corr = sxx === 0 && syy === 0 ? 1 : sxy / Math.sqrt(sxx * syy);
  return { n, corr, p999: d[Math.floor(0.999 * (n - 1))], maxAbs: d[n - 1] };
}

export async function compareFiles(ours: string, reference: string, mask: string): Promise<MapComparison> {
  const [a, b, m] = await Promise.all([readNifti(ours), readNifti(reference), readNifti(mask)]);
  return compareInMask(a.data, b.data, m.data);
}

/** Peak (max or min) of a volume in mm. */
export function peakMm(data: Float32Array, dims: number[], affine: number[][], sign: 1 | -1, where: (mm: number[]) => boolean = () => true) {
  const [nx, ny, nz] = dims;
  let best = -1;
  let bestMm: number[] = [];
  for (let i = 0; i < nx * ny * nz; i++) {
    const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
    const mm = [0, 1, 2].map((r) => affine[r][0] * x + affine[r][1] * y + affine[r][2] * z + affine[r][3]);
    if (!where(mm)) continue;
    if (best < 0 || sign * data[i] > sign * data[best]) { best = i; bestMm = mm; }
  }
  return { value: data[best], mm: bestMm };
}
