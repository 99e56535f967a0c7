/**
 * NIfTI-1 / NIfTI-2 reader (.nii and .nii.gz, either byte order).
 *
 * The file is streamed in chunks (gunzipped in 2 MiB chunks, into a few reused buffers: see
 * file-chunks.ts) and every chunk is decoded straight into one preallocated Float32Array, so
 * the decompressed file is never held in memory as a whole. Header fields are read by nifti-reader-js from the header bytes only (see
 * nifti-header.ts).
 *
 * `streamNiftiVolumes` reads the same way but hands over one volume at a time (decoding only
 * the voxels asked for), for consumers that must not hold the whole 4D image (the fit node).
 *
 * Voxel order is NIfTI's: index = x + nx*(y + ny*(z + nz*t)).
 * Scaling: value = raw * scl_slope + scl_inter when scl_slope is finite and non-zero
 * (scl_slope = 0 means "no scaling" in the NIfTI-1 standard), computed in float64 and
 * rounded once to float32.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { gunzipSync, constants as zc } from 'node:zlib';
import { UserError } from '../errors.js';
import { fileChunks, type ByteChunkSource, type ChunkOptions } from './file-chunks.js';
import {
  headerSizeOf,
  parseNiftiHeader,
  publicHeader,
  type NiftiHeaderInfo,
  type ParsedHeader,
} from './nifti-header.js';

export type { NiftiHeaderInfo } from './nifti-header.js';

export interface NiftiImage extends NiftiHeaderInfo {
  /** Voxel values (scaled), NIfTI order, length nx*ny*nz*nt. */
  data: Float32Array;
}

const PLATFORM_LE = endianness() === 'LE';

/** Open a file for reading, turning the usual OS errors into UserErrors naming the file. */
async function openForRead(path: string): Promise<{ fh: FileHandle; size: number }> {
  try {
    const fh = await open(path, 'r');
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      throw new UserError(`${path}: is a directory, expected a NIfTI file (.nii or .nii.gz)`);
    }
    return { fh, size: st.size };
  } catch (e) {
    throw fileError(path, e);
  }
}

