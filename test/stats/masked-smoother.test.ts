/**
 * MaskedSmoother (the streaming fit's smoothing): one volume at a time, only what the mask
 * needs, WebAssembly SIMD for float32, must equal smoothVolumes (nilearn smooth_img, itself
 * checked against scipy in smooth.test.ts) followed by masking, bit for bit: masks with holes
 * and touching every face, kernels wider than the image (several reflections), an axis
 * without smoothing, anisotropic voxels, more slices than the SIMD path's ring of y-pass
 * slices, NaN / Inf inputs (ensure_finite), float32 and float64 data, the reader's buffer or
 * any array, int16 volumes read straight from the reader's raw bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smoothVolumes, type Fwhm } from '../../src/stats/image/smooth.js';
import { MaskedSmoother } from '../../src/stats/image/masked-smoother.js';
import { extractMasked } from '../../src/stats/image/image-ops.js';
import { Rng } from '../../src/stats/core/prng.js';

/** Uniform numbers in [0, 1) for synthetic data (the project's generator). */
function rng(seed: number): () => number {
  const r = new Rng(seed, 'test data');
  return () => r.uniform();
}

const affine = (dx: number, dy: number, dz: number) => [[dx, 0, 0, -10], [0, dy, 0, 4], [0, 0, dz, 2], [0, 0, 0, 1]];

/** A blobby mask with holes, touching the x, y and z faces of the grid. */
function blobMask(dims: number[], seed: number): Uint8Array {
  const [nx, ny, nz] = dims;
  const r = rng(seed);
  const m = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const d = ((x - nx / 2) / (nx / 2)) ** 2 + ((y - ny / 2) / (ny / 2)) ** 2 + ((z - nz / 2) / (nz / 2)) ** 2;
        if (d < 1.1 && r() > 0.15) m[x + nx * (y + ny * z)] = 1;
      }
  m[0] = 1;
  m[nx - 1 + nx * (ny - 1 + ny * (nz - 1))] = 1;
  m[nx - 1] = 1;
  return m;
}

function check(dims: number[], aff: number[][], fwhm: Fwhm, data: Float32Array | Float64Array, mask: Uint8Array, what: string): void {
  const nvox = dims[0] * dims[1] * dims[2];
  const nt = data.length / nvox;
  const full = extractMasked(smoothVolumes(data, [...dims, nt], aff, fwhm), [...dims, nt], mask);
  const sm = new MaskedSmoother(dims, aff, fwhm as Exclude<Fwhm, 'fast'>, mask, data instanceof Float64Array ? 'float64' : 'float32');
  assert.equal(sm.nMask * nt, full.length, what);
  const out = data instanceof Float64Array ? new Float64Array(full.length) : new Float32Array(full.length);
  for (let t = 0; t < nt; t++) {
    const vol = data.subarray(t * nvox, (t + 1) * nvox);
    if (sm.inputBuffer && t % 2 === 0) {
      // as the streaming reader does it: decode only inputRows into the smoother's own buffer
      const buf = sm.inputBuffer;
      buf.fill(NaN); // voxels outside inputRows must never be read
      for (let r = 0; r < sm.inputRows.xLo.length; r++) {
        for (let x = sm.inputRows.xLo[r]; x < sm.inputRows.xHi[r]; x++) buf[r * dims[0] + x] = vol[r * dims[0] + x];
      }
      sm.apply(buf, out, t * sm.nMask);
    } else {
      sm.apply(vol, out, t * sm.nMask);
    }
  }
  for (let i = 0; i < full.length; i++) assert.ok(Object.is(out[i], full[i]), `${what}: value ${i}: ${out[i]} vs ${full[i]}`);
}

test('float32: equals smoothVolumes + masking bit for bit (holes, edges, wide kernels, anisotropy)', () => {
  const r = rng(3);
  for (const [dims, aff, fwhm] of [
    [[13, 11, 9], affine(2, 2, 2), 5],
    [[13, 11, 9], affine(2, 3, 2.5), [4, 0, 7]],
    [[6, 5, 4], affine(2, 2, 2), 12], // radius > size: reflected several times
    [[17, 3, 8], affine(1.5, 2, 2), [3, 9, 0]],
    [[9, 8, 7], affine(2, 2, 2), null],
    [[12, 10, 20], affine(2, 2, 2), 5], // more slices than the y-pass ring (2r + 1 = 9)
    [[9, 7, 24], affine(2, 2, 1.5), [5, 5, 6]], // ring of 15 slices
  ] as [number[], number[][], Fwhm][]) {
    const nvox = dims[0] * dims[1] * dims[2];
    const data = new Float32Array(nvox * 3);
    for (let i = 0; i < data.length; i++) data[i] = Math.fround(800 + 100 * (r() - 0.5));
    check(dims, aff, fwhm, data, blobMask(dims, 11), `dims ${dims} fwhm ${JSON.stringify(fwhm)}`);
  }
});

