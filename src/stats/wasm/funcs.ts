/**
 * The WebAssembly functions of wasm-kernels.ts, written with the small encoder of
 * wasm-asm.ts. Every function takes byte addresses into the one imported memory. The
 * float64 arithmetic of each kernel is written in the same order as its plain TypeScript
 * twin in wasm-kernels.ts (JsKernels), so both give the same bits; a SIMD lane computes what
 * the scalar code computes for one column.
 */
import { code, I, type FuncDef } from './asm.js';

/** while (!(exit)) { body } — `exit` pushes an i32, non-zero to leave the loop. */
function whileNot(exit: number[], ...body: number[][]): number[] {
  return code(I.block, I.loop, exit, I.brIf(1), ...body, I.br(0), I.end, I.end);
}

/**
 * gemm(ap, m, k, b, c, out, bpack): out (m x c, row stride c) = A (m x k) · B (k x c, row
 * stride c), c a multiple of 4, with A packed by 4-row blocks (packA: block r holds, for each
 * l, the 4 values A[4r + 0..3][l], rows past m zero). For each 4-column block of B, packed
 * contiguous at `bpack` (k x 4; or read in place when bpack is 0) so that it stays in L1
 * whatever the row stride of B, every row block of A is multiplied by it with 8 two-lane
 * accumulators (4 rows x 4 columns); each output is one running sum over l in increasing
 * order, acc = acc + a·b, as the plain code computes it. Rows past m are not stored.
 */
export function gemmFunc(): FuncDef {
  // params
  const AP = 0, M = 1, K = 2, B = 3, C = 4, OUT = 5, BPACK = 6;
  // i32 locals
  const i = 7, v = 8, pa = 9, paEnd = 10, pb = 11, po = 12, c8 = 13, k32 = 14, bs = 15, pbase = 16, ps = 17, k8 = 18;
  // v128 locals
  const acc = [19, 20, 21, 22, 23, 24, 25, 26];
  const b0 = 27, b1 = 28, s = 29;
  const madd = (a: number, x: number) => code(I.get(a), I.get(s), I.get(x), I.f64x2mul, I.f64x2add, I.set(a));
  const rowStep = (r: number) => code(I.get(pa), I.v128load64splat(8 * r), I.set(s), madd(acc[2 * r], b0), madd(acc[2 * r + 1], b1));
  const inc = (x: number, by: number[]) => code(I.get(x), by, I.i32add, I.set(x));
  const storeRow = (r: number) => code(I.get(po), I.get(acc[2 * r]), I.v128store(0), I.get(po), I.get(acc[2 * r + 1]), I.v128store(16));
  // row i + r exists: (i + r < M)
  const ifRow = (r: number, body: number[]) => code(I.get(i), I.i32(r), I.i32add, I.get(M), I.i32ltS, [0x04, 0x40], body, I.end);
  const rowBlocks = whileNot(
    code(I.get(i), I.get(M), I.i32geS),
    ...acc.map((a) => code(I.v128zero, I.set(a))),
    // pa = AP + (i / 4) * k * 32 = AP + i * k * 8
    code(I.get(AP), I.get(i), I.get(k8), I.i32mul, I.i32add, I.set(pa)),
    code(I.get(pa), I.get(k32), I.i32add, I.set(paEnd)),
    code(I.get(pbase), I.set(pb)),
    whileNot(
      code(I.get(pa), I.get(paEnd), I.i32geS),
      code(I.get(pb), I.v128load(0), I.set(b0), I.get(pb), I.v128load(16), I.set(b1)),
      rowStep(0), rowStep(1), rowStep(2), rowStep(3),
      inc(pa, I.i32(32)),
      inc(pb, I.get(bs)),
    ),
    // po = OUT + (i*c + v)*8
    code(I.get(OUT), I.get(i), I.get(C), I.i32mul, I.get(v), I.i32add, I.i32(3), I.i32shl, I.i32add, I.set(po)),
    storeRow(0),
    ifRow(1, code(inc(po, I.get(c8)), storeRow(1))),
    ifRow(2, code(inc(po, I.get(c8)), storeRow(2))),
    ifRow(3, code(inc(po, I.get(c8)), storeRow(3))),
    inc(i, I.i32(4)),
  );
  const body = code(
    I.get(C), I.i32(3), I.i32shl, I.set(c8),
    I.get(K), I.i32(5), I.i32shl, I.set(k32),
    I.get(K), I.i32(3), I.i32shl, I.set(k8),
    I.i32(0), I.set(v),
    whileNot(
      code(I.get(v), I.get(C), I.i32geS),
      // pbase / bs: the packed copy of columns v..v+3 of B, or B itself
      code(I.get(B), I.get(v), I.i32(3), I.i32shl, I.i32add, I.set(pbase), I.get(c8), I.set(bs)),
      I.get(BPACK),
      [0x04, 0x40], // if
      code(
        I.get(pbase), I.set(ps), I.get(BPACK), I.set(pb),
        I.get(BPACK), I.get(k32), I.i32add, I.set(paEnd),
        whileNot(
          code(I.get(pb), I.get(paEnd), I.i32geS),
          I.get(pb), I.get(ps), I.v128load(0), I.v128store(0),
          I.get(pb), I.get(ps), I.v128load(16), I.v128store(16),
          inc(pb, I.i32(32)), inc(ps, I.get(c8)),
        ),
        I.get(BPACK), I.set(pbase), I.i32(32), I.set(bs),
      ),
      I.end,
      I.i32(0), I.set(i),
      rowBlocks,
      inc(v, I.i32(4)),
    ),
  );
  return {
    name: 'gemm',
    params: new Array(7).fill('i32'),
    locals: [...new Array(12).fill('i32'), ...new Array(11).fill('v128')],
    body,
  };
}

