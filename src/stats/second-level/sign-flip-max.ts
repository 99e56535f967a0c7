/**
 * Max statistics of many sign-flip permutations by lookup tables (the hot loop of a one-sample
 * max-t test, nilearn `permuted_ols` with sign flipping).
 *
 * Under sign flipping the tested vector and confounds of permutation s are s∘x and s∘Q, so every
 * inner product the t formula needs is  Σ_i s_i p_i  with p_i = y_i w_i (w = x or a confound
 * column). Split the n samples into groups of g; for each voxel and group, the 2^g possible
 * signed partial sums are tabulated once per voxel block. A permutation is then G = ⌈n/g⌉ table
 * reads per voxel instead of n multiply-adds: the flips × data product of the whole set,
 * blocked so a voxel block's tables stay in cache while every permutation of the chunk passes
 * over it.
 *
 * Written by hand because it is the single hottest loop of group inference and no library does
 * this: a GEMM would still pay n multiply-adds per voxel and permutation.
 *
 * The common case (no confounds, 9 to 24 samples: three groups) runs its inner loop in
 * WebAssembly SIMD (wasm/sign-flip-kernel.ts), bit-identical to the plain loop below.
 *
 * Rounding: each sum is ((group 0) + group 1) + …, each group summed in sample order, fixed by
 * n alone, so results do not depend on blocks, chunks or workers (they differ from a plain
 * sample-order sum only in the last bits).
 */

import { createSignFlipKernel, type SignFlipKernel } from '../wasm/sign-flip-kernel.js';

/**
 * Samples per group: balanced groups of at most 8 (256 table rows each), so a one-sample test of
 * 20 subjects reads 3 table entries per voxel and permutation. A function of n alone, so the
 * rounding of every sum is the same however permutations are split into chunks.
 */
export function groupSize(n: number): number {
  return Math.ceil(n / Math.ceil(n / 8));
}

/** Voxels per block: the block's tables (G groups × 2^g rows × weights) stay near 2 MB. */
function blockSize(rowsPerVoxel: number): number {
  const target = (2 * 1024 * 1024) / 8 / rowsPerVoxel;
  return Math.max(64, Math.min(4096, 1 << Math.floor(Math.log2(target))));
}

let signFlipKernel: SignFlipKernel | null | undefined;

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

/** Max over voxels of t (or |t| two-sided) for every permutation; NaN voxels ignored, all-NaN gives NaN. */
export function signFlipMaxT(inp: SignFlipInput, opts: { simd?: boolean } = {}): Float64Array {
  const { nSamples: n, nVoxels: V, target: T, weights, signs, count, f, twoSided } = inp;
  const m = weights.length;
  const g = groupSize(n);
  const G = Math.ceil(n / g);
  const rows = 1 << g;
  const B = blockSize(G * rows * m);
  // table layout: [weight j][group γ][code c][voxel in block], so a permutation reads G·m
  // contiguous voxel streams
  signFlipKernel ??= createSignFlipKernel();
  const simd = m === 1 && G === 3 && opts.simd !== false ? signFlipKernel : null;
  const ws = simd?.workspace(m * G * rows * B, count);
  const table = ws ? ws.table : new Float64Array(m * G * rows * B);
  const codes = ws ? ws.codes : new Int32Array(count * G);
  for (let p = 0; p < count; p++)
    for (let gi = 0; gi < G; gi++) {
      let c = 0;
      for (let r = 0; r < g && gi * g + r < n; r++) if (signs[p * n + gi * g + r] > 0) c |= 1 << r;
      codes[p * G + gi] = c;
    }
  const hi = (ws ? ws.hi : new Float64Array(count)).fill(-Infinity);
  const lo = (ws ? ws.lo : new Float64Array(count)).fill(Infinity);
  const best = new Float64Array(count).fill(-Infinity);
  const b = new Float64Array(B);
  const a2 = new Float64Array(B);
  const a = new Float64Array(B);
  for (let v0 = 0; v0 < V; v0 += B) {
    const nb = Math.min(B, V - v0);
    buildTables(T, n, weights, v0, nb, g, G, B, table);
    if (simd && ws) {
      // two voxels per step: an odd block repeats its last voxel, which changes no extreme
      if (nb % 2 === 1) for (let r = 0; r < G * rows; r++) table[r * B + nb] = table[r * B + nb - 1];
      simd.extremes3(ws, rows * B, B, count, nb + (nb % 2));
      continue;
    }
    for (let p = 0; p < count; p++) {
      const pc = p * G;
      if (m === 1) {
        // t is increasing in b without confounds: only the extreme b matter
        let h = hi[p];
        let l = lo[p];
        if (G === 3) {
          // the common case (9 to 24 subjects), fused: three streams, no temporary
          const o0 = codes[pc] * B;
          const o1 = (rows + codes[pc + 1]) * B;
          const o2 = (2 * rows + codes[pc + 2]) * B;
          for (let v = 0; v < nb; v++) {
            const x = table[o0 + v] + table[o1 + v] + table[o2 + v];
            if (x > h) h = x;
            if (x < l) l = x;
          }
        } else {
          sumCodes(table, 0, G, rows, B, codes, pc, nb, b);
          for (let v = 0; v < nb; v++) {
            const x = b[v];
            if (x > h) h = x;
            if (x < l) l = x;
          }
        }
        hi[p] = h;
        lo[p] = l;
      } else {
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
  }
  const out = new Float64Array(count);
  const tOf = (x: number) => x * Math.sqrt(f / (1 - x * x));
  for (let p = 0; p < count; p++) {
    if (m === 1) {
      if (hi[p] === -Infinity) out[p] = NaN;
      else out[p] = twoSided ? Math.max(Math.abs(tOf(hi[p])), Math.abs(tOf(lo[p]))) : tOf(hi[p]);
    } else out[p] = best[p] === -Infinity ? NaN : best[p];
  }
  return out;
}

/**
 * table[j][γ][c][v] = Σ_r ±T[v0+v, γg+r]·w_j[γg+r] (+ where bit r of c is set). Built by doubling:
 * adding sample r splits every code c < 2^r into c (−p_r) and c + 2^r (+p_r), so each entry is
 * the sample-order sum (±p_0 ± p_1) ± … at one addition per entry.
 */
function buildTables(T: Float64Array, n: number, weights: Float64Array[], v0: number, nb: number, g: number, G: number, B: number, table: Float64Array): void {
  const rows = 1 << g;
  for (let j = 0; j < weights.length; j++) {
    const w = weights[j];
    for (let gi = 0; gi < G; gi++) {
      const i0 = gi * g;
      const len = Math.min(g, n - i0);
      const base = ((j * G + gi) * rows) * B;
      for (let r = 0; r < len; r++) {
        const wr = w[i0 + r];
        const plus = base + (1 << r) * B;
        if (r === 0) {
          for (let v = 0; v < nb; v++) {
            const p = T[(v0 + v) * n + i0] * wr;
            table[base + v] = -p;
            table[plus + v] = p;
          }
          continue;
        }
        for (let v = 0; v < nb; v++) {
          const p = T[(v0 + v) * n + i0 + r] * wr;
          for (let c = 0; c < 1 << r; c++) {
            const o = base + c * B + v;
            const s = table[o];
            table[plus + c * B + v] = s + p;
            table[o] = s - p;
          }
        }
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
