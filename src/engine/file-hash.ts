import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';

/**
 * Content hashes of input files. A node key depends on the bytes of its file
 * inputs, never on their path or modification time.
 *
 * Hashing a large BOLD series costs ~0.2 s per 100 MB, so results are memoised in
 * `<cache>/file-hashes.json` keyed by (absolute path, size, mtime, ctime, inode): a rerun
 * of a 240-run study only stats its files. That memo is only a shortcut: when the file is
 * touched its stat changes, the bytes are hashed again, the same hash comes out, and no
 * node re-runs. The change time is part of the key because the modification time alone can
 * lie: a rewrite of the same size within the file system's time resolution, or one whose
 * mtime was set back (`touch -r`, `cp -p`, rsync --times), keeps size and mtime, but every
 * write or utimes() moves ctime, which user space cannot set.
 */
interface StatMemoEntry { size: number; mtimeMs: number; ctimeMs: number; ino: number; hash: string }

export class FileHasher {
  private memo: Record<string, StatMemoEntry> = {};
  private dirty = false;
  private readonly memoFile: string | undefined;

  /**
   * `identity: 'stat'` (--no-cache): the keys only name entries of the run's private,
   * temporary cache, which nothing else reads and which is removed afterwards, so a file is
   * identified by its stat (absolute path, size, mtime, ctime, inode) instead of its bytes:
   * hashing two 100 MB BOLD series took ~0.5 s of the start-up of every --no-cache run.
   */
  constructor(cacheRoot?: string, private readonly identity: 'content' | 'stat' = 'content') {
    this.memoFile = cacheRoot ? join(cacheRoot, 'file-hashes.json') : undefined;
  }

  async load(): Promise<void> {
    if (!this.memoFile) return;
    try {
      this.memo = JSON.parse(await fs.readFile(this.memoFile, 'utf8'));
    } catch {
      this.memo = {}; // missing or unreadable memo: hash everything again
    }
  }

  async save(): Promise<void> {
    if (!this.memoFile || !this.dirty) return;
    try {
      await writeFileAtomic(this.memoFile, [Buffer.from(JSON.stringify(this.memo))]);
      this.dirty = false;
    } catch {
      // only a shortcut: without it the next run hashes the inputs again
    }
  }

  async hash(path: string): Promise<string> {
    const abs = resolve(path);
    let st;
    try {
      st = await fs.stat(abs);
    } catch {
      throw new UserError(`${abs}: input file not found`);
    }
    if (this.identity === 'stat') {
      return createHash('sha256').update(JSON.stringify(['stat', abs, st.size, st.mtimeMs, st.ctimeMs, st.ino])).digest('hex');
    }
    const m = this.memo[abs];
    if (m && m.size === st.size && m.mtimeMs === st.mtimeMs && m.ctimeMs === st.ctimeMs && m.ino === st.ino) return m.hash;
    const hash = await hashFileContent(abs);
    this.memo[abs] = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, hash };
    this.dirty = true;
    return hash;
  }
}

export function hashFileContent(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 4 << 20 })
      .on('data', (chunk) => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(h.digest('hex')));
  });
}
