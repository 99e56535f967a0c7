/**
 * Gunzipping a file into a few reused buffers.
 *
 * Node 20's zlib has no public API that inflates into the caller's buffers: a Gunzip stream
 * pushes slices of a fresh `Buffer.allocUnsafe(chunkSize)` for every chunkSize bytes it
 * outputs (lib/zlib.js, processCallback), and a file read stream a fresh buffer per read; the
 * sync calls (gunzipSync) return one buffer for the whole output and block the thread. For a
 * 346 MB BOLD run that is ~450 MB of garbage outside the V8 heap, which V8 answers in a fit
 * worker with ~20 Mark-Compacts ("external memory pressure") and tens of MB of dead buffers in
 * the RSS. This module drives the stream's own native handle (the object behind a Gunzip's
 * `_handle`: `init`, `write`, `close` and the `onerror` hook, called exactly as lib/zlib.js
 * calls them) with its own buffers: the same zlib code, inflating on libuv's thread pool while
 * the caller works on the previous chunk, the same errors (message and code come from the
 * native side), no allocation per chunk. The handle is undocumented, so `gunzipHandleCtor`
 * checks its shape and returns undefined when it differs; the caller then falls back on the
 * public stream (file-chunks.ts). test/io/file-chunks.test.ts checks that this Node takes this
 * path and that both paths give the same bytes and the same errors.
 */
import type { FileHandle } from 'node:fs/promises';
import { createGunzip, constants as zc } from 'node:zlib';

/** The native zlib handle as lib/zlib.js uses it (Node 20; the same calls since Node 10). */
interface ZlibHandle {
  init(windowBits: number, level: number, memLevel: number, strategy: number, writeState: Uint32Array, onWritten: () => void, dictionary: undefined): void;
  /** Inflates in_len bytes of `input` from in_off into out[out_off .. out_off + out_len) on the thread pool; writeState then holds [availOut, availIn]. */
  write(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  close(): void;
  onerror?: (message: string, errno: number, code: string) => void;
}
type ZlibHandleCtor = new (mode: number) => ZlibHandle;

let handleCtor: ZlibHandleCtor | null | undefined;

/** The constructor of Gunzip's native handle, or undefined if this Node's differs from what this module expects. */
export function gunzipHandleCtor(): ZlibHandleCtor | undefined {
  if (handleCtor === undefined) {
    handleCtor = null;
    try {
      const probe = createGunzip();
      const ctor = (probe as unknown as { _handle?: { constructor?: unknown } })._handle?.constructor;
      probe.close();
      const proto = (ctor as { prototype?: Record<string, unknown> } | undefined)?.prototype;
      if (typeof ctor === 'function' && proto && ['init', 'write', 'close'].every((k) => typeof proto[k] === 'function') && typeof zc.GUNZIP === 'number') {
        handleCtor = ctor as ZlibHandleCtor;
      }
    } catch {
      handleCtor = null;
    }
  }
  return handleCtor ?? undefined;
}

/** An Error as lib/zlib.js makes it from the native error (message, errno, code such as Z_DATA_ERROR). */
function zlibError(message: string, errno: number, code: string): Error {
  return Object.assign(new Error(message), { errno, code });
}

/**
 * The inflated bytes of a gzip file (every member, like zlib.createGunzip), in chunks of at
 * most `outBytes` written into `ring` reused buffers: the inflate runs ahead of the consumer
 * into the buffers it does not hold. The compressed bytes are read with fh.read into two
 * reused `inBytes` buffers (the next one read while the current one is inflated). A
 * ByteChunkSource of file-chunks.ts.
 */
export class GunzipInto {
  private readonly handle: ZlibHandle;
  private readonly state = new Uint32Array(2);
  private written?: () => void;
  private failed?: (e: Error) => void;
  /** Two compressed-input buffers: inputs[cur] is being inflated (from inOff, inLen bytes left), the other one read into. */
  private readonly inputs: [Uint8Array, Uint8Array];
  private cur = 1;
  private inOff = 0;
  private inLen = 0;
  private nextRead?: Promise<number>;
  private readPos = 0;
  private fileEnded = false;
  /** Buffers the inflate may write into (up to `ring`, made when first needed); filled chunks not handed out yet; the buffer the consumer holds. */
  private readonly free: Uint8Array[] = [];
  private made = 0;
  private readonly ready: { buf: Uint8Array; n: number }[] = [];
  private filled = 0;
  private held?: Uint8Array;
  private ended = false;
  private error: unknown;
  private pumping = false;
  private closed = false;
  private wake?: () => void;

