/**
 * Cluster table as nilearn 0.10.4 nilearn.reporting.get_clusters_table:
 *  1. threshold_img(stat, stat_threshold, cluster_threshold, two_sided)
 *  2. per sign (+, then - when two-sided): label voxels with sign*stat > stat_threshold
 *     (6-connectivity), order clusters by descending peak, number them from 1 (the
 *     negative clusters are numbered from 1 again, as nilearn 0.10.4 does)
 *  3. per cluster, local maxima (_local_max): voxels equal to the 3x3x3 maximum filter,
 *     non-zero, and (unless the cluster is constant) not on a flat 3x3x3 patch; plateaus
 *     joined by 6-connectivity and replaced by their value-weighted centre of mass (numpy
 *     round half to even; if that point leaves the plateau, its nearest plateau voxel);
 *     sorted by descending value; pared with nilearn's (order-dependent) min_distance rule
 *  4. report the peak and at most 3 sub-peaks ('1', '1a', '1b', '1c'), size in mm3 only on
 *     the main peak (int(n_voxels * voxel volume)), coordinates = affine @ (i, j, k, 1).
 */
import { thresholdImage, type Affine, type Dims } from './thresholding.js';
import { labelComponents } from '../image/connected-components.js';

export interface ClusterTableOptions {
  statThreshold: number;
  clusterThreshold?: number;
  twoSided?: boolean;
  /** mm; default 8 as nilearn. */
  minDistance?: number;
  /** voxel volume in mm3; default |det| of the affine's 3x3 (nilearn uses prod(header zooms)). */
  voxelVolume?: number;
  /** optional label image on the same grid; the peak voxel's label name goes into `label`. */
  atlas?: { data: ArrayLike<number>; names: Record<number, string> | Map<number, string> };
}

export interface ClusterRow {
  clusterId: string;
  x: number;
  y: number;
  z: number;
  peakStat: number;
  /** main peaks only; '' on sub-peaks (as nilearn's table). */
  clusterSizeMm3: number | '';
  label?: string;
}

/** numpy.round / rint: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** numpy.isclose(a, b) default rtol=1e-5, atol=1e-8. */
function isClose(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b);
}

function applyAffine(affine: Affine, i: number, j: number, k: number): [number, number, number] {
  return [
    affine[0][0] * i + affine[0][1] * j + affine[0][2] * k + affine[0][3],
    affine[1][0] * i + affine[1][1] * j + affine[1][2] * k + affine[1][3],
    affine[2][0] * i + affine[2][1] * j + affine[2][2] * k + affine[2][3],
  ];
}

function voxelVolumeOf(affine: Affine): number {
  const a = affine;
  const det =
    a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
    a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
    a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  return Math.abs(det);
}

export interface Peak {
  i: number;
  j: number;
  k: number;
  value: number;
}

/**
 * nilearn _local_max on one cluster. `values` are the cluster's voxel values (positive, the
 * sign already applied) at volume indices `voxels`; everything else counts as 0.
 * Returns peaks sorted by descending value after min-distance paring.
 */
