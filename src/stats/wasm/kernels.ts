/**
 * WebAssembly SIMD (f64x2) kernels for the hot loops of the first-level fit, with a plain
 * TypeScript fallback where WebAssembly SIMD is unavailable. Each thread (worker) gets its
 * own module instance and memory; callers allocate their work arrays in that memory with
 * `workspace()` so the kernels run on them in place (no copies between JS and WebAssembly).
 *
 * Kernels (all float64 arithmetic, IEEE round-to-nearest per lane, so a SIMD lane computes
 * exactly what the scalar code would in the same order):
 *  - gemm: out (m x c) = A (m x k) · B (k x c), row-major, c a multiple of 4. Blocks of 4 rows
 *    of A x 4 columns of B, 8 two-lane accumulators; each output is one running sum over k
 *    in increasing order. ~4 GFLOP-pairs/s on one core here, ~3.5x the plain loops.
 */
import { encodeModule } from './asm.js';
import { colStatsFunc, gemmFunc, lagStatsFunc, olsArSumsFunc, whitenLagStatsFunc, whitenColsFunc, gatherColsFunc, addRowF32Func, scaleRowF32Func, refitStatsFunc } from './funcs.js';
import { gemmWide } from '../core/matrix.js';

/** Views of the workspace (byte offsets are what the kernels take). */
export interface Workspace {
  f64(n: number): Float64Array;
  f32(n: number): Float32Array;
  i32(n: number): Int32Array;
  u8(n: number): Uint8Array;
}

export interface Kernels {
  /** True when the WebAssembly SIMD module is in use. */
  readonly simd: boolean;
  /**
   * A fresh arena of at least `bytes` (plus alignment slack) in the kernel memory; views
   * from an earlier workspace must not be used any more (the memory may have grown).
   */
  workspace(bytes: number): Workspace;
  /** out (m x c) = a (m x k) · b (k x c); c must be a multiple of 4 (pad B with zero columns). */
  gemm(a: Float64Array, m: number, k: number, b: Float64Array, c: number, out: Float64Array): void;
  /** gemm with A packed once by packA (an A used in many products): out (m x c) = A · b. */
  gemmPacked(ap: Float64Array, m: number, k: number, b: Float64Array, c: number, out: Float64Array): void;
  /** A (m x k) packed by 4-row blocks for gemmPacked into out (packedLength(m, k) values). */
  packA(a: Float64Array, m: number, k: number, out: Float64Array): void;
  /** See addRowF32Func (wasm-funcs.ts). */
  addRowF32(acc: Float32Array, row: Float32Array, n: number): void;
  /** See scaleRowF32Func. */
  scaleRowF32(row: Float32Array, mean: Float32Array, n: number): void;
  /** See gatherColsFunc. */
  gatherCols(src: Float32Array, dst: Float32Array, C: number, n: number, order: Int32Array, c: number): void;
  /** See whitenColsFunc. */
  whitenCols(stage: Float32Array, C: number, n: number, col0: number, cnt: number, rho: Float64Array, order: number, shift: Float64Array, dst: Float64Array): void;
  /** See colStatsFunc. cs must be even. */
  colStats(wy: Float64Array, n: number, cs: number, r1: Float64Array, w1: Float64Array, shift: Float64Array,
    ss: Float64Array, sr: Float64Array, sy: Float64Array, sy2: Float64Array): void;
  /** See olsArSumsFunc (olsArSumsJs). cs must be a multiple of 4; out holds 3·order + 2 rows of cs. */
  olsArSums(prod: Float64Array, cs: number, p: number, order: number, terms: OlsArTerms,
    lagY: Float64Array, sum: Float64Array, headY: Float64Array, tailY: Float64Array, shift: Float64Array, out: Float64Array): void;
  /** See lagStatsFunc. cs must be even. */
  lagStats(wy: Float64Array, n: number, cs: number, order: number, sum: Float64Array, lag: Float64Array, head: Float64Array, tail: Float64Array): void;
  /**
   * whitenCols with order 0 (col0 = 0) then lagStats with order 1, in one pass (see
   * whitenLagStatsFunc); the same bits.
   */
  whitenLagStats(stage: Float32Array, C: number, n: number, cnt: number, shift: Float64Array, dst: Float64Array,
    sum: Float64Array, lag: Float64Array, head: Float64Array, tail: Float64Array): void;
  /** See refitStatsFunc (refitStatsJs). cs must be even; out holds 4 rows of cs. */
  refitStats(stage: Float32Array, C: number, col0: number, n: number, wy: Float64Array, pred: Float64Array, cs: number,
    terms: RefitVectors, shift: Float64Array, out: Float64Array, resid: boolean): void;
}

