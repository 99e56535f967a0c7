/**
 * Max statistics of many sign-flip permutations by lookup tables (the hot loop of a one-sample
 * max-t test, nilearn `permuted_ols` with sign flipping).
 *
 * Under sign flipping the tested vector and confounds of permutation s are s∘x and s∘Q, so every
 * inner product the t formula needs is  Σ_i s_i p_i  with p_i = y_i w_i (w = x or a confound
 * column). Split the n samples into groups of g ≤ 8; for each voxel and group, the 2^g possible
 * signed partial sums are tabulated once per voxel block. A permutation is then G = ⌈n/g⌉ table
 * reads per voxel instead of n multiply-adds: the flips × data product of the whole set,
 * blocked so a voxel block's tables stay in cache while every permutation of the chunk passes
 * over it.
 *
 * Without confounds only the largest (and smallest) sum matters, and most voxels cannot hold it:
 * the search is branch and bound over cells of 8 voxels, in WebAssembly SIMD
 * (wasm/sign-flip-kernel.ts), and gives the same bits as the plain scan below.
 *
 * Written by hand because it is the single hottest loop of group inference and no library does
 * this: a GEMM would still pay n multiply-adds per voxel and permutation, and cannot skip.
 *
 * Rounding: a group's sum is (sum of its first half) + (sum of its second half), each half summed
 * in sample order, and the groups are added in order; all fixed by n alone, so results do not
 * depend on blocks, chunks or workers (they differ from a plain sample-order sum only in the
 * last bits).
 */
import { CELL_VOXELS, createSignFlipKernel, type SignFlipKernel } from '../wasm/sign-flip-kernel.js';

/**
 * Samples per group: balanced groups of at most 8 (256 table rows each), so a one-sample test of
 * 20 subjects reads 3 table entries per voxel and permutation. (Two groups of 10 give tighter
 * cell bounds, but building and bounding 2 × 1 024 rows per voxel cost more than they saved.) A
 * function of n alone, so the rounding of every sum is the same however permutations are split.
 */
export function groupSize(n: number): number {
  return Math.ceil(n / Math.ceil(n / 8));
}

/** Voxels per block (a power of two ≥ 64): the block's tables (G groups × 2^g rows × weights) stay near 2 MB. */
function blockSize(rowsPerVoxel: number): number {
  const target = (2 * 1024 * 1024) / 8 / rowsPerVoxel;
  return Math.max(64, Math.min(4096, 1 << Math.floor(Math.log2(target))));
}

const kernels = new Map<number, SignFlipKernel | null>();
/** The pruned SIMD kernel for G groups (compiled once per process), or null without WebAssembly SIMD. */
function kernelFor(G: number): SignFlipKernel | null {
  if (!kernels.has(G)) kernels.set(G, createSignFlipKernel(G));
  return kernels.get(G)!;
}

export interface SignFlipInput {
  nSamples: number;
  nVoxels: number;
  /** voxel-major targets (V × n). */
  target: Float64Array;
  /** the weight vectors w_j (each n long): the tested vector first, then the confound columns. */
  weights: Float64Array[];
  /** sign flips of each permutation (count × n, +1 / −1). */
  signs: Int8Array;
  count: number;
  /** dof − 1 of the t formula t = b √(f / (1 − Σa² − b²)). */
  f: number;
  twoSided: boolean;
}

/**
 * Max over voxels of t (or |t| two-sided) for every permutation; NaN voxels ignored, all-NaN gives NaN.
 * `prune: false` forces the plain scan (the reference the tests compare the kernel with).
 */