function fileError(path: string, e: unknown): Error {
  if (e instanceof UserError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new UserError(`${path}: file not found`);
  if (code === 'EISDIR') return new UserError(`${path}: is a directory, expected a NIfTI file (.nii or .nii.gz)`);
  if (code === 'EACCES' || code === 'EPERM') return new UserError(`${path}: permission denied`);
  return e instanceof Error ? e : new Error(String(e));
}

/** An error while streaming a file: a truncated gzip stream, corrupt gzip data, or an OS error. */
function streamError(path: string, e: unknown, truncatedError: () => Error): Error {
  if (e instanceof UserError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test((e as Error)?.message ?? '')) return truncatedError();
  if (code === 'Z_DATA_ERROR' || code === 'Z_STREAM_ERROR') return new UserError(`${path}: corrupt gzip data (${(e as Error).message})`);
  return fileError(path, e);
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Read only the header. For .nii.gz only the first compressed bytes are read and inflated
 * (a partial inflate with Z_SYNC_FLUSH), never the whole file.
 */
export async function readNiftiHeader(path: string): Promise<NiftiHeaderInfo> {
  const { fh, size } = await openForRead(path);
  try {
    // 4 KiB of deflate input usually holds the 540-byte header (a 240-run study reads 240
    // headers at every plan: 64 KiB each inflated to ~0.5 MB cost 0.6 s); grow if it does not.
    for (let want = 4 * 1024; ; want *= 4) {
      const n = Math.min(want, size);
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      let head: Buffer = buf.subarray(0, bytesRead);
      if (isGzip(head)) {
        try {
          head = gunzipSync(head, { finishFlush: zc.Z_SYNC_FLUSH });
        } catch (e) {
          throw new UserError(`${path}: corrupt gzip data (${(e as Error).message})`);
        }
      }
      const hsize = headerSizeOf(head);
      if (hsize === undefined && head.length >= 4) parseNiftiHeader(head, path); // throws "not a NIfTI"
      if (hsize !== undefined && head.length >= hsize) return publicHeader(parseNiftiHeader(head, path));
      if (n >= size) {
        // Whole file consumed and still no complete header.
        if (head.length < 4) throw new UserError(`${path}: not a NIfTI file (only ${head.length} bytes)`);
        return publicHeader(parseNiftiHeader(head, path)); // throws "truncated header"
      }
    }
  } finally {
    await fh.close();
  }
}

type Ctor =
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

const CTORS: Record<string, Ctor> = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
};

/**
 * Decodes a byte stream of voxel values (arriving in arbitrary chunks) into `out`.
 * A value split across two chunks is assembled in a small carry buffer.
 */
class VoxelDecoder {
  readonly out: Float32Array;
  /** Values written so far. */
  pos = 0;
  private readonly bpv: number;
  private readonly ctor: Ctor;
  private readonly swap: boolean;
  private readonly slope: number;
  private readonly inter: number;
  private readonly scaled: boolean;
  private readonly carry: Uint8Array;
  private carryLen = 0;

  constructor(h: ParsedHeader, nValues: number) {
    try {
      this.out = new Float32Array(nValues);
    } catch {
      throw new UserError(`image too large to load (${nValues} voxel values)`);
    }
    this.bpv = h.bytesPerVoxel;
    this.ctor = CTORS[h.datatype];
    this.swap = h.bytesPerVoxel > 1 && h.littleEndian !== PLATFORM_LE;
    const useSlope = Number.isFinite(h.sclSlope) && h.sclSlope !== 0;
    this.slope = useSlope ? h.sclSlope : 1;
    this.inter = useSlope && Number.isFinite(h.sclInter) ? h.sclInter : 0;
    this.scaled = this.slope !== 1 || this.inter !== 0;
    this.carry = new Uint8Array(this.bpv);
  }

  get done(): boolean {
    return this.pos >= this.out.length;
  }

  /** Feed the next bytes; bytes beyond the last voxel are ignored. */
  push(chunk: Uint8Array): void {
    let off = 0;
    if (this.carryLen > 0) {
      const take = Math.min(this.bpv - this.carryLen, chunk.length);
      this.carry.set(chunk.subarray(0, take), this.carryLen);
      this.carryLen += take;
      off = take;
      if (this.carryLen < this.bpv) return;
      this.decode(this.carry, 1);
      this.carryLen = 0;
    }
    const remaining = this.out.length - this.pos;
    const n = Math.min(Math.floor((chunk.length - off) / this.bpv), remaining);
    if (n > 0) this.decode(chunk.subarray(off, off + n * this.bpv), n);
    off += n * this.bpv;
    if (!this.done && off < chunk.length) {
      this.carry.set(chunk.subarray(off), 0);
      this.carryLen = chunk.length - off;
    }
  }

  /** Decode `n` whole values from `bytes` (exactly n * bpv bytes) into out[pos..]. */
  private decode(bytes: Uint8Array, n: number): void {
    // Typed-array views need aligned offsets and the platform byte order; copy otherwise.
    if (this.swap || bytes.byteOffset % this.bpv !== 0) {
      const copy = new Uint8Array(bytes.length);
      copy.set(bytes);
      if (this.swap) {
        const b = Buffer.from(copy.buffer, 0, copy.length);
        if (this.bpv === 2) b.swap16();
        else if (this.bpv === 4) b.swap32();
        else b.swap64();
      }
      bytes = copy;
    }
    const src = new this.ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, n);
    const out = this.out;
    const p = this.pos;
    if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
      for (let i = 0; i < n; i++) out[p + i] = Number(src[i]) * this.slope + this.inter;
    } else if (!this.scaled) {
      out.set(src, p); // native conversion to float32 (bitwise copy for float32 input)
    } else {
      const s = this.slope;
      const c = this.inter;
      for (let i = 0; i < n; i++) out[p + i] = src[i] * s + c;
    }
    this.pos += n;
  }
}

/**
 * The file's bytes in chunks (inflated in 2 MiB chunks when it is gzipped), each valid until
 * the next one is asked for: see file-chunks.ts.
 */
async function openData(path: string, opts?: ChunkOptions): Promise<{ source: ByteChunkSource; gz: boolean }> {
  const { fh, size } = await openForRead(path);
  try {
    const first = Buffer.alloc(2);
    await fh.read(first, 0, 2, 0);
    const gz = isGzip(first);
    return { source: fileChunks(fh, size, gz, opts), gz };
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw fileError(path, e);
  }
}

/**
 * Gathers the bytes up to the voxel data (header, extensions) from the first chunks. Chunks
 * live only until the next one is read, so what must wait for more bytes is copied.
 */