/** The per-model constants of olsArSums (see olsArSumsFunc). */
export interface OlsArTerms {
  /** The order + 1 symmetric lag matrices (p x p each), one after the other. */
  lagW: Float64Array;
  r1Lag: Float64Array;
  colSum: Float64Array;
  headSum: Float64Array;
  tailSum: Float64Array;
  /** One value. */
  r1Sum: Float64Array;
  r1Head: Float64Array;
  r1Tail: Float64Array;
}

/** The per-model n-vectors of refitStats (see refitStatsFunc). */
export interface RefitVectors { r1: Float64Array; dh1: Float64Array; dw1: Float64Array; h1: Float64Array }

/**
 * The gemm's scratch at the start of every kernel memory: a packed k x 4 block of B (k <=
 * 16384; longer B are read in place) and a packed A for gemm (larger A go in row slices).
 */
const B_PACK_AT = 16;
const B_PACK_BYTES = 16384 * 32;
const A_PACK_AT = B_PACK_AT + B_PACK_BYTES;
const A_PACK_BYTES = 3 << 19;
const SCRATCH_BYTES = A_PACK_AT + A_PACK_BYTES;

/** Values of A packed by 4-row blocks (rows rounded up to 4). */
export function packedLength(m: number, k: number): number {
  return ((m + 3) & ~3) * k;
}

/** packA of the plain code: block r, value l: A[4r + 0..3][l] (0 past row m). */
function packAJs(a: Float64Array, m: number, k: number, out: Float64Array): void {
  for (let r0 = 0; r0 < m; r0 += 4) {
    const base = r0 * k;
    for (let l = 0; l < k; l++) {
      for (let r = 0; r < 4; r++) out[base + 4 * l + r] = r0 + r < m ? a[(r0 + r) * k + l] : 0;
    }
  }
}

let compiled: WebAssembly.Module | undefined;
function wasmModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(encodeModule([gemmFunc(), whitenColsFunc(), colStatsFunc(), olsArSumsFunc(), lagStatsFunc(), whitenLagStatsFunc(), gatherColsFunc(), addRowF32Func(), scaleRowF32Func(), refitStatsFunc()], 1));
  return compiled;
}

class WasmKernels implements Kernels {
  readonly simd = true;
  readonly memory: WebAssembly.Memory;
  private readonly fns: Record<'gemm' | 'whitenCols' | 'colStats' | 'olsArSums' | 'lagStats' | 'whitenLagStats' | 'gatherCols' | 'addRowF32' | 'scaleRowF32' | 'refitStats', (...a: number[]) => void>;

  constructor() {
    this.memory = new WebAssembly.Memory({ initial: 16 });
    const inst = new WebAssembly.Instance(wasmModule(), { env: { memory: this.memory } });
    this.fns = inst.exports as unknown as WasmKernels['fns'];
    this.buffer = this.memory.buffer;
  }