test('non-finite inputs are zeroed before filtering (smooth_img ensure_finite)', () => {
  const dims = [10, 9, 8];
  const nvox = 720;
  const data = new Float32Array(nvox * 2);
  for (let i = 0; i < data.length; i++) data[i] = i % 13 === 0 ? NaN : i % 29 === 0 ? -Infinity : Math.sin(i) * 50;
  check(dims, affine(2, 2, 2), 6, data, blobMask(dims, 5), 'NaN / Inf');
  check(dims, affine(2, 2, 2), null, data, blobMask(dims, 5), 'NaN / Inf, no smoothing');
});

test('float64 data stays float64 (plain path) and matches too', () => {
  const dims = [11, 7, 6];
  const r = rng(9);
  const data = new Float64Array(11 * 7 * 6 * 2).map(() => 100 * r());
  check(dims, affine(2, 2, 2), 5, data, blobMask(dims, 2), 'float64');
});

test('inputRows cover exactly the x-pass windows (an interior mask reads far fewer voxels than the volume)', () => {
  const dims = [40, 40, 40];
  const mask = new Uint8Array(40 ** 3);
  for (let z = 15; z < 25; z++) for (let y = 15; y < 25; y++) for (let x = 15; x < 25; x++) mask[x + 40 * (y + 40 * z)] = 1;
  const sm = new MaskedSmoother(dims, affine(2, 2, 2), 5, mask); // sigma 1.06 voxels, radius 4
  let rows = 0;
  let voxels = 0;
  for (let r = 0; r < 1600; r++) {
    if (sm.inputRows.xHi[r] <= sm.inputRows.xLo[r]) continue;
    rows++;
    voxels += sm.inputRows.xHi[r] - sm.inputRows.xLo[r];
    assert.equal(sm.inputRows.xLo[r], 11);
    assert.equal(sm.inputRows.xHi[r], 29);
  }
  assert.equal(rows, 18 * 18); // y and z widened by the radius
  assert.equal(voxels, 18 * 18 * 18);
});

test('int16 volumes decoded by the SIMD decoder hook (scl_slope, either byte order) give the same smoothed values', async () => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { gzipSync } = await import('node:zlib');
  const { readNifti, streamNiftiVolumes } = await import('../../src/io/nifti.js');
  const { buildNifti } = await import('../io/nifti-bytes.js');
  const dir = await mkdtemp(join(tmpdir(), 'glmflow-smoother-'));
  try {
    const dims = [11, 9, 14]; // more slices than the y-pass ring (2r + 1 = 9)
    const nvox = 11 * 9 * 14;
    const mask = blobMask(dims, 4);
    for (const littleEndian of [true, false]) {
      const values = Array.from({ length: nvox * 3 }, (_, i) => ((i * 7919) % 4001) - 2000);
      const path = join(dir, `i16-${littleEndian}.nii.gz`);
      const srow = [[2, 0, 0, -10], [0, 2, 0, 4], [0, 0, 2, 2]];
      await writeFile(path, gzipSync(buildNifti({ version: 1, littleEndian, dtype: 'int16', dims: [...dims, 3], values, slope: 0.37, inter: 3.25, sformCode: 1, srow })));
      const img = await readNifti(path);
      const full = extractMasked(smoothVolumes(img.data, img.dims, img.affine, 5), img.dims, mask);
      const sm = new MaskedSmoother(dims, img.affine, 5, mask);
      assert.ok(sm.rawInt16 && sm.inputBuffer);
      let decoded = 0;
      const out = new Float32Array(full.length);
      await streamNiftiVolumes(path, {
        select: () => sm.inputRows,
        into: sm.inputBuffer,
        decoder: { raw: sm.rawInt16!, decode: (v) => v.datatype === 'int16' && sm.loadInt16(v.slope, v.inter) && ++decoded > 0 },
        onVolume: (t, v) => sm.apply(v, out, t * sm.nMask),
      });
      assert.equal(decoded, 3, 'the hook decoded every volume');
      for (let i = 0; i < full.length; i++) assert.ok(Object.is(out[i], full[i]), `LE=${littleEndian} value ${i}: ${out[i]} vs ${full[i]}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
