/**
 * Reading one run's BOLD series as masked (and smoothed) time-major data, shared by the fit
 * and single-trial nodes: each volume is inflated, only the voxels the masked smoothing needs
 * are decoded, and its smoothed masked values go straight into row t of Y (n_kept x n_mask
 * float32), so the 4D image is never held in memory. Censored volumes (sample_mask) are
 * skipped: neither decoded nor smoothed.
 */
import { readNiftiHeader, streamNiftiVolumes, type VolumeDecoder } from '../../src/io/nifti.js';
import { smoothVolumes } from '../../src/stats/image/smooth.js';
import { MaskedSmoother } from '../../src/stats/image/masked-smoother.js';
import { UserError } from '../../src/errors.js';
import type { DesignMeta, MaskMeta } from './artifacts.js';

/** Keep the rows (volumes) listed in `keep`. */
export function selectRows<T extends Float32Array | Float64Array>(a: T, cols: number, keep: ArrayLike<number>): T {
  const out = new (a.constructor as any)(keep.length * cols) as T;
  for (let r = 0; r < keep.length; r++) out.set(a.subarray(keep[r] * cols, (keep[r] + 1) * cols), r * cols);
  return out;
}

/**
 * One volume -> its masked (and smoothed) values, written to out[offset ..]. `inputRows` tells
 * the streaming reader which raw voxels are needed (undefined: all).
 */
interface VolumeToMasked {
  inputRows?: { xLo: Int32Array; xHi: Int32Array };
  /** Where the reader should decode each volume (the smoother's own buffer), if anywhere. */
  inputBuffer?: Float32Array;
  /** A SIMD decoder of int16 volumes into inputBuffer, if the smoother has one. */
  decoder?: VolumeDecoder;
  apply(volume: Float32Array, out: Float32Array, offset: number): void;
}

export type SmoothingFwhm = number | [number, number, number] | null;

function volumeToMasked(fwhm: SmoothingFwhm, dims: number[], affine: number[][], indices: Int32Array): VolumeToMasked {
  const [nx, ny, nz] = dims;
  if (!fwhm) {
    // No smoothing (null or 0): plain masking; only the mask's x-range of each row is decoded.
    const xLo = new Int32Array(ny * nz);
    const xHi = new Int32Array(ny * nz);
    for (const i of indices) {
      const r = Math.floor(i / nx);
      const x = i - r * nx;
      if (xHi[r] <= xLo[r]) {
        xLo[r] = x;
        xHi[r] = x + 1;
      } else {
        xLo[r] = Math.min(xLo[r], x);
        xHi[r] = Math.max(xHi[r], x + 1);
      }
    }
    return {
      inputRows: { xLo, xHi },
      apply(volume, out, offset) {
        for (let i = 0; i < indices.length; i++) out[offset + i] = volume[indices[i]];
      },
    };
  }
  if ((fwhm as unknown) === 'fast') {
    // nilearn's 'fast' neighbour average: cheap, done on the whole volume.
    return {
      apply(volume, out, offset) {
        const sm = smoothVolumes(volume, [nx, ny, nz], affine, 'fast');
        for (let i = 0; i < indices.length; i++) out[offset + i] = sm[indices[i]];
      },
    };
  }
  const maskVolume = new Uint8Array(nx * ny * nz);
  for (const i of indices) maskVolume[i] = 1;
  const sm = new MaskedSmoother([nx, ny, nz], affine, fwhm, maskVolume, 'float32');
  const decoder: VolumeDecoder | undefined = sm.rawInt16 && {
    raw: sm.rawInt16,
    decode: (v) => v.datatype === 'int16' && sm.loadInt16(v.slope, v.inter),
  };
  return { inputRows: sm.inputRows, inputBuffer: sm.inputBuffer, decoder, apply: (volume, out, offset) => sm.apply(volume, out, offset) };
}

export interface MaskedRun {
  /** n_kept x n_mask float32, time-major. */
  y: Float32Array;
  /** The volumes kept (the design's sample mask, or all). */
  keep: number[];
  /**
   * Seconds per stage: 'inflate wait', 'decode' (gathering each volume's needed bytes, and
   * decoding them unless the smoother reads int16 values itself), 'smooth + mask' (with the
   * int16 decoding on the SIMD path).
   */
  timings: Record<string, number>;
}

/**
 * Reads the kept volumes of `bold` inside the mask (indices into the mask grid), smoothed with
 * `fwhm` within the masker as nilearn does (before masking). Checks the grid and the number of
 * volumes against the mask and the design.
 */
export async function readMaskedRun(
  bold: string, mask: MaskMeta, indices: Int32Array, dm: DesignMeta, fwhm: SmoothingFwhm,
  onProgress?: (fraction: number) => void,
): Promise<MaskedRun> {
  const nm = indices.length;
  const nKept = dm.sampleMask?.length ?? dm.nScans;
  const y = new Float32Array(nKept * nm);
  const streamed = await streamMaskedRows(bold, mask, indices, dm, fwhm, { slot: (r) => ({ out: y, offset: r * nm }) }, onProgress);
  return { y, keep: streamed.keep, timings: streamed.timings };
}

/** Where the masked rows go: row r (0 .. n_kept - 1, ascending) is written at out[offset ..]. */
export interface MaskedRowSink {
  slot(r: number): { out: Float32Array; offset: number };
  /** Row r is in its slot. */
  written?(r: number): void;
}

/**
 * Streams the kept volumes of `bold` as masked (and smoothed) rows into `sink`, in ascending
 * order; same checks as readMaskedRun.
 */
export async function streamMaskedRows(
  bold: string, mask: MaskMeta, indices: Int32Array, dm: DesignMeta, fwhm: SmoothingFwhm, sink: MaskedRowSink,
  onProgress?: (fraction: number) => void,
): Promise<{ keep: number[]; timings: Record<string, number> }> {
  const header = await readNiftiHeader(bold);
  const [nx, ny, nz] = header.dims;
  const nt = header.dims[3] ?? 1;
  if (nx !== mask.dims[0] || ny !== mask.dims[1] || nz !== mask.dims[2]) {
    throw new UserError(`${bold}: BOLD grid ${header.dims.slice(0, 3).join('x')} differs from the mask grid ${mask.dims.join('x')}; expected the mask on the BOLD grid`);
  }
  if (nt !== dm.nScans) throw new UserError(`${bold}: ${nt} volumes but the design has ${dm.nScans} rows; expected one design row per volume`);
  const keep = dm.sampleMask ?? Array.from({ length: nt }, (_, t) => t);
  const rowOf = new Int32Array(nt).fill(-1);
  keep.forEach((t, r) => (rowOf[t] = r));
  const toMasked = volumeToMasked(fwhm, [nx, ny, nz], header.affine, indices);
  let done = 0;
  const streamed = await streamNiftiVolumes(bold, {
    select: () => toMasked.inputRows,
    volumes: keep,
    into: toMasked.inputBuffer,
    decoder: toMasked.decoder,
    onVolume(t, volume) {
      const r = rowOf[t];
      const { out, offset } = sink.slot(r);
      toMasked.apply(volume, out, offset);
      sink.written?.(r);
      if (++done % 32 === 0) onProgress?.(done / keep.length);
    },
  });
  return {
    keep,
    timings: { 'inflate wait': streamed.stats.waitSeconds, decode: streamed.stats.decodeSeconds, 'smooth + mask': streamed.stats.consumeSeconds },
  };
}
