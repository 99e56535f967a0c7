/**
 * The WebAssembly SIMD kernels against their plain TypeScript twins (wasm-kernels.ts): same
 * float64 operations in the same order, so every kernel but gemm must give the same bits;
 * gemm sums in a different order than the fallback's 4-term blocks (checked to 1e-14).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels, kernels, packedLength, type OlsArTerms } from '../../src/stats/wasm/kernels.js';
import { Rng } from '../../src/stats/core/prng.js';

const K = kernels();
const J = jsKernels();

/** Uniform numbers in [0, 1) for synthetic data (the project's generator). */
function rng(seed: number): () => number {
  const r = new Rng(seed, 'test data');
  return () => r.uniform();
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, n: number, what: string): void {
  for (let i = 0; i < n; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('WebAssembly SIMD is available on this Node (the fast path is the one measured)', () => {
  assert.equal(K.simd, true);
});

test('gemm matches the plain product (odd row counts, 4-column blocks)', () => {
  const r = rng(1);
  for (const [m, k, c] of [[16, 160, 512], [34, 160, 64], [5, 7, 8], [1, 3, 4], [7, 1, 12], [6, 20000, 8], [42, 6000, 8]]) {
    const ws = K.workspace(8 * (m * k + k * c + m * c) + 64);
    const a = ws.f64(m * k);
    const b = ws.f64(k * c);
    const o = ws.f64(m * c);
    for (let i = 0; i < a.length; i++) a[i] = r() - 0.5;
    for (let i = 0; i < b.length; i++) b[i] = 10 * (r() - 0.5);
    K.gemm(a, m, k, b, c, o);
    const ref = new Float64Array(m * c);
    J.gemm(Float64Array.from(a), m, k, Float64Array.from(b), c, ref);
    // rounding bound of a k-term sum: k·eps·Σ|a||b|
    const bound = new Float64Array(m * c);
    J.gemm(a.map(Math.abs), m, k, b.map(Math.abs), c, bound);
    for (let i = 0; i < ref.length; i++) {
      assert.ok(Math.abs(o[i] - ref[i]) <= k * 2.3e-16 * bound[i], `${m}x${k}x${c} [${i}]: ${o[i]} vs ${ref[i]}`);
    }
    // A packed once: the same bits as gemm, and as the plain code summing in the kernel's order
    const ws2 = K.workspace(8 * (m * k + packedLength(m, k) + k * c + 2 * m * c) + 64);
    const a2 = ws2.f64(m * k);
    for (let i = 0; i < a2.length; i++) a2[i] = ((i * 7919) % 1000) / 1000 - 0.5;
    const b2 = ws2.f64(k * c);
    for (let i = 0; i < b2.length; i++) b2[i] = ((i * 104729) % 997) / 99.7 - 5;
    const ap = ws2.f64(packedLength(m, k));
    K.packA(a2, m, k, ap);
    const o1 = ws2.f64(m * c);
    const o2 = ws2.f64(m * c);
    K.gemm(a2, m, k, b2, c, o1);
    K.gemmPacked(ap, m, k, b2, c, o2);
    sameBits(o1, o2, m * c, `gemmPacked ${m}x${k}x${c}`);
    const apJ = new Float64Array(packedLength(m, k));
    J.packA(Float64Array.from(a2), m, k, apJ);
    const oJ = new Float64Array(m * c);
    J.gemmPacked(apJ, m, k, Float64Array.from(b2), c, oJ);
    sameBits(o2, oJ, m * c, `gemmPacked vs plain ${m}x${k}x${c}`);
  }
});

test('whitenCols, gatherCols, colStats and lagStats give the same bits as the plain code', () => {
  const r = rng(7);
  for (const order of [0, 1, 2, 3]) {
    for (const [n, C, col0, cnt] of [[37, 24, 3, 21], [160, 64, 0, 64], [5, 8, 1, 6]]) {
      const cs = (cnt + 3) & ~3;
      const p = 5;
      const ws = K.workspace(4 * 2 * (n * C + 8) + 8 * (n * cs * 2 + 16 * cs + p * p + 3 * n + 8) + 4 * C + 1024);
      const raw = ws.f32(n * C + 8);
      const stage = ws.f32(n * C + 8);
      for (let i = 0; i < raw.length; i++) raw[i] = Math.fround(1000 + 20 * (r() - 0.5));
      const ord = ws.i32(C);
      for (let i = 0; i < C; i++) ord[i] = C - 1 - i;
      K.gatherCols(raw, stage, C, n, ord, C);
      const stageJ = new Float32Array(n * C + 8);
      J.gatherCols(Float32Array.from(raw), stageJ, C, n, Int32Array.from(ord), C);
      sameBits(stage, stageJ, n * C, 'gatherCols');
      // a count that is not a multiple of 4 (the kernel's remainder loop): the rest of each row untouched
      const part = ws.f32(n * C + 8);
      const partJ = new Float32Array(n * C + 8);
      K.gatherCols(raw, part, C, n, ord, C - 3);
      J.gatherCols(Float32Array.from(raw), partJ, C, n, Int32Array.from(ord), C - 3);
      sameBits(part, partJ, n * C + 8, 'gatherCols, C - 3 columns');
      for (let t = 0; t < n; t++) {
        assert.equal(part[t * C + C - 4], raw[t * C + 3], `gathered value, row ${t}`);
        for (let i = C - 3; i < C; i++) assert.equal(part[t * C + i], 0, `row ${t} column ${i} untouched`);
      }
      const rho = ws.f64(Math.max(1, order));
      for (let k = 0; k < order; k++) rho[k] = 0.4 / (k + 1);
      const shift = ws.f64(cs);
      const wy = ws.f64(n * cs);
      K.whitenCols(stage, C, n, col0, cnt, rho, order, shift, wy);
      const shiftJ = new Float64Array(cs);
      const wyJ = new Float64Array(n * cs);
      J.whitenCols(stageJ, C, n, col0, cnt, Float64Array.from(rho), order, shiftJ, wyJ);
      for (let t = 0; t < n; t++) sameBits(wy.subarray(t * cs), wyJ.subarray(t * cs), cnt, `whitenCols order ${order} row ${t}`);
      sameBits(shift, shiftJ, cnt, 'shift');
      const r1 = ws.f64(n);
      const w1 = ws.f64(n);
      for (let t = 0; t < n; t++) {
        r1[t] = r() - 0.5;
        w1[t] = t === 0 ? 1 : 0.6;
      }
      const outs = [0, 1, 2, 3].map(() => ws.f64(cs));
      const outsJ = [0, 1, 2, 3].map(() => new Float64Array(cs));
      K.colStats(wy, n, cs, r1, w1, shift, outs[0], outs[1], outs[2], outs[3]);
      J.colStats(Float64Array.from(wy), n, cs, Float64Array.from(r1), Float64Array.from(w1), Float64Array.from(shift), outsJ[0], outsJ[1], outsJ[2], outsJ[3]);
      outs.forEach((o, i) => sameBits(o, outsJ[i], cnt, `colStats ${i}`));
      const o = order;
      const [sum, lag, head, tail] = [cs, (o + 1) * cs, (o + 1) * cs, (o + 1) * cs].map((len) => ws.f64(len));
      const [sumJ, lagJ, headJ, tailJ] = [cs, (o + 1) * cs, (o + 1) * cs, (o + 1) * cs].map((len) => new Float64Array(len));
      K.lagStats(wy, n, cs, o, sum, lag, head, tail);
      J.lagStats(Float64Array.from(wy), n, cs, o, sumJ, lagJ, headJ, tailJ);
      sameBits(sum, sumJ, cnt, 'lag sum');
      for (let k = 0; k <= o; k++) sameBits(lag.subarray(k * cs), lagJ.subarray(k * cs), cnt, `lag ${k}`);
      for (let k = 1; k <= o; k++) {
        sameBits(head.subarray(k * cs), headJ.subarray(k * cs), cnt, `head ${k}`);
        sameBits(tail.subarray(k * cs), tailJ.subarray(k * cs), cnt, `tail ${k}`);
      }
    }
  }
});

test('whitenLagStats gives the bits of whitenCols (order 0) then lagStats (order 1), on both kernels', () => {
  const r = rng(17);
  for (const [n, C, cnt] of [[160, 64, 64], [37, 24, 21], [1, 8, 5], [2, 8, 8]]) {
    const cs = (cnt + 3) & ~3;
    for (const kern of [K, J]) {
      const ws = kern.workspace(4 * (n * C + 8) + 8 * (2 * n * cs + 12 * cs) + 1024);
      const stage = ws.f32(n * C + 8);
      // raw BOLD-like values, a few exact repeats of the first value (zero shifted data)
      for (let i = 0; i < stage.length; i++) stage[i] = Math.fround(r() < 0.05 ? 1000 : 1000 + 20 * (r() - 0.5));
      const [shift, sum] = [ws.f64(cs), ws.f64(cs)];
      const wy = ws.f64(n * cs);
      const [lag, head, tail] = [ws.f64(2 * cs), ws.f64(2 * cs), ws.f64(2 * cs)];
      kern.whitenLagStats(stage, C, n, cnt, shift, wy, sum, lag, head, tail);
      const [shiftB, sumB] = [ws.f64(cs), ws.f64(cs)];
      const wyB = ws.f64(n * cs);
      const [lagB, headB, tailB] = [ws.f64(2 * cs), ws.f64(2 * cs), ws.f64(2 * cs)];
      kern.whitenCols(stage, C, n, 0, cnt, ws.f64(1), 0, shiftB, wyB);
      kern.lagStats(wyB, n, cs, 1, sumB, lagB, headB, tailB);
      const what = `${kern.simd ? 'WebAssembly' : 'plain'} n ${n} cnt ${cnt}`;
      sameBits(shift, shiftB, cs, `shift, ${what}`);
      sameBits(wy, wyB, n * cs, `whitened data, ${what}`);
      sameBits(sum, sumB, cs, `sum, ${what}`);
      sameBits(lag, lagB, 2 * cs, `lags, ${what}`);
      sameBits(head.subarray(cs), headB.subarray(cs), cs, `head, ${what}`);
      sameBits(tail.subarray(cs), tailB.subarray(cs), cs, `tail, ${what}`);
    }
  }
});

/**
 * The per-voxel sums olsArSums replaced in OlsArAccumulator.add (ar-estimate.ts), as they were
 * written before: the quadratic forms row by row across the columns (the former quadForm
 * kernel), then running sums over j across the columns. The kernel must give these bits.
 */
function olsArSumsBefore(prod: Float64Array, cs: number, p: number, order: number, t: OlsArTerms,
  lagY: Float64Array, sum: Float64Array, headY: Float64Array, tailY: Float64Array, shift: Float64Array): Float64Array {
  const out = new Float64Array((3 * order + 2) * cs);
  const quad = new Float64Array(cs);
  const u = new Float64Array(cs);
  const d = new Float64Array(cs);
  const aRow = (order + 1) * p;
  for (let k = 0; k <= order; k++) {
    const m = t.lagW.subarray(k * p * p);
    quad.fill(0);
    for (let j = 0; j < p; j++) {
      const mjj = m[j * p + j];
      for (let i = 0; i < cs; i++) quad[i] = quad[i] + mjj * prod[j * cs + i] * prod[j * cs + i];
      for (let l = j + 1; l < p; l++) {
        const mjl = m[j * p + l] + m[j * p + l];
        for (let i = 0; i < cs; i++) quad[i] = quad[i] + mjl * prod[j * cs + i] * prod[l * cs + i];
      }
    }
    if (k > 0) {
      u.fill(0);
      for (let j = 0; j < p; j++) for (let i = 0; i < cs; i++) u[i] += prod[j * cs + i] * prod[(k * p + j) * cs + i];
    }
    for (let i = 0; i < cs; i++) {
      const yk = lagY[k * cs + i];
      const lk = k === 0 ? yk - quad[i] : yk - u[i] + quad[i];
      out[k * cs + i] = lk + shift[i] * prod[(aRow + k) * cs + i] + shift[i] * shift[i] * t.r1Lag[k];
    }
  }
  u.fill(0);
  for (let j = 0; j < p; j++) for (let i = 0; i < cs; i++) u[i] += t.colSum[j] * prod[j * cs + i];
  for (let i = 0; i < cs; i++) out[(order + 1) * cs + i] = sum[i] - u[i] + shift[i] * t.r1Sum[0];
  for (let k = 1; k <= order; k++) {
    for (let i = 0; i < cs; i++) {
      u[i] = headY[k * cs + i];
      d[i] = tailY[k * cs + i];
    }
    for (let j = 0; j < p; j++) {
      for (let i = 0; i < cs; i++) {
        u[i] -= t.headSum[k * p + j] * prod[j * cs + i];
        d[i] -= t.tailSum[k * p + j] * prod[j * cs + i];
      }
    }
    for (let i = 0; i < cs; i++) {
      out[(order + 1 + k) * cs + i] = u[i] + shift[i] * t.r1Head[k];
      out[(2 * order + 1 + k) * cs + i] = d[i] + shift[i] * t.r1Tail[k];
    }
  }
  return out;
}

test('olsArSums gives the bits of the former quadForm and plain loops, on both kernels', () => {
  const r = rng(13);
  for (const order of [1, 2, 3]) {
    for (const [p, cs] of [[16, 64], [5, 8], [1, 4], [7, 28]]) {
      const q = (order + 1) * p + order + 1;
      const o1 = order + 1;
      const ws = K.workspace(8 * (q * cs + o1 * p * p + 4 * o1 * (p + 1) + (3 * o1 + 2) * cs + (3 * order + 2) * cs + 16) + 1024);
      const fill = (a: Float64Array, scale: number, offset = 0.5) => {
        for (let i = 0; i < a.length; i++) a[i] = scale * (r() - offset);
        return a;
      };
      // sizes like the bench's: θ' ~ 1, A_kᵀy' and lags ~ 1e3, shifts of raw BOLD ~ 1e3
      const prod = fill(ws.f64(q * cs), 1000);
      for (let i = 0; i < p * cs; i++) prod[i] = r() - 0.5;
      const lagW = ws.f64(o1 * p * p);
      for (let k = 0; k < o1; k++)
        for (let a = 0; a < p; a++) for (let b = a; b < p; b++) lagW[k * p * p + a * p + b] = lagW[k * p * p + b * p + a] = 50 * (r() - 0.3);
      const terms: OlsArTerms = {
        lagW, r1Lag: fill(ws.f64(o1), 1e-3), colSum: fill(ws.f64(p), 100), headSum: fill(ws.f64(o1 * p), 3), tailSum: fill(ws.f64(o1 * p), 3),
        r1Sum: fill(ws.f64(1), 1e-6), r1Head: fill(ws.f64(o1), 1e-3), r1Tail: fill(ws.f64(o1), 1e-3),
      };
      const lagY = fill(ws.f64(o1 * cs), 1e5, 0);
      const sum = fill(ws.f64(cs), 1e3);
      const headY = fill(ws.f64(o1 * cs), 50);
      const tailY = fill(ws.f64(o1 * cs), 50);
      const shift = fill(ws.f64(cs), 2000, 0);
      const out = ws.f64((3 * order + 2) * cs);
      K.olsArSums(prod, cs, p, order, terms, lagY, sum, headY, tailY, shift, out);
      const copy = (a: Float64Array) => Float64Array.from(a);
      const tJ: OlsArTerms = Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, copy(v)])) as unknown as OlsArTerms;
      const outJ = new Float64Array(out.length);
      J.olsArSums(copy(prod), cs, p, order, tJ, copy(lagY), copy(sum), copy(headY), copy(tailY), copy(shift), outJ);
      const before = olsArSumsBefore(copy(prod), cs, p, order, tJ, copy(lagY), copy(sum), copy(headY), copy(tailY), copy(shift));
      sameBits(out, before, out.length, `olsArSums (WebAssembly) order ${order} p ${p}`);
      sameBits(outJ, before, out.length, `olsArSums (plain) order ${order} p ${p}`);
    }
  }
});

