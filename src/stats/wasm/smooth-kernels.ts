/**
 * The masked smoother's WebAssembly passes (smooth-funcs.ts), compiled for the three half
 * kernels of one smoothing (x, y, z; [1] for an axis that is not smoothed), with a memory of
 * their own sized for one MaskedSmoother. Null without WebAssembly SIMD (or with
 * GLMFLOW_NO_WASM=1): the smoother then runs its plain TypeScript loops.
 */
import { encodeModule } from './asm.js';
import { smoothRowsFunc, smoothXFunc } from './smooth-funcs.js';
import type { Workspace } from './kernels.js';

/**
 * The passes take byte addresses in this instance's memory (`at(view)`, computed once by the
 * caller: no per-call checks). Each runs the n row descriptors (16 bytes each) from `desc` on.
 */
export interface SmoothPasses {
  /** The arena of this instance's memory (views are never detached: the size is fixed). */
  readonly ws: Workspace;
  /** Byte address of a view of this memory (throws for any other array). */
  at(view: Float64Array | Float32Array | Int32Array | Uint8Array): number;
  /** x pass from int16 values (see smoothXFunc); `line` holds the two line buffers (halves). */
  xI16(raw: number, desc: number, n: number, line: number, half: number, dst: number, slope: number, inter: number): void;
  /** x pass from float32 values. */
  xF32(src: number, desc: number, n: number, line: number, half: number, dst: number): void;
  /** y pass (float64 rows to float64 rows, see smoothRowsFunc). */
  rowsF64(src: number, dst: number, desc: number, n: number, offs: number): void;
  /** z pass (float64 rows to float32 results). */
  rowsF32(src: number, dst: number, desc: number, n: number, offs: number): void;
}

const modules = new Map<string, WebAssembly.Module>();

function compile(wx: Float64Array, wy: Float64Array, wz: Float64Array): WebAssembly.Module {
  const key = [wx, wy, wz].map((w) => Array.from(w).join(',')).join(';');
  let m = modules.get(key);
  if (!m) {
    m = new WebAssembly.Module(encodeModule([smoothXFunc(wx, 'i16'), smoothXFunc(wx, 'f32'), smoothRowsFunc(wy, 'f64'), smoothRowsFunc(wz, 'f32')], 1));
    modules.set(key, m);
  }
  return m;
}

type Fn = (...a: number[]) => void;

/** Passes for half kernels wx, wy, wz with `bytes` of working memory, or null without SIMD. */
export function createSmoothPasses(wx: Float64Array, wy: Float64Array, wz: Float64Array, bytes: number): SmoothPasses | null {
  if ((typeof process !== 'undefined' && process.env?.GLMFLOW_NO_WASM === '1') || typeof WebAssembly !== 'object') return null;
  let fns: Record<'smoothX_i16' | 'smoothX_f32' | 'smoothRows_f64' | 'smoothRows_f32', Fn>;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: Math.ceil((bytes + 4096) / 65536) });
    fns = new WebAssembly.Instance(compile(wx, wy, wz), { env: { memory } }).exports as unknown as typeof fns;
  } catch {
    return null;
  }
  const buffer = memory.buffer;
  let top = 16;
  const take = (n: number) => {
    const off = top;
    top = (top + n + 15) & ~15;
    if (top > buffer.byteLength) throw new Error('smoothing workspace exhausted');
    return off;
  };
  const ws: Workspace = {
    f64: (n) => new Float64Array(buffer, take(n * 8), n),
    f32: (n) => new Float32Array(buffer, take(n * 4), n),
    i32: (n) => new Int32Array(buffer, take(n * 4), n),
    u8: (n) => new Uint8Array(buffer, take(n), n),
  };
  const at = (a: Float64Array | Float32Array | Int32Array | Uint8Array) => {
    if (a.buffer !== buffer) throw new Error('smoothing arrays must be views of their workspace');
    return a.byteOffset;
  };
  return {
    ws,
    at,
    xI16: (raw, desc, n, line, half, dst, slope, inter) => fns.smoothX_i16(raw, desc, n, line, half, dst, slope, inter),
    xF32: (src, desc, n, line, half, dst) => fns.smoothX_f32(src, desc, n, line, half, dst, 0, 0),
    rowsF64: fns.smoothRows_f64,
    rowsF32: fns.smoothRows_f32,
  };
}
