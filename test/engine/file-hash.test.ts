import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileHasher, hashFileContent } from '../../src/engine/file-hash.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function folder(): { dir: string; cache: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-file-hash-'));
  return { dir, cache: dir, file: join(dir, 'bold.nii') };
}

test('file-hash memo: an unchanged file is not read again (its stat matches the memo)', async () => {
  const { dir, cache, file } = folder();
  try {
    writeFileSync(file, 'AAAA');
    const first = new FileHasher(cache);
    await first.load();
    const h = await first.hash(file);
    assert.equal(h, await hashFileContent(file));
    await first.save();
    // Plant a different hash under the same stat: a hasher that re-read the bytes would not return it.
    const memoFile = join(cache, 'file-hashes.json');
    const memo = JSON.parse(readFileSync(memoFile, 'utf8'));
    memo[file].hash = 'planted';
    writeFileSync(memoFile, JSON.stringify(memo));
    const second = new FileHasher(cache);
    await second.load();
    assert.equal(await second.hash(file), 'planted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file-hash memo: new content of the same size with the old mtime put back is hashed again (ctime)', async () => {
  const { dir, cache, file } = folder();
  try {
    writeFileSync(file, 'AAAA');
    // a whole-second mtime, so that putting it back below is exact
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    const before = statSync(file);
    const hasher = new FileHasher(cache);
    await hasher.load();
    const h1 = await hasher.hash(file);
    await hasher.save();
    // the kernel's change time is coarse (a few ms): let it move
    await sleep(50);
    writeFileSync(file, 'BBBB');
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    const after = statSync(file);
    assert.equal(after.size, before.size);
    assert.equal(after.mtimeMs, before.mtimeMs, 'same size and mtime: only ctime tells');
    assert.equal(after.ino, before.ino);
    const reloaded = new FileHasher(cache);
    await reloaded.load();
    const h2 = await reloaded.hash(file);
    assert.notEqual(h2, h1);
    assert.equal(h2, await hashFileContent(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file-hash memo: a memo written before ctime was recorded is not trusted', async () => {
  const { dir, cache, file } = folder();
  try {
    writeFileSync(file, 'AAAA');
    const st = statSync(file);
    writeFileSync(join(cache, 'file-hashes.json'), JSON.stringify({ [file]: { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, hash: 'old-format' } }));
    const hasher = new FileHasher(cache);
    await hasher.load();
    assert.equal(await hasher.hash(file), await hashFileContent(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--no-cache identity ('stat'): an id from the stat, not the bytes; the same stat gives the same id, a rewrite or another path a new one", async () => {
  const { dir, file } = folder();
  try {
    writeFileSync(file, 'AAAA');
    const h = new FileHasher(undefined, 'stat');
    const id = await h.hash(file);
    assert.equal(await new FileHasher(undefined, 'stat').hash(file), id, 'same stat: same id');
    assert.notEqual(id, await hashFileContent(file), 'not the content hash');
    const st = statSync(file);
    await sleep(15);
    writeFileSync(file, 'BBBB');
    utimesSync(file, st.atime, st.mtime);
    assert.notEqual(await h.hash(file), id, 'a rewrite moves ctime: a new id');
    const other = join(dir, 'copy.nii');
    writeFileSync(other, readFileSync(file));
    assert.notEqual(await h.hash(other), await h.hash(file), 'another path: another id');
    await assert.rejects(h.hash(join(dir, 'missing.nii')), /input file not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
