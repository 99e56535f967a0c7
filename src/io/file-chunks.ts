/**
 * A file's bytes (inflated when it is gzipped) as a sequence of chunks in reused buffers.
 *
 * The NIfTI readers stream files of hundreds of MB: chunks in fresh buffers (a read stream's,
 * a zlib stream's) would leave that much garbage outside the V8 heap, which costs repeated
 * full collections and RSS (see gunzip-into.ts). Here a raw file is read with fh.read into two
 * buffers (the next read running while the caller works on the current chunk), and a gzipped
 * one is inflated by GunzipInto into three; only where this Node's zlib handle is not the one
 * GunzipInto knows does a gzipped file go through the public zlib stream (fresh chunks).
 */
import type { FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { GunzipInto, gunzipHandleCtor } from './gunzip-into.js';

/** Chunks of bytes; each one is valid until the next call to next() or close(). */
export interface ByteChunkSource {
  /** The next chunk, or undefined at the end. Rejects with the read or zlib error (Z_* code). */
  next(): Promise<Uint8Array | undefined>;
  /** Stops reading and closes the file (also after an error, or before the end). */
  close(): Promise<void>;
}

/** zlib output chunk size (the 64 KiB default spends ~1 s more in per-chunk overhead on a 346 MB image). */
const INFLATE_CHUNK = 2 * 1024 * 1024;
/** Read size for a raw file. */
const READ_CHUNK = 4 * 1024 * 1024;
/** Read size for compressed bytes (~3 inflated chunks of a BOLD run each; larger reads inflate no faster). */
const GZIP_READ_CHUNK = 1024 * 1024;

export interface ChunkOptions {
  /** 'stream': the public zlib stream even where GunzipInto works (tests compare both). */
  inflater?: 'reuse' | 'stream';
}

/**
 * The bytes of the open file `fh` (of `size` bytes) from its start, inflated if `gz`. Takes
 * over the handle: close() closes it.
 */
export function fileChunks(fh: FileHandle, size: number, gz: boolean, opts: ChunkOptions = {}): ByteChunkSource {
  if (!gz) return new RawChunks(fh, Math.max(1, Math.min(READ_CHUNK, size)));
  const ctor = opts.inflater === 'stream' ? undefined : gunzipHandleCtor();
  if (ctor) {
    try {
      return new GunzipInto(fh, ctor, INFLATE_CHUNK, Math.max(1, Math.min(GZIP_READ_CHUNK, size)));
    } catch {
      // this Node's handle takes other arguments: the public stream below
    }
  }
  return new StreamChunks(fh);
}

/** Whether gzipped files are inflated into reused buffers on this Node (else through the zlib stream). */
export function inflatesIntoReusedBuffers(): boolean {
  return gunzipHandleCtor() !== undefined;
}

/** A raw file read into two alternating buffers. */
class RawChunks implements ByteChunkSource {
  private readonly bufs: [Uint8Array, Uint8Array];
  private reading = 0;
  private pending?: Promise<number>;
  private pos = 0;
  private closed = false;

  constructor(private readonly fh: FileHandle, bytes: number) {
    this.bufs = [new Uint8Array(bytes), new Uint8Array(bytes)];
    this.start();
  }

  private start(): void {
    const buf = this.bufs[this.reading];
    // the next read starts once this one is used, so the position is known
    const p = this.fh.read(buf, 0, buf.length, this.pos).then((r) => ((this.pos += r.bytesRead), r.bytesRead));
    p.catch(() => undefined); // handled in next() (or dropped by close)
    this.pending = p;
  }

  async next(): Promise<Uint8Array | undefined> {
    if (this.closed || !this.pending) return undefined;
    const n = await this.pending;
    if (n === 0) {
      this.pending = undefined;
      return undefined;
    }
    const buf = this.bufs[this.reading];
    // the caller is done with the other buffer: read the next bytes into it
    this.reading ^= 1;
    this.start();
    return n === buf.length ? buf : buf.subarray(0, n);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pending?.catch(() => undefined);
    await this.fh.close().catch(() => undefined);
  }
}

/** The public zlib stream over a file read stream (a fresh buffer per chunk). */
class StreamChunks implements ByteChunkSource {
  private readonly raw: ReturnType<FileHandle['createReadStream']>;
  private readonly gunzip: ReturnType<typeof createGunzip>;
  private readonly it: AsyncIterator<Buffer>;

  constructor(private readonly fh: FileHandle) {
    this.raw = fh.createReadStream({ start: 0, highWaterMark: READ_CHUNK, autoClose: false });
    this.gunzip = createGunzip({ chunkSize: INFLATE_CHUNK });
    this.raw.on('error', (e) => this.gunzip.destroy(e));
    this.raw.pipe(this.gunzip);
    this.it = this.gunzip[Symbol.asyncIterator]();
  }

  async next(): Promise<Uint8Array | undefined> {
    const r = await this.it.next();
    return r.done ? undefined : r.value;
  }

  async close(): Promise<void> {
    this.gunzip.destroy();
    this.raw.destroy();
    await this.fh.close().catch(() => undefined);
  }
}