class HeadBytes {
  private kept?: Buffer;
  get length(): number {
    return this.kept?.length ?? 0;
  }
  /** The bytes so far with `chunk` appended (a view of chunk when nothing was kept). */
  add(chunk: Uint8Array): Buffer {
    const c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    return this.kept ? Buffer.concat([this.kept, c]) : c;
  }
  /** Keep `head` (a result of add) for the next chunk. */
  keep(head: Buffer): void {
    this.kept = Buffer.from(head); // copy: the chunk's buffer is reused
  }
  bytes(): Buffer {
    return this.kept ?? Buffer.alloc(0);
  }
}

/**
 * The parsed header once `head` holds every byte before the voxel data (header and
 * extensions), else undefined; throws "not a NIfTI file" as soon as the size field says so.
 */
function completeHeader(head: Buffer, path: string): ParsedHeader | undefined {
  if (head.length < 4) return undefined;
  const hsize = headerSizeOf(head);
  if (hsize === undefined) parseNiftiHeader(head, path); // throws "not a NIfTI file"
  if (head.length < hsize!) return undefined;
  const h = parseNiftiHeader(head, path);
  return head.length < h.voxOffset ? undefined : h;
}

/** Read a whole NIfTI image (header + voxel data as float32). */
export async function readNifti(path: string, opts?: ChunkOptions): Promise<NiftiImage> {
  const { source, gz } = await openData(path, opts);

  let header: ParsedHeader | undefined;
  let decoder: VoxelDecoder | undefined;
  const pending = new HeadBytes();
  let voxelBytesSeen = 0;
  const expectedBytes = () => decoder!.out.length * header!.bytesPerVoxel;

  try {
    for (let c = await source.next(); c; c = await source.next()) {
      if (decoder) {
        voxelBytesSeen += c.length;
        decoder.push(c);
        if (decoder.done) break;
        continue;
      }
      // Still gathering the header (and any extensions before vox_offset).
      const head = pending.add(c);
      header = completeHeader(head, path);
      if (!header) {
        pending.keep(head);
        continue;
      }
      const nValues = header.dims[0] * header.dims[1] * header.dims[2] * header.dims[3];
      try {
        decoder = new VoxelDecoder(header, nValues);
      } catch (e) {
        throw e instanceof UserError ? new UserError(`${path}: ${e.message}`) : e;
      }
      const rest = head.subarray(header.voxOffset);
      voxelBytesSeen += rest.length;
      decoder.push(rest);
      if (decoder.done) break;
    }
  } catch (e) {
    throw streamError(path, e, () => truncated(path, header, decoder ? expectedBytes() : undefined, voxelBytesSeen, true));
  } finally {
    await source.close();
  }

  if (!header || !decoder) {
    const pendingLen = pending.length;
    if (pendingLen < 4) throw new UserError(`${path}: not a NIfTI file (only ${pendingLen} bytes${gz ? ' after decompression' : ''})`);
    const head = pending.bytes();
    const h = parseNiftiHeader(head, path); // throws "truncated header" if incomplete
    throw new UserError(`${path}: truncated NIfTI file: the voxel data should start at byte ${h.voxOffset} but the file has ${pendingLen} bytes`);
  }
  if (!decoder.done) throw truncated(path, header, expectedBytes(), voxelBytesSeen, false);
  return { ...publicHeader(header), data: decoder.out };
}

/**
 * Which voxels of each volume `streamNiftiVolumes` decodes: for every x-row r = y + ny * z of
 * the volume, the x range [xLo[r], xHi[r]) (an empty range, xHi <= xLo, skips the row).
 */
export interface RowSelection {
  xLo: Int32Array;
  xHi: Int32Array;
}

/** A RowSelection covering the inclusive box lo..hi of a grid with dims [nx, ny, nz]. */
export function boxSelection(dims: readonly number[], lo: readonly number[], hi: readonly number[]): RowSelection {
  const [nx, ny, nz] = dims;
  const xLo = new Int32Array(ny * nz);
  const xHi = new Int32Array(ny * nz);
  for (let z = Math.max(0, lo[2]); z <= Math.min(nz - 1, hi[2]); z++)
    for (let y = Math.max(0, lo[1]); y <= Math.min(ny - 1, hi[1]); y++) {
      xLo[y + ny * z] = Math.max(0, lo[0]);
      xHi[y + ny * z] = Math.min(nx, hi[0] + 1);
    }
  return { xLo, xHi };
}

