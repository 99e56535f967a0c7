/**
 * Gaussian smoothing restricted to what a mask needs (nilearn `smooth_img` then masking),
 * equal bit for bit to the full-volume filter of smooth.ts.
 */
import { makeScratch, filterLineX, filterRowRange } from './smooth-filter.js';
import { allocLike, gaussianHalfKernel, fwhmToSigmaVoxels, normaliseFwhm, reflectIndex, volumeCount, type FloatArray, type Fwhm } from './smooth-kernel.js';
import { smoothVolumes } from './smooth.js';
import { applySimd, simdPlan, type SimdPlan } from './masked-smoother-simd.js';

/** Inclusive bounding box of the non-zero voxels of a 3D mask, or null if the mask is empty. */
export function maskBoundingBox(mask: Uint8Array, dims: readonly number[]): { lo: [number, number, number]; hi: [number, number, number] } | null {
  const [nx, ny, nz] = dims;
  const lo: [number, number, number] = [nx, ny, nz];
  const hi: [number, number, number] = [-1, -1, -1];
  let i = 0;
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        if (!mask[i]) continue;
        if (x < lo[0]) lo[0] = x;
        if (x > hi[0]) hi[0] = x;
        if (y < lo[1]) lo[1] = y;
        if (y > hi[1]) hi[1] = y;
        if (z < lo[2]) lo[2] = z;
        if (z > hi[2]) hi[2] = z;
      }
  return hi[0] < 0 ? null : { lo, hi };
}

/** [min, max] of the reflected positions of [lo - r, hi + r] on an axis of length n. */
function reflectClosure(lo: number, hi: number, r: number, n: number): [number, number] {
  let a = Infinity;
  let b = -Infinity;
  for (let k = lo - r; k <= hi + r; k++) {
    const p = reflectIndex(k, n);
    if (p < a) a = p;
    if (p > b) b = p;
  }
  return [a, b];
}

/**
 * `smoothVolumes` followed by masking, computing only what the masked voxels depend on.
 * Returns n_t x n_mask values (time-major, voxels in NIfTI order within each row), identical
 * bit for bit to `extractMasked(smoothVolumes(...), dims, mask)`. See `MaskedSmoother`.
 */
export function smoothMasked<T extends FloatArray>(
  data: T, dims: readonly number[], affine: number[][], fwhm: Fwhm, mask: Uint8Array,
): T {
  const [nx, ny, nz] = dims;
  const nvox = nx * ny * nz;
  const nt = volumeCount(dims);
  if (data.length !== nvox * nt) throw new Error(`data length ${data.length} does not match dims ${dims.join('x')}`);
  if (mask.length !== nvox) throw new Error(`mask length ${mask.length} does not match the volume size ${nvox}`);
  const f = normaliseFwhm(fwhm);
  if (f === 'fast') {
    // A cheap local operation: smooth everything and gather.
    let nMask = 0;
    for (let i = 0; i < nvox; i++) if (mask[i]) nMask++;
    const result = allocLike(data, nMask * nt);
    if (nMask === 0) return result;
    const full = smoothVolumes(data, dims, affine, f);
    gatherMasked(full, nvox, nt, mask, result, nMask);
    return result;
  }
  const sm = new MaskedSmoother(dims, affine, f, mask, data instanceof Float64Array ? 'float64' : 'float32');
  const result = allocLike(data, sm.nMask * nt);
  for (let t = 0; t < nt; t++) sm.apply(data.subarray(t * nvox, (t + 1) * nvox), result, t * sm.nMask);
  return result;
}

/**
 * Smooths one volume at a time and keeps only the masked voxels, computing only what they
 * depend on (nilearn smooth_img then masking; 'fast' is not supported here, use smoothVolumes).
 *
 * Why this is exact: the separable filter computes z-pass(y-pass(x-pass(v))). An output at a
 * masked voxel (x, y, z) needs y-pass outputs at (x, y, z ± rz) (reflected at the true image
 * border), each of which needs x-pass outputs at (x, y ± ry, z') (reflected), each of which
 * reads the raw data at (x ± rx, y', z') (reflected). Working row by row (an x-row is fixed
 * y and z), the needed outputs of each pass are gathered as one x-range per row (the union of
 * what the next pass needs there), so only ranges of rows near the mask are filtered, instead
 * of whole volumes or the mask's bounding box. Every value is computed with the same float64
 * accumulation order (centre tap, then the symmetric pairs from the outermost in) and the same
 * rounding to the array's precision between passes as the full-volume filter, and reflection
 * always refers to the real image edges, so the results equal the full-image results bit for
 * bit (test/stats/smooth.test.ts).
 *
 * `inputRows` says which raw voxels a volume must provide (for a streaming reader); the others
 * are never read.
 */
