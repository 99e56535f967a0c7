/**
 * Atomic file output: data is written to `${path}.tmp-<pid>-<random>` in the destination folder
 * and renamed over `path` only once complete, so readers see the whole file or no file.
 * (rename(2) within one filesystem is atomic; the temporary is removed on failure.)
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../errors.js';
import { releaseTemporary, trackTemporary } from '../engine/temporaries.js';

/** Temporary name beside `path`. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Write `chunks` (optionally through a transform such as gzip) to `path` atomically,
 * creating the parent folders.
 */
export async function writeFileAtomic(
  path: string,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  transform?: Transform,
): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (e) {
    throw new UserError(`${path}: cannot create the output folder (${(e as Error).message})`);
  }
  // tracked so that an interrupted run removes it (src/engine/temporaries.ts)
  const tmp = trackTemporary(tempPathFor(path));
  try {
    if (transform) {
      await pipeline(Readable.from(chunks, { objectMode: false }), transform, createWriteStream(tmp));
    } else {
      // Plain bytes: write the chunks directly (no stream machinery).
      const fh = await open(tmp, 'w');
      try {
        for await (const c of chunks) await fh.write(c);
      } finally {
        await fh.close();
      }
    }
    await rename(tmp, path);
    releaseTemporary(tmp);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    releaseTemporary(tmp);
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new UserError(`${path}: cannot write (${(e as Error).message})`);
    }
    if (code === 'ENOSPC') throw new UserError(`${path}: no space left on device`);
    throw e;
  }
}
