/**
 * NIfTI-1 quaternion <-> affine conversions (the "qform", method 2 of the NIfTI-1 standard,
 * nifti1.h comments and nifti1_io.c `quatern_to_mat44` / `mat44_to_quatern`).
 *
 * The qform stores a proper rotation as the quaternion (a,b,c,d) with a = sqrt(1-b²-c²-d²) >= 0,
 * voxel sizes pixdim[1..3], a handedness flag qfac = pixdim[0] (±1) that flips the k axis, and a
 * translation (qoffset_x/y/z):
 *     [x y z]' = R · diag(dx, dy, qfac·dz) · [i j k]' + [qx qy qz]'
 * with R the rotation matrix of the quaternion.
 */

export interface Quatern {
  b: number;
  c: number;
  d: number;
  qx: number;
  qy: number;
  qz: number;
  /** Voxel sizes along i, j, k (always > 0). */
  dx: number;
  dy: number;
  dz: number;
  /** +1 or -1 (pixdim[0] in the header). */
  qfac: number;
}

/** Affine (4x4, row-major) of a qform. */
export function quaternToAffine(q: Quatern): number[][] {
  let { b, c, d } = q;
  // a is implied; rounding in the stored float32s can push b²+c²+d² slightly above 1.
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // Special case from nifti1_io.c: a 180° rotation; renormalise (b,c,d) and set a = 0.
    const n = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= n;
    c *= n;
    d *= n;
    a = 0;
  } else {
    a = Math.sqrt(a);
  }
  // Non-positive voxel sizes are invalid; nifti1_io.c replaces them with 1.
  const dx = q.dx > 0 ? q.dx : 1;
  const dy = q.dy > 0 ? q.dy : 1;
  const dz = (q.dz > 0 ? q.dz : 1) * (q.qfac < 0 ? -1 : 1);
  const R = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  const t = [q.qx, q.qy, q.qz];
  const out: number[][] = [];
  for (let r = 0; r < 3; r++) out.push([R[r][0] * dx, R[r][1] * dy, R[r][2] * dz, t[r]]);
  out.push([0, 0, 0, 1]);
  return out;
}

function det3(m: number[][]): number {
  return (
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
  );
}

function inv3(m: number[][]): number[][] {
  const d = det3(m);
  const [[a, b, c], [e, f, g], [h, i, j]] = m;
  return [
    [(f * j - g * i) / d, (c * i - b * j) / d, (b * g - c * f) / d],
    [(g * h - e * j) / d, (a * j - c * h) / d, (c * e - a * g) / d],
    [(e * i - f * h) / d, (b * h - a * i) / d, (a * f - b * e) / d],
  ];
}

/**
 * Nearest orthogonal matrix (polar decomposition) by the Newton iteration Q <- (Q + Q^-T)/2,
 * which converges quadratically for a non-singular 3x3. Used only when the affine has shear,
 * which a qform cannot represent (the sform keeps the exact affine).
 */
function polarOrthogonal(m: number[][]): number[][] {
  let q = m.map((r) => r.slice());
  for (let it = 0; it < 50; it++) {
    const qi = inv3(q);
    let change = 0;
    const next = [0, 1, 2].map((r) =>
      [0, 1, 2].map((c) => {
        const v = 0.5 * (q[r][c] + qi[c][r]);
        change = Math.max(change, Math.abs(v - q[r][c]));
        return v;
      }),
    );
    q = next;
    if (change < 1e-15) break;
  }
  return q;
}

/**
 * Quaternion representation of an affine (nifti1_io.c `nifti_mat44_to_quatern`):
 * voxel sizes are the column norms, a negative determinant is absorbed in qfac = -1 (flip of
 * the third column), any shear is removed by orthogonalising the rotation part.
 */
export function affineToQuatern(affine: number[][]): Quatern {
  // Columns of the 3x3 part and their norms (the voxel sizes).
  const col = (j: number) => [affine[0][j], affine[1][j], affine[2][j]];
  const cols = [col(0), col(1), col(2)];
  const sizes = cols.map((v) => Math.hypot(v[0], v[1], v[2]));
  for (let j = 0; j < 3; j++) {
    if (sizes[j] === 0) {
      // Degenerate axis: use the unit vector of that axis (as nifti1_io.c does) and size 1.
      cols[j] = [0, 0, 0];
      cols[j][j] = 1;
      sizes[j] = 1;
    } else {
      cols[j] = cols[j].map((x) => x / sizes[j]);
    }
  }
  // R[r][c] = cols[c][r]
  let R = [0, 1, 2].map((r) => [cols[0][r], cols[1][r], cols[2][r]]);
  // Orthogonalise when the columns are not already orthonormal (shear).
  let offOrtho = 0;
  for (let i = 0; i < 3; i++)
    for (let j = i + 1; j < 3; j++)
      offOrtho = Math.max(offOrtho, Math.abs(cols[i][0] * cols[j][0] + cols[i][1] * cols[j][1] + cols[i][2] * cols[j][2]));
  if (offOrtho > 1e-10) R = polarOrthogonal(R);

  let qfac = 1;
  if (det3(R) < 0) {
    qfac = -1;
    for (let r = 0; r < 3; r++) R[r][2] = -R[r][2];
  }
  // Rotation matrix -> unit quaternion, choosing the numerically stable branch.
  const [r11, r12, r13] = R[0];
  const [r21, r22, r23] = R[1];
  const [r31, r32, r33] = R[2];
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    // The standard requires a >= 0 (a is not stored); q and -q are the same rotation.
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return {
    b,
    c,
    d,
    qx: affine[0][3],
    qy: affine[1][3],
    qz: affine[2][3],
    dx: sizes[0],
    dy: sizes[1],
    dz: sizes[2],
    qfac,
  };
}
