/**
 * Sampling a volume at world points (mm) through the inverse of its affine, so that maps
 * and underlays on different grids (a 3 mm EPI map over a 1 mm template, flipped axes)
 * line up on the figure's pixel grid. Nearest neighbour for statistics and masks (each
 * pixel shows exactly one voxel's value, as nilearn draws stat maps), trilinear for
 * anatomical underlays (scipy map_coordinates order 1, as nilearn's continuous resampling).
 */
import { invertAffine, type Volume } from './affine.js';

/** World -> continuous voxel coordinates, written into `out` (no allocation: called per pixel). */
function toVoxel(inv: number[][]): (x: number, y: number, z: number, out: Float64Array) => void {
  const [a, b, c] = [inv[0]!, inv[1]!, inv[2]!];
  const [a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3] = [...a, ...b, ...c] as number[];
  return (x, y, z, out) => {
    out[0] = a0! * x + a1! * y + a2! * z + a3!;
    out[1] = b0! * x + b1! * y + b2! * z + b3!;
    out[2] = c0! * x + c1! * y + c2! * z + c3!;
  };
}

/** value at world point (x, y, z) in mm; NaN outside the grid. */
export type Sampler = (x: number, y: number, z: number) => number;

export function nearestSampler(vol: Volume): Sampler {
  const map = toVoxel(invertAffine(vol.affine));
  const v = new Float64Array(3);
  const [nx, ny, nz] = [vol.dims[0]!, vol.dims[1]!, vol.dims[2]!];
  const data = vol.data;
  return (x, y, z) => {
    map(x, y, z, v);
    const i = Math.round(v[0]!);
    const j = Math.round(v[1]!);
    const k = Math.round(v[2]!);
    if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return NaN;
    return data[i + nx * (j + ny * k)]!;
  };
}

/**
 * Trilinear interpolation between the 8 voxel centres around the point. Points up to half
 * a voxel beyond the outer centres (still inside the grid's voxels) take the edge values;
 * farther out, NaN.
 */
export function trilinearSampler(vol: Volume): Sampler {
  const map = toVoxel(invertAffine(vol.affine));
  const v = new Float64Array(3);
  const [nx, ny, nz] = [vol.dims[0]!, vol.dims[1]!, vol.dims[2]!];
  const data = vol.data;
  const split = (c: number, n: number): [number, number, number] | null => {
    if (c < -0.5 || c > n - 0.5) return null;
    const cc = Math.min(n - 1, Math.max(0, c));
    const i0 = Math.min(n - 2, Math.floor(cc));
    if (i0 < 0) return [0, 0, 0]; // one voxel along this axis
    return [i0, i0 + 1, cc - i0];
  };
  return (x, y, z) => {
    map(x, y, z, v);
    const a = split(v[0]!, nx);
    const b = split(v[1]!, ny);
    const c = split(v[2]!, nz);
    if (!a || !b || !c) return NaN;
    const at = (i: number, j: number, k: number) => data[i + nx * (j + ny * k)]!;
    const [i0, i1, fx] = a;
    const [j0, j1, fy] = b;
    const [k0, k1, fz] = c;
    const lerp = (p: number, q: number, f: number) => p + (q - p) * f;
    const c00 = lerp(at(i0, j0, k0), at(i1, j0, k0), fx);
    const c10 = lerp(at(i0, j1, k0), at(i1, j1, k0), fx);
    const c01 = lerp(at(i0, j0, k1), at(i1, j0, k1), fx);
    const c11 = lerp(at(i0, j1, k1), at(i1, j1, k1), fx);
    return lerp(lerp(c00, c10, fy), lerp(c01, c11, fy), fz);
  };
}
