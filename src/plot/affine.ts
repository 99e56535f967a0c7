/** 4x4 voxel-to-world (mm, RAS+) affines: apply, invert, bounding boxes. */

export type Vec3 = [number, number, number];

/** A 3-D image on a grid: values in x-fastest order, with its voxel-to-mm affine. */
export interface Volume {
  data: ArrayLike<number>;
  dims: readonly number[];
  affine: number[][];
}

export function applyAffine(affine: number[][], v: readonly number[]): Vec3 {
  const out: Vec3 = [0, 0, 0];
  for (let r = 0; r < 3; r++) {
    const row = affine[r]!;
    out[r] = row[0]! * v[0]! + row[1]! * v[1]! + row[2]! * v[2]! + row[3]!;
  }
  return out;
}

/** Inverse of an affine [A | t]: [A^-1 | -A^-1 t] (3x3 inverse by cofactors). */
export function invertAffine(affine: number[][]): number[][] {
  const m = (r: number, c: number) => affine[r]![c]!;
  const c00 = m(1, 1) * m(2, 2) - m(1, 2) * m(2, 1);
  const c01 = m(1, 2) * m(2, 0) - m(1, 0) * m(2, 2);
  const c02 = m(1, 0) * m(2, 1) - m(1, 1) * m(2, 0);
  const det = m(0, 0) * c00 + m(0, 1) * c01 + m(0, 2) * c02;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new Error('figure: the affine is singular');
  const inv = [
    [c00, m(0, 2) * m(2, 1) - m(0, 1) * m(2, 2), m(0, 1) * m(1, 2) - m(0, 2) * m(1, 1)],
    [c01, m(0, 0) * m(2, 2) - m(0, 2) * m(2, 0), m(0, 2) * m(1, 0) - m(0, 0) * m(1, 2)],
    [c02, m(0, 1) * m(2, 0) - m(0, 0) * m(2, 1), m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0)],
  ].map((row) => row.map((v) => v / det));
  const t = [m(0, 3), m(1, 3), m(2, 3)];
  return [0, 1, 2].map((r) => [...inv[r]!, -(inv[r]![0]! * t[0]! + inv[r]![1]! * t[1]! + inv[r]![2]! * t[2]!)]).concat([[0, 0, 0, 1]]);
}

export interface Box {
  min: Vec3;
  max: Vec3;
}

/**
 * World bounding box of the voxels where `keep(value)` holds (voxel edges at index +- 0.5),
 * or null when there is none. Without `keep`, the whole grid.
 */
export function worldBox(vol: Volume, keep?: (v: number) => boolean): Box | null {
  const [nx, ny, nz] = [vol.dims[0]!, vol.dims[1]!, vol.dims[2]!];
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  if (keep) {
    let o = 0;
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++, o++) {
          if (!keep(vol.data[o]!)) continue;
          if (i < lo[0]!) lo[0] = i;
          if (i > hi[0]!) hi[0] = i;
          if (j < lo[1]!) lo[1] = j;
          if (j > hi[1]!) hi[1] = j;
          if (k < lo[2]!) lo[2] = k;
          if (k > hi[2]!) hi[2] = k;
        }
    if (lo[0] === Infinity) return null;
  } else {
    lo.fill(0);
    hi.splice(0, 3, nx - 1, ny - 1, nz - 1);
  }
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const i of [lo[0]! - 0.5, hi[0]! + 0.5])
    for (const j of [lo[1]! - 0.5, hi[1]! + 0.5])
      for (const k of [lo[2]! - 0.5, hi[2]! + 0.5]) {
        const w = applyAffine(vol.affine, [i, j, k]);
        for (let a = 0; a < 3; a++) {
          min[a] = Math.min(min[a]!, w[a]!);
          max[a] = Math.max(max[a]!, w[a]!);
        }
      }
  return { min, max };
}

/** Smallest box holding all given boxes (nulls skipped), grown by `margin` mm; null if none. */
export function unionBox(boxes: Array<Box | null>, margin = 0): Box | null {
  const real = boxes.filter((b): b is Box => b !== null);
  if (!real.length) return null;
  const min = [0, 1, 2].map((a) => Math.min(...real.map((b) => b.min[a]!)) - margin) as Vec3;
  const max = [0, 1, 2].map((a) => Math.max(...real.map((b) => b.max[a]!)) + margin) as Vec3;
  return { min, max };
}

/** Smallest voxel edge length of the grid in mm. */
export function voxelSize(affine: number[][]): number {
  const lens = [0, 1, 2].map((c) => Math.hypot(affine[0]![c]!, affine[1]![c]!, affine[2]![c]!));
  return Math.min(...lens);
}
