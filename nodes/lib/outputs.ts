import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { Artifact } from '../../src/engine/types.js';
import type { WrittenFile } from '../../src/io/atomic.js';

export type { WrittenFile } from '../../src/io/atomic.js';

function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 4 << 20 })
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/**
 * Why the files a save/report node wrote are no longer what it wrote, or undefined when every
 * one still has the recorded size and SHA-256. The record comes from the writer (the bytes it
 * meant to write), never from reading the file back, so a file damaged while it was written is
 * also caught: outputs are checked, not trusted, and a damaged one is written again.
 */
export async function outputsProblem(artifact: Artifact): Promise<string | undefined> {
  const files = (artifact.meta as { files?: WrittenFile[] })?.files ?? [];
  for (const f of files) {
    let size: number;
    try {
      size = statSync(f.path).size;
    } catch {
      return `${f.path} is missing`;
    }
    if (size !== f.bytes) return `${f.path} has ${size} bytes, ${f.bytes} were written`;
    try {
      if ((await fileSha256(f.path)) !== f.sha256) return `${f.path} was changed since it was written`;
    } catch (e) {
      return `${f.path} cannot be read (${(e as Error).message})`;
    }
  }
  return undefined;
}
