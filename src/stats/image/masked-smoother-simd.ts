/**
 * The WebAssembly SIMD version of MaskedSmoother.apply (float32 data): the same passes over
 * the same ranges, run by the passes of wasm/smooth-kernels.ts (compiled for the kernel's
 * radius and weights), which compute every output with the same float64 operations in the
 * same order as the plain loops and round it to float32 after each pass.
 *
 * Layout: the x-pass and y-pass outputs are stored compactly, row after row (only each row's
 * range, padded to an even length), as float64 holding float32 values, so the y and z passes
 * read their taps without converting them. The x pass decodes each row's inputs once into a
 * float64 line (from the int16 file values when the reader hands them over, see loadRaw, or
 * from float32) and filters the line. The few x-pass outputs whose window is reflected at the
 * image edge are computed by filterLineX; the y and z passes take the reflection from their
 * row tables.
 */
import type { SmoothPasses } from '../wasm/smooth-kernels.js';
import { createSmoothPasses } from '../wasm/smooth-kernels.js';
import { filterLineX, type Scratch } from './smooth-filter.js';
import { reflectIndex, type FloatArray } from './smooth-kernel.js';

type Rows = { xLo: Int32Array; xHi: Int32Array };

export interface SimdPlan {
  k: SmoothPasses;
  /** one float32 volume (the reader's buffer for non-int16 data) */
  input: Float32Array;
  /** one volume of raw int16 values (platform byte order) */
  raw: Uint8Array;
  rawI16: Int16Array;
  /** int16 scaling of the volume in `raw`, when the next apply(input) must read it from there */
  pending: { slope: number; inter: number } | null;
  line: Float64Array;
  bufX: Float64Array;
  bufY: Float64Array;
  stage: Float32Array;
  nMask: number;
  /** input row ranges as absolute [start, end) pairs (copy of a foreign float32 volume) */
  ranges: Int32Array;
  nRanges: number;
  x: { desc: Int32Array; n: number };
  y: { desc: Int32Array; n: number; offs: Int32Array };
  z: { desc: Int32Array; n: number; offs: Int32Array };
  /** x-pass outputs near the image edge: [row, lo, hi, bufX index] (filterLineX, reflected) */
  xEdges: Int32Array;
  inputRows: Rows;
  /** float32 scratch rows for the edge outputs */
  edgeIn: Float32Array;
  edgeOut: Float32Array;
}

/** Start of each row's range in a compact buffer (even lengths), and the total length. */
function compact(rows: Rows): { start: Int32Array; length: number } {
  const start = new Int32Array(rows.xLo.length);
  let n = 0;
  for (let r = 0; r < rows.xLo.length; r++) {
    start[r] = n;
    const m = rows.xHi[r] - rows.xLo[r];
    if (m > 0) n += (m + 1) & ~1;
  }
  return { start, length: n };
}