export interface VolumeStreamOptions {
  /**
   * Called once the header is known; returns the voxels to decode in every volume (default:
   * all). Voxels outside the selection are left untouched in the buffer passed to onVolume
   * (0 unless the consumer writes there).
   */
  select?: (header: NiftiHeaderInfo) => RowSelection | undefined;
  /** Volumes to decode (others are inflated and skipped without decoding). Default: all. */
  volumes?: ArrayLike<number>;
  /**
   * The buffer to decode each volume into (at least nx*ny*nz values), e.g. one that a
   * consumer's kernels work on in place. Default: a new Float32Array.
   */
  into?: Float32Array;
  /** A consumer-side decoder (e.g. a SIMD kernel), see VolumeDecoder. */
  decoder?: VolumeDecoder;
  /**
   * Receives each selected volume t (ascending) as a full 3D Float32Array in NIfTI order,
   * scaled like readNifti. The same buffer is reused for every volume: copy what you keep.
   */
  onVolume: (t: number, volume: Float32Array) => void | Promise<void>;
}

/**
 * Lets the consumer decode the raw voxel values itself: the reader gathers the bytes of each
 * selected volume's selected voxels into `raw` (at their place in the volume, in the
 * platform's byte order, swapped if the file's differs; other bytes are left as they were) and
 * calls `decode`, which returns true when the consumer takes the volume from there (it must
 * then fill, or read straight from `raw`, the selected voxels of the `into` buffer that its
 * onVolume receives: raw * slope + inter, float64, rounded once to float32), or false to let
 * the reader decode them from `raw` into `into` as usual.
 */
export interface VolumeDecoder {
  /** At least one volume of raw bytes, aligned to the value size. */
  raw: Uint8Array;
  decode(volume: { datatype: string; slope: number; inter: number }): boolean;
}

/** Where the time of a volume stream went (seconds of wall time on the calling thread). */
export interface VolumeStreamStats {
  /** Waiting for the next inflated chunk (gunzip and file I/O, off this thread). */
  waitSeconds: number;
  /** Copying bytes into the volume buffer and decoding the selected voxels. */
  decodeSeconds: number;
  /** Inside onVolume. */
  consumeSeconds: number;
}

/**
 * Streams a NIfTI image volume by volume without ever holding the 4D array: the file is
 * inflated in chunks (same 2 MiB zlib chunks as readNifti, the inflate running on libuv's
 * thread pool while this thread works on the previous chunk), the raw bytes of one volume are
 * gathered in a volume-sized byte buffer, and only the selected voxels are decoded into one
 * reusable Float32Array. Memory: one raw volume + one float32 volume, whatever the number of
 * volumes. Values are identical to readNifti's (same scaling arithmetic).
 */
export async function streamNiftiVolumes(
  path: string, opts: VolumeStreamOptions, chunkOpts?: ChunkOptions,
): Promise<NiftiHeaderInfo & { stats: VolumeStreamStats }> {
  const { source, gz } = await openData(path, chunkOpts);
  const stats: VolumeStreamStats = { waitSeconds: 0, decodeSeconds: 0, consumeSeconds: 0 };
  let header: ParsedHeader | undefined;
  let sink: VolumeSink | undefined;
  const pending = new HeadBytes();
  let voxelBytesSeen = 0;
  try {
    let mark = performance.now();
    for (let c = await source.next(); c; c = await source.next()) {
      const got = performance.now();
      stats.waitSeconds += (got - mark) / 1000;
      if (sink) {
        voxelBytesSeen += c.length;
        await sink.push(c, stats);
      } else {
        const head = pending.add(c);
        header = completeHeader(head, path);
        if (header) {
          sink = new VolumeSink(header, opts.select?.(publicHeader(header)), opts.volumes, opts.onVolume, opts.into, opts.decoder);
          const rest = head.subarray(header.voxOffset);
          voxelBytesSeen += rest.length;
          await sink.push(rest, stats);
        } else pending.keep(head);
      }
      if (sink?.done) break;
      mark = performance.now();
    }
  } catch (e) {
    throw streamError(path, e, () => truncated(path, header, sink?.totalBytes, voxelBytesSeen, true));
  } finally {
    await source.close();
  }
  if (!header || !sink) {
    const pendingLen = pending.length;
    if (pendingLen < 4) throw new UserError(`${path}: not a NIfTI file (only ${pendingLen} bytes${gz ? ' after decompression' : ''})`);
    const h = parseNiftiHeader(pending.bytes(), path);
    throw new UserError(`${path}: truncated NIfTI file: the voxel data should start at byte ${h.voxOffset} but the file has ${pendingLen} bytes`);
  }
  if (!sink.done) throw truncated(path, header, sink.totalBytes, voxelBytesSeen, false);
  return { ...publicHeader(header), stats };
}