export class MaskedSmoother {
  readonly nMask: number;
  /** Raw input voxels read per volume: x-range [xLo[r], xHi[r]) of row r = y + ny * z. */
  readonly inputRows: { xLo: Int32Array; xHi: Int32Array };
  private readonly dims: [number, number, number];
  private readonly kernels: (Float64Array | null)[];
  private readonly f64: boolean;
  /** Plain path: x-pass and y-pass outputs, full-volume buffers of the working precision. */
  private readonly bufX: FloatArray;
  private readonly bufY: FloatArray;
  /** Output x-ranges of the x pass and y pass, per row. */
  private readonly xRows: { xLo: Int32Array; xHi: Int32Array };
  private readonly yRows: { xLo: Int32Array; xHi: Int32Array };
  /** Runs of consecutive masked voxels: row, first x, end x, index of the first in the output. */
  private readonly runs: Int32Array;
  private readonly scratch = makeScratch();
  private readonly offs: Int32Array;
  /** WebAssembly SIMD path (float32 only), or null for the plain loops. */
  private readonly simd: SimdPlan | null;
  /**
   * A volume buffer to decode into (WebAssembly path): apply() on this very array skips the
   * copy of the input rows into the kernels' memory. Undefined on the plain path.
   */
  readonly inputBuffer?: Float32Array;
  /**
   * WebAssembly path: room for one volume of int16 values (platform byte order), which the
   * next apply(inputBuffer) reads after loadInt16 (the NIfTI reader's decoder hook).
   */
  readonly rawInt16?: Uint8Array;

  constructor(dims: readonly number[], affine: number[][], fwhm: Exclude<Fwhm, 'fast'>, mask: Uint8Array, precision: 'float32' | 'float64' = 'float32') {
    const [nx, ny, nz] = dims;
    const nvox = nx * ny * nz;
    if (mask.length !== nvox) throw new Error(`mask length ${mask.length} does not match the volume size ${nvox}`);
    this.dims = [nx, ny, nz];
    this.f64 = precision === 'float64';
    const f = normaliseFwhm(fwhm);
    const kernels = f === null || f === 'fast' ? [null, null, null] : fwhmToSigmaVoxels(f, affine).map((sg) => (sg > 0 ? gaussianHalfKernel(sg) : null));
    this.kernels = kernels;
    const radius = kernels.map((k) => (k ? k.length - 1 : 0));
    this.offs = new Int32Array(2 * (Math.max(...radius) + 1));
    const nRows = ny * nz;
    // Masked runs and the z-pass output ranges (= the mask's range in each row).
    const runs: number[] = [];
    const zLo = new Int32Array(nRows);
    const zHi = new Int32Array(nRows);
    let nMask = 0;
    for (let r = 0; r < nRows; r++) {
      const base = r * nx;
      let first = -1;
      for (let x = 0; x <= nx; x++) {
        const inMask = x < nx && mask[base + x] !== 0;
        if (inMask && first < 0) first = x;
        if (!inMask && first >= 0) {
          runs.push(r, first, x, nMask);
          nMask += x - first;
          if (zHi[r] <= zLo[r]) zLo[r] = first;
          zHi[r] = x;
          first = -1;
        }
      }
    }
    this.nMask = nMask;
    this.runs = Int32Array.from(runs);
    const zOut = { xLo: zLo, xHi: zHi };
    // y-pass outputs: rows (y, z') that the z pass reads; x-pass outputs: rows the y pass reads.
    this.yRows = kernels[2] ? spreadRows(zOut, ny, nz, 'z', radius[2]) : zOut;
    this.xRows = kernels[1] ? spreadRows(this.yRows, ny, nz, 'y', radius[1]) : this.yRows;
    // Raw inputs: the x-pass ranges widened by the x radius (reflected into the image).
    const inLo = new Int32Array(nRows);
    const inHi = new Int32Array(nRows);
    for (let r = 0; r < nRows; r++) {
      const lo = this.xRows.xLo[r];
      const hi = this.xRows.xHi[r];
      if (hi <= lo) continue;
      if (kernels[0]) {
        const [a, b] = reflectClosure(lo, hi - 1, radius[0], nx);
        inLo[r] = a;
        inHi[r] = b + 1;
      } else {
        inLo[r] = lo;
        inHi[r] = hi;
      }
    }
    this.inputRows = { xLo: inLo, xHi: inHi };
    const plan = this.f64 ? null : simdPlan([nx, ny, nz], kernels, this.inputRows, this.xRows, this.yRows, this.runs, nMask);
    this.simd = plan;
    if (plan) {
      this.inputBuffer = plan.input;
      this.rawInt16 = plan.raw;
      this.bufX = this.bufY = new Float32Array(0); // the plan has its own (compact) buffers
    } else {
      const make = (n: number) => (this.f64 ? new Float64Array(n) : new Float32Array(n));
      this.bufX = make(nvox);
      this.bufY = kernels[1] ? make(nvox) : this.bufX;
    }
  }

