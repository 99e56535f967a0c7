/**
 * The WebAssembly functions of the masked smoother's passes (see smooth-kernels.ts and
 * image/masked-smoother-simd.ts), generated for one Gaussian half kernel w[0..r]: the radius
 * and the weights are compiled in, so every tap is a load at a constant offset from one
 * pointer (no tap loop, no offset table in the inner loop) and a multiply by a constant.
 *
 * Every output is scipy's correlate1d sum for a symmetric kernel, in float64, in its order:
 *   acc = v[0]·w[0];  acc = acc + (v[-j] + v[+j])·w[j]  for j = r .. 1
 * then rounded to float32 (nilearn filters a float32 image in place, so each pass's result is
 * float32). The intermediate passes keep that float32 value widened to float64, so the next
 * pass reads its taps without converting them again. Outputs go two at a time (f64x2), eight
 * per iteration (four independent chains); a row of odd length computes one output more,
 * whose value lands in a padding slot (or in the next row's first slot, rewritten after).
 */
import { code, I, type FuncDef } from './asm.js';

/** while (!(exit)) { body } — `exit` pushes an i32, non-zero to leave the loop. */
function whileNot(exit: number[], ...body: number[][]): number[] {
  return code(I.block, I.loop, exit, I.brIf(1), ...body, I.br(0), I.end, I.end);
}
const inc = (x: number, by: number[]) => code(I.get(x), by, I.i32add, I.set(x));
/** f64x2 compare-free sanitize of the two low float32 lanes on the stack via local `t`: v - v == 0 iff finite. */
const sanitizeF32 = (t: number) => code(I.set(t), I.get(t), I.get(t), I.get(t), I.f32x4sub, I.v128zero, I.f32x4eq, I.v128and);

/**
 * The taps of output pairs: `at(chain, off)` pushes the f64x2 of the two values at element
 * offset `off` from the pair's window start (the centre is at offset r); the sums are left in
 * `acc[chain]`. The main loops call it one chain at a time, each followed by its store: the
 * compiler keeps memory accesses in program order, so a chain's loads are then consumed
 * before the next chain's start (fewer live values, no register spills).
 */
function taps(r: number, wv: number[], acc: number[], at: (chain: number, off: number) => number[]): number[] {
  const out: number[][] = [];
  acc.forEach((a, c) => out.push(code(at(c, r), I.get(wv[0]), I.f64x2mul, I.set(a))));
  for (let j = r; j >= 1; j--) {
    acc.forEach((a, c) => out.push(code(I.get(a), at(c, r - j), at(c, r + j), I.f64x2add, I.get(wv[j]), I.f64x2mul, I.f64x2add, I.set(a))));
  }
  return code(...out);
}

/**
 * smoothX_<source>(src, desc, n, line, half, dst, slope, inter): the x pass of n rows. Row
 * descriptor (4 i32 at desc): [a, m, d, _]: the m outputs of the row read the inputs
 * a .. a + m + 2r (element indices of src, a window inside the image), written as float32
 * values widened to float64 at dst[d ..] (float64 elements). The inputs are first decoded
 * into one of the two float64 line buffers at `line` and `line + half` (bytes): from int16 (source 'i16': v·slope + inter in float64,
 * rounded to float32, the NIfTI reader's scaling) or float32 ('f32'; slope / inter unused),
 * non-finite values replaced by 0 (smooth_img's ensure_finite).
 */