/** Gathers the raw bytes of one volume at a time and decodes the selected voxels of it. */
class VolumeSink {
  readonly totalBytes: number;
  private readonly volBytes: number;
  private readonly raw: Uint8Array;
  private readonly out: Float32Array;
  private readonly wanted: Uint8Array;
  private readonly lastWanted: number;
  private t = 0;
  private filled = 0;
  private readonly decodeVolume: () => void;
  /** Byte ranges [spans[2i], spans[2i + 1]) of a volume holding the selected voxels (copied), and the next one to copy. */
  private readonly spans: Float64Array;
  private span = 0;

  constructor(
    h: ParsedHeader,
    selection: RowSelection | undefined,
    volumes: ArrayLike<number> | undefined,
    private readonly onVolume: (t: number, v: Float32Array) => void | Promise<void>,
    into?: Float32Array,
    decoder?: VolumeDecoder,
  ) {
    const [nx, ny, nz] = h.dims;
    const nt = Math.max(1, h.dims[3]);
    const nvox = nx * ny * nz;
    this.volBytes = nvox * h.bytesPerVoxel;
    this.totalBytes = this.volBytes * nt;
    this.wanted = new Uint8Array(nt);
    if (volumes) {
      for (let i = 0; i < volumes.length; i++) {
        const v = volumes[i];
        if (!(Number.isInteger(v) && v >= 0 && v < nt)) throw new UserError(`${nt} volumes: no volume ${v}`);
        this.wanted[v] = 1;
      }
    } else this.wanted.fill(1);
    let last = -1;
    for (let i = 0; i < nt; i++) if (this.wanted[i]) last = i;
    this.lastWanted = last;
    const own = !decoder || decoder.raw.length < this.volBytes || decoder.raw.byteOffset % h.bytesPerVoxel !== 0;
    try {
      this.raw = own ? new Uint8Array(this.volBytes) : decoder.raw.subarray(0, this.volBytes);
      if (into && into.length < nvox) throw new Error(`streamNiftiVolumes: 'into' has ${into.length} values, a volume has ${nvox}`);
      this.out = into ?? new Float32Array(nvox);
    } catch {
      throw new UserError(`volume too large to load (${nvox} voxels)`);
    }
    const sel = selection ?? boxSelection(h.dims, [0, 0, 0], [nx - 1, ny - 1, nz - 1]);
    if (sel.xLo.length !== ny * nz || sel.xHi.length !== ny * nz) throw new Error(`row selection must have ${ny * nz} rows`);
    this.spans = selectedSpans(sel, nx, h.bytesPerVoxel);
    const ctor = CTORS[h.datatype];
    const swap = h.bytesPerVoxel > 1 && h.littleEndian !== PLATFORM_LE;
    const useSlope = Number.isFinite(h.sclSlope) && h.sclSlope !== 0;
    const slope = useSlope ? h.sclSlope : 1;
    const inter = useSlope && Number.isFinite(h.sclInter) ? h.sclInter : 0;
    const raw = this.raw;
    const out = this.out;
    const big = ctor === BigInt64Array || ctor === BigUint64Array;
    const external = own ? undefined : decoder;
    this.decodeVolume = () => {
      if (swap) {
        const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        if (h.bytesPerVoxel === 2) b.swap16();
        else if (h.bytesPerVoxel === 4) b.swap32();
        else b.swap64();
      }
      if (external?.decode({ datatype: h.datatype, slope, inter })) return;
      const src = new ctor(raw.buffer as ArrayBuffer, raw.byteOffset, nvox);
      for (let r = 0; r < ny * nz; r++) {
        const lo = sel.xLo[r];
        const hi = sel.xHi[r];
        if (hi <= lo) continue;
        const a = r * nx + lo;
        const b = r * nx + hi;
        if (big) {
          const s = src as BigInt64Array | BigUint64Array;
          for (let i = a; i < b; i++) out[i] = Number(s[i]) * slope + inter;
        } else {
          const s = src as Exclude<typeof src, BigInt64Array | BigUint64Array>;
          for (let i = a; i < b; i++) out[i] = s[i] * slope + inter;
        }
      }
    };
  }