const inc = (x: number, by: number[]) => code(I.get(x), by, I.i32add, I.set(x));
/** base + (index << shift) */
const addr = (base: number[], index: number[], shift: number) => code(base, index, I.i32(shift), I.i32shl, I.i32add);
/** for (x = from; x < to; x += step) body */
const forRange = (x: number, from: number[], to: number[], step: number, ...body: number[][]) =>
  code(from, I.set(x), whileNot(code(I.get(x), to, I.i32geS), ...body, inc(x, I.i32(step))));

/**
 * whitenCols(stage, C, n, col0, cnt, rho, order, shift, dst): for the columns
 * col0 .. col0 + cs of the float32 n x C block `stage` (cs = cnt rounded up to 4; the
 * columns past cnt are computed too and ignored by the caller), shift[i] = stage[0, col0 + i]
 * and, row by row, two columns per f64x2:
 *   dst[t, i] = (y_t - sh) - Σ_{k=1..min(order,t)} rho[k-1] · (y_{t-k} - sh)
 * (float64, row stride cs). `stage` needs 3 readable values past its end. Orders 0 and 1
 * have their own loops (pointer increments, no inner loop over k).
 */
export function whitenColsFunc(): FuncDef {
  const STAGE = 0, C = 1, N = 2, COL0 = 3, CNT = 4, RHO = 5, ORDER = 6, SHIFT = 7, DST = 8;
  const cs = 9, t = 10, i = 11, kmax = 12, k = 13, ps = 14, pd = 15, rowB = 16, psh = 17, pl = 18;
  const sh = 19, v = 20, r = 21;
  const pairAt = (ptr: number[]) => code(ptr, I.v128load64zero(), I.f64x2promoteLow);
  // ps = STAGE + (t * C + col0) * 4 ; pd = DST + t * cs * 8
  const rowPtrs = code(
    I.get(STAGE), I.get(t), I.get(C), I.i32mul, I.get(COL0), I.i32add, I.i32(2), I.i32shl, I.i32add, I.set(ps),
    I.get(DST), I.get(t), I.get(cs), I.i32mul, I.i32(3), I.i32shl, I.i32add, I.set(pd),
    I.get(SHIFT), I.set(psh),
  );
  const step = code(inc(ps, I.i32(8)), inc(pd, I.i32(16)), inc(psh, I.i32(16)));
  const body = code(
    I.get(CNT), I.i32(3), I.i32add, I.i32(-4), I.i32and, I.set(cs),
    I.get(C), I.i32(2), I.i32shl, I.set(rowB),
    forRange(i, I.i32(0), I.get(cs), 2,
      code(I.get(SHIFT), I.get(i), I.i32(3), I.i32shl, I.i32add),
      pairAt(code(I.get(STAGE), I.get(COL0), I.get(i), I.i32add, I.i32(2), I.i32shl, I.i32add)),
      I.v128store()),
    // t = 0 (and every t for order 0): y_t - sh
    forRange(t, I.i32(0), code(I.get(ORDER), I.i32eqz, I.get(N), I.i32mul, I.i32(1), I.get(ORDER), I.i32eqz, I.i32sub, I.i32add), 1,
      rowPtrs,
      forRange(i, I.i32(0), I.get(cs), 2,
        I.get(pd), pairAt(I.get(ps)), I.get(psh), I.v128load(), I.f64x2sub, I.v128store(),
        step)),
    // order 1: (y_t - sh) - rho·(y_{t-1} - sh)
    I.get(ORDER), I.i32(1), I.i32sub, I.i32eqz,
    [0x04, 0x40], // if
    code(I.get(RHO), I.f64load(), I.f64x2splat, I.set(r)),
    forRange(t, I.i32(1), I.get(N), 1,
      rowPtrs,
      code(I.get(ps), I.get(rowB), I.i32sub, I.set(pl)),
      forRange(i, I.i32(0), I.get(cs), 2,
        I.get(pd),
        code(I.get(psh), I.v128load(), I.set(sh)),
        pairAt(I.get(ps)), I.get(sh), I.f64x2sub,
        I.get(r), pairAt(I.get(pl)), I.get(sh), I.f64x2sub, I.f64x2mul,
        I.f64x2sub, I.v128store(),
        step, inc(pl, I.i32(8)))),
    I.end,
    // order >= 2: the general loop over k
    I.get(ORDER), I.i32(2), I.i32geS,
    [0x04, 0x40],
    forRange(t, I.i32(1), I.get(N), 1,
      code(I.get(t), I.get(ORDER), I.get(t), I.get(ORDER), I.i32ltS, I.select, I.set(kmax)),
      rowPtrs,
      forRange(i, I.i32(0), I.get(cs), 2,
        code(I.get(psh), I.v128load(), I.set(sh)),
        code(pairAt(I.get(ps)), I.get(sh), I.f64x2sub, I.set(v)),
        code(I.get(ps), I.set(pl)),
        forRange(k, I.i32(1), code(I.get(kmax), I.i32(1), I.i32add), 1,
          inc(pl, code(I.i32(0), I.get(rowB), I.i32sub)),
          I.get(v),
          addr(I.get(RHO), code(I.get(k), I.i32(1), I.i32sub), 3), I.f64load(), I.f64x2splat,
          pairAt(I.get(pl)), I.get(sh), I.f64x2sub,
          I.f64x2mul, I.f64x2sub, I.set(v)),
        code(I.get(pd), I.get(v), I.v128store()),
        step)),
    I.end,
  );
  return { name: 'whitenCols', params: new Array(9).fill('i32'), locals: [...new Array(10).fill('i32'), 'v128', 'v128', 'v128'], body };
}

/**
 * colStats(wy, n, cs, r1, w1, shift, ss, sr, sy, sy2): per column i of the float64 n x cs
 * block wy (two columns per f64x2):
 *   ss = Σ_t wy_t²,  sr = Σ_t r1_t·wy_t,  with d_t = (wy_t - wy_0) + shift·(w1_t - w1_0):
 *   sy = Σ_{t>=1} d_t,  sy2 = Σ_{t>=1} d_t²
 */
