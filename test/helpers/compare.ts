import { readNifti } from '../../src/io/nifti.js';

/**
 * Parity of maps with nilearn's reference maps, by VALUE, with the tolerance of each kind of
 * map (test/fixtures/reference/README.md: inside the mask, correlation >= 0.9999 and the
 * 99.9th percentile of the differences <= 1e-3). A correlation alone would let a map that is
 * off by a constant factor pass, so every kind also bounds the differences themselves, in
 * the unit that suits it:
 *
 *   z, t, F, rsquare   |ours - ref|                          (unitless already)
 *   effect, residuals  |ours - ref| / rms(ref)               (data units: relative to the map's scale)
 *   variance, residvar |ours - ref| / |ref|                  (positive, spans decades: relative per voxel)
 *   p                  |log10 ours - log10 ref|, both floored at float32's smallest normal
 *                      (the reference stores smaller p as float32 subnormals)
 *
 * Masks are compared over the whole grid (compareMasks): a superset or a subset fails.
 */
export type MapKind = 'z' | 't' | 'F' | 'rsquare' | 'effect' | 'residuals' | 'variance' | 'residvar' | 'p';
type Metric = 'abs' | 'relRms' | 'rel' | 'log10';

export interface Tolerance { corr: number; p999: number; metric: Metric }

const README = { corr: 0.9999, p999: 1e-3 };
export const TOLERANCES: Record<MapKind, Tolerance> = {
  z: { ...README, metric: 'abs' },
  t: { ...README, metric: 'abs' },
  F: { ...README, metric: 'abs' },
  rsquare: { ...README, metric: 'abs' },
  effect: { ...README, metric: 'relRms' },
  residuals: { ...README, metric: 'relRms' },
  variance: { ...README, metric: 'rel' },
  residvar: { ...README, metric: 'rel' },
  p: { ...README, metric: 'log10' },
};

/** The map kind of a BIDS `stat-` label (z, t, F, effect, variance, p, rsquare, residvar, errorts). */
export function kindOfStat(stat: string): MapKind {
  const k: Record<string, MapKind> = { z: 'z', t: 't', F: 'F', effect: 'effect', variance: 'variance', p: 'p', rsquare: 'rsquare', residvar: 'residvar', errorts: 'residuals' };
  const kind = k[stat];
  if (!kind) throw new Error(`no tolerance for stat-${stat}`);
  return kind;
}

export interface MapComparison {
  kind: MapKind;
  /** Number of values compared (in-mask voxels x volumes). */
  n: number;
  corr: number;
  /** 99.9th percentile (numpy's linear interpolation) of the kind's difference. */
  p999: number;
  /** Largest difference of the kind's metric. */
  max: number;
  /** Largest plain |ours - ref|. */
  maxAbs: number;
  ok: boolean;
  /** One line for diagnostics and assertion messages. */
  text: string;
}

const FLT_MIN = 1.1754943508222875e-38;

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Compares `ours` with `ref` inside `mask` (one volume of nxyz voxels; with 4D data of
 * `volumes` volumes the mask applies to each) with the tolerance of `kind`.
 */
export function compareValues(ours: ArrayLike<number>, ref: ArrayLike<number>, mask: ArrayLike<number>, kind: MapKind, volumes = 1): MapComparison {
  const tol = TOLERANCES[kind];
  const nxyz = mask.length;
  if (ours.length !== nxyz * volumes || ref.length !== nxyz * volumes) {
    throw new Error(`compareValues: ${ours.length} and ${ref.length} values for ${volumes} volume(s) of ${nxyz} voxels`);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let t = 0; t < volumes; t++) for (let i = 0; i < nxyz; i++) if (mask[i] > 0) { a.push(ours[t * nxyz + i]); b.push(ref[t * nxyz + i]); }
  const n = a.length;
  let rms = 0;
  for (const y of b) rms += y * y;
  rms = Math.sqrt(rms / n);
  const xa = new Float64Array(n);
  const xb = new Float64Array(n);
  const d = new Float64Array(n);
  let maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const diff = Math.abs(a[i] - b[i]);
    maxAbs = Math.max(maxAbs, Number.isNaN(diff) ? Infinity : diff);
    if (tol.metric === 'log10') {
      xa[i] = -Math.log10(Math.max(a[i], FLT_MIN));
      xb[i] = -Math.log10(Math.max(b[i], FLT_MIN));
      d[i] = Math.abs(xa[i] - xb[i]);
    } else {
      xa[i] = a[i];
      xb[i] = b[i];
      d[i] = tol.metric === 'abs' ? diff : tol.metric === 'relRms' ? diff / rms : diff / Math.max(Math.abs(b[i]), 1e-30);
    }
    if (Number.isNaN(d[i])) d[i] = Infinity; // a NaN on one side is a failure, never skipped
  }
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += xa[i]; mb += xb[i]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { const x = xa[i] - ma, y = xb[i] - mb; sab += x * y; saa += x * x; sbb += y * y; }
  // two constant maps: equal constants correlate perfectly (the differences decide)
  const corr = saa === 0 && sbb === 0 ? 1 : sab / Math.sqrt(saa * sbb);
  const sorted = Float64Array.from(d).sort();
  const p999 = percentile(sorted, 0.999);
  const max = n ? sorted[n - 1] : NaN;
  const ok = n > 0 && corr >= tol.corr && p999 <= tol.p999;
  const text = `${kind} (${tol.metric}): corr ${corr.toFixed(8)} p99.9 ${p999.toExponential(2)} max ${max.toExponential(2)} max|d| ${maxAbs.toExponential(2)} (n=${n})`;
  return { kind, n, corr, p999, max, maxAbs, ok, text };
}

/** compareValues on NIfTI files (4D files: every volume, the mask applied to each). */
export async function compareMapFiles(ours: string, reference: string, mask: string, kind: MapKind): Promise<MapComparison> {
  const [a, b, m] = await Promise.all([readNifti(ours), readNifti(reference), readNifti(mask)]);
  const sa = a.dims.join('x');
  const sb = b.dims.join('x');
  if (sa !== sb) throw new Error(`${ours}: dims ${sa}, reference ${reference}: ${sb}`);
  const nxyz = m.dims[0] * m.dims[1] * m.dims[2];
  return compareValues(a.data, b.data, m.data.subarray(0, nxyz), kind, a.data.length / nxyz);
}

export interface MaskComparison {
  /** Voxels in ours only / in the reference only / in both, over the whole grid. */
  extra: number;
  missing: number;
  common: number;
  same: boolean;
}

/** Two masks over the whole grid (non-zero = in the mask): a superset or a subset is not the same mask. */
export function compareMasks(ours: ArrayLike<number>, ref: ArrayLike<number>): MaskComparison {
  if (ours.length !== ref.length) throw new Error(`compareMasks: grids of ${ours.length} and ${ref.length} voxels`);
  let extra = 0, missing = 0, common = 0;
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i] !== 0, b = ref[i] !== 0;
    if (a && b) common++;
    else if (a) extra++;
    else if (b) missing++;
  }
  return { extra, missing, common, same: extra === 0 && missing === 0 };
}

export async function compareMaskFiles(ours: string, reference: string): Promise<MaskComparison> {
  const [a, b] = await Promise.all([readNifti(ours), readNifti(reference)]);
  if (a.dims.slice(0, 3).join('x') !== b.dims.slice(0, 3).join('x')) throw new Error(`${ours}: grid ${a.dims.join('x')}, reference ${b.dims.join('x')}`);
  return compareMasks(a.data, b.data);
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