export function simdPlan(
  dims: [number, number, number], kernels: (Float64Array | null)[],
  inputRows: Rows, xRows: Rows, yRows: Rows, runs: Int32Array, nMask: number,
): SimdPlan | null {
  const [nx, ny, nz] = dims;
  const nvox = nx * ny * nz;
  const nRows = ny * nz;
  const one = Float64Array.of(1); // an axis without smoothing: a weight of 1 copies exactly
  const [wx, wy, wz] = kernels.map((k) => k ?? one);
  const [rx, ry, rz] = [wx, wy, wz].map((w) => w.length - 1);
  const cx = compact(xRows);
  const cy = compact(yRows);
  const xDesc: number[] = [];
  const xEdges: number[] = [];
  for (let row = 0; row < nRows; row++) {
    const lo = xRows.xLo[row];
    const hi = xRows.xHi[row];
    if (hi <= lo) continue;
    const a = Math.max(lo, rx);
    const b = Math.min(hi, nx - rx);
    const d0 = cx.start[row] - lo;
    if (a < b) {
      xDesc.push(row * nx + a - rx, b - a, d0 + a, 0);
      if (lo < a) xEdges.push(row, lo, a, d0 + lo);
      if (b < hi) xEdges.push(row, b, hi, d0 + b);
    } else {
      xEdges.push(row, lo, hi, d0 + lo);
    }
  }
  // Row tables of the strided passes: [c, m, d, o] and the offset pairs, outermost first.
  const yDesc: number[] = [];
  const yOffs: number[] = [];
  const xAt = (row: number, x: number) => cx.start[row] + x - xRows.xLo[row];
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++) {
      const row = y + ny * z;
      const lo = yRows.xLo[row];
      const hi = yRows.xHi[row];
      if (hi <= lo) continue;
      yDesc.push(xAt(row, lo), hi - lo, cy.start[row], yOffs.length);
      for (let j = ry; j >= 1; j--) yOffs.push(xAt(reflectIndex(y - j, ny) + ny * z, lo), xAt(reflectIndex(y + j, ny) + ny * z, lo));
    }
  const zDesc: number[] = [];
  const zOffs: number[] = [];
  const yAt = (row: number, x: number) => cy.start[row] + x - yRows.xLo[row];
  for (let i = 0; i < runs.length; i += 4) {
    const row = runs[i];
    const lo = runs[i + 1];
    const y = row % ny;
    const z = (row - y) / ny;
    zDesc.push(yAt(row, lo), runs[i + 2] - lo, runs[i + 3], zOffs.length);
    for (let j = rz; j >= 1; j--) zOffs.push(yAt(y + ny * reflectIndex(z - j, nz), lo), yAt(y + ny * reflectIndex(z + j, nz), lo));
  }
  const ranges: number[] = [];
  for (let row = 0; row < nRows; row++) {
    if (inputRows.xHi[row] > inputRows.xLo[row]) ranges.push(row * nx + inputRows.xLo[row], row * nx + inputRows.xHi[row]);
  }
  const ints = xDesc.length + yDesc.length + yOffs.length + zDesc.length + zOffs.length + ranges.length + 6;
  const lineLen = 2 * (nx + 2 * rx + 4); // two line buffers
  const bytes = 2 * nvox + 16 + 4 * (nvox + 8) + 8 * (lineLen + cx.length + cy.length + 8) + 4 * (nMask + 8) + 4 * ints + 16 * 12;
  const k = createSmoothPasses(wx, wy, wz, bytes);
  if (!k) return null;
  const ws = k.ws;
  const raw = ws.u8(2 * nvox + 16);
  const input = ws.f32(nvox + 8);
  const line = ws.f64(lineLen);
  const bufX = ws.f64(cx.length + 4);
  const bufY = ws.f64(cy.length + 4);
  const stage = ws.f32(nMask + 4);
  const toMem = (a: number[]) => {
    const v = ws.i32(Math.max(1, a.length));
    v.set(a);
    return v;
  };
  return {
    k, input, raw, rawI16: new Int16Array(raw.buffer, raw.byteOffset, nvox), pending: null, line, bufX, bufY, stage, nMask,
    ranges: toMem(ranges), nRanges: ranges.length / 2,
    x: { desc: toMem(xDesc), n: xDesc.length / 4 },
    y: { desc: toMem(yDesc), n: yDesc.length / 4, offs: toMem(yOffs) },
    z: { desc: toMem(zDesc), n: zDesc.length / 4, offs: toMem(zOffs) },
    xEdges: Int32Array.from(xEdges), inputRows,
    edgeIn: new Float32Array(nx), edgeOut: new Float32Array(nx),
  };
}

export function applySimd(
  plan: SimdPlan, dims: [number, number, number], kernels: (Float64Array | null)[], s: Scratch,
  volume: FloatArray, out: FloatArray, outOffset: number,
): void {
  const { k, input, x, y, z, bufX, bufY, stage } = plan;
  const nx = dims[0];
  const pending = volume === input ? plan.pending : null;
  plan.pending = null;
  if (pending) {
    k.xI16(plan.raw, x.desc, x.n, plan.line, bufX, pending.slope, pending.inter);
  } else {
    if (volume !== input) {
      const { ranges, nRanges } = plan;
      for (let i = 0; i < 2 * nRanges; i += 2) {
        const a = ranges[i];
        const b = ranges[i + 1];
        if (volume instanceof Float32Array) input.set(volume.subarray(a, b), a);
        else for (let v = a; v < b; v++) input[v] = volume[v];
      }
    }
    k.xF32(input, x.desc, x.n, plan.line, bufX);
  }
  const e = plan.xEdges;
  if (e.length > 0) {
    // after the kernel: an odd-length row part may have written one value into the edge part
    const kx = kernels[0]!;
    const src = plan.edgeIn;
    const dst = plan.edgeOut;
    for (let i = 0; i < e.length; i += 4) {
      const row = e[i];
      const base = row * nx;
      if (pending) {
        const raw = plan.rawI16;
        const { slope, inter } = pending;
        for (let v = plan.inputRows.xLo[row]; v < plan.inputRows.xHi[row]; v++) src[v] = raw[base + v] * slope + inter;
        filterLineX(src, 0, nx, dst, 0, e[i + 1], e[i + 2], kx, s, true);
      } else {
        filterLineX(input, base, nx, dst, 0, e[i + 1], e[i + 2], kx, s, true);
      }
      for (let v = 0, d = e[i + 3]; v < e[i + 2] - e[i + 1]; v++) bufX[d + v] = dst[v];
    }
  }
  k.rowsF64(bufX, bufY, y.desc, y.n, y.offs);
  k.rowsF32(bufY, stage, z.desc, z.n, z.offs);
  if (out instanceof Float32Array) out.set(stage.subarray(0, plan.nMask), outOffset);
  else for (let i = 0; i < plan.nMask; i++) out[outOffset + i] = stage[i];
}
