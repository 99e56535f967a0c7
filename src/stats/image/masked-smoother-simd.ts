/**
 * The WebAssembly SIMD version of MaskedSmoother.apply (float32 data): the same passes over
 * the same ranges, run by the passes of wasm/smooth-kernels.ts (compiled for the kernel's
 * radius and weights), which compute every output with the same float64 operations in the
 * same order as the plain loops and round it to float32 after each pass.
 *
 * Layout and order: the volume is worked through slice by slice (z): the x pass and then the
 * y pass of slice z, then the z pass of every masked slice whose ±r window is complete. So the
 * x-pass output holds one slice and the y-pass output a ring of 2r + 1 slices (z = slot mod
 * ring size), and both stay in the core's cache. Both are stored compactly (only each row's
 * range, padded to an even length) as float64 holding float32 values, so the y and z passes
 * read their taps without converting them. The x pass decodes each row's inputs once into a
 * float64 line (from the int16 file values when the reader hands them over, see
 * MaskedSmoother.loadInt16, or from float32) and filters the line. The few x-pass outputs whose
 * window is reflected at the image edge are computed by filterLineX; the y and z passes take
 * the reflection from their row tables.
 */
import type { SmoothPasses } from '../wasm/smooth-kernels.js';
import { createSmoothPasses } from '../wasm/smooth-kernels.js';
import { filterLineX, type Scratch } from './smooth-filter.js';
import { reflectIndex, type FloatArray } from './smooth-kernel.js';

type Rows = { xLo: Int32Array; xHi: Int32Array };

/** A pass's row descriptors (4 i32 each) and, per slice z, the first of them: rows first[z] .. first[z + 1] - 1. */
interface Pass {
  desc: Int32Array;
  first: Int32Array;
  offs: Int32Array;
  /** byte addresses of desc and offs */
  descAt: number;
  offsAt: number;
}

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
  /** x-pass output of one slice; y-pass output, a ring of slices */
  bufX: Float64Array;
  bufY: Float64Array;
  stage: Float32Array;
  /** byte addresses of raw, input, line (and its half), bufX, bufY, stage */
  mem: { raw: number; input: number; line: number; half: number; bufX: number; bufY: number; stage: number };
  nMask: number;
  /** input row ranges as absolute [start, end) pairs (copy of a foreign float32 volume) */
  ranges: Int32Array;
  nRanges: number;
  x: Pass;
  y: Pass;
  /** z pass: desc.first by the slice of the output rows */
  z: Pass;
  /** z pass of slice z once the y pass of slice ready[z] is done */
  ready: Int32Array;
  /** x-pass outputs near the image edge: [row, lo, hi, bufX index] (filterLineX, reflected), first[z] by slice */
  xEdges: Int32Array;
  edgeFirst: Int32Array;
  inputRows: Rows;
  /** float32 scratch rows for the edge outputs */
  edgeIn: Float32Array;
  edgeOut: Float32Array;
}

/**
 * Start of each row's range within its slice in a compact buffer (ranges padded to an even
 * length, slice after slice restarting at 0), and the longest slice.
 */
function compactSlices(rows: Rows, ny: number, nz: number): { start: Int32Array; cap: number } {
  const start = new Int32Array(rows.xLo.length);
  let cap = 0;
  for (let z = 0; z < nz; z++) {
    let n = 0;
    for (let r = z * ny; r < (z + 1) * ny; r++) {
      start[r] = n;
      const m = rows.xHi[r] - rows.xLo[r];
      if (m > 0) n += (m + 1) & ~1;
    }
    cap = Math.max(cap, n);
  }
  return { start, cap };
}

/** first[z] = index of the first descriptor of slice z (descriptors in slice order), first[nz] = count. */
function firstBySlice(sliceOf: number[], nz: number): Int32Array {
  const first = new Int32Array(nz + 1);
  let i = 0;
  for (let z = 0; z <= nz; z++) {
    while (i < sliceOf.length && sliceOf[i] < z) i++;
    first[z] = i;
  }
  return first;
}

/**
 * The ring size of the y-pass output: 2r + 1 slices, unless a z-pass slice would then read a
 * slot already rewritten (checked by running the schedule), in which case all nz slices.
 */
