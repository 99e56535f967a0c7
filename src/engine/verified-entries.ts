import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

/**
 * Cache entries known to be intact, so that planning a rerun does not read every entry back.
 *
 * `<cache>/verified-entries.json` maps an entry's key to the stat of its `.bin` (size, mtime,
 * ctime, inode) when it was last known whole: written by a node of this engine (the writer
 * checksums the bytes it writes, and the write is atomic) or read back and verified by the
 * planner. While the stat is the same the entry is the same bytes (every write, truncation,
 * rename over it or utimes moves ctime, which user space cannot set back), so the planner
 * counts it as cached from one stat instead of reading and checksumming it (a fit of a 4 mm
 * run is ~4.5 MB: 1 GB for a 240-run subject). Any difference and the entry is read and
 * verified as before. Like the file-hash memo it is only a shortcut: without the file
 * everything is verified by reading.
 *
 * The same stats go with each job (NodeJob.intactInputs) for the inputs written or verified
 * earlier in the run, so the node reading them skips their checksum when the file it opened
 * still has that stat (Cache.read): a contrast reads every run's fit, tens of MB each. With
 * --no-cache (no file) the memo lives for the run only.
 */
export interface EntryStat { size: number; mtimeMs: number; ctimeMs: number; ino: number }

/** Whether a file's stat is the one recorded. */
export function sameStat(st: EntryStat, m: EntryStat): boolean {
  return st.size === m.size && st.mtimeMs === m.mtimeMs && st.ctimeMs === m.ctimeMs && st.ino === m.ino;
}

export class VerifiedEntries {
  private memo: Record<string, EntryStat> = {};
  private dirty = false;
  private readonly file: string | undefined;

  /** `pathOf(key)`: where the entry's bytes are (Cache.entryPath). */
  constructor(cacheRoot: string | undefined, private readonly pathOf: (key: string) => string) {
    this.file = cacheRoot ? join(cacheRoot, 'verified-entries.json') : undefined;
  }

  async load(): Promise<void> {
    if (!this.file) return;
    try {
      const doc = JSON.parse(await fs.readFile(this.file, 'utf8'));
      this.memo = doc && typeof doc === 'object' && !Array.isArray(doc) ? doc : {};
    } catch {
      this.memo = {}; // missing or unreadable: every entry is read and verified
    }
  }

  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    try {
      await writeFileAtomic(this.file, [Buffer.from(JSON.stringify(this.memo))]);
      this.dirty = false;
    } catch {
      // only a shortcut: without it the next plan reads the entries back
    }
  }

  /** True when the entry's file still has the stat recorded when it was known whole. */
  async intact(key: string): Promise<boolean> {
    const m = this.memo[key];
    if (!m) return false;
    try {
      return sameStat(await fs.stat(this.pathOf(key)), m);
    } catch {
      return false;
    }
  }

  /** Records the entry's current stat (after it was written by a node, or read back and verified). */
  async record(key: string): Promise<void> {
    try {
      const st = await fs.stat(this.pathOf(key));
      this.memo[key] = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
      this.dirty = true;
    } catch {
      delete this.memo[key];
    }
  }

  /** The stat recorded for an entry known whole, if any. */
  known(key: string): EntryStat | undefined {
    return this.memo[key];
  }

  /** Forgets an entry (found missing or corrupt). */
  forget(key: string): void {
    if (this.memo[key]) {
      delete this.memo[key];
      this.dirty = true;
    }
  }
}