export function colStatsFunc(): FuncDef {
  const WY = 0, N = 1, CS = 2, R1 = 3, W1 = 4, SHIFT = 5, SS = 6, SR = 7, SY = 8, SY2 = 9;
  const i = 10, t = 11, p = 12, rowB = 13, off = 14;
  const w10 = 15;
  const v0 = 16, sh = 17, a = 18, b = 19, m1 = 20, m2 = 21, v = 22, d = 23;
  const body = code(
    I.get(CS), I.i32(3), I.i32shl, I.set(rowB),
    I.get(W1), I.f64load(), I.set(w10),
    forRange(i, I.i32(0), I.get(CS), 2,
      code(I.get(i), I.i32(3), I.i32shl, I.set(off)),
      code(I.get(WY), I.get(off), I.i32add, I.v128load(), I.set(v0)),
      code(I.get(SHIFT), I.get(off), I.i32add, I.v128load(), I.set(sh)),
      code(I.get(v0), I.get(v0), I.f64x2mul, I.set(a)),
      code(I.get(R1), I.f64load(), I.f64x2splat, I.get(v0), I.f64x2mul, I.set(b)),
      code(I.v128zero, I.set(m1), I.v128zero, I.set(m2)),
      code(I.get(WY), I.get(off), I.i32add, I.get(rowB), I.i32add, I.set(p)),
      forRange(t, I.i32(1), I.get(N), 1,
        code(I.get(p), I.v128load(), I.set(v)),
        code(I.get(a), I.get(v), I.get(v), I.f64x2mul, I.f64x2add, I.set(a)),
        code(I.get(b), addr(I.get(R1), I.get(t), 3), I.f64load(), I.f64x2splat, I.get(v), I.f64x2mul, I.f64x2add, I.set(b)),
        code(I.get(v), I.get(v0), I.f64x2sub, I.get(sh), addr(I.get(W1), I.get(t), 3), I.f64load(), I.get(w10), I.f64sub, I.f64x2splat, I.f64x2mul, I.f64x2add, I.set(d)),
        code(I.get(m1), I.get(d), I.f64x2add, I.set(m1)),
        code(I.get(m2), I.get(d), I.get(d), I.f64x2mul, I.f64x2add, I.set(m2)),
        inc(p, I.get(rowB))),
      code(I.get(SS), I.get(off), I.i32add, I.get(a), I.v128store()),
      code(I.get(SR), I.get(off), I.i32add, I.get(b), I.v128store()),
      code(I.get(SY), I.get(off), I.i32add, I.get(m1), I.v128store()),
      code(I.get(SY2), I.get(off), I.i32add, I.get(m2), I.v128store())),
  );
  return { name: 'colStats', params: new Array(10).fill('i32'), locals: [...new Array(5).fill('i32'), 'f64', ...new Array(8).fill('v128')], body };
}

/**
 * olsArSums(prod, cs, p, order, lagW, r1Lag, colSum, headSum, tailSum, r1Sum, r1Head, r1Tail,
 * lagY, sum, headY, tailY, shift, out): the per-voxel Yule-Walker sums of the OLS pass
 * (OlsArAccumulator.add, ar-estimate.ts) for the cs columns of a chunk, two columns per f64x2,
 * from the stacked product `prod` (rows θ'_j = 0..p-1, A_kᵀy' at k·p + j, a_kᵀy' at
 * (order + 1)·p + k; row stride cs), the lagStats rows and the shifts c = shift[i]:
 *   Q_k = Σ_j (M_jj·θ_j)·θ_j + Σ_{j<l} ((M_jl + M_jl)·θ_j)·θ_l   (M = lagW[k], p x p; that order)
 *   U_k = Σ_j θ_j·(A_kᵀy')_j  (k >= 1, from 0 in increasing j)
 *   L_k = (lk + c·a_kᵀy') + (c·c)·r1Lag[k],  lk = lagY_0 - Q_0 (k = 0), (lagY_k - U_k) + Q_k
 *   S   = (sum - Σ_j colSum_j·θ_j) + c·r1Sum
 *   H_k = (headY_k - Σ_j headSum[k·p + j]·θ_j) + c·r1Head[k]   (k >= 1; each Σ a running
 *   T_k = (tailY_k - Σ_j tailSum[k·p + j]·θ_j) + c·r1Tail[k]    difference in increasing j)
 * Rows of `out` (stride cs): L_0..L_order, S, H_1..H_order, T_1..T_order. The lag matrices
 * lagW[k] lie one after the other; r1Sum is one value. cs must be a multiple of 4.
 */