function ringSize(nz: number, rz: number, ready: Int32Array, needs: (z: number) => number[]): number {
  const size = Math.min(nz, 2 * rz + 1);
  const holder = new Int32Array(size).fill(-1); // slice held by each slot
  let zi = 0;
  for (let z = 0; z < nz; z++) {
    holder[z % size] = z;
    for (; zi < nz && ready[zi] <= z; zi++) {
      for (const s of needs(zi)) if (holder[s % size] !== s) return nz;
    }
  }
  return size;
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
  const cx = compactSlices(xRows, ny, nz);
  const cy = compactSlices(yRows, ny, nz);
  // z pass: which slices each output slice reads, and when it can run
  const needs = (z: number) => {
    const s = [z];
    for (let j = 1; j <= rz; j++) s.push(reflectIndex(z - j, nz), reflectIndex(z + j, nz));
    return s;
  };
  const ready = Int32Array.from({ length: nz }, (_, z) => Math.max(...needs(z)));
  const ring = ringSize(nz, rz, ready, needs);
  const yBase = (z: number) => (z % ring) * cy.cap;
  const xDesc: number[] = [];
  const xSlice: number[] = [];
  const xEdges: number[] = [];
  const edgeSlice: number[] = [];
  for (let row = 0; row < nRows; row++) {
    const lo = xRows.xLo[row];
    const hi = xRows.xHi[row];
    if (hi <= lo) continue;
    const z = Math.floor(row / ny);
    const a = Math.max(lo, rx);
    const b = Math.min(hi, nx - rx);
    const d0 = cx.start[row] - lo;
    if (a < b) {
      xDesc.push(row * nx + a - rx, b - a, d0 + a, 0);
      xSlice.push(z);
      if (lo < a) xEdges.push(row, lo, a, d0 + lo), edgeSlice.push(z);
      if (b < hi) xEdges.push(row, b, hi, d0 + b), edgeSlice.push(z);
    } else {
      xEdges.push(row, lo, hi, d0 + lo);
      edgeSlice.push(z);
    }
  }
  // Row tables of the strided passes: [c, m, d, o] and the offset pairs, outermost first.
  const yDesc: number[] = [];
  const yOffs: number[] = [];
  const ySlice: number[] = [];
  const xAt = (row: number, x: number) => cx.start[row] + x - xRows.xLo[row];
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++) {
      const row = y + ny * z;
      const lo = yRows.xLo[row];
      const hi = yRows.xHi[row];
      if (hi <= lo) continue;
      yDesc.push(xAt(row, lo), hi - lo, yBase(z) + cy.start[row], yOffs.length);
      ySlice.push(z);
      for (let j = ry; j >= 1; j--) yOffs.push(xAt(reflectIndex(y - j, ny) + ny * z, lo), xAt(reflectIndex(y + j, ny) + ny * z, lo));
    }
  const zDesc: number[] = [];
  const zOffs: number[] = [];
  const zSlice: number[] = [];
  const yAt = (y: number, z: number, x: number) => yBase(z) + cy.start[y + ny * z] + x - yRows.xLo[y + ny * z];
  for (let i = 0; i < runs.length; i += 4) {
    const row = runs[i];
    const lo = runs[i + 1];
    const y = row % ny;
    const z = (row - y) / ny;
    zDesc.push(yAt(y, z, lo), runs[i + 2] - lo, runs[i + 3], zOffs.length);
    zSlice.push(z);
    for (let j = rz; j >= 1; j--) zOffs.push(yAt(y, reflectIndex(z - j, nz), lo), yAt(y, reflectIndex(z + j, nz), lo));
  }
  const ranges: number[] = [];
  for (let row = 0; row < nRows; row++) {
    if (inputRows.xHi[row] > inputRows.xLo[row]) ranges.push(row * nx + inputRows.xLo[row], row * nx + inputRows.xHi[row]);
  }
  const ints = xDesc.length + yDesc.length + yOffs.length + zDesc.length + zOffs.length + ranges.length + 6;
  const lineLen = 2 * (nx + 2 * rx + 4); // two line buffers
  const bytes = 2 * nvox + 16 + 4 * (nvox + 8) + 8 * (lineLen + cx.cap + ring * cy.cap + 8) + 4 * (nMask + 8) + 4 * ints + 16 * 12;
  const k = createSmoothPasses(wx, wy, wz, bytes);
  if (!k) return null;
  const ws = k.ws;
  const raw = ws.u8(2 * nvox + 16);
  const input = ws.f32(nvox + 8);
  const line = ws.f64(lineLen);
  const bufX = ws.f64(cx.cap + 4);
  const bufY = ws.f64(ring * cy.cap + 4);
  const stage = ws.f32(nMask + 4);
  const toMem = (a: number[]) => {
    const v = ws.i32(Math.max(1, a.length));
    v.set(a);
    return v;
  };
  const pass = (desc: number[], sliceOf: number[], offs: number[]): Pass => {
    const d = toMem(desc);
    const o = toMem(offs);
    return { desc: d, first: firstBySlice(sliceOf, nz), offs: o, descAt: k.at(d), offsAt: k.at(o) };
  };
  return {
    k, input, raw, rawI16: new Int16Array(raw.buffer, raw.byteOffset, nvox), pending: null, line, bufX, bufY, stage, nMask,
    mem: { raw: k.at(raw), input: k.at(input), line: k.at(line), half: line.byteLength / 2, bufX: k.at(bufX), bufY: k.at(bufY), stage: k.at(stage) },
    ranges: toMem(ranges), nRanges: ranges.length / 2,
    x: pass(xDesc, xSlice, []),
    y: pass(yDesc, ySlice, yOffs),
    z: pass(zDesc, zSlice, zOffs),
    ready,
    xEdges: Int32Array.from(xEdges), edgeFirst: firstBySlice(edgeSlice, nz), inputRows,
    edgeIn: new Float32Array(nx), edgeOut: new Float32Array(nx),
  };
}