  /**
   * WebAssembly path: the int16 values in rawInt16 are the next volume, to be scaled as
   * v · slope + inter (float64, rounded once to float32: the NIfTI reader's scaling). The next
   * apply(inputBuffer) reads them from there (decoding each needed value once, straight into
   * the x pass) instead of from inputBuffer, which is left as it is. Returns false on the
   * plain path (nothing done: decode into inputBuffer as usual).
   */
  loadInt16(slope: number, inter: number): boolean {
    const plan = this.simd;
    if (!plan) return false;
    plan.pending = { slope, inter };
    return true;
  }

  /**
   * Smooth one volume (`volume`: nx*ny*nz values, only `inputRows` are read) and write its
   * nMask masked values to out[outOffset ..] (rounded to `out`'s precision).
   */
  apply(volume: FloatArray, out: FloatArray, outOffset = 0): void {
    if (this.simd) {
      applySimd(this.simd, this.dims, this.kernels, this.scratch, volume, out, outOffset);
      return;
    }
    const [nx, ny, nz] = this.dims;
    const [kx, ky, kz] = this.kernels;
    const nRows = ny * nz;
    const bufX = this.bufX;
    const bufY = this.bufY;
    const s = this.scratch;
    // x pass (or a plain copy with ensure_finite) on the x-pass ranges.
    const xl = this.xRows.xLo;
    const xh = this.xRows.xHi;
    for (let r = 0; r < nRows; r++) {
      const lo = xl[r];
      const hi = xh[r];
      if (hi <= lo) continue;
      const base = r * nx;
      if (kx) {
        filterLineX(volume, base, nx, bufX, base + lo, lo, hi, kx, s, true);
      } else {
        for (let x = base + lo; x < base + hi; x++) {
          const v = volume[x];
          bufX[x] = Number.isFinite(v) ? v : 0;
        }
      }
    }
    const offs = this.offs;
    // y pass on the y-pass ranges: output row (y, z) from rows (y ± j, z) of bufX.
    if (ky) {
      const r1 = ky.length - 1;
      const yl = this.yRows.xLo;
      const yh = this.yRows.xHi;
      for (let z = 0; z < nz; z++)
        for (let y = 0; y < ny; y++) {
          const r = y + ny * z;
          const lo = yl[r];
          const hi = yh[r];
          if (hi <= lo) continue;
          for (let j = r1, q = 0; j >= 1; j--, q += 2) {
            offs[q] = nx * (reflectIndex(y - j, ny) + ny * z);
            offs[q + 1] = nx * (reflectIndex(y + j, ny) + ny * z);
          }
          filterRowRange(bufX, nx * r, offs, lo, hi, ky, bufY, nx * r);
        }
    }
    // z pass straight into the output, run by run of masked voxels.
    const runs = this.runs;
    const sxy = nx * ny;
    for (let i = 0; i < runs.length; i += 4) {
      const r = runs[i];
      const lo = runs[i + 1];
      const hi = runs[i + 2];
      const dst = outOffset + runs[i + 3] - lo;
      if (kz) {
        const r2 = kz.length - 1;
        const y = r % ny;
        const z = (r - y) / ny;
        for (let j = r2, q = 0; j >= 1; j--, q += 2) {
          offs[q] = nx * y + sxy * reflectIndex(z - j, nz);
          offs[q + 1] = nx * y + sxy * reflectIndex(z + j, nz);
        }
        filterRowRange(bufY, nx * r, offs, lo, hi, kz, out, dst);
      } else {
        const base = nx * r;
        for (let x = lo; x < hi; x++) out[dst + x] = bufY[base + x];
      }
    }
  }
}

/**
 * Output ranges of the previous pass along `axis` ('y' or 'z'): row (y, z) must cover the union
 * of the ranges of the rows that read it, i.e. the rows whose ±radius window (reflected at the
 * image edges) contains it.
 */
function spreadRows(
  next: { xLo: Int32Array; xHi: Int32Array }, ny: number, nz: number, axis: 'y' | 'z', radius: number,
): { xLo: Int32Array; xHi: Int32Array } {
  const nRows = ny * nz;
  const xLo = new Int32Array(nRows);
  const xHi = new Int32Array(nRows);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++) {
      const r = y + ny * z;
      const lo = next.xLo[r];
      const hi = next.xHi[r];
      if (hi <= lo) continue;
      for (let d = -radius; d <= radius; d++) {
        const q = axis === 'y' ? reflectIndex(y + d, ny) + ny * z : y + ny * reflectIndex(z + d, nz);
        if (xHi[q] <= xLo[q]) {
          xLo[q] = lo;
          xHi[q] = hi;
        } else {
          if (lo < xLo[q]) xLo[q] = lo;
          if (hi > xHi[q]) xHi[q] = hi;
        }
      }
    }
  return { xLo, xHi };
}

function gatherMasked(full: FloatArray, nvox: number, nt: number, mask: Uint8Array, out: FloatArray, nMask: number): void {
  for (let t = 0; t < nt; t++) {
    let m = t * nMask;
    const b = t * nvox;
    for (let i = 0; i < nvox; i++) if (mask[i]) out[m++] = full[b + i];
  }
}
