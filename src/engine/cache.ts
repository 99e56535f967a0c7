import { promises as fs, createWriteStream } from 'node:fs';
import { join, dirname } from 'node:path';
import { once } from 'node:events';
import type { Artifact, Json } from './types.js';
import { decodeArtifact, encodeArtifact, CorruptEntryError } from './artifact-codec.js';
import { sha256 } from './canonical.js';

/**
 * Content-addressed cache:
 *   <root>/objects/<k0k1>/<key>.bin    the encoded artifact (verified on every read)
 *   <root>/objects/<k0k1>/<key>.json   small info record: node id, type, size, time
 *   <root>/nodes/<sha(id)>.json        what the last successful run of a node id was made of,
 *                                      so `plan` can say *why* a node must run again
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

  private nodeRecordPath(id: string): string {
    return join(this.root, 'nodes', `${sha256(id).slice(0, 32)}.json`);
  }

  async init(): Promise<void> {
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

  async read(key: string): Promise<ReadResult> {
    let buf: Buffer;
    try {
      buf = await fs.readFile(this.objectPath(key, 'bin'));
    } catch {
      return { ok: false, reason: 'missing' };
    }
    try {
      return { ok: true, artifact: decodeArtifact(buf) };
    } catch (e) {
      if (e instanceof CorruptEntryError) return { ok: false, reason: 'corrupt', detail: e.message };
      throw e;
    }
  }

  async write(key: string, artifact: Artifact, info: Omit<EntryInfo, 'key' | 'bytes' | 'created'>): Promise<void> {
    const path = this.objectPath(key, 'bin');
    await fs.mkdir(dirname(path), { recursive: true });
    const parts = encodeArtifact(artifact);
    const tmp = tempName(path);
    const stream = createWriteStream(tmp);
    try {
      for (const p of parts) if (!stream.write(p)) await once(stream, 'drain');
      stream.end();
      await once(stream, 'finish');
      await fs.rename(tmp, path);
    } catch (e) {
      stream.destroy();
      await fs.rm(tmp, { force: true });
      throw e;
    }
    const bytes = parts.reduce((s, p) => s + p.length, 0);
    await writeFileAtomic(this.objectPath(key, 'json'), JSON.stringify({ key, bytes, created: new Date().toISOString(), ...info }));
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
    await writeFileAtomic(this.nodeRecordPath(rec.id), JSON.stringify(rec));
  }

  /** Every entry with its info record (entries without one are listed with what the file says). */
  async list(): Promise<EntryInfo[]> {
    const out: EntryInfo[] = [];
    let shards: string[] = [];
    try {
      shards = await fs.readdir(join(this.root, 'objects'));
    } catch {
      return out;
    }
    for (const shard of shards) {
      const dir = join(this.root, 'objects', shard);
      for (const name of await fs.readdir(dir)) {
        if (!name.endsWith('.bin')) continue;
        const key = name.slice(0, -4);
        const st = await fs.stat(join(dir, name));
        let info: Partial<EntryInfo> = {};
        try {
          info = JSON.parse(await fs.readFile(join(dir, `${key}.json`), 'utf8'));
        } catch {
          /* info record missing: still list the entry */
        }
        out.push({ key, node: info.node ?? '?', type: info.type ?? '?', bytes: st.size, created: info.created ?? st.mtime.toISOString(), seconds: info.seconds ?? 0 });
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
   * Removes temporary files left by runs that were interrupted mid-write (never read as entries).
   * Only those untouched for `minAgeMs`: a younger one may be a write in progress by a run on
   * another host sharing the cache (SLURM jobs), whose rename would then fail.
   */
  async removeTemporaries(minAgeMs = TEMPORARY_GRACE_MS): Promise<number> {
    let removed = 0;
    for (const sub of ['objects', 'nodes']) {
      let names: string[] = [];
      try {
        names = (await fs.readdir(join(this.root, sub), { recursive: true })) as string[];
      } catch {
        continue;
      }
      for (const name of names) {
        if (!/\.tmp-\d+-[a-z0-9]+$/.test(name)) continue;
        const path = join(this.root, sub, name);
        try {
          if (Date.now() - (await fs.stat(path)).mtimeMs < minAgeMs) continue;
        } catch {
          continue; // renamed into place meanwhile
        }
        await fs.rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  async clear(): Promise<void> {
    await fs.rm(join(this.root, 'objects'), { recursive: true, force: true });
    await fs.rm(join(this.root, 'nodes'), { recursive: true, force: true });
    await fs.rm(join(this.root, 'file-hashes.json'), { force: true });
  }
}

/** Temporary files younger than this are left to the writer that may still own them. */
export const TEMPORARY_GRACE_MS = 10 * 60 * 1000;

export function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