export function applySimd(
  plan: SimdPlan, dims: [number, number, number], kernels: (Float64Array | null)[], s: Scratch,
  volume: FloatArray, out: FloatArray, outOffset: number,
): void {
  const { k, input, x, y, z, stage, mem, ready } = plan;
  const [nx, , nz] = dims;
  const pending = volume === input ? plan.pending : null;
  plan.pending = null;
  if (!pending && volume !== input) {
    const { ranges, nRanges } = plan;
    for (let i = 0; i < 2 * nRanges; i += 2) {
      const a = ranges[i];
      const b = ranges[i + 1];
      if (volume instanceof Float32Array) input.set(volume.subarray(a, b), a);
      else for (let v = a; v < b; v++) input[v] = volume[v];
    }
  }
  let zi = 0;
  for (let sz = 0; sz < nz; sz++) {
    const xa = x.first[sz];
    const xb = x.first[sz + 1];
    if (xb > xa) {
      const desc = x.descAt + 16 * xa;
      if (pending) k.xI16(mem.raw, desc, xb - xa, mem.line, mem.half, mem.bufX, pending.slope, pending.inter);
      else k.xF32(mem.input, desc, xb - xa, mem.line, mem.half, mem.bufX);
    }
    if (plan.edgeFirst[sz + 1] > plan.edgeFirst[sz]) edgeOutputs(plan, nx, kernels[0]!, s, pending, sz);
    const ya = y.first[sz];
    const yb = y.first[sz + 1];
    if (yb > ya) k.rowsF64(mem.bufX, mem.bufY, y.descAt + 16 * ya, yb - ya, y.offsAt);
    for (; zi < nz && ready[zi] <= sz; zi++) {
      const za = z.first[zi];
      const zb = z.first[zi + 1];
      if (zb > za) k.rowsF32(mem.bufY, mem.stage, z.descAt + 16 * za, zb - za, z.offsAt);
    }
  }
  if (out instanceof Float32Array) out.set(stage.subarray(0, plan.nMask), outOffset);
  else for (let i = 0; i < plan.nMask; i++) out[outOffset + i] = stage[i];
}

/**
 * The x-pass outputs of slice sz whose window leaves the image (reflected), with filterLineX,
 * after the kernel (an odd-length row part may have written one value into an edge part).
 */
function edgeOutputs(plan: SimdPlan, nx: number, kx: Float64Array, s: Scratch, pending: SimdPlan['pending'], sz: number): void {
  const e = plan.xEdges;
  const src = plan.edgeIn;
  const dst = plan.edgeOut;
  const bufX = plan.bufX;
  for (let i = 4 * plan.edgeFirst[sz]; i < 4 * plan.edgeFirst[sz + 1]; i += 4) {
    const row = e[i];
    const base = row * nx;
    if (pending) {
      const raw = plan.rawI16;
      const { slope, inter } = pending;
      for (let v = plan.inputRows.xLo[row]; v < plan.inputRows.xHi[row]; v++) src[v] = raw[base + v] * slope + inter;
      filterLineX(src, 0, nx, dst, 0, e[i + 1], e[i + 2], kx, s, true);
    } else {
      filterLineX(plan.input, base, nx, dst, 0, e[i + 1], e[i + 2], kx, s, true);
    }
    for (let v = 0, d = e[i + 3]; v < e[i + 2] - e[i + 1]; v++) bufX[d + v] = dst[v];
  }
}