export function olsArSumsFunc(): FuncDef {
  const PROD = 0, CS = 1, P = 2, ORDER = 3, LAGW = 4, R1LAG = 5, COLSUM = 6, HEADSUM = 7, TAILSUM = 8, R1SUM = 9, R1HEAD = 10, R1TAIL = 11;
  const LAGY = 12, SUM = 13, HEADY = 14, TAILY = 15, SHIFT = 16, OUT = 17;
  const i = 18, off = 19, j = 20, l = 21, k = 22, pm = 23, rowB = 24, pj = 25, pl = 26, pt = 27; // i32
  // v128, two of each: four columns per iteration (two column pairs, memory offsets 0 and 16),
  // so that two chains of dependent additions run side by side
  // v128, two of each: four columns per iteration (two column pairs, memory offsets 0 and 16),
  // and the quadratic forms of two lags at a time (k and k + 1), so that four chains of
  // dependent additions run side by side
  const sh = [28, 29], quad = [30, 31], u = [32, 33], d = [34, 35], tj = [36, 37], x = [38, 39], mv = 40, quad2 = [41, 42], mv2 = 43;
  const mat = 44; // f64
  const pm2 = 45, kk = 46; // i32
  const H = [0, 1];
  const both = (f: (h: number) => number[]) => code(...H.map(f));
  /** Address of row `row` of a cs-stride block at `base`, the four columns of `off`. */
  const at = (base: number, row: number[]) => code(I.get(base), row, I.get(rowB), I.i32mul, I.i32add, I.get(off), I.i32add);
  const splat = (base: number, index: number[]) => code(addr(I.get(base), index, 3), I.v128load64splat());
  const orderPlus = (a: number) => code(I.get(ORDER), I.i32(a), I.i32add);
  /** v = row's two column pairs (v[h] at offset 16·h). */
  const loadRow = (row: number[], v: number[]) => code(at(PROD, row), I.set(pt), both((h) => code(I.get(pt), I.v128load(16 * h), I.set(v[h]))));
  const matAt = (m: number, row: number[], col: number[]) => addr(I.get(m), code(row, I.get(P), I.i32mul, col, I.i32add), 3);
  // Q_k into quad, Q_{k+1} into quad2 (lagW[k + 1] at pm2; pm2 = pm when k = order)
  const quadForm = code(
    both((h) => code(I.v128zero, I.set(quad[h]), I.v128zero, I.set(quad2[h]))),
    forRange(j, I.i32(0), I.get(P), 1,
      code(at(PROD, I.get(j)), I.set(pj), both((h) => code(I.get(pj), I.v128load(16 * h), I.set(tj[h])))),
      code(matAt(pm, I.get(j), I.get(j)), I.v128load64splat(), I.set(mv)),
      code(matAt(pm2, I.get(j), I.get(j)), I.v128load64splat(), I.set(mv2)),
      both((h) => code(
        I.get(quad[h]), I.get(mv), I.get(tj[h]), I.f64x2mul, I.get(tj[h]), I.f64x2mul, I.f64x2add, I.set(quad[h]),
        I.get(quad2[h]), I.get(mv2), I.get(tj[h]), I.f64x2mul, I.get(tj[h]), I.f64x2mul, I.f64x2add, I.set(quad2[h]))),
      code(I.get(pj), I.get(rowB), I.i32add, I.set(pl)),
      forRange(l, code(I.get(j), I.i32(1), I.i32add), I.get(P), 1,
        code(matAt(pm, I.get(j), I.get(l)), I.f64load(), I.tee(mat), I.get(mat), I.f64add, I.f64x2splat, I.set(mv)),
        code(matAt(pm2, I.get(j), I.get(l)), I.f64load(), I.tee(mat), I.get(mat), I.f64add, I.f64x2splat, I.set(mv2)),
        both((h) => code(I.get(pl), I.v128load(16 * h), I.set(x[h]),
          I.get(mv), I.get(tj[h]), I.f64x2mul, I.get(x[h]), I.f64x2mul, I.get(quad[h]), I.f64x2add, I.set(quad[h]),
          I.get(mv2), I.get(tj[h]), I.f64x2mul, I.get(x[h]), I.f64x2mul, I.get(quad2[h]), I.f64x2add, I.set(quad2[h]))),
        inc(pl, I.get(rowB)))),
  );
  /** L_kk from the quadratic form in q. */
  const lagTail = (q: number[]) => code(
    code(at(LAGY, I.get(kk)), I.set(pt), both((h) => code(I.get(pt), I.v128load(16 * h), I.set(x[h])))),
    I.get(kk), I.i32eqz,
    [0x04, 0x40], both((h) => code(I.get(x[h]), I.get(q[h]), I.f64x2sub, I.set(x[h]))),
    [0x05],
    code(
      both((h) => code(I.v128zero, I.set(u[h]))),
      forRange(j, I.i32(0), I.get(P), 1,
        loadRow(I.get(j), tj),
        loadRow(code(I.get(kk), I.get(P), I.i32mul, I.get(j), I.i32add), d),
        both((h) => code(I.get(u[h]), I.get(tj[h]), I.get(d[h]), I.f64x2mul, I.f64x2add, I.set(u[h])))),
      both((h) => code(I.get(x[h]), I.get(u[h]), I.f64x2sub, I.get(q[h]), I.f64x2add, I.set(x[h])))),
    I.end,
    loadRow(code(orderPlus(1), I.get(P), I.i32mul, I.get(kk), I.i32add), d),
    code(splat(R1LAG, I.get(kk)), I.set(mv)),
    code(at(OUT, I.get(kk)), I.set(pt)),
    both((h) => code(I.get(pt),
      I.get(x[h]), I.get(sh[h]), I.get(d[h]), I.f64x2mul, I.f64x2add,
      I.get(sh[h]), I.get(sh[h]), I.f64x2mul, I.get(mv), I.f64x2mul, I.f64x2add,
      I.v128store(16 * h))),
  );
  const matBytes = code(I.get(P), I.get(P), I.i32mul, I.i32(3), I.i32shl);
  // lags k and k + 1 (k + 1 <= order) or k alone (k = order)
  const lagRows = code(
    code(I.get(pm), I.get(k), I.get(ORDER), I.i32ltS, matBytes, I.i32mul, I.i32add, I.set(pm2)),
    quadForm,
    code(I.get(k), I.set(kk)), lagTail(quad),
    code(I.get(k), I.get(ORDER), I.i32ltS), [0x04, 0x40],
    code(I.get(k), I.i32(1), I.i32add, I.set(kk)), lagTail(quad2),
    I.end,
    code(I.get(pm), matBytes, I.i32(1), I.i32shl, I.i32add, I.set(pm)),
  );
  const sumRow = code(
    both((h) => code(I.v128zero, I.set(u[h]))),
    forRange(j, I.i32(0), I.get(P), 1,
      loadRow(I.get(j), tj),
      code(splat(COLSUM, I.get(j)), I.set(mv)),
      both((h) => code(I.get(u[h]), I.get(mv), I.get(tj[h]), I.f64x2mul, I.f64x2add, I.set(u[h])))),
    code(splat(R1SUM, I.i32(0)), I.set(mv)),
    code(at(OUT, orderPlus(1)), I.set(pt)),
    both((h) => code(I.get(pt), I.get(SUM), I.get(off), I.i32add, I.v128load(16 * h), I.get(u[h]), I.f64x2sub,
      I.get(sh[h]), I.get(mv), I.f64x2mul, I.f64x2add, I.v128store(16 * h))),
  );
  const headTail = forRange(k, I.i32(1), orderPlus(1), 1,
    code(at(HEADY, I.get(k)), I.set(pt), both((h) => code(I.get(pt), I.v128load(16 * h), I.set(u[h])))),
    code(at(TAILY, I.get(k)), I.set(pt), both((h) => code(I.get(pt), I.v128load(16 * h), I.set(d[h])))),
    forRange(j, I.i32(0), I.get(P), 1,
      loadRow(I.get(j), tj),
      code(splat(HEADSUM, code(I.get(k), I.get(P), I.i32mul, I.get(j), I.i32add)), I.set(mv)),
      both((h) => code(I.get(u[h]), I.get(mv), I.get(tj[h]), I.f64x2mul, I.f64x2sub, I.set(u[h]))),
      code(splat(TAILSUM, code(I.get(k), I.get(P), I.i32mul, I.get(j), I.i32add)), I.set(mv)),
      both((h) => code(I.get(d[h]), I.get(mv), I.get(tj[h]), I.f64x2mul, I.f64x2sub, I.set(d[h])))),
    code(splat(R1HEAD, I.get(k)), I.set(mv)),
    code(at(OUT, code(orderPlus(1), I.get(k), I.i32add)), I.set(pt)),
    both((h) => code(I.get(pt), I.get(u[h]), I.get(sh[h]), I.get(mv), I.f64x2mul, I.f64x2add, I.v128store(16 * h))),
    code(splat(R1TAIL, I.get(k)), I.set(mv)),
    code(at(OUT, code(I.get(ORDER), I.i32(1), I.i32shl, I.i32(1), I.i32add, I.get(k), I.i32add)), I.set(pt)),
    both((h) => code(I.get(pt), I.get(d[h]), I.get(sh[h]), I.get(mv), I.f64x2mul, I.f64x2add, I.v128store(16 * h))),
  );
  const body = code(
    I.get(CS), I.i32(3), I.i32shl, I.set(rowB),
    forRange(i, I.i32(0), I.get(CS), 4,
      code(I.get(i), I.i32(3), I.i32shl, I.set(off)),
      both((h) => code(I.get(SHIFT), I.get(off), I.i32add, I.v128load(16 * h), I.set(sh[h]))),
      code(I.get(LAGW), I.set(pm)),
      forRange(k, I.i32(0), orderPlus(1), 2, lagRows),
      sumRow,
      headTail),
  );
  return { name: 'olsArSums', params: new Array(18).fill('i32'), locals: [...new Array(10).fill('i32'), ...new Array(16).fill('v128'), 'f64', 'i32', 'i32'], body };
}