  /** Throws when the handle cannot be set up (the caller then uses the stream). */
  constructor(
    private readonly fh: FileHandle,
    ctor: ZlibHandleCtor,
    private readonly outBytes: number,
    inBytes: number,
    private readonly ring = 3,
  ) {
    this.inputs = [new Uint8Array(inBytes), new Uint8Array(inBytes)];
    const handle = new ctor(zc.GUNZIP);
    // windowBits 0: the window size from the stream's header, as zlib.createGunzip() does
    handle.init(0, zc.Z_DEFAULT_COMPRESSION, zc.Z_DEFAULT_MEMLEVEL, zc.Z_DEFAULT_STRATEGY, this.state, () => this.written?.(), undefined);
    handle.onerror = (message, errno, code) => this.failed?.(zlibError(message, errno, code));
    this.handle = handle;
    this.readNext(0);
  }

  /** Starts reading the next compressed bytes into inputs[i]. */
  private readNext(i: number): void {
    const buf = this.inputs[i];
    // the next read starts once this one is used, so the position is known
    const p = this.fh.read(buf, 0, buf.length, this.readPos).then((r) => ((this.readPos += r.bytesRead), r.bytesRead));
    p.catch(() => undefined); // handled where it is awaited (or dropped by close)
    this.nextRead = p;
  }

  /** One native write of the current input into out[outOff ..]; writeState then holds [availOut, availIn]. */
  private write(flush: number, out: Uint8Array, outOff: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.written = resolve;
      this.failed = reject;
      this.handle.write(flush, this.inputs[this.cur], this.inOff, this.inLen, out, outOff, out.length - outOff);
    });
  }

  /**
   * Inflates into `out` until it is full or the gzip stream ends; `filled` counts the bytes
   * written so far (they are handed out before an error that stops the fill).
   */
  private async fill(out: Uint8Array): Promise<void> {
    this.filled = 0;
    while (this.filled < out.length) {
      if (this.inLen === 0 && !this.fileEnded) {
        // the current input is used up: go on with the one read meanwhile, read into the other
        const n = await this.nextRead!;
        if (n === 0) {
          this.fileEnded = true;
          this.nextRead = undefined;
        } else {
          this.cur ^= 1;
          this.inOff = 0;
          this.inLen = n;
          if (!this.closed) this.readNext(this.cur ^ 1);
        }
      }
      // the native side aborts the process on a write after close
      if (this.closed) break;
      await this.write(this.fileEnded ? zc.Z_FINISH : zc.Z_NO_FLUSH, out, this.filled);
      const availOut = this.state[0];
      const availIn = this.state[1];
      this.filled = out.length - availOut;
      this.inOff += this.inLen - availIn;
      this.inLen = availIn;
      // Output space left over: at the end of the file the stream is complete (a truncated one
      // fails in the write with "unexpected end of file"); with input left over, zlib stopped
      // after the last member (lib/zlib.js ends its stream there too).
      if (availOut > 0 && (this.fileEnded || availIn > 0)) {
        this.ended = true;
        break;
      }
    }
  }

  /** Fills free buffers, one after the other, while there are some and the stream goes on. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        if (this.ended || this.closed || this.error !== undefined) break;
        if (this.free.length === 0 && this.made < this.ring) {
          this.free.push(new Uint8Array(this.outBytes));
          this.made++;
        }
        const buf = this.free.pop();
        if (!buf) break;
        try {
          await this.fill(buf);
        } catch (e) {
          this.error = e;
        }
        if (this.filled > 0) this.ready.push({ buf, n: this.filled });
        else this.free.push(buf);
        this.wake?.();
      }
    } finally {
      this.pumping = false;
      this.wake?.();
    }
  }

  /** The next chunk (valid until the next call), or undefined at the end of the stream. */
  async next(): Promise<Uint8Array | undefined> {
    if (this.held) {
      this.free.push(this.held);
      this.held = undefined;
    }
    for (;;) {
      void this.pump();
      const r = this.ready.shift();
      if (r) {
        this.held = r.buf;
        return r.n === r.buf.length ? r.buf : r.buf.subarray(0, r.n);
      }
      if (this.error !== undefined) throw this.error;
      if (this.ended || this.closed) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // a write in progress completes first (the native side defers the close until then)
    this.handle.close();
    await this.nextRead?.catch(() => undefined);
    await this.fh.close().catch(() => undefined);
  }
}
