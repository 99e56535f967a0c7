import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { openCacheFolder } from './cache-folder.js';
import type { Artifact, ArraySelection, Json } from './types.js';
import { createHash } from 'node:crypto';
import { decodeArtifact, encodeArtifact, planSelectedRead, CorruptEntryError, CHECKSUM_BYTES, type SelectedPiece } from './artifact-codec.js';
import { sha256 } from './canonical.js';
import { sameStat, type EntryStat } from './verified-entries.js';

/**
 * Content-addressed cache:
 *   <root>/objects/<k0k1>/<key>.bin    the encoded artifact (checksum verified on every read, unless
 *                                      the file still has the stat it had when known whole)
 *   <root>/objects/<k0k1>/<key>.json   small info record: node id, type, size, time
 *   <root>/nodes/<sha(id)>.json        what the last successful run of a node id was made of,
 *                                      so `plan` can say *why* a node must run again
 *   <root>/glmflow-cache.json          marker: this folder is a cache (cache-folder.ts)
 *   <root>/file-hashes.json            input files' hashes by stat (file-hash.ts)
 *   <root>/verified-entries.json       entries known intact, by stat (verified-entries.ts)
 *   <root>/leases/                     runs using the cache now (cache-leases.ts)
 * Every file is written to a temporary name in the same folder and renamed, so a
 * reader sees a whole entry or none.
 */
export interface EntryInfo { key: string; node: string; type: string; bytes: number; created: string; seconds: number }

/** The ingredients of a node key, recorded after each successful run. */
export interface NodeRecord {
  id: string;
  key: string;
  type: string;
  version: string;
  params: Json;
  deps: Record<string, string | string[]>;
  depIds: Record<string, string | string[]>;
  files: Record<string, { path: string; hash: string }[]>;
}

export type ReadResult = { ok: true; artifact: Artifact } | { ok: false; reason: 'missing' | 'corrupt'; detail?: string };

export class Cache {
  constructor(readonly root: string) {}

  private objectPath(key: string, ext: string): string {
    return join(this.root, 'objects', key.slice(0, 2), `${key}.${ext}`);
  }

  /** The file holding an entry's bytes. */
  entryPath(key: string): string {
    return this.objectPath(key, 'bin');
  }

  private nodeRecordPath(id: string): string {
    return join(this.root, 'nodes', `${sha256(id).slice(0, 32)}.json`);
  }

  /** Makes the folder a cache (creating it and its marker), or refuses one that is not a cache. */
  async init(): Promise<void> {
    await openCacheFolder(this.root);
    await fs.mkdir(join(this.root, 'objects'), { recursive: true });
    await fs.mkdir(join(this.root, 'nodes'), { recursive: true });
  }

  async has(key: string): Promise<boolean> {
    try {
      await fs.access(this.objectPath(key, 'bin'));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Reads and verifies an entry. `known`: the stat the entry had when it was known whole
   * (verified-entries.ts); when the opened file still has it, its checksum is not recomputed.
   */
  async read(key: string, known?: EntryStat): Promise<ReadResult> {
    let buf: Buffer;
    let intact = false;
    try {
      const fh = await fs.open(this.objectPath(key, 'bin'), 'r');
      try {
        // the stat of the open file, so the bytes read are those of the file compared
        intact = known !== undefined && sameStat(await fh.stat(), known);
        buf = await fh.readFile();
      } finally {
        await fh.close();
      }
    } catch {
      return { ok: false, reason: 'missing' };
    }
    try {
      return { ok: true, artifact: decodeArtifact(buf, { verify: !intact }) };
    } catch (e) {
      if (e instanceof CorruptEntryError) return { ok: false, reason: 'corrupt', detail: e.message };
      throw e;
    }
  }

  /**
   * Reads some arrays of an entry (`ArraySelection`): e.g. a contrast needs 1-2 of a fit's 16
   * rows of theta, a residual map one array of ~40 MB. An entry known whole (`known`, as in
   * `read`) is read at those places only; any other is streamed once through its checksum in
   * small chunks, keeping what was asked for, so it is verified without being held whole.
   */
  async readSelected(key: string, select: ArraySelection, known?: EntryStat): Promise<ReadResult> {
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(this.objectPath(key, 'bin'), 'r');
    } catch {
      return { ok: false, reason: 'missing' };
    }
    try {
      const st = await fh.stat();
      let head = await readAt(fh, Math.min(st.size, HEADER_GUESS), 0);
      let plan = planSelectedRead(head, st.size, select);
      if ('need' in plan) {
        head = await readAt(fh, plan.need, 0);
        plan = planSelectedRead(head, st.size, select);
        if ('need' in plan) throw new CorruptEntryError('not a cache entry or truncated');
      }
      if (known !== undefined && sameStat(st, known)) {
        for (const piece of plan.pieces) await readInto(fh, piece.bytes, piece.fileOffset);
      } else {
        await streamVerified(fh, st.size, plan.pieces);
      }
      return { ok: true, artifact: { meta: plan.meta, arrays: plan.arrays } };
    } catch (e) {
      if (e instanceof CorruptEntryError) return { ok: false, reason: 'corrupt', detail: e.message };
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, reason: 'missing' };
      throw e;
    } finally {
      await fh.close();
    }
  }

