/**
 * A run too long to hold as one time-major float32 Y (nilearn #5588: 6 804 volumes x 150k-311k
 * voxels = 4-8.5 GB) is spilled: its masked (smoothed) rows are streamed into a temporary file
 * in voxel blocks, each block time-major (n_t x len float32, contiguous), so the GLM can then
 * read one block of voxels at a time (src/stats/first-level/glm-blocked.ts).
 *
 *   file = block 0 | block 1 | ...,  block b = voxels [b·B, b·B + len), row t at t·len
 *
 * While the volumes stream in, rows gather in a write buffer (about half the budget); when it
 * is full, each block's slice of those rows (contiguous in the file) is written with one
 * positional write. The per-scan sums that signal_scaling 1 / [0, 1] need are taken from the
 * rows as they arrive (in voxel order, as signalScaling sums them); per-voxel scaling (0)
 * needs only a block. Each block is scaled when read, so the data the GLM sees are the bits
 * the in-memory path scales.
 *
 * The file is a temporary (src/io/temporaries.ts) in the node's scratch folder (under
 * TMPDIR): removed by close(), on any error, and by the engine on interrupt. A disk without
 * room for it is refused before anything is read, naming the folder and the sizes; a write
 * that still fails with ENOSPC (the disk filled meanwhile) becomes the same clear error.
 */
