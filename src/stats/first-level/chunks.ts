/**
 * Loading a chunk of consecutive voxels of the data Y (n_scans x n_voxels, time-major) for the
 * first-level fit: float32 rows are copied into the kernels' memory and whitened there;
 * float64 data is whitened in plain code with the same arithmetic.
 */

/** The data Y of a fit: n_scans x n_voxels, time-major, float32 (as read) or float64. */
export type TimeSeriesData = Float32Array | Float64Array;
/**
 * The n x c block of y's columns [v0, v0 + c) as float32 rows of stride C in the kernels'
 * memory (a memcpy per row), for whitenCols. Float64 data is not staged (it would lose
 * precision): `loadF64` does the load in plain code instead.
 */
export function stageRows(y: Float32Array, nVox: number, n: number, v0: number, c: number, stage: Float32Array, C: number): void {
  for (let t = 0; t < n; t++) stage.set(y.subarray(t * nVox + v0, t * nVox + v0 + c), t * C);
}

/** whitenCols reading float64 y directly, columns v0 + idx[i] (same arithmetic as the kernel). */
export function loadF64(
  y: Float64Array, nVox: number, n: number, v0: number, idx: Int32Array, cnt: number,
  rho: ArrayLike<number>, order: number, shift: Float64Array, dst: Float64Array,
): void {
  const cs = (cnt + 3) & ~3;
  for (let i = 0; i < cnt; i++) shift[i] = y[v0 + idx[i]];
  for (let i = cnt; i < cs; i++) shift[i] = 0;
  for (let t = 0; t < n; t++) {
    const kmax = Math.min(order, t);
    const pd = t * cs;
    for (let i = 0; i < cnt; i++) {
      const col = v0 + idx[i];
      const sh = shift[i];
      let v = y[t * nVox + col] - sh;
      for (let k = 1; k <= kmax; k++) v = v - rho[k - 1] * (y[(t - k) * nVox + col] - sh);
      dst[pd + i] = v;
    }
    for (let i = cnt; i < cs; i++) dst[pd + i] = 0;
  }
}

/**
 * Groups the voxels v0 .. v0 + c - 1 of a chunk by their AR-group label (a counting sort):
 * afterwards the chunk indices of group g are order[start[g] .. start[g + 1]), in voxel order.
 * `start` holds nGroups + 1 entries, `order` at least c.
 */
export function groupChunkByLabel(labels: Int32Array, v0: number, c: number, nGroups: number, start: Int32Array, order: Int32Array): void {
  start.fill(0, 0, nGroups + 1);
  for (let i = 0; i < c; i++) start[labels[v0 + i] + 1]++;
  for (let g = 0; g < nGroups; g++) start[g + 1] += start[g];
  const next = start.slice(0, nGroups);
  for (let i = 0; i < c; i++) order[next[labels[v0 + i]]++] = i;
}