export function smoothXFunc(w: Float64Array, source: 'i16' | 'f32'): FuncDef {
  const r = w.length - 1;
  const SRC = 0, DESC = 1, N = 2, LINE = 3, HALF = 4, DST = 5, SLOPE = 6, INTER = 7;
  const d = 8, dEnd = 9, ps = 10, pl = 11, plEnd = 12, pd = 13, m2 = 14, lc = 15, ln = 16;
  const sv = 17, iv = 18, t = 19;
  const acc = [20, 21, 22, 23];
  const wv = Array.from({ length: r + 1 }, (_, j) => 24 + j);
  const size = source === 'i16' ? 2 : 4;
  const decode = source === 'i16'
    ? code(I.get(ps), I.v128load32zero(), I.i32x4extendLowI16x8S, I.f64x2convertLowI32x4S, I.get(sv), I.f64x2mul, I.get(iv), I.f64x2add, I.f32x4demoteZero, sanitizeF32(t), I.f64x2promoteLow)
    : code(I.get(ps), I.v128load64zero(), sanitizeF32(t), I.f64x2promoteLow);
  const m2Of = (desc: number[]) => code(desc, I.i32load(4), I.i32(1), I.i32add, I.i32(-2), I.i32and);
  // the inputs of the row at `desc`: m2 + 2r values (an even count) into the line at `ln`
  const decodeRow = (desc: number[]) => code(
    code(I.get(SRC), desc, I.i32load(0), I.i32(size === 2 ? 1 : 2), I.i32shl, I.i32add, I.set(ps)),
    code(I.get(ln), I.set(pl)),
    code(I.get(ln), m2Of(desc), I.i32(2 * r), I.i32add, I.i32(3), I.i32shl, I.i32add, I.set(plEnd)),
    whileNot(
      code(I.get(pl), I.get(plEnd), I.i32geS),
      code(I.get(pl), decode, I.v128store()),
      inc(ps, I.i32(2 * size)),
      inc(pl, I.i32(16)),
    ),
  );
  const at = (c: number, off: number) => code(I.get(pl), I.v128load(8 * (off + 2 * c)));
  const store = (c: number) => code(I.get(pd), I.get(acc[c]), I.f32x4demoteZero, I.f64x2promoteLow, I.v128store(16 * c));
  // Two line buffers (`half` bytes apart): the next row is decoded before the current one is
  // filtered, so that the filter's (unaligned) loads never wait for the decode's stores.
  const body = code(
    I.get(SLOPE), I.f64x2splat, I.set(sv),
    I.get(INTER), I.f64x2splat, I.set(iv),
    ...wv.map((v, j) => code(I.f64const(w[j]), I.f64x2splat, I.set(v))),
    I.get(DESC), I.set(d),
    I.get(DESC), I.get(N), I.i32(4), I.i32shl, I.i32add, I.set(dEnd),
    I.get(LINE), I.set(ln),
    I.get(N), I.i32(0), I.i32gtS, I.if, decodeRow(I.get(DESC)), I.end,
    whileNot(
      code(I.get(d), I.get(dEnd), I.i32geS),
      // lc: this row's line (decoded one iteration earlier); ln: the other one, for the next row
      code(I.get(ln), I.set(lc)),
      code(I.get(LINE), I.get(HALF), I.i32add, I.get(LINE), I.get(ln), I.get(LINE), I.i32sub, I.i32eqz, I.select, I.set(ln)),
      code(I.get(d), I.i32(16), I.i32add, I.get(dEnd), I.i32ltS, I.if, decodeRow(code(I.get(d), I.i32(16), I.i32add)), I.end),
      // filter: pl is the window start of the next output pair
      code(I.get(lc), I.set(pl)),
      code(I.get(lc), m2Of(I.get(d)), I.set(m2), I.get(m2), I.i32(3), I.i32shl, I.i32add, I.set(plEnd)),
      code(I.get(DST), I.get(d), I.i32load(8), I.i32(3), I.i32shl, I.i32add, I.set(pd)),
      whileNot(
        code(I.get(pl), I.i32(64), I.i32add, I.get(plEnd), I.i32gtS),
        ...acc.map((_, c) => code(taps(r, wv, [acc[c]], (_c, off) => at(c, off)), store(c))),
        inc(pl, I.i32(64)),
        inc(pd, I.i32(64)),
      ),
      whileNot(
        code(I.get(pl), I.get(plEnd), I.i32geS),
        taps(r, wv, acc.slice(0, 1), at),
        store(0),
        inc(pl, I.i32(16)),
        inc(pd, I.i32(16)),
      ),
      inc(d, I.i32(16)),
    ),
  );
  return {
    name: `smoothX_${source}`,
    params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'f64', 'f64'],
    locals: [...new Array(9).fill('i32'), ...new Array(3 + 4 + r + 1).fill('v128')],
    body,
  };
}

/**
 * smoothRows_<dst>(src, dst, desc, n, offs): a pass along a strided axis (y or z) over n
 * output rows of float64 source rows (float32 values widened). Row descriptor (4 i32 at
 * desc): [c, m, d, o]: outputs x = 0 .. m - 1 of the row are
 *   src[c + x]·w[0] + Σ_{j=r..1} (src[A_j + x] + src[B_j + x])·w[j]
 * with (A_j, B_j) the i32 pairs at offs[o ..] (outermost first; element indices of src, the
 * reflection at the image edges already applied), rounded to float32 and written at dst[d ..]:
 * widened to float64 ('f64', for the next pass) or as float32 ('f32', the result).
 */
