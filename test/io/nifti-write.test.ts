import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { readNifti, readNiftiHeader } from '../../src/io/nifti.js';
import { quaternToAffine } from '../../src/io/nifti-quatern.js';
import { writeNifti } from '../../src/io/nifti-write.js';
import { examplesDir, referenceDir } from '../helpers/paths.js';

const FORREST = join(examplesDir, 'studyforrest-localizer', 'sub-01', 'func', 'sub-01_task-localizer_run-1_bold.nii.gz');

let dir: string;
before(async () => {
  // RAM-backed /dev/shm when available: the 140 MB BOLD round trip then does not wait on the disk.
  dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'glmflow-niftiw-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function listNiftis(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.nii.gz')) out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
  }
  return out.sort();
}

function maxAffineDiff(a: number[][], b: number[][]): number {
  let m = 0;
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) m = Math.max(m, Math.abs(a[r][c] - b[r][c]));
  return m;
}

/** The affine a writer/reader round trip must keep; float32 storage => relative 1e-6 on large offsets. */
function assertAffine(actual: number[][], expected: number[][], what: string): void {
  for (let r = 0; r < 4; r++)
    for (let c = 0; c < 4; c++) {
      const tol = 1e-6 * Math.max(1, Math.abs(expected[r][c]));
      assert.ok(Math.abs(actual[r][c] - expected[r][c]) <= tol, `${what}: affine[${r}][${c}] ${actual[r][c]} vs ${expected[r][c]}`);
    }
}

describe('writeNifti round trip', () => {
  it('every reference .nii.gz and the studyforrest BOLD: read, write, read back identical', async () => {
    const files = await listNiftis(referenceDir);
    assert.ok(files.length >= 100, `found only ${files.length} reference images`);
    files.push(FORREST);
    let worstQform = 0;
    let totalWrite = 0;
    for (const f of files) {
      const a = await readNifti(f);
      // The big BOLD goes through the plain .nii path (faster); the rest through .nii.gz.
      const out = join(dir, 'rt', relative(examplesDir, f).startsWith('..') ? relative(referenceDir, f) : 'forrest.nii');
      const t0 = performance.now();
      await writeNifti(out, { dims: a.dims, affine: a.affine, data: a.data, pixdim: a.pixdim, description: 'glmflow test' });
      totalWrite += performance.now() - t0;
      const b = await readNifti(out);
      assert.deepEqual(b.dims, a.dims, f);
      assert.equal(b.datatype, 'float32');
      assert.equal(b.sformCode, 1);
      assert.equal(b.qformCode, 1);
      assertAffine(b.affine, a.affine, f);
      // bitwise identical float32 values (for scaled ints: identical to the scaled float32s)
      const ua = new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.length);
      const ub = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length);
      let firstDiff = -1;
      for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) { firstDiff = i; break; }
      assert.equal(firstDiff, -1, `${f}: value ${firstDiff} differs: ${a.data[firstDiff]} vs ${b.data[firstDiff]}`);
      if (a.dims[3] > 1) {
        assert.equal(b.pixdim[3], a.pixdim[3], `${f}: TR`);
        assert.equal(b.tUnits, 'sec');
      }
      // The qform written beside the sform describes the same affine.
      const raw = await readFile(out);
      const hdr = out.endsWith('.gz') ? gunzipSync(raw).subarray(0, 352) : raw.subarray(0, 352);
      const q = quaternToAffine({
        b: hdr.readFloatLE(256), c: hdr.readFloatLE(260), d: hdr.readFloatLE(264),
        qx: hdr.readFloatLE(268), qy: hdr.readFloatLE(272), qz: hdr.readFloatLE(276),
        dx: hdr.readFloatLE(80), dy: hdr.readFloatLE(84), dz: hdr.readFloatLE(88), qfac: hdr.readFloatLE(76),
      });
      worstQform = Math.max(worstQform, maxAffineDiff(q, a.affine));
      assert.ok(maxAffineDiff(q, a.affine) < 1e-4, `${f}: qform differs from the affine by ${maxAffineDiff(q, a.affine)}`);
      assert.equal(hdr.toString('latin1', 344, 348), 'n+1\0');
      assert.equal(hdr.readFloatLE(108), 352);
      assert.equal(hdr.readFloatLE(112), 1);
      assert.equal(hdr.readFloatLE(116), 0);
      assert.equal(hdr[123], a.dims[3] > 1 ? 10 : 2);
      assert.equal(hdr.toString('latin1', 148, 160), 'glmflow test');
    }
    console.log(`  ${files.length} images round-tripped; write total ${totalWrite.toFixed(0)} ms; worst qform-vs-affine ${worstQform.toExponential(2)}`);
    // no temporary files left behind
    const left = (await readdir(join(dir, 'rt'), { recursive: true })).filter((n) => String(n).includes('.tmp-'));
    assert.deepEqual(left, []);
  });

  it('creates parent folders, overwrites atomically, 3D header fields', async () => {
    const out = join(dir, 'a', 'b', 'c', 'map.nii.gz');
    const affine = [[-2, 0, 0, 90], [0, 2, 0, -126], [0, 0, 2, -72], [0, 0, 0, 1]];
    const data = Float32Array.from({ length: 24 }, (_, i) => i / 3);
    await writeNifti(out, { dims: [2, 3, 4], affine, data });
    await writeNifti(out, { dims: [2, 3, 4], affine, data: data.map((v) => -v) });
    const h = await readNiftiHeader(out);
    assert.deepEqual(h.dims, [2, 3, 4, 1]);
    assert.deepEqual(h.pixdim.slice(0, 3), [2, 2, 2]);
    assert.equal(h.xyzUnits, 'mm');
    assert.equal(h.tUnits, 'unknown');
    const img = await readNifti(out);
    assert.deepEqual(Array.from(img.data), Array.from(data.map((v) => -v)));
    assert.deepEqual(await readdir(join(dir, 'a', 'b', 'c')), ['map.nii.gz']);
  });

  it('rejects data whose length does not match dims', async () => {
    await assert.rejects(
      writeNifti(join(dir, 'bad.nii'), { dims: [2, 2, 2], affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], data: new Float32Array(7) }),
      /7 values/,
    );
  });
});

