/**
 * The chunked file reader (src/io/file-chunks.ts, src/io/gunzip-into.ts): on this Node gzipped
 * files are inflated through Gunzip's native handle into reused buffers, and that path gives
 * the bytes and the errors of the public zlib stream (its fallback): for multi-chunk files,
 * several gzip members, trailing zeros, truncated and corrupt data, and buffer sizes down to
 * one byte (members ending exactly at a read boundary); NIfTI images read through either path
 * are identical, and a truncated one is reported with the same message.
 */
import assert from 'node:assert/strict';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isUserError } from '../../src/errors.js';
import { fileChunks, inflatesIntoReusedBuffers, type ByteChunkSource } from '../../src/io/file-chunks.js';
import { GunzipInto, gunzipHandleCtor } from '../../src/io/gunzip-into.js';
import { readNifti, streamNiftiVolumes } from '../../src/io/nifti.js';
import { buildNifti } from './nifti-bytes.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'glmflow-chunks-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Bytes that deflate ~2:1 (a BOLD run's ~3:1): random low nibbles, here and there a run. */
function sample(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    b[i] = (s >>> 24) & ((s >>> 20) % 5 === 0 ? 0 : 15);
  }
  return b;
}

async function put(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

/** Drains a source: the concatenated bytes, the distinct buffers the chunks lived in, the error if any. */
async function drain(source: ByteChunkSource): Promise<{ bytes: Buffer; buffers: number; error?: NodeJS.ErrnoException }> {
  const parts: Buffer[] = [];
  const seen = new Set<ArrayBufferLike>();
  let error: NodeJS.ErrnoException | undefined;
  try {
    for (let c = await source.next(); c; c = await source.next()) {
      parts.push(Buffer.from(c)); // copy: the buffer is reused
      seen.add(c.buffer);
    }
  } catch (e) {
    error = e as NodeJS.ErrnoException;
  } finally {
    await source.close();
  }
  return { bytes: Buffer.concat(parts), buffers: seen.size, error };
}

async function viaChunks(path: string, gz: boolean, inflater: 'reuse' | 'stream') {
  const fh = await open(path, 'r');
  return drain(fileChunks(fh, (await fh.stat()).size, gz, { inflater }));
}

async function viaTinyBuffers(path: string, outBytes: number, inBytes: number) {
  const fh = await open(path, 'r');
  return drain(new GunzipInto(fh, gunzipHandleCtor()!, outBytes, inBytes));
}

describe('fileChunks', () => {
  it('inflates into reused buffers on this Node (the zlib handle has the expected shape)', () => {
    assert.equal(inflatesIntoReusedBuffers(), true);
    assert.ok(gunzipHandleCtor());
  });

  it('a 9 MB gzip: the same bytes as gunzipSync and the zlib stream, in at most 3 reused 2 MiB buffers', async () => {
    const data = sample(9_000_000);
    const path = await put('big.gz', gzipSync(data));
    const reuse = await viaChunks(path, true, 'reuse');
    const stream = await viaChunks(path, true, 'stream');
    assert.equal(reuse.error, undefined);
    assert.equal(stream.error, undefined);
    assert.ok(reuse.bytes.equals(data), 'reuse path bytes');
    assert.ok(stream.bytes.equals(data), 'stream path bytes');
    assert.ok(reuse.buffers <= 3, `${reuse.buffers} buffers`);
    assert.ok(stream.buffers > 3);
  });

  it('several members, trailing zeros, and tiny buffers (1-byte reads: members ending on a read boundary)', async () => {
    const a = sample(7_000, 2);
    const b = sample(500, 3);
    const c = sample(13_000, 4);
    const members = Buffer.concat([gzipSync(a), gzipSync(b), gzipSync(c, { level: 1 })]);
    const expected = Buffer.concat([a, b, c]);
    assert.ok(gunzipSync(members).equals(expected));
    const path = await put('members.gz', members);
    const zeros = await put('zeros.gz', Buffer.concat([members, Buffer.alloc(300)]));
    // (1-byte reads: every member ends on a read boundary; 7-byte outputs: output full mid-member)
    for (const [out, inb, files] of [[4096, 1, [path]], [7, 3, [path, zeros]], [1000, 977, [path, zeros]], [1 << 21, 1 << 20, [path, zeros]]] as const) {
      for (const p of files) {
        const r = await viaTinyBuffers(p, out, inb);
        assert.equal(r.error, undefined, `out ${out} in ${inb}: ${r.error?.message}`);
        assert.ok(r.bytes.equals(expected), `out ${out} in ${inb} ${p}: ${r.bytes.length} bytes vs ${expected.length}`);
      }
    }
    const stream = await viaChunks(zeros, true, 'stream');
    assert.ok(stream.bytes.equals(expected));
  });

  it('truncated and corrupt gzip: the errors of the zlib stream, after every byte it could inflate', async () => {
    const data = sample(3_000_000, 5);
    const gz = gzipSync(data);
    const cut = await put('cut.gz', gz.subarray(0, Math.floor(gz.length * 0.7)));
    const corrupt = Buffer.from(gz);
    corrupt.fill(0xff, 50_000, 50_040);
    const bad = await put('bad.gz', corrupt);
    const header = Buffer.from(gz);
    header[3] = 0xe0; // reserved flag bits set
    const badHeader = await put('badheader.gz', header);
    for (const [path, code] of [[cut, 'Z_BUF_ERROR'], [bad, 'Z_DATA_ERROR'], [badHeader, 'Z_DATA_ERROR']]) {
      const reuse = await viaChunks(path, true, 'reuse');
      const stream = await viaChunks(path, true, 'stream');
      assert.equal(reuse.error?.code, code, `${path}: ${reuse.error?.message}`);
      assert.equal(stream.error?.code, code);
      assert.equal(reuse.error?.message, stream.error?.message);
      // the bytes before the error are the start of the data (corrupt data may inflate to garbage before zlib notices)
      if (path !== bad) assert.ok(data.subarray(0, reuse.bytes.length).equals(reuse.bytes));
      if (path === cut) assert.ok(reuse.bytes.length >= stream.bytes.length && reuse.bytes.length > data.length / 2);
    }
    for (const [out, inb] of [[1000, 4096], [65536, 1000]]) {
      const r = await viaTinyBuffers(cut, out, inb);
      assert.equal(r.error?.code, 'Z_BUF_ERROR');
      assert.ok(data.subarray(0, r.bytes.length).equals(r.bytes) && r.bytes.length > data.length / 2);
    }
  });

  it('a raw file: its bytes in two reused buffers; close before the end closes the file', async () => {
    const data = sample(9_000_001, 6);
    const path = await put('raw.bin', data);
    const r = await viaChunks(path, false, 'reuse');
    assert.ok(r.bytes.equals(data));
    assert.equal(r.buffers, 2);
    for (const [p, gz] of [[path, false], [await put('early.gz', gzipSync(data)), true]] as const) {
      const fh = await open(p, 'r');
      const source = fileChunks(fh, data.length, gz);
      const first = await source.next();
      assert.ok(first && data.subarray(0, first.length).equals(first));
      await source.close();
      assert.equal(fh.fd, -1, 'file closed');
      assert.equal(await source.next(), undefined);
    }
  });
});

describe('NIfTI readers through either inflater', () => {
  const dims = [40, 30, 20, 12]; // 48 000 bytes a volume
  const values = Array.from({ length: 40 * 30 * 20 * 12 }, (_, i) => ((i * 7919) % 20011) - 10000);
  const bytes = buildNifti({ version: 1, littleEndian: true, dtype: 'int16', dims, values, slope: 0.5, inter: 1 });

  it('readNifti and streamNiftiVolumes give the same bits', async () => {
    const path = await put('img.nii.gz', gzipSync(bytes));
    const a = await readNifti(path);
    const b = await readNifti(path, { inflater: 'stream' });
    assert.deepEqual(a.data, b.data);
    const nv = 40 * 30 * 20;
    for (const inflater of ['reuse', 'stream'] as const) {
      let n = 0;
      await streamNiftiVolumes(path, {
        onVolume: (t, v) => {
          n++;
          assert.deepEqual(v.subarray(0, nv), a.data.subarray(t * nv, (t + 1) * nv), `${inflater} t=${t}`);
        },
      }, { inflater });
      assert.equal(n, 12);
    }
  });

  it('a truncated image: the same UserError either way', async () => {
    const gz = gzipSync(bytes);
    const path = await put('trunc.nii.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const message = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        assert.ok(isUserError(e), String(e));
        return (e as Error).message;
      }
      assert.fail('no error');
    };
    const reuse = await message(streamNiftiVolumes(path, { onVolume: () => undefined }));
    const stream = await message(streamNiftiVolumes(path, { onVolume: () => undefined }, { inflater: 'stream' }));
    assert.match(reuse, /trunc\.nii\.gz: truncated NIfTI file \(the gzip stream ends early\): expected 576000 bytes of voxel data, found \d+/);
    assert.match(stream, /truncated NIfTI file \(the gzip stream ends early\)/);
    assert.match(await message(readNifti(path)), /truncated NIfTI file \(the gzip stream ends early\): expected 576000 bytes/);
  });
});
