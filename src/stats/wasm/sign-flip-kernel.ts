/**
 * WebAssembly SIMD kernels for the hot loop of sign-flip max statistics (sign-flip-max.ts), by
 * branch and bound over cells of 8 voxels:
 *
 * - `cellBounds`: for every table row, the max (and min) of each cell of 8 voxels. Floating-point
 *   addition is monotone, so the sum of one row maximum per group, added in the scan's order,
 *   bounds every voxel sum of the cell from above (the minima from below).
 * - `pruned`: for every permutation, the extreme sum over the block: two cells at a time, the
 *   bound is compared with what the permutation already holds, and only cells that could beat it
 *   are scanned. The running max never decreases, so after the first blocks nearly every cell is
 *   skipped (on the 20-subject benchmark a few % of the cells are scanned).
 *
 * The result is bit-identical to scanning every voxel: skipped cells cannot change the max, and
 * the sums that are scanned are (row_0 + row_1) + … exactly as the plain loop. pmax/pmin keep the
 * accumulator when the new value is NaN (as `if (x > h) h = x`), and the bounds ignore NaN
 * entries (a NaN sum never wins, so it needs no bound).
 *
 * The kernels are generated for a given number of groups G (unrolled) and tail. Written by hand
 * for the reason sign-flip-max.ts gives; the JIT neither vectorises these loops nor avoids the
 * mispredicted branches of a scalar max.
 */
import { code, encodeModule, I, type FuncDef } from './asm.js';

/** while (!(exit)) { body } — `exit` pushes an i32, non-zero to leave the loop. */
function whileNot(exit: number[], ...body: number[][]): number[] {
  return code(I.block, I.loop, exit, I.brIf(1), ...body, I.br(0), I.end, I.end);
}

const inc = (v: number, by: number[]) => code(I.get(v), by, I.i32add, I.set(v));

/** op(v, v with its lanes swapped): lane 0 holds the max (pmax) or min (pmin) of v's two lanes. */
const foldLanes = (v: number, op: number[]) => code(I.get(v), I.get(v), I.get(v), I.f64x2swap, op);

/** Voxels per cell, and bytes of a cell's float64 values. */
export const CELL_VOXELS = 8;

/**
 * cellBounds(table, nRows, tableRowBytes, nCells, cellMax, cellMin, cellRowBytes, withMin):
 * cellMax[r][c] = max of table[r][8c .. 8c+7] (NaN ignored, −∞ if all NaN), cellMin likewise.
 */
function cellBoundsFunc(): FuncDef {
  const TABLE = 0, NROWS = 1, TROW = 2, NCELLS = 3, CMAX = 4, CMIN = 5, CROW = 6, WITHMIN = 7;
  const r = 8, src = 9, dmax = 10, dmin = 11, c = 12, acc = 13;
  const fold = (op: number[], start: number) =>
    code(I.f64const(start), I.f64x2splat, I.set(acc),
      ...[0, 16, 32, 48].map((o) => code(I.get(acc), I.get(src), I.v128load(o), op, I.set(acc))),
      foldLanes(acc, op));
  const body = code(
    I.i32(0), I.set(r),
    whileNot(
      code(I.get(r), I.get(NROWS), I.i32geS),
      code(I.get(TABLE), I.get(r), I.get(TROW), I.i32mul, I.i32add, I.set(src)),
      code(I.get(CMAX), I.get(r), I.get(CROW), I.i32mul, I.i32add, I.set(dmax)),
      code(I.get(CMIN), I.get(r), I.get(CROW), I.i32mul, I.i32add, I.set(dmin)),
      code(I.i32(0), I.set(c)),
      whileNot(
        code(I.get(c), I.get(NCELLS), I.i32geS),
        code(I.get(dmax), fold(I.f64x2pmax, -Infinity), I.v128store64lane0(0)),
        code(I.get(WITHMIN), I.if, I.get(dmin), fold(I.f64x2pmin, Infinity), I.v128store64lane0(0), I.end),
        inc(src, I.i32(64)), inc(dmax, I.i32(8)), inc(dmin, I.i32(8)), inc(c, I.i32(1)),
      ),
      inc(r, I.i32(1)),
    ),
  );
  return { name: 'cellBounds', params: new Array(8).fill('i32'), locals: [...new Array(5).fill('i32'), 'v128'], body };
}

/**
 * combine(dst, lo, nLo, hi, nHi, rowBytes, nBytes): dst[ch·nLo + cl][v] = lo[cl][v] + hi[ch][v] for
 * the first nBytes of every row (a multiple of 16): a group's table from its two halves.
 */