  workspace(bytes: number): Workspace {
    const need = bytes + 4096 + SCRATCH_BYTES;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / 65536));
    const buffer = this.memory.buffer;
    this.buffer = buffer;
    let top = SCRATCH_BYTES; // the gemm's packing scratch comes first
    const take = (n: number) => {
      const off = top;
      top = (top + n + 15) & ~15;
      if (top > buffer.byteLength) throw new Error('kernel workspace exhausted');
      return off;
    };
    // views start zeroed, like fresh typed arrays (the memory is reused between workspaces)
    return {
      f64: (n) => new Float64Array(buffer, take(n * 8), n).fill(0),
      f32: (n) => new Float32Array(buffer, take(n * 4), n).fill(0),
      i32: (n) => new Int32Array(buffer, take(n * 4), n).fill(0),
      u8: (n) => new Uint8Array(buffer, take(n), n).fill(0),
    };
  }

  /** The memory's buffer (it changes only when workspace() grows the memory). */
  private buffer: ArrayBuffer;

  private check(a: Float64Array | Float32Array | Int32Array | Uint8Array): number {
    if (a.buffer !== this.buffer) throw new Error('kernel arrays must be views of this workspace');
    return a.byteOffset;
  }

  gemm(a: Float64Array, m: number, k: number, b: Float64Array, c: number, out: Float64Array): void {
    if (c % 4 !== 0) throw new Error(`gemm: c = ${c} is not a multiple of 4`);
    this.check(a);
    const outAt = this.check(out);
    // A packed into the scratch, in slices of rows when it does not fit whole
    const rowsPerPass = Math.floor(A_PACK_BYTES / (32 * k)) * 4;
    if (rowsPerPass === 0) throw new Error(`gemm: k = ${k} is too long`);
    const scratch = new Float64Array(this.memory.buffer, A_PACK_AT, A_PACK_BYTES / 8);
    for (let r0 = 0; r0 < m; r0 += rowsPerPass) {
      const rows = Math.min(rowsPerPass, m - r0);
      packAJs(a.subarray(r0 * k, (r0 + rows) * k), rows, k, scratch);
      this.fns.gemm(A_PACK_AT, rows, k, this.check(b), c, outAt + r0 * c * 8, this.bPack(k, c));
    }
  }

  gemmPacked(ap: Float64Array, m: number, k: number, b: Float64Array, c: number, out: Float64Array): void {
    if (c % 4 !== 0) throw new Error(`gemm: c = ${c} is not a multiple of 4`);
    if (ap.length < packedLength(m, k)) throw new Error('gemmPacked: A is not packed');
    this.fns.gemm(this.check(ap), m, k, this.check(b), c, this.check(out), this.bPack(k, c));
  }

  packA(a: Float64Array, m: number, k: number, out: Float64Array): void {
    packAJs(a, m, k, out);
  }

  /** Where the gemm packs a 4-column block of B: worth it beyond one block, when it fits. */
  private bPack(k: number, c: number): number {
    return k * 32 <= B_PACK_BYTES && c > 4 ? B_PACK_AT : 0;
  }




  addRowF32(acc: Float32Array, row: Float32Array, n: number): void {
    this.fns.addRowF32(this.check(acc), this.check(row), n);
  }

  scaleRowF32(row: Float32Array, mean: Float32Array, n: number): void {
    this.fns.scaleRowF32(this.check(row), this.check(mean), n);
  }

  gatherCols(src: Float32Array, dst: Float32Array, C: number, n: number, order: Int32Array, c: number): void {
    this.fns.gatherCols(this.check(src), this.check(dst), C, n, this.check(order), c);
  }

  whitenCols(stage: Float32Array, C: number, n: number, col0: number, cnt: number, rho: Float64Array, order: number, shift: Float64Array, dst: Float64Array): void {
    this.fns.whitenCols(this.check(stage), C, n, col0, cnt, this.check(rho), order, this.check(shift), this.check(dst));
  }

  colStats(wy: Float64Array, n: number, cs: number, r1: Float64Array, w1: Float64Array, shift: Float64Array,
    ss: Float64Array, sr: Float64Array, sy: Float64Array, sy2: Float64Array): void {
    this.fns.colStats(this.check(wy), n, cs, this.check(r1), this.check(w1), this.check(shift), this.check(ss), this.check(sr), this.check(sy), this.check(sy2));
  }

  whitenLagStats(stage: Float32Array, C: number, n: number, cnt: number, shift: Float64Array, dst: Float64Array,
    sum: Float64Array, lag: Float64Array, head: Float64Array, tail: Float64Array): void {
    this.fns.whitenLagStats(this.check(stage), C, n, cnt, this.check(shift), this.check(dst), this.check(sum), this.check(lag), this.check(head), this.check(tail));
  }

  olsArSums(prod: Float64Array, cs: number, p: number, order: number, terms: OlsArTerms,
    lagY: Float64Array, sum: Float64Array, headY: Float64Array, tailY: Float64Array, shift: Float64Array, out: Float64Array): void {
    if (cs % 4 !== 0) throw new Error(`olsArSums: cs = ${cs} is not a multiple of 4`);
    const t = terms;
    this.fns.olsArSums(this.check(prod), cs, p, order, this.check(t.lagW), this.check(t.r1Lag), this.check(t.colSum), this.check(t.headSum),
      this.check(t.tailSum), this.check(t.r1Sum), this.check(t.r1Head), this.check(t.r1Tail),
      this.check(lagY), this.check(sum), this.check(headY), this.check(tailY), this.check(shift), this.check(out));
  }

  lagStats(wy: Float64Array, n: number, cs: number, order: number, sum: Float64Array, lag: Float64Array, head: Float64Array, tail: Float64Array): void {
    this.fns.lagStats(this.check(wy), n, cs, order, this.check(sum), this.check(lag), this.check(head), this.check(tail));
  }

  refitStats(stage: Float32Array, C: number, col0: number, n: number, wy: Float64Array, pred: Float64Array, cs: number,
    terms: RefitVectors, shift: Float64Array, out: Float64Array, resid: boolean): void {
    if (cs % 2 !== 0) throw new Error(`refitStats: cs = ${cs} is odd`);
    this.fns.refitStats(this.check(stage), C, col0, n, this.check(wy), this.check(pred), cs,
      this.check(terms.r1), this.check(terms.dh1), this.check(terms.dw1), this.check(terms.h1), this.check(shift), this.check(out), resid ? 1 : 0);
  }
}