export function smoothRowsFunc(w: Float64Array, dst: 'f64' | 'f32'): FuncDef {
  const r = w.length - 1;
  const SRC = 0, DST = 1, DESC = 2, N = 3, OFFS = 4;
  const d = 5, dEnd = 6, pc = 7, pd = 8, xo = 9, xEnd = 10, q = 11;
  const pa = Array.from({ length: r }, (_, i) => 12 + 2 * i); // pa[j - 1], pb[j - 1]
  const pb = Array.from({ length: r }, (_, i) => 13 + 2 * i);
  const nI32 = 7 + 2 * r;
  const acc = [5 + nI32, 6 + nI32, 7 + nI32, 8 + nI32];
  const wv = Array.from({ length: r + 1 }, (_, j) => 9 + nI32 + j);
  const ptrAt = (off: number) => (off === r ? pc : off < r ? pa[r - off - 1] : pb[off - r - 1]);
  const at = (c: number, off: number) => code(I.get(ptrAt(off)), I.v128load(16 * c));
  // every row pointer moves on with the outputs (no address arithmetic per tap)
  const advance = (bytes: number) => code(...[pc, ...pa, ...pb].map((p) => inc(p, I.i32(bytes))));
  const outStep = dst === 'f64' ? 16 : 8;
  const store = (c: number) => dst === 'f64'
    ? code(I.get(pd), I.get(acc[c]), I.f32x4demoteZero, I.f64x2promoteLow, I.v128store(16 * c))
    : code(I.get(pd), I.get(acc[c]), I.f32x4demoteZero, I.v128store64lane0(8 * c));
  const loadPtr = (local: number, at: number) => code(I.get(SRC), I.get(q), I.i32load(at), I.i32(3), I.i32shl, I.i32add, I.set(local));
  const ptrs: number[][] = [];
  for (let j = r, k = 0; j >= 1; j--, k++) ptrs.push(loadPtr(pa[j - 1], 8 * k), loadPtr(pb[j - 1], 8 * k + 4));
  const body = code(
    ...wv.map((v, j) => code(I.f64const(w[j]), I.f64x2splat, I.set(v))),
    I.get(DESC), I.set(d),
    I.get(DESC), I.get(N), I.i32(4), I.i32shl, I.i32add, I.set(dEnd),
    whileNot(
      code(I.get(d), I.get(dEnd), I.i32geS),
      code(I.get(SRC), I.get(d), I.i32load(0), I.i32(3), I.i32shl, I.i32add, I.set(pc)),
      code(I.get(d), I.i32load(4), I.i32(1), I.i32add, I.i32(-2), I.i32and, I.i32(3), I.i32shl, I.set(xEnd)),
      code(I.get(DST), I.get(d), I.i32load(8), I.i32(dst === 'f64' ? 3 : 2), I.i32shl, I.i32add, I.set(pd)),
      code(I.get(OFFS), I.get(d), I.i32load(12), I.i32(2), I.i32shl, I.i32add, I.set(q)),
      ...ptrs,
      I.i32(0), I.set(xo),
      whileNot(
        code(I.get(xo), I.i32(64), I.i32add, I.get(xEnd), I.i32gtS),
        ...acc.map((_, c) => code(taps(r, wv, [acc[c]], (_c, off) => at(c, off)), store(c))),
        inc(xo, I.i32(64)),
        advance(64),
        inc(pd, I.i32(4 * outStep)),
      ),
      whileNot(
        code(I.get(xo), I.get(xEnd), I.i32geS),
        taps(r, wv, acc.slice(0, 1), at),
        store(0),
        inc(xo, I.i32(16)),
        advance(16),
        inc(pd, I.i32(outStep)),
      ),
      inc(d, I.i32(16)),
    ),
  );
  return {
    name: `smoothRows_${dst}`,
    params: ['i32', 'i32', 'i32', 'i32', 'i32'],
    locals: [...new Array(nI32).fill('i32'), ...new Array(4 + r + 1).fill('v128')],
    body,
  };
}