function combineFunc(): FuncDef {
  const DST = 0, LO = 1, NLO = 2, HI = 3, NHI = 4, ROW = 5, NBYTES = 6;
  const ch = 7, cl = 8, hiRow = 9, loRow = 10, dst = 11, k = 12;
  const body = code(
    I.get(DST), I.set(dst),
    I.i32(0), I.set(ch), I.get(HI), I.set(hiRow),
    whileNot(
      code(I.get(ch), I.get(NHI), I.i32geS),
      code(I.i32(0), I.set(cl), I.get(LO), I.set(loRow)),
      whileNot(
        code(I.get(cl), I.get(NLO), I.i32geS),
        code(I.i32(0), I.set(k)),
        whileNot(
          code(I.get(k), I.get(NBYTES), I.i32geS),
          code(I.get(dst), I.get(k), I.i32add,
            I.get(loRow), I.get(k), I.i32add, I.v128load(0),
            I.get(hiRow), I.get(k), I.i32add, I.v128load(0),
            I.f64x2add, I.v128store(0)),
          inc(k, I.i32(16)),
        ),
        inc(dst, I.get(ROW)), inc(loRow, I.get(ROW)), inc(cl, I.i32(1)),
      ),
      inc(hiRow, I.get(ROW)), inc(ch, I.i32(1)),
    ),
  );
  return { name: 'combine', params: new Array(7).fill('i32'), locals: new Array(6).fill('i32'), body };
}

/**
 * pruned(table, tableRowBytes, cellMax, cellMin, cellRowBytes, rows, best, count, nPairs), G groups
 * unrolled, one- or two-sided: for p < count, with row_g = rows[p·G + g] (i32, the table row of
 * group g), best[p] = max(best[p], max over the 16·nPairs voxels of Σ_g table[row_g][v]) — of its
 * absolute value when two-sided — scanning only the cell pairs whose bound exceeds best[p].
 */
function prunedFunc(G: number, twoSided: boolean): FuncDef {
  const TABLE = 0, TROW = 1, CMAX = 2, CMIN = 3, CROW = 4, ROWS = 5, BEST = 6, COUNT = 7, NPAIRS = 8;
  let next = 9;
  const p = next++, rp = next++, q = next++, qEnd = next++, row = next++, pBest = next++;
  const a = Array.from({ length: G }, () => next++);
  const b = Array.from({ length: G }, () => next++);
  const t = Array.from({ length: G }, () => next++);
  const nI32 = next - 9;
  const m = next++;
  const ms = next++, bound = next++, lo = next++, h = next++, x = next++;
  const sumAt = (ptrs: number[], off: number[], memOffset: number) =>
    code(...ptrs.map((ptr, g) => code(I.get(ptr), off, I.i32add, I.v128load(memOffset), g > 0 ? I.f64x2add : [])));
  const perPermRows = code(...Array.from({ length: G }, (_, g) => code(
    I.get(rp), I.i32load(4 * g), I.set(row),
    I.get(CMAX), I.get(row), I.get(CROW), I.i32mul, I.i32add, I.set(a[g]),
    twoSided ? code(I.get(CMIN), I.get(row), I.get(CROW), I.i32mul, I.i32add, I.set(b[g])) : [],
    I.get(TABLE), I.get(row), I.get(TROW), I.i32mul, I.i32add, I.set(t[g]),
  )));
  // the scan of the pair's 16 voxels (8 vectors at byte offsets 16k of row_g + 8q)
  const scanPair = code(
    I.get(ms), I.set(h),
    ...Array.from({ length: 8 }, (_, k) => code(
      sumAt(t, code(I.get(q), I.i32(3), I.i32shl), 16 * k),
      twoSided ? I.f64x2abs : [],
      I.set(x), I.get(h), I.get(x), I.f64x2pmax, I.set(h),
    )),
    foldLanes(h, I.f64x2pmax), I.f64x2extractLane0, I.set(m),
    I.get(m), I.f64x2splat, I.set(ms),
  );
  const body = code(
    I.i32(0), I.set(p), I.get(ROWS), I.set(rp), I.get(BEST), I.set(pBest),
    I.get(NPAIRS), I.i32(4), I.i32shl, I.set(qEnd),
    whileNot(
      code(I.get(p), I.get(COUNT), I.i32geS),
      perPermRows,
      code(I.get(pBest), I.f64load(), I.set(m), I.get(m), I.f64x2splat, I.set(ms)),
      code(I.i32(0), I.set(q)),
      whileNot(
        code(I.get(q), I.get(qEnd), I.i32geS),
        code(sumAt(a, I.get(q), 0), I.set(bound)),
        twoSided ? code(sumAt(b, I.get(q), 0), I.set(lo), I.get(bound), I.get(lo), I.f64x2neg, I.f64x2pmax, I.set(bound)) : [],
        code(I.get(bound), I.get(ms), I.f64x2gt, I.v128anyTrue, I.if, scanPair, I.end),
        inc(q, I.i32(16)),
      ),
      code(I.get(pBest), I.get(m), I.f64store()),
      inc(p, I.i32(1)), inc(rp, I.i32(4 * G)), inc(pBest, I.i32(8)),
    ),
  );
  return {
    name: twoSided ? 'prunedTwo' : 'prunedOne',
    params: new Array(9).fill('i32'),
    locals: [...new Array(nI32).fill('i32'), 'f64', ...new Array(5).fill('v128')],
    body,
  };
}