  async write(key: string, artifact: Artifact, info: Omit<EntryInfo, 'key' | 'bytes' | 'created'>): Promise<void> {
    // the entry carries its own checksum (artifact-codec.ts): no second hash of its bytes
    const { bytes } = await writeFileAtomic(this.objectPath(key, 'bin'), encodeArtifact(artifact), undefined, { sha256: false });
    await writeJson(this.objectPath(key, 'json'), { key, bytes, created: new Date().toISOString(), ...info });
  }

  async remove(key: string): Promise<void> {
    await fs.rm(this.objectPath(key, 'bin'), { force: true });
    await fs.rm(this.objectPath(key, 'json'), { force: true });
  }

  async readNodeRecord(id: string): Promise<NodeRecord | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.nodeRecordPath(id), 'utf8'));
    } catch {
      return undefined;
    }
  }

  async writeNodeRecord(rec: NodeRecord): Promise<void> {
    await writeJson(this.nodeRecordPath(rec.id), rec);
  }

  /**
   * Every entry with its info record (entries without one are listed with what the file says).
   * Only real files in real shard folders count: a symbolic link is never followed out of the cache.
   */
  async list(): Promise<(EntryInfo & { mtimeMs: number })[]> {
    const out: (EntryInfo & { mtimeMs: number })[] = [];
    for (const shard of await realEntries(join(this.root, 'objects'), 'dir')) {
      const dir = join(this.root, 'objects', shard);
      for (const name of await realEntries(dir, 'file')) {
        if (!name.endsWith('.bin')) continue;
        const key = name.slice(0, -4);
        let st;
        try {
          st = await fs.lstat(join(dir, name));
        } catch {
          continue; // removed meanwhile (another prune)
        }
        let info: Partial<EntryInfo> = {};
        try {
          info = JSON.parse(await fs.readFile(join(dir, `${key}.json`), 'utf8'));
        } catch {
          /* info record missing: still list the entry */
        }
        out.push({ key, node: info.node ?? '?', type: info.type ?? '?', bytes: st.size, created: info.created ?? st.mtime.toISOString(), seconds: info.seconds ?? 0, mtimeMs: st.mtimeMs });
      }
    }
    return out.sort((a, b) => a.created.localeCompare(b.created));
  }

  /** Keys that the latest run of each node id produced (kept by `prune`). */
  async currentKeys(): Promise<Set<string>> {
    const keys = new Set<string>();
    try {
      for (const name of await fs.readdir(join(this.root, 'nodes'))) {
        try {
          keys.add(JSON.parse(await fs.readFile(join(this.root, 'nodes', name), 'utf8')).key);
        } catch {
          /* unreadable record: ignore */
        }
      }
    } catch {
      /* no records */
    }
    return keys;
  }

  /**
   * Removes temporary files left by writes that were interrupted (never read as entries);
   * `inUse(pid, mtimeMs)` spares those a live run may still be writing.
   */
  async removeTemporaries(inUse: (pid: number, mtimeMs: number) => boolean = () => false): Promise<number> {
    let removed = 0;
    const visit = async (dir: string, depth: number): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const d of entries) {
        const path = join(dir, d.name);
        if (d.isDirectory() && depth > 0) await visit(path, depth - 1);
        const m = /\.tmp-(\d+)-[a-z0-9]+$/.exec(d.name);
        if (!m || !d.isFile()) continue;
        const st = await fs.lstat(path).catch(() => undefined);
        if (!st || inUse(Number(m[1]), st.mtimeMs)) continue;
        await fs.rm(path, { force: true });
        removed++;
      }
    };
    await visit(this.root, 0);
    await visit(join(this.root, 'objects'), 1);
    await visit(join(this.root, 'nodes'), 0);
    return removed;
  }

  async clear(): Promise<void> {
    await fs.rm(join(this.root, 'objects'), { recursive: true, force: true });
    await fs.rm(join(this.root, 'nodes'), { recursive: true, force: true });
    await fs.rm(join(this.root, 'file-hashes.json'), { force: true });
    await fs.rm(join(this.root, 'verified-entries.json'), { force: true });
    await fs.rm(join(this.root, 'leases'), { recursive: true, force: true });
  }
}

