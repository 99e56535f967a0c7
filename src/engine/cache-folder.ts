/**
 * A cache folder identifies itself with a marker file, so that commands that delete
 * (`cache clear`, `cache prune`) can never be pointed at a folder that is not a cache
 * (`--cache .` in a project once deleted its own `nodes/` source folder).
 *
 *   <root>/glmflow-cache.json   {"format": "glmflow-cache", "version": 1, "created": ...}
 *
 * Caches made before the marker existed are recognised by their shape: only the entries a
 * cache holds (objects/<2 hex>/<64 hex>.bin|.json, nodes/<32 hex>.json, file-hashes.json, verified-entries.json,
 * leases/, temporaries of these), all real files and folders (no symbolic links). Such a
 * folder gets its marker the first time it is used; any other non-empty folder is refused.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';

export const CACHE_MARKER = 'glmflow-cache.json';
export const CACHE_FORMAT_VERSION = 1;

const TMP = String.raw`(\.tmp-\d+-[0-9a-z]+)?`;
const OBJECT_SHARD = /^[0-9a-f]{2}$/;
const OBJECT_FILE = new RegExp(String.raw`^[0-9a-f]{64}\.(bin|json)${TMP}$`);
const NODE_RECORD = new RegExp(String.raw`^[0-9a-f]{32}\.json${TMP}$`);
const LEASE_FILE = new RegExp(String.raw`^[0-9a-z-]+\.json${TMP}$`);
const TOP_FILE = new RegExp(String.raw`^(file-hashes\.json|verified-entries\.json|glmflow-cache\.json)${TMP}$`);
/** Files version control or a desktop leave in any folder (the project's own `cache/.gitkeep`). */
const HARMLESS = new Set(['.gitkeep', '.gitignore', '.DS_Store']);

export type CacheFolderState =
  | { kind: 'missing' }
  | { kind: 'cache' }
  | { kind: 'empty' }
  | { kind: 'legacy' }
  | { kind: 'not-a-cache'; reason: string };

async function lstatOrUndefined(path: string) {
  try {
    return await fs.lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The first entry of `dir` that a cache would not hold, or undefined. */
async function foreignEntry(dir: string, accept: (name: string, isDir: boolean) => ((child: string) => Promise<string | undefined>) | boolean): Promise<string | undefined> {
  for (const d of await fs.readdir(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    if (d.isSymbolicLink()) return `${path} (a symbolic link)`;
    if (!d.isDirectory() && !d.isFile()) return path;
    const verdict = accept(d.name, d.isDirectory());
    if (verdict === false) return path;
    if (typeof verdict === 'function') {
      const inner = await verdict(path);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** Whether `root` is a cache, could become one, or must be refused (never follows symbolic links). */
export async function inspectCacheFolder(root: string): Promise<CacheFolderState> {
  let st;
  try {
    st = await lstatOrUndefined(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return { kind: 'not-a-cache', reason: 'a parent of it is a file, not a folder' };
    throw e;
  }
  if (!st) return { kind: 'missing' };
  // The root itself may be a symbolic link to the real cache (e.g. on a scratch disk): follow that one.
  if (st.isSymbolicLink()) st = await fs.stat(root).catch(() => undefined);
  if (!st) return { kind: 'not-a-cache', reason: 'it is a symbolic link to nothing' };
  if (!st.isDirectory()) return { kind: 'not-a-cache', reason: 'it is a file, not a folder' };
  const marker = await lstatOrUndefined(join(root, CACHE_MARKER));
  if (marker) {
    if (!marker.isFile()) return { kind: 'not-a-cache', reason: `${CACHE_MARKER} is not a regular file` };
    let doc: { format?: unknown; version?: unknown };
    try {
      doc = JSON.parse(await fs.readFile(join(root, CACHE_MARKER), 'utf8'));
    } catch {
      return { kind: 'not-a-cache', reason: `${CACHE_MARKER} is unreadable` };
    }
    if (doc.format !== 'glmflow-cache') return { kind: 'not-a-cache', reason: `${CACHE_MARKER} does not describe a glmflow cache` };
    if (typeof doc.version !== 'number' || doc.version > CACHE_FORMAT_VERSION) {
      return { kind: 'not-a-cache', reason: `cache format version ${String(doc.version)} is newer than this glmflow reads (${CACHE_FORMAT_VERSION})` };
    }
    return { kind: 'cache' };
  }
  const names = (await fs.readdir(root)).filter((n) => !HARMLESS.has(n));
  if (names.length === 0) return { kind: 'empty' };
  const foreign = await foreignEntry(root, (name, isDir) => {
    if (isDir && name === 'objects') {
      return (dir) => foreignEntry(dir, (shard, d) => d && OBJECT_SHARD.test(shard) && ((sub) => foreignEntry(sub, (f, dd) => !dd && OBJECT_FILE.test(f))));
    }
    if (isDir && name === 'nodes') return (dir) => foreignEntry(dir, (f, d) => !d && NODE_RECORD.test(f));
    if (isDir && name === 'leases') return (dir) => foreignEntry(dir, (f, d) => !d && LEASE_FILE.test(f));
    if (!isDir && (TOP_FILE.test(name) || HARMLESS.has(name))) return true;
    return false;
  });
  if (foreign) return { kind: 'not-a-cache', reason: `it has no ${CACHE_MARKER} and holds ${foreign}, which a cache never does` };
  return { kind: 'legacy' };
}

async function writeMarker(root: string): Promise<void> {
  const doc = { format: 'glmflow-cache', version: CACHE_FORMAT_VERSION, created: new Date().toISOString() };
  await writeFileAtomic(join(root, CACHE_MARKER), [Buffer.from(JSON.stringify(doc, null, 2) + '\n')]);
}

function refusal(root: string, reason: string, what: string): UserError {
  return new UserError(`${root}: not a glmflow cache folder (${reason}); ${what}`);
}

/** For runs and plans: makes `root` a cache (creating it and its marker) or refuses a folder that is not one. */
export async function openCacheFolder(root: string): Promise<void> {
  const state = await inspectCacheFolder(root);
  if (state.kind === 'not-a-cache') throw refusal(root, state.reason, 'choose a new or empty folder with --cache');
  if (state.kind === 'cache') return;
  try {
    await fs.mkdir(root, { recursive: true });
    await writeMarker(root);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`cache folder ${e.message}`);
    throw new UserError(`cache folder ${root}: cannot be created (${(e as Error).message})`);
  }
}

/**
 * For commands that delete: true when `root` is a cache (a legacy one gets its marker),
 * false when there is nothing there; refuses anything else.
 */
export async function requireCacheFolder(root: string, command: string): Promise<boolean> {
  const state = await inspectCacheFolder(root);
  if (state.kind === 'missing') return false;
  if (state.kind === 'not-a-cache') throw refusal(root, state.reason, `'glmflow cache ${command}' deletes only inside a cache`);
  if (state.kind === 'legacy') await writeMarker(root);
  return state.kind !== 'empty';
}
