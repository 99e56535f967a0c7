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
 * World bounding box of the voxels where `keep(value)` holds, or null when there is none;
 * without `keep`, of the whole grid. Each kept voxel is a cube of the grid's spacing around
 * its centre, so the box is exact for oblique grids too (their corners would overshoot).
 */
export function worldBox(vol: Volume, keep?: (v: number) => boolean): Box | null {
  const [nx, ny, nz] = [vol.dims[0]!, vol.dims[1]!, vol.dims[2]!];
  const A = vol.affine;
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  const visit = (i: number, j: number, k: number) => {
    for (let r = 0; r < 3; r++) {
      const row = A[r]!;
      const w = row[0]! * i + row[1]! * j + row[2]! * k + row[3]!;
      if (w < min[r]!) min[r] = w;
      if (w > max[r]!) max[r] = w;
    }
  };
  if (keep) {
    let o = 0;
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++, o++) if (keep(vol.data[o]!)) visit(i, j, k);
    if (min[0] === Infinity) return null;
  } else {
    for (const i of [0, nx - 1]) for (const j of [0, ny - 1]) for (const k of [0, nz - 1]) visit(i, j, k);
  }
  // half a voxel around the outer centres: the extent of a voxel along each world axis
  const half = [0, 1, 2].map((r) => 0.5 * (Math.abs(A[r]![0]!) + Math.abs(A[r]![1]!) + Math.abs(A[r]![2]!)));
  return { min: min.map((v, r) => v - half[r]!) as Vec3, max: max.map((v, r) => v + half[r]!) as Vec3 };
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