export function signFlipMaxT(inp: SignFlipInput, opts: { prune?: boolean } = {}): Float64Array {
  const { nSamples: n, nVoxels: V, target: T, weights, signs, count, f, twoSided } = inp;
  const m = weights.length;
  const g = groupSize(n);
  const G = Math.ceil(n / g);
  const rows = 1 << g;
  const B = blockSize(G * rows * m);
  const codes = new Int32Array(count * G);
  for (let p = 0; p < count; p++)
    for (let gi = 0; gi < G; gi++) {
      let c = 0;
      for (let r = 0; r < g && gi * g + r < n; r++) if (signs[p * n + gi * g + r] > 0) c |= 1 << r;
      codes[p * G + gi] = c;
    }
  const out = new Float64Array(count);
  const tOf = (x: number) => x * Math.sqrt(f / (1 - x * x));
  if (m === 1) {
    // t is increasing in b without confounds: only the extreme b matter, max t = t(max b) and
    // max |t| = t(max |b|) (t is odd)
    const kernel = opts.prune === false ? null : kernelFor(G);
    const best = kernel ? extremesPruned(kernel, inp, g, G, B, codes) : extremesPlain(inp, g, G, B, codes);
    for (let p = 0; p < count; p++) out[p] = best[p] === -Infinity ? NaN : tOf(best[p]);
    return out;
  }
  const { table, half } = tableArrays(m, g, G, B);
  const best = new Float64Array(count).fill(-Infinity);
  const b = new Float64Array(B);
  const a2 = new Float64Array(B);
  const a = new Float64Array(B);
  for (let v0 = 0; v0 < V; v0 += B) {
    const nb = Math.min(B, V - v0);
    buildTables(T, n, weights, v0, nb, g, G, B, table, half);
    for (let p = 0; p < count; p++) {
      const pc = p * G;
      sumCodes(table, 0, G, rows, B, codes, pc, nb, b);
      a2.fill(0, 0, nb);
      for (let j = 1; j < m; j++) {
        sumCodes(table, j * G * rows * B, G, rows, B, codes, pc, nb, a);
        for (let v = 0; v < nb; v++) a2[v] += a[v] * a[v];
      }
      let mx = best[p];
      for (let v = 0; v < nb; v++) {
        const t = b[v] * Math.sqrt(f / (1 - a2[v] - b[v] * b[v]));
        const x = twoSided ? Math.abs(t) : t;
        if (x > mx) mx = x; // NaN never wins (np.nanmax)
      }
      best[p] = mx;
    }
  }
  for (let p = 0; p < count; p++) out[p] = best[p] === -Infinity ? NaN : best[p];
  return out;
}

/**
 * The block's tables, laid out [weight j][group γ][code c][voxel in block] so a permutation reads
 * G·m contiguous voxel streams, and room for the two halves of one group (see buildTables).
 */
function tableArrays(m: number, g: number, G: number, B: number): { table: Float64Array; half: Float64Array } {
  return { table: new Float64Array(m * G * (1 << g) * B), half: new Float64Array(2 * (1 << Math.ceil(g / 2)) * B) };
}

/**
 * The extremes of every permutation over all voxels by the plain scan: max of b (of |b|
 * two-sided), b = Σ_γ row(γ, code_γ), at every voxel of every block.
 */
function extremesPlain(inp: SignFlipInput, g: number, G: number, B: number, codes: Int32Array): Float64Array {
  const { nSamples: n, nVoxels: V, target: T, weights, count, twoSided } = inp;
  const rows = 1 << g;
  const best = new Float64Array(count).fill(-Infinity);
  const { table, half } = tableArrays(1, g, G, B);
  for (let v0 = 0; v0 < V; v0 += B) {
    const nb = Math.min(B, V - v0);
    buildTables(T, n, weights, v0, nb, g, G, B, table, half);
    for (let p = 0; p < count; p++) best[p] = scanVoxels(table, codes, p * G, G, rows, B, 0, nb, twoSided, best[p]);
  }
  return best;
}

/**
 * The extremes of every permutation over all voxels by the pruned SIMD kernel: block by block,
 * each group's halves are built here (padded to whole pairs of cells by repeating the last voxel,
 * which changes no extreme) and combined into the table in the kernel's memory; the table is
 * then bounded per cell and searched.
 */
function extremesPruned(kernel: SignFlipKernel, inp: SignFlipInput, g: number, G: number, B: number, codes: Int32Array): Float64Array {
  const { nSamples: n, nVoxels: V, target: T, weights, count, twoSided } = inp;
  const rows = 1 << g;
  const nRows = G * rows;
  const halfRows = 2 * (1 << Math.ceil(g / 2));
  const ws = kernel.workspace(nRows, B, count, halfRows);
  for (let i = 0; i < count * G; i++) ws.rows[i] = (i % G) * rows + codes[i];
  ws.best.fill(-Infinity);
  const pair = 2 * CELL_VOXELS;
  for (let v0 = 0; v0 < V; v0 += B) {
    const nb = Math.min(B, V - v0);
    const padded = Math.ceil(nb / pair) * pair;
    for (let gi = 0; gi < G; gi++) {
      const { la, lb } = groupHalves(T, n, weights[0], v0, nb, gi * g, Math.min(g, n - gi * g), B, ws.half);
      for (let r = 0; r < (1 << la) + (1 << lb); r++) ws.half.fill(ws.half[r * B + nb - 1], r * B + nb, r * B + padded);
      kernel.combine(ws, gi * rows, la, lb, padded / pair);
    }
    kernel.cellBounds(ws, nRows, padded / pair, twoSided);
    kernel.pruned(ws, count, padded / pair, twoSided);
  }
  return Float64Array.from(ws.best);
}

