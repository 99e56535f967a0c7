/**
 * The WebAssembly SIMD version of MaskedSmoother.apply (float32 data): the same passes and
 * ranges, as lists of row descriptors run by the `filterRows` kernel (see wasm-kernels.ts),
 * which computes every output with the same float64 operations in the same order. The x pass
 * runs in the kernel where the window stays inside the image; the few outputs whose window
 * is reflected at the image edge use filterLineX. Buffers live in the kernels' own memory.
 */
import type { SmoothKernels } from '../wasm/kernels.js';
import { filterLineX, type Scratch } from './smooth-filter.js';
import { reflectIndex, type FloatArray } from './smooth-kernel.js';

export interface SimdPlan {
  k: SmoothKernels;
  input: Float32Array;
  /** one volume of raw int16 values */
  raw: Uint8Array;
  bufX: Float32Array;
  bufY: Float32Array;
  stage: Float32Array;
  nMask: number;
  /** input row ranges as absolute [start, end) pairs, for sanitize and the input copy */
  ranges: Int32Array;
  nRanges: number;
  passes: { src: Float32Array; dst: Float32Array; desc: Int32Array; n: number; offs: Int32Array; w: Float64Array }[];
  /** x-pass outputs near the image edge: [row, lo, hi] triples (filterLineX with reflection) */
  xEdges: Int32Array;
}

export function simdPlan(
  k: SmoothKernels, dims: [number, number, number], kernels: (Float64Array | null)[], radius: number[],
  inputRows: { xLo: Int32Array; xHi: Int32Array }, xRows: { xLo: Int32Array; xHi: Int32Array },
  yRows: { xLo: Int32Array; xHi: Int32Array }, runs: Int32Array, nMask: number,
): SimdPlan {
  const [nx, ny, nz] = dims;
  const nvox = nx * ny * nz;
  const nRows = ny * nz;
  const sxy = nx * ny;
  const [kx, ky, kz] = kernels;
  // descriptors and offset pairs, built in plain arrays first, then copied into the memory
  const build = (rows: { c0: number; lo: number; hi: number; d0: number; pairs: number[] }[]) => {
    const desc: number[] = [];
    const offs: number[] = [];
    for (const r of rows) {
      desc.push(r.c0, r.lo, r.hi, r.d0, offs.length);
      offs.push(...r.pairs);
    }
    return { desc, offs };
  };
  const xList: Parameters<typeof build>[0] = [];
  const xEdges: number[] = [];
  if (kx) {
    const r = radius[0];
    for (let row = 0; row < nRows; row++) {
      const lo = xRows.xLo[row];
      const hi = xRows.xHi[row];
      if (hi <= lo) continue;
      const a = Math.max(lo, r);
      const b = Math.min(hi, nx - r);
      const c0 = row * nx;
      if (a < b) {
        const pairs: number[] = [];
        for (let j = r; j >= 1; j--) pairs.push(c0 - j, c0 + j);
        xList.push({ c0, lo: a, hi: b, d0: c0, pairs });
        if (lo < a) xEdges.push(row, lo, a);
        if (b < hi) xEdges.push(row, b, hi);
      } else {
        xEdges.push(row, lo, hi);
      }
    }
  }
  const yList: Parameters<typeof build>[0] = [];
  if (ky) {
    const r = radius[1];
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++) {
        const row = y + ny * z;
        if (yRows.xHi[row] <= yRows.xLo[row]) continue;
        const pairs: number[] = [];
        for (let j = r; j >= 1; j--) pairs.push(nx * (reflectIndex(y - j, ny) + ny * z), nx * (reflectIndex(y + j, ny) + ny * z));
        yList.push({ c0: row * nx, lo: yRows.xLo[row], hi: yRows.xHi[row], d0: row * nx, pairs });
      }
  }
  const zList: Parameters<typeof build>[0] = [];
  const rz = kz ? radius[2] : 0;
  for (let i = 0; i < runs.length; i += 4) {
    const row = runs[i];
    const y = row % ny;
    const z = (row - y) / ny;
    const pairs: number[] = [];
    for (let j = rz; j >= 1; j--) pairs.push(nx * y + sxy * reflectIndex(z - j, nz), nx * y + sxy * reflectIndex(z + j, nz));
    zList.push({ c0: row * nx, lo: runs[i + 1], hi: runs[i + 2], d0: runs[i + 3] - runs[i + 1], pairs });
  }
  const ranges: number[] = [];
  for (let row = 0; row < nRows; row++) {
    if (inputRows.xHi[row] > inputRows.xLo[row]) ranges.push(row * nx + inputRows.xLo[row], row * nx + inputRows.xHi[row]);
  }
  const xl = build(xList);
  const yl = build(yList);
  const zl = build(zList);
  let ints = ranges.length + 3;
  for (const l of [xl, yl, zl]) ints += l.desc.length + l.offs.length + 2;
  const floats = 3 * (nvox + 8) + nMask + 8;
  const ws = k.workspace(4 * (floats + ints) + 2 * nvox + 8 * (3 * 32) + 16 * 18);
  const input = ws.f32(nvox + 8);
  const raw = ws.u8(2 * nvox + 16);
  const bufX = kx ? ws.f32(nvox + 8) : input;
  const bufY = ky ? ws.f32(nvox + 8) : bufX;
  const stage = ws.f32(nMask + 8);
  const toMem = (a: number[]) => {
    const v = ws.i32(Math.max(1, a.length));
    v.set(a);
    return v;
  };
  const weights = (w: Float64Array | null) => {
    const v = ws.f64(w ? w.length : 1);
    v.set(w ?? [1]); // no kernel on z: a weight of 1 copies exactly (f32 -> f64 -> f32)
    return v;
  };
  const passes: SimdPlan['passes'] = [];
  if (kx) passes.push({ src: input, dst: bufX, desc: toMem(xl.desc), n: xList.length, offs: toMem(xl.offs), w: weights(kx) });
  if (ky) passes.push({ src: bufX, dst: bufY, desc: toMem(yl.desc), n: yList.length, offs: toMem(yl.offs), w: weights(ky) });
  passes.push({ src: bufY, dst: stage, desc: toMem(zl.desc), n: zList.length, offs: toMem(zl.offs), w: weights(kz) });
  return { k, input, raw, bufX, bufY, stage, nMask, ranges: toMem(ranges), nRanges: ranges.length / 2, passes, xEdges: Int32Array.from(xEdges) };
}

