/**
 * Atomic file output: data is written to `${path}.tmp-<pid>-<random>` in the destination folder,
 * flushed to the disk (fsync) and renamed over `path` only once every byte was written, so
 * readers see the whole file or no file. (rename(2) within one filesystem is atomic.) On any
 * error the temporary is removed and nothing appears at `path`.
 *
 * `write(2)` may write fewer bytes than asked (a nearly full disk does exactly that before
 * failing with ENOSPC); `FileHandle.write` reports the count and does not retry, so the loop
 * below writes the rest or fails. Ignoring the count left truncated maps on a full disk.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../errors.js';
import { releaseTemporary, trackTemporary } from './temporaries.js';

/** What was written: recorded by save nodes so later runs can check the file is still these bytes. */
export interface WrittenFile { path: string; bytes: number; sha256: string }

/** One write call: like `FileHandle.write`, may write fewer bytes than asked. */
export type WriteFunction = (fh: FileHandle, data: Uint8Array, offset: number, length: number, position: number) => Promise<{ bytesWritten: number }>;

const defaultWrite: WriteFunction = (fh, data, offset, length, position) => fh.write(data, offset, length, position);
let writeOnce: WriteFunction = defaultWrite;

/** Test seam: replace the single write call (to simulate short writes or a full disk); `undefined` restores it. */
export function setWriteFunctionForTests(fn: WriteFunction | undefined): void {
  writeOnce = fn ?? defaultWrite;
}

/** Temporary name beside `path` (`cache prune` recognises the pattern `.tmp-<pid>-<hex>`). */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Writes all of `data` at `position`, looping over short writes; a write of 0 bytes is a full disk. */
async function writeFully(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await writeOnce(fh, data, done, data.length - done, position + done);
    if (!(bytesWritten > 0)) {
      throw Object.assign(new Error(`write returned ${bytesWritten} bytes (no space left on device?)`), { code: 'ENOSPC' });
    }
    done += bytesWritten;
  }
}

/** Options of writeFileAtomic. */
export interface AtomicWriteOptions {
  /**
   * false: do not hash the bytes (the result's sha256 is then ''). For files that carry their
   * own checksum and whose hash nobody records, such as cache entries (artifact-codec.ts): a
   * fit entry is tens of MB, ~40 ms of SHA-256 for nothing.
   */
  sha256?: boolean;
}

/**
 * Write `chunks` (optionally through a transform such as gzip) to `path` atomically,
 * creating the parent folders. Returns the size and SHA-256 of the bytes written.
 */
export async function writeFileAtomic(
  path: string,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  transform?: Transform,
  opts: AtomicWriteOptions = {},
): Promise<WrittenFile> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (e) {
    throw new UserError(`${path}: cannot create the output folder (${(e as Error).message})`);
  }
  // tracked so that an interrupted run removes it (src/io/temporaries.ts)
  const tmp = trackTemporary(tempPathFor(path));
  const hash = opts.sha256 === false ? undefined : createHash('sha256');
  let bytes = 0;
  let fh: FileHandle | undefined;
  // the write error itself: pipeline() may instead reject with the AbortError of the stream
  // it tears down when the sink throws (seen with large gzip chunks)
  let sinkError: unknown;
  try {
    fh = await open(tmp, 'wx');
    const handle = fh;
    const sink = async (source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) => {
      try {
        for await (const c of source) {
          const buf = typeof c === 'string' ? Buffer.from(c) : c;
          await writeFully(handle, buf, bytes);
          hash?.update(buf);
          bytes += buf.length;
        }
      } catch (e) {
        sinkError ??= e;
        throw e;
      }
    };
    if (transform) await pipeline(Readable.from(chunks, { objectMode: false }), transform, sink);
    else await sink(chunks);
    await handle.sync();
    await handle.close();
    fh = undefined;
    await rename(tmp, path);
    releaseTemporary(tmp);
  } catch (thrown) {
    const e = sinkError ?? thrown;
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    releaseTemporary(tmp);
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new UserError(`${path}: cannot write (${(e as Error).message})`);
    }
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new UserError(`${path}: no space left on device (nothing was written)`);
    throw e;
  }
  return { path, bytes, sha256: hash ? hash.digest('hex') : '' };
}