export interface SignFlipWorkspace {
  /** [row][voxel], rowStride voxels per row (a multiple of 16). */
  table: Float64Array;
  /** [row][cell], rowStride / 8 cells per row. */
  cellMax: Float64Array;
  cellMin: Float64Array;
  /** the table row of each group for each permutation (count × G). */
  rows: Int32Array;
  /** the running extreme of each permutation. */
  best: Float64Array;
  /** the two halves of one group's table, [row][voxel] (see combine). */
  half: Float64Array;
  rowStride: number;
}

export interface SignFlipKernel {
  readonly groups: number;
  /** Arrays of the given sizes in the kernel's memory (zeroed); earlier views become invalid. */
  workspace(nRows: number, rowStride: number, count: number, halfRows: number): SignFlipWorkspace;
  /** Rows group·2^(la+lb) … of the table from the halves: the low half's 2^la rows at ws.half, the high half's 2^lb rows after them. */
  combine(ws: SignFlipWorkspace, rowOffset: number, la: number, lb: number, nPairs: number): void;
  /** Cell bounds of the first nPairs·16 voxels of every row (minima too when two-sided). */
  cellBounds(ws: SignFlipWorkspace, nRows: number, nPairs: number, twoSided: boolean): void;
  /** best[p] = max(best[p], max of the sum (|sum| two-sided) over the first nPairs·16 voxels). */
  pruned(ws: SignFlipWorkspace, count: number, nPairs: number, twoSided: boolean): void;
}

const compiled = new Map<number, WebAssembly.Module>();

/**
 * A sign-flip kernel for G groups with a memory of its own, or null without WebAssembly SIMD
 * (GLMFLOW_NO_WASM=1 too).
 */
export function createSignFlipKernel(G: number): SignFlipKernel | null {
  if (typeof WebAssembly !== 'object' || (typeof process !== 'undefined' && process.env?.GLMFLOW_NO_WASM === '1')) return null;
  let exports: Record<string, (...a: number[]) => void>;
  let memory: WebAssembly.Memory;
  try {
    let mod = compiled.get(G);
    if (!mod) {
      mod = new WebAssembly.Module(encodeModule([cellBoundsFunc(), prunedFunc(G, false), prunedFunc(G, true), combineFunc()], 1));
      compiled.set(G, mod);
    }
    memory = new WebAssembly.Memory({ initial: 1 });
    exports = new WebAssembly.Instance(mod, { env: { memory } }).exports as Record<string, (...a: number[]) => void>;
  } catch {
    return null;
  }
  return {
    groups: G,
    workspace(nRows, rowStride, count, halfRows) {
      if (rowStride % 16 !== 0) throw new Error('sign-flip kernel: the row stride must be a multiple of 16 voxels');
      const tableBytes = nRows * rowStride * 8;
      const cellBytes = nRows * rowStride;
      const rowsBytes = (count * G * 4 + 15) & ~15;
      const bytes = tableBytes + 2 * cellBytes + rowsBytes + count * 8 + halfRows * rowStride * 8;
      const have = memory.buffer.byteLength;
      if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
      const buf = memory.buffer;
      let at = 0;
      const table = new Float64Array(buf, at, nRows * rowStride).fill(0);
      at += tableBytes;
      const cellMax = new Float64Array(buf, at, cellBytes / 8).fill(0);
      at += cellBytes;
      const cellMin = new Float64Array(buf, at, cellBytes / 8).fill(0);
      at += cellBytes;
      const rows = new Int32Array(buf, at, count * G).fill(0);
      at += rowsBytes;
      const best = new Float64Array(buf, at, count).fill(0);
      at += count * 8;
      const half = new Float64Array(buf, at, halfRows * rowStride).fill(0);
      return { table, cellMax, cellMin, rows, best, half, rowStride };
    },
    cellBounds(ws, nRows, nPairs, twoSided) {
      exports.cellBounds(ws.table.byteOffset, nRows, ws.rowStride * 8, 2 * nPairs, ws.cellMax.byteOffset, ws.cellMin.byteOffset, ws.rowStride, twoSided ? 1 : 0);
    },
    combine(ws, rowOffset, la, lb, nPairs) {
      const row = ws.rowStride * 8;
      exports.combine(ws.table.byteOffset + rowOffset * row, ws.half.byteOffset, 1 << la, ws.half.byteOffset + (1 << la) * row, 1 << lb, row, nPairs * 16 * 8);
    },
    pruned(ws, count, nPairs, twoSided) {
      (twoSided ? exports.prunedTwo : exports.prunedOne)(
        ws.table.byteOffset, ws.rowStride * 8, ws.cellMax.byteOffset, ws.cellMin.byteOffset, ws.rowStride,
        ws.rows.byteOffset, ws.best.byteOffset, count, nPairs,
      );
    },
  };
}