  /** Copies the selected bytes among the volume's bytes filled .. filled + n (at chunk[off ..]) into raw. */
  private copySelected(chunk: Uint8Array, off: number, n: number): void {
    const spans = this.spans;
    const end = this.filled + n;
    for (; this.span < spans.length; this.span += 2) {
      const a = Math.max(spans[this.span], this.filled);
      const b = Math.min(spans[this.span + 1], end);
      if (a < b) this.raw.set(chunk.subarray(off + a - this.filled, off + b - this.filled), a);
      if (spans[this.span + 1] > end) break; // the rest of this span comes with the next chunk
    }
  }

  get done(): boolean {
    return this.t > this.lastWanted;
  }

  async push(chunk: Uint8Array, stats: VolumeStreamStats): Promise<void> {
    let off = 0;
    while (off < chunk.length && !this.done) {
      const n = Math.min(this.volBytes - this.filled, chunk.length - off);
      const keep = this.wanted[this.t] === 1;
      if (keep) {
        const t0 = performance.now();
        this.copySelected(chunk, off, n);
        stats.decodeSeconds += (performance.now() - t0) / 1000;
      }
      this.filled += n;
      off += n;
      if (this.filled === this.volBytes) {
        if (keep) {
          const t0 = performance.now();
          this.decodeVolume();
          const t1 = performance.now();
          stats.decodeSeconds += (t1 - t0) / 1000;
          const r = this.onVolume(this.t, this.out);
          if (r) await r;
          stats.consumeSeconds += (performance.now() - t1) / 1000;
        }
        this.t++;
        this.filled = 0;
        this.span = 0;
      }
    }
  }
}

/**
 * The byte ranges of a volume that hold the selected voxels, ranges less than SPAN_GAP bytes
 * apart merged: the reader copies only these out of the inflated chunks (a brain mask's
 * smoothing needs ~40 % of the bytes of an MNI volume; the merged ranges, ~60 %, are copied in
 * ~1 span per slice).
 */
function selectedSpans(sel: RowSelection, nx: number, bpv: number): Float64Array {
  const out: number[] = [];
  for (let r = 0; r < sel.xLo.length; r++) {
    if (sel.xHi[r] <= sel.xLo[r]) continue;
    const a = (r * nx + sel.xLo[r]) * bpv;
    const b = (r * nx + sel.xHi[r]) * bpv;
    if (out.length > 0 && a - out[out.length - 1] <= SPAN_GAP) out[out.length - 1] = b;
    else out.push(a, b);
  }
  return Float64Array.from(out);
}
const SPAN_GAP = 256;

function truncated(
  path: string,
  header: ParsedHeader | undefined,
  expected: number | undefined,
  found: number,
  gzipEnd: boolean,
): UserError {
  const why = gzipEnd ? ' (the gzip stream ends early)' : '';
  if (!header || expected === undefined) return new UserError(`${path}: truncated NIfTI file${why}: the header is incomplete`);
  return new UserError(`${path}: truncated NIfTI file${why}: expected ${expected} bytes of voxel data, found ${found}`);
}

/** Voxel sizes (mm) of an affine: the norms of the columns of its 3x3 part. */
export function voxelSizes(affine: number[][]): number[] {
  return [0, 1, 2].map((j) => Math.hypot(affine[0][j], affine[1][j], affine[2][j]));
}

/**
 * True when two images share a voxel grid: same spatial dims and affines equal within `tol`
 * (absolute, per element). Used e.g. to check that a mask is on the BOLD grid.
 */
export function sameGrid(
  a: { dims: number[]; affine: number[][] },
  b: { dims: number[]; affine: number[][] },
  tol = 1e-4,
): boolean {
  for (let i = 0; i < 3; i++) if (a.dims[i] !== b.dims[i]) return false;
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) if (!(Math.abs(a.affine[r][c] - b.affine[r][c]) <= tol)) return false;
  }
  return true;
}