import { closeSync, openSync, readSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../../src/errors.js';
import { releaseTemporary, trackTemporary } from '../../src/io/temporaries.js';
import { meanScaling } from '../../src/stats/first-level/scaling.js';
import { scaleByScanMeans, scanMeans, scanMeansWarning, scanSum, zeroVoxelMeansWarning, type SignalScalingAxis } from '../../src/stats/first-level/signal-scaling.js';
import type { VoxelBlockSource } from '../../src/stats/first-level/glm-blocked.js';
import type { DesignMeta, MaskMeta } from './artifacts.js';
import { streamMaskedRows, type SmoothingFwhm } from './masked-bold.js';

/** Default memory budget of the fit's data (the time-major Y): 512 MiB. */
export const DEFAULT_FIT_MEMORY_MB = 512;

/**
 * The fit's data budget in bytes: GLMFLOW_FIT_MEMORY_MB (MiB, > 0), else 512 MiB. A run whose
 * Y (n_kept x n_mask x 4 bytes) is larger is spilled. Not part of any cache key: both paths
 * give the same bits.
 */
export function fitMemoryBudget(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.GLMFLOW_FIT_MEMORY_MB;
  if (raw === undefined || raw === '') return DEFAULT_FIT_MEMORY_MB * 2 ** 20;
  const mb = Number(raw);
  if (!(mb > 0) || !Number.isFinite(mb)) throw new UserError(`GLMFLOW_FIT_MEMORY_MB=${raw}: expected a positive number of MiB (default ${DEFAULT_FIT_MEMORY_MB})`);
  return Math.floor(mb * 2 ** 20);
}

/** One write call (test seam: simulate a full disk); returns the bytes written. */
export type SpillWrite = (fd: number, data: Uint8Array, position: number) => number;
const defaultWrite: SpillWrite = (fd, data, position) => writeSync(fd, data, 0, data.length, position);
let writeOnce: SpillWrite = defaultWrite;

/** Test seam: replace the spill's single write call; `undefined` restores it. */
export function setSpillWriteForTests(fn: SpillWrite | undefined): void {
  writeOnce = fn ?? defaultWrite;
}

export interface SpillOptions {
  /** Folder of the temporary file (the node's scratch folder). */
  dir: string;
  /** Bytes for the data buffers (write buffer, then block + gathered copy). */
  budgetBytes: number;
  /** Applied to each block as it is read (nilearn's signal_scaling), or false. */
  scaling: SignalScalingAxis | false;
  /** Name of the run, for messages. */
  label?: string;
  onProgress?: (fraction: number) => void;
}

export class SpilledRun implements VoxelBlockSource {
  readonly nBlocks: number;
  private fd: number | undefined;
  private buffer: Float32Array;
  private zeroCounts: Int32Array;
  private scanDivisors?: Float64Array;
  private scanZeros = 0;
  /** Filled by spillMaskedRun. */
  timings: Record<string, number> = {};
  keep: number[] = [];

  constructor(
    readonly path: string, readonly nScans: number, readonly nVoxels: number, readonly blockSize: number,
    private readonly scaling: SignalScalingAxis | false,
  ) {
    this.nBlocks = Math.ceil(nVoxels / blockSize);
    this.buffer = new Float32Array(0);
    this.zeroCounts = new Int32Array(this.nBlocks).fill(-1);
    this.fd = openSync(trackTemporary(path), 'wx+');
  }

  /** Byte offset of block b. */
  offset(b: number): number {
    return b * this.blockSize * this.nScans * 4;
  }

  blockLength(b: number): number {
    return Math.min(this.blockSize, this.nVoxels - b * this.blockSize);
  }

  /** Writes all of `data` at `position` (short writes continue; 0 bytes or ENOSPC: a clear error). */
  write(data: Uint8Array, position: number): void {
    let done = 0;
    try {
      while (done < data.length) {
        const w = writeOnce(this.fd!, data.subarray(done), position + done);
        if (!(w > 0)) throw Object.assign(new Error(`write returned ${w} bytes`), { code: 'ENOSPC' });
        done += w;
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new UserError(`${this.path}: no space left on the temporaries disk while spilling a long run (${gib(this.nScans * this.nVoxels * 4)} needed); free space there or point TMPDIR to a larger disk`);
      }
      throw e;
    }
  }

  /** Per-scan sums (signal_scaling 1 / [0, 1]) known: the divisors. */
  setScanSums(rowSums: Float64Array): void {
    if (this.scaling === false || this.scaling === 0) return;
    const { mean, zeros } = scanMeans(rowSums, this.nVoxels, this.scaling, true);
    this.scanDivisors = mean;
    this.scanZeros = zeros;
  }

  read(b: number): { v0: number; len: number; y: Float32Array } {
    const len = this.blockLength(b);
    const bytes = this.nScans * len * 4;
    if (this.buffer.length < this.nScans * this.blockSize) this.buffer = new Float32Array(this.nScans * this.blockSize);
    const y = this.buffer.subarray(0, this.nScans * len);
    const u8 = new Uint8Array(y.buffer, y.byteOffset, bytes);
    let done = 0;
    while (done < bytes) {
      const r = readSync(this.fd!, u8, done, bytes - done, this.offset(b) + done);
      if (r <= 0) throw new Error(`${this.path}: spill file ended at byte ${this.offset(b) + done}`);
      done += r;
    }
    if (this.scaling === 0) {
      const zeros = meanScaling(y, this.nScans, { inPlace: true }).zeroMeanVoxels;
      this.zeroCounts[b] = zeros;
    } else if (this.scaling !== false) {
      scaleByScanMeans(y, this.nScans, this.scanDivisors!, this.scaling);
    }
    return { v0: b * this.blockSize, len, y };
  }

  /** nilearn's zero-mean warning, once every block was read. */
  scalingWarning(): string | undefined {
    if (this.scaling === false) return undefined;
    if (this.scaling === 0) {
      let zeros = 0;
      for (const z of this.zeroCounts) zeros += Math.max(0, z);
      return zeroVoxelMeansWarning(zeros);
    }
    return scanMeansWarning(this.scaling, this.scanZeros);
  }

  /** Removes the file (idempotent). */
  close(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = undefined;
    }
    this.buffer = new Float32Array(0);
    rmSync(this.path, { force: true });
    releaseTemporary(this.path);
  }
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** Whether Y (n_kept x n_mask float32) exceeds the budget. */
export function spillNeeded(dm: DesignMeta, nMask: number, budgetBytes: number): boolean {
  const nKept = dm.sampleMask?.length ?? dm.nScans;
  return nKept * nMask * 4 > budgetBytes;
}

/**
 * Streams the run into a spill file in `opts.dir` (see the module comment). On any error the
 * file is removed before the error propagates.
 */
export async function spillMaskedRun(
  bold: string, mask: MaskMeta, indices: Int32Array, dm: DesignMeta, fwhm: SmoothingFwhm, opts: SpillOptions,
): Promise<SpilledRun> {
  const nm = indices.length;
  const n = dm.sampleMask?.length ?? dm.nScans;
  const need = n * nm * 4;
  let free = Infinity;
  try {
    const st = statfsSync(opts.dir);
    free = st.bavail * st.bsize;
  } catch {
    // unknown: rely on the write errors
  }
  if (need > free) {
    throw new UserError(`${opts.dir}: the temporaries disk has ${gib(free)} free, spilling ${opts.label ?? bold} (${n} volumes x ${nm} voxels) needs ${gib(need)}; free space there or point TMPDIR to a larger disk`);
  }
  // blocks of at most a quarter of the budget (the block and a gathered copy of it are held
  // while fitting), a multiple of 4 voxels (the kernels' column block)
  const blockSize = Math.max(4, Math.floor(opts.budgetBytes / 4 / (4 * n)) & ~3);
  const rowsPerFlush = Math.max(1, Math.min(n, Math.floor(opts.budgetBytes / 2 / (4 * Math.max(1, nm)))));
  const path = join(opts.dir, `spill-${process.pid}-${randomBytes(6).toString('hex')}.f32`);
  const run = new SpilledRun(path, n, nm, blockSize, opts.scaling);
  try {
    const rows = new Float32Array(rowsPerFlush * nm);
    const slice = new Float32Array(rowsPerFlush * Math.min(blockSize, nm));
    const rowSums = new Float64Array(n);
    let r0 = 0; // first row in the write buffer
    let filled = 0;
    const flush = () => {
      for (let b = 0; b < run.nBlocks; b++) {
        const v0 = b * blockSize;
        const len = run.blockLength(b);
        for (let i = 0; i < filled; i++) slice.set(rows.subarray(i * nm + v0, i * nm + v0 + len), i * len);
        run.write(new Uint8Array(slice.buffer, 0, filled * len * 4), run.offset(b) + r0 * len * 4);
      }
      r0 += filled;
      filled = 0;
    };
    const streamed = await streamMaskedRows(bold, mask, indices, dm, fwhm, {
      slot: (r) => {
        if (r !== r0 + filled) throw new Error(`spill: row ${r} arrived, expected ${r0 + filled}`);
        return { out: rows, offset: filled * nm };
      },
      written: (r) => {
        rowSums[r] = scanSum(rows, filled * nm, nm);
        if (++filled === rowsPerFlush) flush();
      },
    }, opts.onProgress);
    if (filled > 0) flush();
    if (r0 !== n) throw new Error(`spill: ${r0} rows written, expected ${n}`);
    run.setScanSums(rowSums);
    run.keep = streamed.keep;
    run.timings = streamed.timings;
    return run;
  } catch (e) {
    run.close();
    throw e;
  }
}