test('refitStats gives the same bits as the plain code, and its sums are the direct ones', () => {
  const r = rng(11);
  for (const resid of [true, false]) {
    for (const [n, C, col0, cs] of [[160, 64, 0, 64], [37, 24, 3, 24], [5, 8, 6, 2]]) {
      const ws = K.workspace(4 * (n * C + 8) + 8 * (2 * n * cs + 4 * n + 5 * cs) + 1024);
      const stage = ws.f32(n * C + 8);
      for (let i = 0; i < stage.length; i++) stage[i] = Math.fround(1000 + 20 * (r() - 0.5));
      const wy = ws.f64(n * cs);
      const pred = ws.f64(n * cs);
      for (let i = 0; i < wy.length; i++) {
        wy[i] = 5 * (r() - 0.5);
        pred[i] = wy[i] + (r() - 0.5);
      }
      const vecs = { r1: ws.f64(n), dh1: ws.f64(n), dw1: ws.f64(n), h1: ws.f64(n) };
      for (let t = 0; t < n; t++) {
        vecs.r1[t] = 0.01 * (r() - 0.5);
        vecs.h1[t] = 0.6 + 0.1 * r();
        vecs.dh1[t] = vecs.h1[t] - vecs.h1[0];
        vecs.dw1[t] = t === 0 ? 0 : -0.4;
      }
      const shift = ws.f64(cs);
      for (let i = 0; i < cs; i++) shift[i] = 1000 + r();
      const out = ws.f64(4 * cs);
      const copy = (a: Float64Array) => Float64Array.from(a);
      // with resid the kernels overwrite pred with the residuals: keep the inputs
      const pred0 = copy(pred);
      const predJ = copy(pred);
      K.refitStats(stage, C, col0, n, wy, pred, cs, vecs, shift, out, resid);
      const outJ = new Float64Array(4 * cs);
      J.refitStats(Float32Array.from(stage), C, col0, n, copy(wy), predJ, cs,
        { r1: copy(vecs.r1), dh1: copy(vecs.dh1), dw1: copy(vecs.dw1), h1: copy(vecs.h1) }, copy(shift), outJ, resid);
      const valid = Math.min(cs, C - col0);
      for (let k = 0; k < (resid ? 4 : 3); k++) sameBits(out.subarray(k * cs), outJ.subarray(k * cs), valid, `refitStats ${k} ${n}x${C}`);
      for (let t = 0; t < n; t++) {
        sameBits(pred.subarray(t * cs), predJ.subarray(t * cs), valid, `refitStats pred/residuals row ${t}`);
        for (let i = 0; i < valid; i++) {
          // the residuals e_t = (y_t - pred_t) - c·h1_t, bit for bit (the series written from them)
          const e = (stage[t * C + col0 + i] - pred0[t * cs + i]) - shift[i] * vecs.h1[t];
          assert.equal(pred[t * cs + i], resid ? e : pred0[t * cs + i], `residual ${t}, ${i}`);
        }
      }
      // against the definitions, column by column
      const variance = (x: number[]) => {
        const m = x.reduce((a, b) => a + b, 0) / n;
        return x.reduce((a, b) => a + (b - m) ** 2, 0) / n;
      };
      for (let i = 0; i < valid; i++) {
        const c = shift[i];
        const col = (f: (t: number) => number) => Array.from({ length: n }, (_, t) => f(t));
        const sse = col((t) => (wy[t * cs + i] - pred0[t * cs + i] + c * vecs.r1[t]) ** 2).reduce((a, b) => a + b, 0);
        const vp = variance(col((t) => pred0[t * cs + i] + c * vecs.h1[t]));
        const vy = variance(col((t) => wy[t * cs + i] + c * (1 + vecs.dw1[t])));
        const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.abs(b), `${what} column ${i}: ${a} vs ${b}`);
        close(out[i], sse, 'SSE');
        close(out[cs + i], n * vp, 'n var(pred)');
        close(out[2 * cs + i], n * vy, 'n var(wy)');
        if (resid) close(out[3 * cs + i], variance(col((t) => stage[t * C + col0 + i] - pred0[t * cs + i] - c * vecs.h1[t])), 'residual variance');
      }
    }
  }
});

test('a new workspace starts zeroed even when the memory was used before', () => {
  const a = K.workspace(8 * 1000).f64(1000);
  a.fill(7);
  const b = K.workspace(8 * 1000).f64(1000);
  assert.equal(b.every((v) => v === 0), true);
});