export function clusterLocalMaxima(
  voxels: ArrayLike<number>,
  values: ArrayLike<number>,
  dims: Dims,
  affine: Affine,
  minDistance: number,
): Peak[] {
  const [nx, ny, nz] = dims;
  // bounding box padded by one voxel (inside the volume): the 3x3x3 filters at cluster voxels
  // only see that box, and scipy's 'reflect' border equals clipping the window at the edges.
  let x0 = nx, y0 = ny, z0 = nz, x1 = -1, y1 = -1, z1 = -1;
  for (let n = 0; n < voxels.length; n++) {
    const v = voxels[n];
    const x = v % nx;
    const y = ((v - x) / nx) % ny;
    const z = (v - x - nx * y) / (nx * ny);
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    if (z < z0) z0 = z;
    if (z > z1) z1 = z;
  }
  x0 = Math.max(0, x0 - 1); y0 = Math.max(0, y0 - 1); z0 = Math.max(0, z0 - 1);
  x1 = Math.min(nx - 1, x1 + 1); y1 = Math.min(ny - 1, y1 + 1); z1 = Math.min(nz - 1, z1 + 1);
  const bx = x1 - x0 + 1, by = y1 - y0 + 1, bz = z1 - z0 + 1;
  const sub = new Float64Array(bx * by * bz);
  let vmax = -Infinity, vmin = Infinity;
  for (let n = 0; n < voxels.length; n++) {
    const v = voxels[n];
    const x = v % nx;
    const y = ((v - x) / nx) % ny;
    const z = (v - x - nx * y) / (nx * ny);
    const val = values[n];
    sub[x - x0 + bx * (y - y0 + by * (z - z0))] = val;
    if (val !== 0) {
      if (val > vmax) vmax = val;
      if (val < vmin) vmin = val;
    }
  }
  if (!(vmax > -Infinity)) return [];
  const isConstant = isClose(vmax, vmin);
  const maxima = new Uint8Array(sub.length);
  for (let z = 0; z < bz; z++)
    for (let y = 0; y < by; y++)
      for (let x = 0; x < bx; x++) {
        const idx = x + bx * (y + by * z);
        const c = sub[idx];
        if (c === 0) continue;
        let mx = -Infinity, mn = Infinity;
        for (let dz = -1; dz <= 1; dz++) {
          const zz = z + dz;
          if (zz < 0 || zz >= bz) continue;
          for (let dy = -1; dy <= 1; dy++) {
            const yy = y + dy;
            if (yy < 0 || yy >= by) continue;
            for (let dx = -1; dx <= 1; dx++) {
              const xx = x + dx;
              if (xx < 0 || xx >= bx) continue;
              const w = sub[xx + bx * (yy + by * zz)];
              if (w > mx) mx = w;
              if (w < mn) mn = w;
            }
          }
        }
        if (c !== mx) continue;
        if (!isConstant && !(mx - mn > 0)) continue;
        maxima[idx] = 1;
      }
  const { labels, count } = labelComponents(maxima, [bx, by, bz], 6);
  // value-weighted centre of mass of each plateau (scipy.ndimage.center_of_mass)
  const sw = new Float64Array(count + 1);
  const sx = new Float64Array(count + 1);
  const sy = new Float64Array(count + 1);
  const sz = new Float64Array(count + 1);
  for (let z = 0; z < bz; z++)
    for (let y = 0; y < by; y++)
      for (let x = 0; x < bx; x++) {
        const idx = x + bx * (y + by * z);
        const l = labels[idx];
        if (!l) continue;
        const w = sub[idx];
        sw[l] += w;
        sx[l] += w * (x + x0); // volume coordinates, as scipy's center_of_mass
        sy[l] += w * (y + y0);
        sz[l] += w * (z + z0);
      }
  const peaks: (Peak & { order: number })[] = [];
  for (let l = 1; l <= count; l++) {
    // rounded in volume coordinates (half to even depends on the absolute index), then back to the box
    let i = roundHalfEven(sx[l] / sw[l]) - x0;
    let j = roundHalfEven(sy[l] / sw[l]) - y0;
    let k = roundHalfEven(sz[l] / sw[l]) - z0;
    const inside = i >= 0 && i < bx && j >= 0 && j < by && k >= 0 && k < bz && labels[i + bx * (j + by * k)] === l;
    if (!inside) {
      // nearest voxel of the same plateau, first in C order on ties (np.argmin over labeled.nonzero())
      let best = Infinity, bi = i, bj = j, bk = k;
      for (let xx = 0; xx < bx; xx++)
        for (let yy = 0; yy < by; yy++)
          for (let zz = 0; zz < bz; zz++) {
            if (labels[xx + bx * (yy + by * zz)] !== l) continue;
            const d = Math.hypot(xx - i, yy - j, zz - k);
            if (d < best) (best = d), (bi = xx), (bj = yy), (bk = zz);
          }
      i = bi; j = bj; k = bk;
    }
    peaks.push({ i: i + x0, j: j + y0, k: k + z0, value: sub[i + bx * (j + by * k)], order: l });
  }
  // (-vals).argsort(): descending value; ties kept in label order
  peaks.sort((a, b) => b.value - a.value || a.order - b.order);
  const xyz = peaks.map((p) => applyAffine(affine, p.i, p.j, p.k));
  // nilearn _pare_subpeaks: keep[j] is overwritten by every kept i < j
  const keep = peaks.map(() => true);
  for (let a = 0; a < peaks.length; a++)
    for (let b = a + 1; b < peaks.length; b++)
      if (keep[a]) {
        const d = Math.hypot(xyz[a][0] - xyz[b][0], xyz[a][1] - xyz[b][1], xyz[a][2] - xyz[b][2]);
        keep[b] = d > minDistance;
      }
  return peaks.filter((_, n) => keep[n]).map(({ i, j, k, value }) => ({ i, j, k, value }));
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** get_clusters_table rows (nilearn column order: Cluster ID, X, Y, Z, Peak Stat, Cluster Size (mm3)). */
export function clustersTable(stat: ArrayLike<number>, dims: Dims, affine: Affine, options: ClusterTableOptions): ClusterRow[] {
  const statThreshold = options.statThreshold;
  const twoSided = options.twoSided ?? false;
  const minDistance = options.minDistance ?? 8;
  const voxelVolume = options.voxelVolume ?? voxelVolumeOf(affine);
  const [nx, ny, nz] = dims;
  const total = nx * ny * nz;
  const map = thresholdImage(stat, dims, statThreshold, {
    clusterThreshold: options.clusterThreshold ?? 0,
    twoSided,
  });
  const names = options.atlas?.names;
  const atlasName = (v: number): string | undefined => {
    if (!options.atlas || !names) return undefined;
    const l = options.atlas.data[v];
    const name = names instanceof Map ? names.get(l) : names[l];
    return name ?? (l === 0 ? 'background' : String(l));
  };
  const rows: ClusterRow[] = [];
  for (const sign of twoSided ? [1, -1] : [1]) {
    const bin = new Uint8Array(total);
    let any = false;
    for (let v = 0; v < total; v++) if (map[v] * sign > statThreshold) (bin[v] = 1), (any = true);
    if (!any) continue;
    const { labels, count } = labelComponents(bin, dims, 6);
    const members: number[][] = Array.from({ length: count + 1 }, () => []);
    // collect voxels in C order (x slowest) so that nothing depends on the storage order
    for (let v = 0; v < total; v++) if (labels[v]) members[labels[v]].push(v);
    const clusters = [];
    for (let c = 1; c <= count; c++) {
      const vox = members[c];
      const vals = vox.map((v) => map[v] * sign);
      // np.max(temp_stat_map * mask) includes the zeros outside the cluster
      let peak = 0;
      for (const x of vals) if (x > peak) peak = x;
      clusters.push({ c, vox, vals, peak });
    }
    clusters.sort((a, b) => b.peak - a.peak || a.c - b.c);
    clusters.forEach((cl, cId) => {
      const size = Math.trunc(cl.vox.length * voxelVolume);
      const peaks = clusterLocalMaxima(cl.vox, cl.vals, dims, affine, minDistance);
      const n = Math.min(peaks.length, 4);
      for (let s = 0; s < n; s++) {
        const p = peaks[s];
        const [x, y, z] = applyAffine(affine, p.i, p.j, p.k);
        const row: ClusterRow = {
          clusterId: s === 0 ? String(cId + 1) : `${cId + 1}${LETTERS[s - 1]}`,
          x,
          y,
          z,
          peakStat: p.value * sign,
          clusterSizeMm3: s === 0 ? size : '',
        };
        const lab = atlasName(p.i + nx * (p.j + ny * p.k));
        if (lab !== undefined) row.label = lab;
        rows.push(row);
      }
    });
  }
  return rows;
}

/** nilearn's table as TSV text (header + rows), numbers printed with JS shortest round-trip. */
export function clustersTableToTsv(rows: ClusterRow[]): string {
  const header = ['Cluster ID', 'X', 'Y', 'Z', 'Peak Stat', 'Cluster Size (mm3)'];
  const hasLabel = rows.some((r) => r.label !== undefined);
  if (hasLabel) header.push('Label');
  const lines = [header.join('\t')];
  for (const r of rows) {
    const cells = [r.clusterId, r.x, r.y, r.z, r.peakStat, r.clusterSizeMm3].map(String);
    if (hasLabel) cells.push(r.label ?? '');
    lines.push(cells.join('\t'));
  }
  return lines.join('\n') + '\n';
}