/** Plain TypeScript fallback (same results up to the order of the float64 sums). */
class JsKernels implements Kernels {
  readonly simd = false;
  workspace(): Workspace {
    return { f64: (n) => new Float64Array(n), f32: (n) => new Float32Array(n), i32: (n) => new Int32Array(n), u8: (n) => new Uint8Array(n) };
  }
  gemm(a: Float64Array, m: number, k: number, b: Float64Array, c: number, out: Float64Array): void {
    gemmWide(a, m, k, b, c, out);
  }

  gemmPacked(ap: Float64Array, m: number, k: number, b: Float64Array, c: number, out: Float64Array): void {
    // the kernel's order: one running sum over l per output
    for (let i = 0; i < m; i++) {
      const base = (i & ~3) * k + (i & 3);
      for (let j = 0; j < c; j++) {
        let acc = 0;
        for (let l = 0; l < k; l++) acc = acc + ap[base + 4 * l] * b[l * c + j];
        out[i * c + j] = acc;
      }
    }
  }

  packA(a: Float64Array, m: number, k: number, out: Float64Array): void {
    packAJs(a, m, k, out);
  }

  addRowF32(acc: Float32Array, row: Float32Array, n: number): void {
    for (let i = 0; i < n; i++) acc[i] += row[i];
  }

  scaleRowF32(row: Float32Array, mean: Float32Array, n: number): void {
    const fr = Math.fround;
    for (let i = 0; i < n; i++) row[i] = fr(100 * fr(fr(row[i] / mean[i]) - 1));
  }

  gatherCols(src: Float32Array, dst: Float32Array, C: number, n: number, order: Int32Array, c: number): void {
    for (let t = 0; t < n; t++) for (let i = 0; i < c; i++) dst[t * C + i] = src[t * C + order[i]];
  }

  whitenCols(stage: Float32Array, C: number, n: number, col0: number, cnt: number, rho: Float64Array, order: number, shift: Float64Array, dst: Float64Array): void {
    const cs = (cnt + 3) & ~3;
    for (let i = 0; i < cs; i++) shift[i] = stage[col0 + i] ?? 0;
    for (let t = 0; t < n; t++) {
      const kmax = Math.min(order, t);
      const pd = t * cs;
      for (let i = 0; i < cs; i++) {
        const col = col0 + i;
        const sh = shift[i];
        let v = (stage[t * C + col] ?? 0) - sh;
        for (let k = 1; k <= kmax; k++) v = v - rho[k - 1] * ((stage[(t - k) * C + col] ?? 0) - sh);
        dst[pd + i] = v;
      }
    }
  }