/**
 * lagStats(wy, n, cs, order, sum, lag, head, tail): per column of the float64 n x cs block:
 *   sum = Σ_t wy_t,  lag[k] = Σ_{t<n-k} wy_t·wy_{t+k} (k = 0..order),
 *   head[k] = Σ_{t<k} wy_t,  tail[k] = Σ_{t>=n-k} wy_t (k = 1..order); row k of lag / head /
 *   tail at k·cs. Sums in increasing t.
 */
export function lagStatsFunc(): FuncDef {
  const WY = 0, N = 1, CS = 2, ORDER = 3, SUM = 4, LAG = 5, HEAD = 6, TAIL = 7;
  const i = 8, t = 9, k = 10, p = 11, q = 12, rowB = 13, off = 14, lim = 15;
  const s = 16, l = 17;
  const store = (base: number, row: number[]) => code(I.get(base), row, I.get(rowB), I.i32mul, I.i32add, I.get(off), I.i32add, I.get(l), I.v128store());
  const prev = 18, l1 = 19, v = 20;
  // order 1, one pass per column pair: sum, lag 0 and lag 1 together (same sums, same order)
  const fused = code(
    forRange(i, I.i32(0), I.get(CS), 2,
      code(I.get(i), I.i32(3), I.i32shl, I.set(off)),
      code(I.get(WY), I.get(off), I.i32add, I.set(p)),
      code(I.get(p), I.v128load(), I.set(prev)),
      code(I.v128zero, I.get(prev), I.f64x2add, I.set(s), I.get(prev), I.get(prev), I.f64x2mul, I.set(l)),
      code(I.v128zero, I.set(l1)),
      inc(p, I.get(rowB)),
      forRange(t, I.i32(1), I.get(N), 1,
        code(I.get(p), I.v128load(), I.set(v)),
        code(I.get(s), I.get(v), I.f64x2add, I.set(s)),
        code(I.get(l), I.get(v), I.get(v), I.f64x2mul, I.f64x2add, I.set(l)),
        code(I.get(l1), I.get(prev), I.get(v), I.f64x2mul, I.f64x2add, I.set(l1)),
        code(I.get(v), I.set(prev)),
        inc(p, I.get(rowB))),
      code(I.get(SUM), I.get(off), I.i32add, I.get(s), I.v128store()),
      code(I.get(LAG), I.get(off), I.i32add, I.get(l), I.v128store()),
      code(I.get(LAG), I.get(rowB), I.i32add, I.get(off), I.i32add, I.get(l1), I.v128store()),
      // head[1] = y_0, tail[1] = y_{n-1}
      code(I.get(HEAD), I.get(rowB), I.i32add, I.get(off), I.i32add, I.v128zero, I.get(WY), I.get(off), I.i32add, I.v128load(), I.f64x2add, I.v128store()),
      code(I.get(TAIL), I.get(rowB), I.i32add, I.get(off), I.i32add, I.v128zero, I.get(prev), I.f64x2add, I.v128store())),
  );
  const body = code(
    I.get(CS), I.i32(3), I.i32shl, I.set(rowB),
    I.get(ORDER), I.i32(1), I.i32sub, I.i32eqz,
    [0x04, 0x40], fused, [0x05], // if order == 1 ... else
    forRange(i, I.i32(0), I.get(CS), 2,
      code(I.get(i), I.i32(3), I.i32shl, I.set(off)),
      code(I.v128zero, I.set(s), I.get(WY), I.get(off), I.i32add, I.set(p)),
      forRange(t, I.i32(0), I.get(N), 1, I.get(s), I.get(p), I.v128load(), I.f64x2add, I.set(s), inc(p, I.get(rowB))),
      code(I.get(SUM), I.get(off), I.i32add, I.get(s), I.v128store()),
      forRange(k, I.i32(0), code(I.get(ORDER), I.i32(1), I.i32add), 1,
        code(I.v128zero, I.set(l), I.get(WY), I.get(off), I.i32add, I.set(p)),
        code(I.get(p), I.get(k), I.get(rowB), I.i32mul, I.i32add, I.set(q)),
        forRange(t, I.get(k), I.get(N), 1,
          I.get(l), I.get(p), I.v128load(), I.get(q), I.v128load(), I.f64x2mul, I.f64x2add, I.set(l),
          inc(p, I.get(rowB)), inc(q, I.get(rowB))),
        store(LAG, I.get(k))),
      forRange(k, I.i32(1), code(I.get(ORDER), I.i32(1), I.i32add), 1,
        // head: t < min(k, n)
        code(I.get(k), I.get(N), I.get(k), I.get(N), I.i32ltS, I.select, I.set(lim)),
        code(I.v128zero, I.set(l), I.get(WY), I.get(off), I.i32add, I.set(p)),
        forRange(t, I.i32(0), I.get(lim), 1, I.get(l), I.get(p), I.v128load(), I.f64x2add, I.set(l), inc(p, I.get(rowB))),
        store(HEAD, I.get(k)),
        // tail: t from max(0, n - k)
        code(I.get(N), I.get(k), I.i32sub, I.i32(0), I.get(N), I.get(k), I.i32sub, I.i32(0), I.i32gtS, I.select, I.set(lim)),
        code(I.v128zero, I.set(l), I.get(WY), I.get(off), I.i32add, I.get(lim), I.get(rowB), I.i32mul, I.i32add, I.set(p)),
        forRange(t, I.get(lim), I.get(N), 1, I.get(l), I.get(p), I.v128load(), I.f64x2add, I.set(l), inc(p, I.get(rowB))),
        store(TAIL, I.get(k)))),
    I.end,
  );
  return { name: 'lagStats', params: new Array(8).fill('i32'), locals: [...new Array(8).fill('i32'), 'v128', 'v128', 'v128', 'v128', 'v128'], body };
}