/** An entry's header is a few KiB: one read of this size usually holds it. */
const HEADER_GUESS = 64 * 1024;
/** The chunk in which an entry is streamed through its checksum. */
const VERIFY_CHUNK = 1024 * 1024;

async function readInto(fh: fs.FileHandle, into: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < into.length;) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new CorruptEntryError('not a cache entry or truncated');
    done += bytesRead;
  }
}

async function readAt(fh: fs.FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  await readInto(fh, buf, position);
  return buf;
}

/**
 * Streams the whole entry through SHA-256 in VERIFY_CHUNK pieces, copying the bytes of `pieces`
 * as they pass, and throws CorruptEntryError unless the digest is the entry's last 32 bytes.
 */
async function streamVerified(fh: fs.FileHandle, size: number, pieces: SelectedPiece[]): Promise<void> {
  const body = size - CHECKSUM_BYTES;
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(Math.min(VERIFY_CHUNK, size));
  const trailer = Buffer.alloc(CHECKSUM_BYTES);
  const sorted = [...pieces].sort((a, b) => a.fileOffset - b.fileOffset);
  let first = 0;
  for (let at = 0; at < size; at += chunk.length) {
    const n = Math.min(chunk.length, size - at);
    const view = chunk.subarray(0, n);
    await readInto(fh, view, at);
    const inBody = Math.max(0, Math.min(n, body - at));
    hash.update(view.subarray(0, inBody));
    if (inBody < n) view.copy(trailer, Math.max(0, at - body), inBody, n);
    // the pieces overlapping [at, at + inBody)
    while (first < sorted.length && sorted[first].fileOffset + sorted[first].bytes.length <= at) first++;
    for (let i = first; i < sorted.length && sorted[i].fileOffset < at + inBody; i++) {
      const p = sorted[i];
      const from = Math.max(p.fileOffset, at);
      const to = Math.min(p.fileOffset + p.bytes.length, at + inBody);
      p.bytes.set(view.subarray(from - at, to - at), from - p.fileOffset);
    }
  }
  if (!hash.digest().equals(trailer)) throw new CorruptEntryError('checksum mismatch');
}

/** Real (not symbolic-link) sub-folders or files of `dir`; none when it is missing. */
async function realEntries(dir: string, kind: 'dir' | 'file'): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true })).filter((d) => (kind === 'dir' ? d.isDirectory() : d.isFile())).map((d) => d.name);
  } catch {
    return [];
  }
}

const writeJson = (path: string, doc: unknown) => writeFileAtomic(path, [Buffer.from(JSON.stringify(doc))]);