  colStats(wy: Float64Array, n: number, cs: number, r1: Float64Array, w1: Float64Array, shift: Float64Array,
    ss: Float64Array, sr: Float64Array, sy: Float64Array, sy2: Float64Array): void {
    const w10 = w1[0];
    for (let i = 0; i < cs; i++) {
      const v0 = wy[i];
      const sh = shift[i];
      let a = v0 * v0;
      let b = r1[0] * v0;
      let m1 = 0;
      let m2 = 0;
      for (let t = 1, o = cs + i; t < n; t++, o += cs) {
        const v = wy[o];
        a = a + v * v;
        b = b + r1[t] * v;
        const d = v - v0 + sh * (w1[t] - w10);
        m1 = m1 + d;
        m2 = m2 + d * d;
      }
      ss[i] = a;
      sr[i] = b;
      sy[i] = m1;
      sy2[i] = m2;
    }
  }

  olsArSums(prod: Float64Array, cs: number, p: number, order: number, terms: OlsArTerms,
    lagY: Float64Array, sum: Float64Array, headY: Float64Array, tailY: Float64Array, shift: Float64Array, out: Float64Array): void {
    olsArSumsJs(prod, cs, p, order, terms, lagY, sum, headY, tailY, shift, out);
  }

  whitenLagStats(stage: Float32Array, C: number, n: number, cnt: number, shift: Float64Array, dst: Float64Array,
    sum: Float64Array, lag: Float64Array, head: Float64Array, tail: Float64Array): void {
    this.whitenCols(stage, C, n, 0, cnt, new Float64Array(0), 0, shift, dst);
    this.lagStats(dst, n, (cnt + 3) & ~3, 1, sum, lag, head, tail);
  }

  lagStats(wy: Float64Array, n: number, cs: number, order: number, sum: Float64Array, lag: Float64Array, head: Float64Array, tail: Float64Array): void {
    for (let i = 0; i < cs; i++) {
      let s = 0;
      for (let t = 0; t < n; t++) s = s + wy[t * cs + i];
      sum[i] = s;
      for (let k = 0; k <= order; k++) {
        let l = 0;
        for (let t = k; t < n; t++) l = l + wy[(t - k) * cs + i] * wy[t * cs + i];
        lag[k * cs + i] = l;
      }
      for (let k = 1; k <= order; k++) {
        let h = 0;
        for (let t = 0; t < Math.min(k, n); t++) h = h + wy[t * cs + i];
        head[k * cs + i] = h;
        let tl = 0;
        for (let t = Math.max(0, n - k); t < n; t++) tl = tl + wy[t * cs + i];
        tail[k * cs + i] = tl;
      }
    }
  }

  refitStats(stage: Float32Array, C: number, col0: number, n: number, wy: Float64Array, pred: Float64Array, cs: number,
    terms: RefitVectors, shift: Float64Array, out: Float64Array, resid: boolean): void {
    refitStatsJs(stage, C, col0, n, wy, pred, cs, terms, shift, out, resid);
  }
}