export function applySimd(
  plan: SimdPlan, dims: [number, number, number], kernels: (Float64Array | null)[], s: Scratch,
  volume: FloatArray, out: FloatArray, outOffset: number,
): void {
  const { input, ranges, nRanges } = plan;
  if (volume !== input) {
    for (let i = 0; i < 2 * nRanges; i += 2) {
      const a = ranges[i];
      const b = ranges[i + 1];
      if (volume instanceof Float32Array) input.set(volume.subarray(a, b), a);
      else for (let v = a; v < b; v++) input[v] = volume[v];
    }
  }
  plan.k.sanitize(input, ranges, nRanges);
  const nx = dims[0];
  const kx = kernels[0];
  for (const pass of plan.passes) {
    plan.k.filterRows(pass.src, pass.dst, pass.desc, pass.n, pass.offs, pass.w);
    if (pass.src === input && kx) {
      const e = plan.xEdges;
      for (let i = 0; i < e.length; i += 3) {
        const base = e[i] * nx;
        filterLineX(input, base, nx, plan.bufX, base + e[i + 1], e[i + 1], e[i + 2], kx, s, false);
      }
    }
  }
  const stage = plan.stage;
  if (out instanceof Float32Array) out.set(stage.subarray(0, plan.nMask), outOffset);
  else for (let i = 0; i < plan.nMask; i++) out[outOffset + i] = stage[i];
}
