/**
 * A minimal WebAssembly module encoder, enough to write a few SIMD kernels by hand without a
 * toolchain (no wat2wasm / emscripten in this project): one imported memory ("env"."memory"),
 * functions with i32 / f64 / v128 parameters and locals, exported by name, no results.
 *
 * Encoding follows the WebAssembly core spec (binary format, sections 1, 2, 3, 7, 10) and the
 * fixed-width SIMD proposal (0xFD-prefixed opcodes), which V8 ships enabled since Node 16.4.
 */

export type ValType = 'i32' | 'f32' | 'f64' | 'v128';
const VALTYPE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

export interface FuncDef {
  name: string;
  params: ValType[];
  /** Extra locals (indexed after the params), in order. */
  locals: ValType[];
  /** The body's instructions (without the final `end`). */
  body: number[];
}

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** Encode a module importing one memory of at least `minPages` 64 KiB pages. */
export function encodeModule(funcs: FuncDef[], minPages = 1): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [VALTYPE[p]])), 0x00]);
  const imports = vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(minPages)]]);
  const functions = vec(funcs.map((_, i) => uleb(i)));
  const exports = vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const codes = vec(
    funcs.map((f) => {
      // locals as runs of equal types
      const runs: number[][] = [];
      for (let i = 0; i < f.locals.length; ) {
        let j = i;
        while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
        runs.push([...uleb(j - i), VALTYPE[f.locals[i]]]);
        i = j;
      }
      const body = [...vec(runs), ...f.body, 0x0b];
      return [...uleb(body.length), ...body];
    }),
  );
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, codes),
  ]);
}

/** Instruction helpers (each returns its bytes). Memory offsets are in bytes. */
const memarg = (align: number, offset: number) => [...uleb(align), ...uleb(offset)];
const simd = (op: number, ...rest: number[]) => [0xfd, ...uleb(op), ...rest];
export const I = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  i32add: [0x6a],
  i32sub: [0x6b],
  i32mul: [0x6c],
  i32shl: [0x74],
  i32and: [0x71],
  i32ltS: [0x48],
  i32gtS: [0x4a],
  i32leS: [0x4c],
  i32geS: [0x4e],
  i32eqz: [0x45],
  /** block / loop with no result, their end, branches. */
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  /** if (i32 popped != 0) { … } with no result; close with `end`. */
  if: [0x04, 0x40],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  i32load: (offset = 0) => [0x28, ...memarg(2, offset)],
  f32load: (offset = 0) => [0x2a, ...memarg(2, offset)],
  f32store: (offset = 0) => [0x38, ...memarg(2, offset)],
  f32const0: [0x43, 0, 0, 0, 0],
  f32add: [0x92],
  f32sub: [0x93],
  f32mul: [0x94],
  f32div: [0x95],
  f32const: (v: number) => {
    const b = new DataView(new ArrayBuffer(4));
    b.setFloat32(0, v, true);
    return [0x43, b.getUint8(0), b.getUint8(1), b.getUint8(2), b.getUint8(3)];
  },
  f32eq: [0x5b],
  /** select(a, b, cond): a if cond != 0 else b. */
  select: [0x1b],
  f64promoteF32: [0xbb],
  f32demoteF64: [0xb6],
  f64load: (offset = 0) => [0x2b, ...memarg(3, offset)],
  f64store: (offset = 0) => [0x39, ...memarg(3, offset)],
  f64add: [0xa0],
  f64sub: [0xa1],
  f64mul: [0xa2],
  f64const0: [0x44, 0, 0, 0, 0, 0, 0, 0, 0],
  f64const: (v: number) => {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, v, true);
    return [0x44, ...Array.from({ length: 8 }, (_, i) => b.getUint8(i))];
  },
  v128load: (offset = 0) => simd(0x00, ...memarg(4, offset)),
  v128store: (offset = 0) => simd(0x0b, ...memarg(4, offset)),
  /** Two int16 (32 bits) from memory into the low lanes (upper lanes zero). */
  v128load32zero: (offset = 0) => simd(0x5c, ...memarg(2, offset)),
  i32x4extendLowI16x8S: simd(0xa7),
  f64x2convertLowI32x4S: simd(0xfe),
  i32load16s: (offset = 0) => [0x2e, ...memarg(1, offset)],
  f64convertI32S: [0xb7],
  /** One float64 from memory into both lanes (v128.load64_splat). */
  v128load64splat: (offset = 0) => simd(0x0a, ...memarg(3, offset)),
  /** Two float32 from memory into the low lanes (upper lanes zero). */
  v128load64zero: (offset = 0) => simd(0x5d, ...memarg(3, offset)),
  /** Store the low 64 bits (lane 0 of an i64x2 view). */
  v128store64lane0: (offset = 0) => simd(0x5b, ...memarg(3, offset), 0),
  v128zero: simd(0x0c, ...new Array(16).fill(0)),
  f64x2splat: simd(0x14),
  f64x2add: simd(0xf0),
  f64x2sub: simd(0xf1),
  f64x2mul: simd(0xf2),
  f64x2div: simd(0xf3),
  f64x2promoteLow: simd(0x5f),
  /** pmin(a, b) = b < a ? b : a and pmax(a, b) = a < b ? b : a, lane-wise (NaN in b never wins). */
  f64x2pmin: simd(0xf6),
  f64x2pmax: simd(0xf7),
  f64x2abs: simd(0xec),
  f64x2neg: simd(0xed),
  /** Lane-wise a > b as all-ones / zero masks (false when either is NaN). */
  f64x2gt: simd(0x4a),
  /** i32 1 if any bit of the vector is set. */
  v128anyTrue: simd(0x53),
  f64x2extractLane0: simd(0x21, 0),
  /** i8x16.shuffle taking lanes (b1, a0) of its two operands: with the same vector pushed twice, its lanes swapped. */
  f64x2swap: [0xfd, 0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7],
  f32x4add: simd(0xe4),
  f32x4sub: simd(0xe5),
  f32x4mul: simd(0xe6),
  f32x4div: simd(0xe7),
  f32x4splat: simd(0x13),
  f32x4eq: simd(0x41),
  v128and: simd(0x4e),
  f32x4demoteZero: simd(0x5e),
};

/** Concatenate instruction byte arrays. */
export function code(...parts: (number[] | number)[]): number[] {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else for (const b of p) out.push(b);
  }
  return out;
}