describe('writeNifti one volume at a time', () => {
  it('writes the same bytes as the whole array (.nii and .nii.gz, a 4D image and a 3D one) and refuses neither or both', async () => {
    const dims = [7, 5, 3];
    const affine = [[2, 0, 0, -7], [0, 2, 0, -5], [0, 0, 2, -3], [0, 0, 0, 1]];
    const per = 7 * 5 * 3;
    for (const nt of [4, 1]) {
      const data = Float32Array.from({ length: per * nt }, (_, i) => (i % 11 === 0 ? 0 : Math.sin(i) * 100));
      const asked: number[] = [];
      const volume = (t: number) => {
        asked.push(t);
        return data.slice(t * per, (t + 1) * per);
      };
      for (const ext of ['.nii', '.nii.gz']) {
        const whole = join(dir, `whole-${nt}${ext}`);
        const byVolume = join(dir, `volumes-${nt}${ext}`);
        const img = { dims: nt > 1 ? [...dims, nt] : dims, affine, tUnits: 'unknown' as const, description: 'volumes' };
        await writeNifti(whole, { ...img, data });
        const written = await writeNifti(byVolume, { ...img, volume });
        const [a, b] = [await readFile(whole), await readFile(byVolume)];
        assert.ok(a.equals(b), `${ext}, ${nt} volume(s)`);
        assert.equal(written.bytes, b.length);
        const back = await readNifti(byVolume);
        assert.deepEqual(Array.from(back.data as Float32Array), Array.from(data));
      }
      assert.deepEqual(asked, [...Array.from({ length: nt }, (_, t) => t), ...Array.from({ length: nt }, (_, t) => t)]);
    }
    await assert.rejects(writeNifti(join(dir, 'neither.nii'), { dims, affine }), /give either data or volume/);
    await assert.rejects(writeNifti(join(dir, 'both.nii'), { dims, affine, data: new Float32Array(per), volume: () => new Float32Array(per) }), /give either data or volume/);
    await assert.rejects(writeNifti(join(dir, 'short.nii'), { dims: [...dims, 2], affine, volume: () => new Float32Array(per - 1) }), /volume 0 has 104 values, not 105/);
    assert.ok(!existsSync(join(dir, 'short.nii')), 'no file for a failed write');
  });
});
