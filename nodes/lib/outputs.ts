import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Artifact } from '../../src/engine/types.js';

/** A file a save/report node wrote, with what it must still contain. */
export interface WrittenFile { path: string; bytes: number; sha256: string }

export function describeWritten(path: string): WrittenFile {
  const buf = readFileSync(path);
  return { path, bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
}

/**
 * True when every file a node wrote still exists with the same bytes, so a cached
 * save node whose outputs were deleted or edited is run again.
 */
export function writtenFilesIntact(artifact: Artifact): boolean {
  const files = (artifact.meta as { files?: WrittenFile[] })?.files ?? [];
  for (const f of files) {
    try {
      if (statSync(f.path).size !== f.bytes) return false;
      if (createHash('sha256').update(readFileSync(f.path)).digest('hex') !== f.sha256) return false;
    } catch {
      return false;
    }
  }
  return true;
}