/**
 * whitenLagStats(stage, C, n, cnt, shift, dst, sum, lag, head, tail): whitenCols with order 0
 * (col0 = 0) and lagStats with order 1 in one pass over the float32 n x C block `stage`, column
 * pair by column pair: shift[i] = y_0, dst[t, i] = y_t - shift[i] (row stride cs = cnt rounded
 * up to 4), and the sums of lagStats's order-1 loop from those values, in the same order
 * (sum = 0 + Σ, lag[0] = Σ v², lag[1] = 0 + Σ v_{t-1}·v_t, head[1] = 0 + v_0, tail[1] = 0 + v_{n-1}).
 * Four columns at a time (cnt rounded up to 4 are read, as whitenCols does).
 */
export function whitenLagStatsFunc(): FuncDef {
  const STAGE = 0, C = 1, N = 2, CNT = 3, SHIFT = 4, DST = 5, SUM = 6, LAG = 7, HEAD = 8, TAIL = 9;
  const cs = 10, i = 11, t = 12, ps = 13, pd = 14, rowS = 15, rowD = 16, off = 17; // i32
  // v128, two of each: four columns per iteration (column pairs h = 0, 1: stage bytes 8h,
  // float64 bytes 16h), two independent chains per sum
  const sh = [18, 19], v = [20, 21], prev = [22, 23], s = [24, 25], l = [26, 27], l1 = [28, 29], v0 = [30, 31];
  const both = (f: (h: number) => number[]) => code(f(0), f(1));
  const pairAt = (ptr: number[], h: number) => code(ptr, I.v128load64zero(8 * h), I.f64x2promoteLow);
  const store = (base: number, row: number[], value: (h: number) => number[]) =>
    both((h) => code(I.get(base), row, I.i32add, I.get(off), I.i32add, value(h), I.v128store(16 * h)));
  const body = code(
    I.get(CNT), I.i32(3), I.i32add, I.i32(-4), I.i32and, I.set(cs),
    I.get(C), I.i32(2), I.i32shl, I.set(rowS),
    I.get(cs), I.i32(3), I.i32shl, I.set(rowD),
    forRange(i, I.i32(0), I.get(cs), 4,
      code(I.get(i), I.i32(3), I.i32shl, I.set(off)),
      code(addr(I.get(STAGE), I.get(i), 2), I.set(ps), I.get(DST), I.get(off), I.i32add, I.set(pd)),
      both((h) => code(
        code(pairAt(I.get(ps), h), I.set(sh[h])),
        code(I.get(SHIFT), I.get(off), I.i32add, I.get(sh[h]), I.v128store(16 * h)),
        code(pairAt(I.get(ps), h), I.get(sh[h]), I.f64x2sub, I.tee(prev[h]), I.set(v0[h])),
        code(I.get(pd), I.get(prev[h]), I.v128store(16 * h)),
        code(I.v128zero, I.get(prev[h]), I.f64x2add, I.set(s[h]), I.get(prev[h]), I.get(prev[h]), I.f64x2mul, I.set(l[h])),
        code(I.v128zero, I.set(l1[h])))),
      inc(ps, I.get(rowS)), inc(pd, I.get(rowD)),
      forRange(t, I.i32(1), I.get(N), 1,
        both((h) => code(
          code(pairAt(I.get(ps), h), I.get(sh[h]), I.f64x2sub, I.set(v[h])),
          code(I.get(pd), I.get(v[h]), I.v128store(16 * h)),
          code(I.get(s[h]), I.get(v[h]), I.f64x2add, I.set(s[h])),
          code(I.get(l[h]), I.get(v[h]), I.get(v[h]), I.f64x2mul, I.f64x2add, I.set(l[h])),
          code(I.get(l1[h]), I.get(prev[h]), I.get(v[h]), I.f64x2mul, I.f64x2add, I.set(l1[h])),
          code(I.get(v[h]), I.set(prev[h])))),
        inc(ps, I.get(rowS)), inc(pd, I.get(rowD))),
      store(SUM, I.i32(0), (h) => I.get(s[h])),
      store(LAG, I.i32(0), (h) => I.get(l[h])),
      store(LAG, I.get(rowD), (h) => I.get(l1[h])),
      store(HEAD, I.get(rowD), (h) => code(I.v128zero, I.get(v0[h]), I.f64x2add)),
      store(TAIL, I.get(rowD), (h) => code(I.v128zero, I.get(prev[h]), I.f64x2add))),
  );
  return { name: 'whitenLagStats', params: new Array(10).fill('i32'), locals: [...new Array(8).fill('i32'), ...new Array(14).fill('v128')], body };
}

