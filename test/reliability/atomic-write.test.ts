/**
 * Issue 8 item 1: every write is complete, flushed and renamed, or not there. Short writes
 * (what write(2) does on a nearly full disk) and ENOSPC are simulated through the writer's
 * test seam; a real full filesystem is exercised in disk-full.test.ts.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { setWriteFunctionForTests, writeFileAtomic } from '../../src/io/atomic.js';
import { writeNifti } from '../../src/io/nifti-write.js';
import { isUserError } from '../../src/errors.js';

afterEach(() => setWriteFunctionForTests(undefined));

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const tmp = () => mkdtempSync(join(tmpdir(), 'glmflow-atomic-'));
const pseudoRandom = (n: number) => {
  const b = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return b;
};

test('short writes are continued until every byte is written; the result names size and hash', async () => {
  const calls: number[] = [];
  // at most 1000 bytes per call, like write(2) near a full disk
  setWriteFunctionForTests((fh, data, offset, length, position) => {
    calls.push(length);
    return fh.write(data, offset, Math.min(length, 1000), position);
  });
  const dir = tmp();
  const a = pseudoRandom(25_000);
  const b = pseudoRandom(3_333);
  const r = await writeFileAtomic(join(dir, 'x.bin'), [a, b]);
  const onDisk = readFileSync(join(dir, 'x.bin'));
  assert.deepEqual(onDisk, Buffer.concat([a, b]));
  assert.deepEqual(r, { path: join(dir, 'x.bin'), bytes: 28_333, sha256: sha(onDisk) });
  assert.ok(calls.length >= 29, `only ${calls.length} write calls`);
});

test('a disk that fills mid-file (short write, then ENOSPC) leaves no file and no temporary; an older file stays whole', async () => {
  const dir = tmp();
  const path = join(dir, 'map.bin');
  writeFileSync(path, 'previous complete version');
  let budget = 10_000;
  setWriteFunctionForTests(async (fh, data, offset, length, position) => {
    if (budget <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const n = Math.min(length, budget);
    budget -= n;
    return fh.write(data, offset, n, position);
  });
  await assert.rejects(writeFileAtomic(path, [pseudoRandom(30_000)]), (e: Error) => isUserError(e) && /no space left/.test(e.message) && e.message.includes(path));
  assert.equal(readFileSync(path, 'utf8'), 'previous complete version');
  assert.deepEqual(readdirSync(dir), ['map.bin']);

  // a write that reports 0 bytes is a full disk too (no endless loop, no partial file)
  setWriteFunctionForTests(async () => ({ bytesWritten: 0 }));
  await assert.rejects(writeFileAtomic(join(dir, 'other.bin'), [pseudoRandom(10)]), /no space left/);
  assert.deepEqual(readdirSync(dir), ['map.bin']);
});

test('the single-chunk gzip path (small maps) and the streamed path (large ones) both fail cleanly', async () => {
  const dir = tmp();
  const img = { dims: [20, 20, 20], affine: [[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]], data: new Float32Array(8000).map((_, i) => Math.sin(i)) };
  // the old writer wrote this single chunk once, ignoring the count: a truncated .nii.gz
  let first = true;
  setWriteFunctionForTests(async (fh, data, offset, length, position) => {
    if (first) {
      first = false;
      return fh.write(data, offset, Math.floor(length / 2), position);
    }
    throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
  });
  await assert.rejects(writeNifti(join(dir, 'small.nii.gz'), img), /no space left/);
  assert.deepEqual(readdirSync(dir), []);

  const big = { dims: [64, 64, 64, 35], affine: img.affine, data: new Float32Array(64 * 64 * 64 * 35).map((_, i) => i % 977) };
  let written = 0;
  setWriteFunctionForTests(async (fh, data, offset, length, position) => {
    if (written > 200_000) throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
    written += length;
    return fh.write(data, offset, length, position);
  });
  await assert.rejects(writeNifti(join(dir, 'big.nii.gz'), big), /no space left/);
  assert.deepEqual(readdirSync(dir), []);

  // and with room, the recorded size and hash are those of the complete, valid file
  setWriteFunctionForTests(undefined);
  const ok = await writeNifti(join(dir, 'small.nii.gz'), img);
  const buf = readFileSync(ok.path);
  assert.equal(ok.bytes, buf.length);
  assert.equal(ok.sha256, sha(buf));
  assert.equal(gunzipSync(buf).length, 352 + 8000 * 4);
});
