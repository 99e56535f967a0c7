/**
 * Nearest-neighbour resampling of a 3D image onto another voxel grid through the two affines,
 * as nilearn 0.10.4 `resample_to_img(img, target, interpolation='nearest')` does it
 * (scipy.ndimage.affine_transform, order 0, mode 'constant', cval 0):
 *
 *   c = inv(A_src) · A_dst · [i, j, k, 1]     (continuous source voxel coordinates)
 *   value = src[floor(c + 0.5)]               (scipy's order-0 rounding: ties go up)
 *   value = 0 when any c is outside [0, n - 1] (the constant mode tests the coordinate
 *                                               before rounding, so half a voxel beyond the
 *                                               edge is already outside)
 *
 * A tolerance of 1e-6 voxel absorbs the rounding of the affine product (numpy and this code
 * multiply in different orders), so a grid that maps exactly onto a source edge keeps it. At an
 * exact half-voxel tie the last bit of c decides, in scipy as here (its diagonal fast path
 * computes c otherwise), so results may differ there; test/fixtures/resample avoids ties.
 */

const EDGE_TOL = 1e-6;

/** Inverse of a 4x4 matrix (Gauss-Jordan with partial pivoting); throws when singular. */
export function invertAffine(a: readonly (readonly number[])[]): number[][] {
  const m = a.map((row, r) => [...row.slice(0, 4), ...[0, 1, 2, 3].map((c) => (c === r ? 1 : 0))]);
  for (let c = 0; c < 4; c++) {
    let p = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (!(Math.abs(m[p][c]) > 1e-12)) throw new Error('the affine is singular');
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    for (let k = 0; k < 8; k++) m[c][k] /= d;
    for (let r = 0; r < 4; r++) {
      if (r === c || m[r][c] === 0) continue;
      const f = m[r][c];
      for (let k = 0; k < 8; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row) => row.slice(4));
}

function multiply(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): number[][] {
  const out = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) for (let k = 0; k < 4; k++) out[r][c] += a[r][k] * b[k][c];
  return out;
}

export interface GridImage {
  dims: readonly number[];
  affine: readonly (readonly number[])[];
}

/** `src` (values of a 3D image on grid `from`) resampled onto grid `to` by nearest neighbour. */
export function resampleNearest(src: ArrayLike<number>, from: GridImage, to: GridImage): Float32Array {
  const [sx, sy, sz] = from.dims;
  const [nx, ny, nz] = to.dims;
  if (src.length < sx * sy * sz) throw new Error(`image has ${src.length} values, its grid ${sx}x${sy}x${sz}`);
  const t = multiply(invertAffine(from.affine), to.affine);
  const out = new Float32Array(nx * ny * nz);
  const inside = (c: number, n: number) => c >= -EDGE_TOL && c <= n - 1 + EDGE_TOL;
  const index = (c: number, n: number) => Math.min(n - 1, Math.max(0, Math.floor(c + 0.5)));
  let o = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, o++) {
        const cx = t[0][0] * i + t[0][1] * j + t[0][2] * k + t[0][3];
        const cy = t[1][0] * i + t[1][1] * j + t[1][2] * k + t[1][3];
        const cz = t[2][0] * i + t[2][1] * j + t[2][2] * k + t[2][3];
        if (!inside(cx, sx) || !inside(cy, sy) || !inside(cz, sz)) continue;
        out[o] = src[index(cx, sx) + sx * (index(cy, sy) + sy * index(cz, sz))];
      }
    }
  }
  return out;
}