/** olsArSumsFunc's twin: the same float64 operations in the same order, one column at a time. */
function olsArSumsJs(prod: Float64Array, cs: number, p: number, order: number, terms: OlsArTerms,
  lagY: Float64Array, sum: Float64Array, headY: Float64Array, tailY: Float64Array, shift: Float64Array, out: Float64Array): void {
  const { lagW, r1Lag, colSum, headSum, tailSum, r1Head, r1Tail } = terms;
  const r1Sum = terms.r1Sum[0];
  const aRow = (order + 1) * p;
  for (let i = 0; i < cs; i++) {
    const sh = shift[i];
    for (let k = 0; k <= order; k++) {
      const m = k * p * p;
      let quad = 0;
      for (let j = 0; j < p; j++) {
        const tj = prod[j * cs + i];
        quad = quad + lagW[m + j * p + j] * tj * tj;
        for (let l = j + 1; l < p; l++) quad = quad + (lagW[m + j * p + l] + lagW[m + j * p + l]) * tj * prod[l * cs + i];
      }
      let x = lagY[k * cs + i];
      if (k === 0) x = x - quad;
      else {
        let u = 0;
        for (let j = 0; j < p; j++) u = u + prod[j * cs + i] * prod[(k * p + j) * cs + i];
        x = x - u + quad;
      }
      out[k * cs + i] = x + sh * prod[(aRow + k) * cs + i] + sh * sh * r1Lag[k];
    }
    let u = 0;
    for (let j = 0; j < p; j++) u = u + colSum[j] * prod[j * cs + i];
    out[(order + 1) * cs + i] = sum[i] - u + sh * r1Sum;
    for (let k = 1; k <= order; k++) {
      let h = headY[k * cs + i];
      let d = tailY[k * cs + i];
      for (let j = 0; j < p; j++) {
        const tj = prod[j * cs + i];
        h = h - headSum[k * p + j] * tj;
        d = d - tailSum[k * p + j] * tj;
      }
      out[(order + 1 + k) * cs + i] = h + sh * r1Head[k];
      out[(2 * order + 1 + k) * cs + i] = d + sh * r1Tail[k];
    }
  }
}

/**
 * refitStatsFunc's twin (same float64 operations in the same order), for float32 or float64
 * data y (src[t·C + col0 + i]; float64 data is not staged, see chunks.ts loadF64). With resid,
 * nilearn's residuals e_t replace pred_t in `pred`, as in the kernel.
 */
export function refitStatsJs(src: Float32Array | Float64Array, C: number, col0: number, n: number, wy: Float64Array, pred: Float64Array, cs: number,
  terms: RefitVectors, shift: Float64Array, out: Float64Array, resid: boolean): void {
  const { r1, dh1, dw1, h1 } = terms;
  for (let i = 0; i < cs; i++) {
    const sh = shift[i];
    const wy0 = wy[i];
    const p0 = pred[i];
    let e2 = 0, sp = 0, sp2 = 0, sy = 0, sy2 = 0, se = 0;
    for (let t = 0; t < n; t++) {
      const wv = wy[t * cs + i];
      const pv = pred[t * cs + i];
      const r = (wv - pv) + sh * r1[t];
      e2 = e2 + r * r;
      const dp = (pv - p0) + sh * dh1[t];
      sp = sp + dp;
      sp2 = sp2 + dp * dp;
      const dy = (wv - wy0) + sh * dw1[t];
      sy = sy + dy;
      sy2 = sy2 + dy * dy;
      if (resid) {
        const e = ((src[t * C + col0 + i] ?? 0) - pv) - sh * h1[t];
        pred[t * cs + i] = e;
        se = se + e;
      }
    }
    out[i] = e2;
    out[cs + i] = sp2 - (sp * sp) / n;
    out[2 * cs + i] = sy2 - (sy * sy) / n;
    if (!resid) continue;
    const m = se / n;
    let q = 0;
    for (let t = 0; t < n; t++) {
      const d = pred[t * cs + i] - m;
      q = q + d * d;
    }
    out[3 * cs + i] = q / n;
  }
}

function wasmDisabled(): boolean {
  return typeof process !== 'undefined' && process.env?.GLMFLOW_NO_WASM === '1';
}

let instance: Kernels | undefined;

/** This thread's kernels (WebAssembly SIMD when available; GLMFLOW_NO_WASM=1 forces the fallback). */
export function kernels(): Kernels {
  if (instance) return instance;
  if (!wasmDisabled() && typeof WebAssembly === 'object') {
    try {
      instance = new WasmKernels();
      return instance;
    } catch {
      /* no SIMD support: fall back */
    }
  }
  instance = new JsKernels();
  return instance;
}

/** The plain TypeScript kernels (the reference the WebAssembly ones are tested against). */
export function jsKernels(): Kernels {
  return new JsKernels();
}