/** max(m, max over voxels v0..v1−1 of b_v (|b_v| two-sided)); b summed group by group in order. */
function scanVoxels(table: Float64Array, codes: Int32Array, pc: number, G: number, rows: number, B: number, v0: number, v1: number, twoSided: boolean, m: number): number {
  if (G === 2) {
    // the common case (11 to 20 subjects), fused: two streams, no temporary
    const o0 = codes[pc] * B;
    const o1 = (rows + codes[pc + 1]) * B;
    for (let v = v0; v < v1; v++) {
      const s = table[o0 + v] + table[o1 + v];
      const x = twoSided ? Math.abs(s) : s;
      if (x > m) m = x; // NaN never wins
    }
    return m;
  }
  for (let v = v0; v < v1; v++) {
    let s = table[codes[pc] * B + v];
    for (let gi = 1; gi < G; gi++) s += table[(gi * rows + codes[pc + gi]) * B + v];
    const x = twoSided ? Math.abs(s) : s;
    if (x > m) m = x;
  }
  return m;
}

/**
 * table[j][γ][c][v] = Σ_r ±T[v0+v, γg+r]·w_j[γg+r] (+ where bit r of c is set), as (first half) +
 * (second half) of the group (groupHalves), every code one addition of its two halves.
 */
function buildTables(T: Float64Array, n: number, weights: Float64Array[], v0: number, nb: number, g: number, G: number, B: number, table: Float64Array, half: Float64Array): void {
  const rows = 1 << g;
  for (let j = 0; j < weights.length; j++) {
    for (let gi = 0; gi < G; gi++) {
      const { la, lb } = groupHalves(T, n, weights[j], v0, nb, gi * g, Math.min(g, n - gi * g), B, half);
      const hiBase = (1 << la) * B;
      const base = ((j * G + gi) * rows) * B;
      for (let ch = 0; ch < 1 << lb; ch++) {
        const oh = hiBase + ch * B;
        for (let cl = 0; cl < 1 << la; cl++) {
          const ol = cl * B;
          const o = base + ((ch << la) | cl) * B;
          for (let v = 0; v < nb; v++) table[o + v] = half[ol + v] + half[oh + v];
        }
      }
    }
  }
}

/**
 * The two halves of the group of `len` samples from i0: the first ⌈len/2⌉ samples' 2^la signed
 * sums at half[0 …], the rest's 2^lb after them (rows of B voxels). Each is built by doubling:
 * adding sample r splits every code c < 2^r into c (−p_r) and c + 2^r (+p_r), so each entry is
 * the sample-order sum (±p_0 ± p_1) ± ….
 */
function groupHalves(T: Float64Array, n: number, w: Float64Array, v0: number, nb: number, i0: number, len: number, B: number, half: Float64Array): { la: number; lb: number } {
  const la = Math.ceil(len / 2);
  const lb = len - la;
  signedSums(T, n, w, v0, nb, i0, la, B, half, 0);
  signedSums(T, n, w, v0, nb, i0 + la, lb, B, half, (1 << la) * B);
  return { la, lb };
}

/** out[base + c·B + v] = Σ_{r<len} ±T[v0+v, i0+r]·w[i0+r], + where bit r of c is set, by doubling; len 0 gives the row 0. */
function signedSums(T: Float64Array, n: number, w: Float64Array, v0: number, nb: number, i0: number, len: number, B: number, out: Float64Array, base: number): void {
  if (len === 0) {
    out.fill(0, base, base + nb);
    return;
  }
  for (let r = 0; r < len; r++) {
    const wr = w[i0 + r];
    const plus = base + (1 << r) * B;
    if (r === 0) {
      for (let v = 0; v < nb; v++) {
        const p = T[(v0 + v) * n + i0] * wr;
        out[base + v] = -p;
        out[plus + v] = p;
      }
      continue;
    }
    for (let v = 0; v < nb; v++) {
      const p = T[(v0 + v) * n + i0 + r] * wr;
      for (let c = 0; c < 1 << r; c++) {
        const o = base + c * B + v;
        const s = out[o];
        out[plus + c * B + v] = s + p;
        out[o] = s - p;
      }
    }
  }
}

/** out[v] = Σ_γ table[base + γ][code_γ][v] for the voxels of the block. */
function sumCodes(table: Float64Array, base: number, G: number, rows: number, B: number, codes: Int32Array, pc: number, nb: number, out: Float64Array): void {
  const o0 = base + codes[pc] * B;
  for (let v = 0; v < nb; v++) out[v] = table[o0 + v];
  for (let gi = 1; gi < G; gi++) {
    const o = base + (gi * rows + codes[pc + gi]) * B;
    for (let v = 0; v < nb; v++) out[v] += table[o + v];
  }
}
