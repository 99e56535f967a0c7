/**
 * Connected components of a binary volume, as scipy.ndimage.label: the one labelling used by
 * cluster tables and cluster-size thresholds (inference/), TFCE, the permutation cluster
 * statistics (second-level/permutation.ts) and the largest component of the EPI mask
 * (image/epi-mask.ts).
 *
 * Labels are numbered in order of first appearance when scanning x slowest, z fastest (numpy C
 * order on an (nx, ny, nz) array), so they coincide with scipy's numbering: nilearn's cluster
 * ids and its tie rule in `largest_connected_component` (lowest label wins) are reproduced.
 * Voxels themselves are stored in NIfTI order (x fastest).
 */

/** Face (6), face + edge (18) or full (26) neighbourhood; scipy's generate_binary_structure(3, 1 | 2 | 3). */
export type Connectivity = 6 | 18 | 26;

export interface Labels {
  /** 0 = background, 1..n = component, numbered like scipy.ndimage.label (C-order scan of the (x,y,z) array). */
  labels: Int32Array;
  count: number;
  /** sizes[l] = number of voxels of label l (sizes[0] unused = 0). */
  sizes: Int32Array;
}

/**
 * Label the connected components of the non-zero voxels of `binary` (NIfTI order, dims
 * [nx, ny, nz, ...]). Default 6-connectivity, as every nilearn caller here uses.
 */
export function labelComponents(
  binary: ArrayLike<number | boolean>,
  dims: readonly number[],
  connectivity: Connectivity = 6,
): Labels {
  const [nx, ny, nz] = dims;
  const sxy = nx * ny;
  const total = sxy * nz;
  const labels = new Int32Array(total);
  const dx: number[] = [];
  const dy: number[] = [];
  const dz: number[] = [];
  for (let a = -1; a <= 1; a++)
    for (let b = -1; b <= 1; b++)
      for (let c = -1; c <= 1; c++) {
        const d = Math.abs(a) + Math.abs(b) + Math.abs(c);
        if (d === 0 || (connectivity === 6 && d > 1) || (connectivity === 18 && d > 2)) continue;
        dx.push(a);
        dy.push(b);
        dz.push(c);
      }
  const nNb = dx.length;
  const stack = new Int32Array(total);
  const sizes: number[] = [0];
  let count = 0;
  for (let i = 0; i < nx; i++)
    for (let j = 0; j < ny; j++)
      for (let k = 0, seed = i + nx * j; k < nz; k++, seed += sxy) {
        if (!binary[seed] || labels[seed] !== 0) continue;
        count++;
        labels[seed] = count;
        let top = 0;
        stack[top++] = seed;
        let size = 0;
        while (top > 0) {
          const v = stack[--top];
          size++;
          const z = Math.floor(v / sxy);
          const r = v - z * sxy;
          const y = Math.floor(r / nx);
          const x = r - y * nx;
          for (let q = 0; q < nNb; q++) {
            const xx = x + dx[q];
            const yy = y + dy[q];
            const zz = z + dz[q];
            if (xx < 0 || xx >= nx || yy < 0 || yy >= ny || zz < 0 || zz >= nz) continue;
            const w = xx + nx * yy + sxy * zz;
            if (binary[w] && labels[w] === 0) {
              labels[w] = count;
              stack[top++] = w;
            }
          }
        }
        sizes.push(size);
      }
  return { labels, count, sizes: Int32Array.from(sizes) };
}
