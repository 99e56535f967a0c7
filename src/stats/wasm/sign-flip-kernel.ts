/**
 * WebAssembly SIMD kernel for the hot loop of sign-flip max statistics (sign-flip-max.ts): for
 * every permutation, the extremes over a voxel block of the sum of three table rows. Two voxels
 * per f64x2 lane pair; the sums are (row0 + row1) + row2 as in the plain loop, and the running
 * extremes use pmax/pmin, which keep the accumulator when the new value is NaN (as the plain
 * `if (x > h) h = x`), so both give the same bits. Its own module and memory (the first-level
 * kernels in kernels.ts are not involved). Written by hand for the same reason as
 * sign-flip-max.ts: measured 2–3× the plain loop, which the JIT does not vectorise.
 */
import { code, encodeModule, I, type FuncDef } from './asm.js';

/** while (!(exit)) { body } — `exit` pushes an i32, non-zero to leave the loop. */
function whileNot(exit: number[], ...body: number[][]): number[] {
  return code(I.block, I.loop, exit, I.brIf(1), ...body, I.br(0), I.end, I.end);
}

/**
 * extremes3(table, groupStride, rowStride, codes, count, nb, hi, lo), byte addresses and strides:
 * for p < count, with c0..c2 = codes[3p..3p+2] (i32) and rows r_g = table + g·groupStride +
 * c_g·rowStride (float64), x_v = (r_0[v] + r_1[v]) + r_2[v] for v < nb (nb even), then
 * hi[p] = max(hi[p], max_v x_v) and lo[p] = min(lo[p], min_v x_v), NaN x ignored.
 */
function extremes3Func(): FuncDef {
  const TABLE = 0, GSTRIDE = 1, RSTRIDE = 2, CODES = 3, COUNT = 4, NB = 5, HI = 6, LO = 7;
  const p = 8, pc = 9, o0 = 10, o1 = 11, o2 = 12, end = 13, ph = 14, pl = 15;
  const h = 16, l = 17, x = 18;
  const inc = (v: number, by: number[]) => code(I.get(v), by, I.i32add, I.set(v));
  const row = (g: number, off: number, dst: number) =>
    code(I.get(TABLE), I.get(GSTRIDE), I.i32(g), I.i32mul, I.i32add, I.get(pc), I.i32load(off), I.get(RSTRIDE), I.i32mul, I.i32add, I.set(dst));
  const body = code(
    I.i32(0), I.set(p), I.get(CODES), I.set(pc),
    whileNot(
      code(I.get(p), I.get(COUNT), I.i32geS),
      row(0, 0, o0), row(1, 4, o1), row(2, 8, o2),
      code(I.get(o0), I.get(NB), I.i32(3), I.i32shl, I.i32add, I.set(end)),
      code(I.get(HI), I.get(p), I.i32(3), I.i32shl, I.i32add, I.set(ph)),
      code(I.get(LO), I.get(p), I.i32(3), I.i32shl, I.i32add, I.set(pl)),
      code(I.get(ph), I.f64load(), I.f64x2splat, I.set(h)),
      code(I.get(pl), I.f64load(), I.f64x2splat, I.set(l)),
      whileNot(
        code(I.get(o0), I.get(end), I.i32geS),
        code(I.get(o0), I.v128load(0), I.get(o1), I.v128load(0), I.f64x2add, I.get(o2), I.v128load(0), I.f64x2add, I.set(x)),
        code(I.get(h), I.get(x), I.f64x2pmax, I.set(h)),
        code(I.get(l), I.get(x), I.f64x2pmin, I.set(l)),
        inc(o0, I.i32(16)), inc(o1, I.i32(16)), inc(o2, I.i32(16)),
      ),
      // the extremes of the two lanes, lane 0 stored
      code(I.get(ph), I.get(h), I.get(h), I.f64x2swap, I.f64x2pmax, I.v128store64lane0(0)),
      code(I.get(pl), I.get(l), I.get(l), I.f64x2swap, I.f64x2pmin, I.v128store64lane0(0)),
      inc(p, I.i32(1)), inc(pc, I.i32(12)),
    ),
  );
  return { name: 'extremes3', params: new Array(8).fill('i32'), locals: [...new Array(8).fill('i32'), 'v128', 'v128', 'v128'], body };
}

export interface SignFlipWorkspace {
  table: Float64Array;
  codes: Int32Array;
  hi: Float64Array;
  lo: Float64Array;
}

export interface SignFlipKernel {
  /** Arrays of the given sizes in the kernel's memory (zeroed); earlier views become invalid. */
  workspace(tableLength: number, count: number): SignFlipWorkspace;
  /** See extremes3Func; strides in float64 elements, nb even. */
  extremes3(ws: SignFlipWorkspace, groupStride: number, rowStride: number, count: number, nb: number): void;
}

let compiled: WebAssembly.Module | undefined;

/** A sign-flip kernel with a memory of its own, or null without WebAssembly SIMD (GLMFLOW_NO_WASM=1 too). */
export function createSignFlipKernel(): SignFlipKernel | null {
  if (typeof WebAssembly !== 'object' || (typeof process !== 'undefined' && process.env?.GLMFLOW_NO_WASM === '1')) return null;
  let fn: (...a: number[]) => void;
  let memory: WebAssembly.Memory;
  try {
    compiled ??= new WebAssembly.Module(encodeModule([extremes3Func()], 1));
    memory = new WebAssembly.Memory({ initial: 1 });
    fn = (new WebAssembly.Instance(compiled, { env: { memory } }).exports as Record<string, (...a: number[]) => void>).extremes3;
  } catch {
    return null;
  }
  return {
    workspace(tableLength, count) {
      const bytes = tableLength * 8 + count * 3 * 4 + count * 16 + 64;
      const have = memory.buffer.byteLength;
      if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
      const buf = memory.buffer;
      const codesAt = tableLength * 8;
      const hiAt = (codesAt + count * 12 + 15) & ~15;
      return {
        table: new Float64Array(buf, 0, tableLength).fill(0),
        codes: new Int32Array(buf, codesAt, count * 3).fill(0),
        hi: new Float64Array(buf, hiAt, count).fill(0),
        lo: new Float64Array(buf, hiAt + count * 8, count).fill(0),
      };
    },
    extremes3(ws, groupStride, rowStride, count, nb) {
      if (nb % 2 !== 0) throw new Error('extremes3: nb must be even');
      fn(ws.table.byteOffset, groupStride * 8, rowStride * 8, ws.codes.byteOffset, count, nb, ws.hi.byteOffset, ws.lo.byteOffset);
    },
  };
}