/**
 * gatherCols(src, dst, C, n, order, c): dst[t, i] = src[t, order[i]] for i < c, t < n
 * (float32 n x C blocks, order an i32 array): the chunk's voxels sorted by label.
 */
export function gatherColsFunc(): FuncDef {
  const SRC = 0, DST = 1, C = 2, N = 3, ORD = 4, CNT = 5;
  const t = 6, ps = 7, pd = 8, po = 9, pend = 10, rowB = 11;
  const body = code(
    I.get(C), I.i32(2), I.i32shl, I.set(rowB),
    forRange(t, I.i32(0), I.get(N), 1,
      code(I.get(SRC), I.get(t), I.get(rowB), I.i32mul, I.i32add, I.set(ps)),
      code(I.get(DST), I.get(t), I.get(rowB), I.i32mul, I.i32add, I.set(pd)),
      // four values per iteration, then the cnt % 4 left
      code(I.get(ORD), I.set(po), I.get(ORD), I.get(CNT), I.i32(-4), I.i32and, I.i32(2), I.i32shl, I.i32add, I.set(pend)),
      whileNot(code(I.get(po), I.get(pend), I.i32geS),
        ...[0, 1, 2, 3].map((k) => code(I.get(pd), I.get(ps), I.get(po), I.i32load(4 * k), I.i32(2), I.i32shl, I.i32add, I.f32load(), I.f32store(4 * k))),
        inc(pd, I.i32(16)), inc(po, I.i32(16))),
      code(I.get(ORD), I.get(CNT), I.i32(2), I.i32shl, I.i32add, I.set(pend)),
      whileNot(code(I.get(po), I.get(pend), I.i32geS),
        I.get(pd), I.get(ps), I.get(po), I.i32load(), I.i32(2), I.i32shl, I.i32add, I.f32load(), I.f32store(),
        inc(pd, I.i32(4)), inc(po, I.i32(4)))),
  );
  return { name: 'gatherCols', params: new Array(6).fill('i32'), locals: new Array(6).fill('i32'), body };
}

/**
 * addRowF32(acc, row, n): acc[i] = acc[i] + row[i] in float32 (four per f32x4), as numpy's
 * float32 reduction along axis 0 accumulates row after row.
 */
export function addRowF32Func(): FuncDef {
  const ACC = 0, ROW = 1, N = 2;
  const i = 3, pa = 4, pr = 5;
  const body = code(
    I.get(ACC), I.set(pa), I.get(ROW), I.set(pr),
    forRange(i, I.i32(0), code(I.get(N), I.i32(-4), I.i32and), 4,
      I.get(pa), I.get(pa), I.v128load(), I.get(pr), I.v128load(), I.f32x4add, I.v128store(),
      inc(pa, I.i32(16)), inc(pr, I.i32(16))),
    whileNot(code(I.get(i), I.get(N), I.i32geS),
      I.get(pa), I.get(pa), I.f32load(), I.get(pr), I.f32load(), I.f32add, I.f32store(),
      inc(pa, I.i32(4)), inc(pr, I.i32(4)), inc(i, I.i32(1))),
  );
  return { name: 'addRowF32', params: ['i32', 'i32', 'i32'], locals: ['i32', 'i32', 'i32'], body };
}

/**
 * scaleRowF32(row, mean, n): row[i] = 100 · ((row[i] / mean[i]) - 1), every step rounded to
 * float32 (nilearn's mean_scaling on a float32 array).
 */
export function scaleRowF32Func(): FuncDef {
  const ROW = 0, MEAN = 1, N = 2;
  const i = 3, pr = 4, pm = 5;
  const body = code(
    I.get(ROW), I.set(pr), I.get(MEAN), I.set(pm),
    forRange(i, I.i32(0), code(I.get(N), I.i32(-4), I.i32and), 4,
      I.get(pr),
      I.f32const(100), I.f32x4splat,
      I.get(pr), I.v128load(), I.get(pm), I.v128load(), I.f32x4div, I.f32const(1), I.f32x4splat, I.f32x4sub,
      I.f32x4mul, I.v128store(),
      inc(pr, I.i32(16)), inc(pm, I.i32(16))),
    whileNot(code(I.get(i), I.get(N), I.i32geS),
      I.get(pr),
      I.f32const(100),
      I.get(pr), I.f32load(), I.get(pm), I.f32load(), I.f32div, I.f32const(1), I.f32sub,
      I.f32mul, I.f32store(),
      inc(pr, I.i32(4)), inc(pm, I.i32(4)), inc(i, I.i32(1))),
  );
  return { name: 'scaleRowF32', params: ['i32', 'i32', 'i32'], locals: ['i32', 'i32', 'i32'], body };
}

/**
 * refitStats(stage, C, col0, n, wy, pred, cs, r1, dh1, dw1, h1, shift, out, resid): the
 * per-voxel sums of the refit of one AR group (fit-labelled.ts), for the cs columns of the
 * float64 n x cs blocks wy (whitened data, shifted by c = shift[i]) and pred (W·θ' of the
 * shifted data), two columns per f64x2, with the per-model n-vectors r1 (the whitened
 * constant's residual), dh1 / dw1 (h1 = W·pinv(W)·w1 and w1 minus their first value) and h1:
 *   r_t = (wy_t - pred_t) + c·r1_t                  out[0]  = Σ r_t²            (SSE)
 *   dp_t = (pred_t - pred_0) + c·dh1_t              out[1]  = Σ dp² - (Σ dp)²/n  (n·var(W·θ))
 *   dy_t = (wy_t - wy_0) + c·dw1_t                  out[2]  = Σ dy² - (Σ dy)²/n  (n·var(wy))
 * and with resid != 0, for y the float32 data (stage columns col0 + i, row stride C):
 *   e_t = (y_t - pred_t) - c·h1_t,  m = (Σ e)/n,    out[3]  = (Σ (e_t - m)²) / n (numpy.var)
 * (out[k] at out + k·cs·8). With resid, e_t (nilearn's residual) replaces pred_t in `pred`:
 * the second pass (two-pass variance) and the residual series read it from there.
 * `stage` needs 2 readable values past column col0 + cs - 1.
 */
export function refitStatsFunc(): FuncDef {
  const STAGE = 0, C = 1, COL0 = 2, N = 3, WY = 4, PRED = 5, CS = 6, R1 = 7, DH1 = 8, DW1 = 9, H1 = 10, SHIFT = 11, OUT = 12, RESID = 13;
  const i = 14, t = 15, ps = 16, pw = 17, pp = 18, rowS = 19, rowD = 20, off = 21, t8 = 22;
  const nv = 23, sh = 24, wy0 = 25, p0 = 26, e2 = 27, sp = 28, sp2 = 29, sy = 30, sy2 = 31, se = 32, wv = 33, pv = 34, d = 35, m = 36;
  const at = (arr: number) => code(I.get(arr), I.get(t8), I.i32add, I.v128load64splat());
  const startRows = code(
    addr(I.get(STAGE), code(I.get(COL0), I.get(i), I.i32add), 2), I.set(ps),
    I.get(WY), I.get(off), I.i32add, I.set(pw),
    I.get(PRED), I.get(off), I.i32add, I.set(pp),
    I.i32(0), I.set(t8),
  );
  const step = code(inc(ps, I.get(rowS)), inc(pw, I.get(rowD)), inc(pp, I.get(rowD)), inc(t8, I.i32(8)));
  const sq = (acc: number) => code(I.get(acc), I.get(d), I.get(d), I.f64x2mul, I.f64x2add, I.set(acc));
  const add = (acc: number) => code(I.get(acc), I.get(d), I.f64x2add, I.set(acc));
  // e_t = (y_t - pred_t) - c·h1_t
  const e = code(I.get(ps), I.v128load64zero(), I.f64x2promoteLow, I.get(pv), I.f64x2sub, I.get(sh), at(H1), I.f64x2mul, I.f64x2sub);
  const store = (k: number, value: number[]) =>
    code(I.get(OUT), I.get(off), I.i32add, I.get(CS), I.i32(3 + 0), I.i32shl, I.i32(k), I.i32mul, I.i32add, value, I.v128store());
  const body = code(
    I.get(C), I.i32(2), I.i32shl, I.set(rowS),
    I.get(CS), I.i32(3), I.i32shl, I.set(rowD),
    I.get(N), I.f64convertI32S, I.f64x2splat, I.set(nv),
    forRange(i, I.i32(0), I.get(CS), 2,
      code(I.get(i), I.i32(3), I.i32shl, I.set(off)),
      code(I.get(SHIFT), I.get(off), I.i32add, I.v128load(), I.set(sh)),
      code(I.get(WY), I.get(off), I.i32add, I.v128load(), I.set(wy0)),
      code(I.get(PRED), I.get(off), I.i32add, I.v128load(), I.set(p0)),
      ...[e2, sp, sp2, sy, sy2, se].map((a) => code(I.v128zero, I.set(a))),
      startRows,
      forRange(t, I.i32(0), I.get(N), 1,
        code(I.get(pw), I.v128load(), I.set(wv), I.get(pp), I.v128load(), I.set(pv)),
        code(I.get(wv), I.get(pv), I.f64x2sub, I.get(sh), at(R1), I.f64x2mul, I.f64x2add, I.set(d)), sq(e2),
        code(I.get(pv), I.get(p0), I.f64x2sub, I.get(sh), at(DH1), I.f64x2mul, I.f64x2add, I.set(d)), add(sp), sq(sp2),
        code(I.get(wv), I.get(wy0), I.f64x2sub, I.get(sh), at(DW1), I.f64x2mul, I.f64x2add, I.set(d)), add(sy), sq(sy2),
        I.get(RESID), [0x04, 0x40], code(e, I.set(d), I.get(pp), I.get(d), I.v128store(), I.get(se), I.get(d), I.f64x2add, I.set(se)), I.end,
        step),
      store(0, I.get(e2)),
      store(1, code(I.get(sp2), I.get(sp), I.get(sp), I.f64x2mul, I.get(nv), I.f64x2div, I.f64x2sub)),
      store(2, code(I.get(sy2), I.get(sy), I.get(sy), I.f64x2mul, I.get(nv), I.f64x2div, I.f64x2sub)),
      I.get(RESID), [0x04, 0x40],
      code(
        I.get(se), I.get(nv), I.f64x2div, I.set(m),
        I.v128zero, I.set(se),
        code(I.get(PRED), I.get(off), I.i32add, I.set(pp)),
        forRange(t, I.i32(0), I.get(N), 1,
          code(I.get(pp), I.v128load(), I.get(m), I.f64x2sub, I.set(d)), sq(se),
          inc(pp, I.get(rowD))),
        store(3, code(I.get(se), I.get(nv), I.f64x2div)),
      ),
      I.end),
  );
  return { name: 'refitStats', params: new Array(14).fill('i32'), locals: [...new Array(9).fill('i32'), ...new Array(14).fill('v128')], body };
}
