import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../helpers/paths.js';
import { readNifti } from '../../src/io/nifti.js';
import { smoothVolumes } from '../../src/stats/image/smooth.js';
import { smoothMasked } from '../../src/stats/image/masked-smoother.js';
import { fwhmToSigmaVoxels, gaussianHalfKernel, kernelRadius, reflectIndex } from '../../src/stats/image/smooth-kernel.js';
import { extractMasked } from '../../src/stats/image/image-ops.js';

const diag = (a: number, b: number, c: number): number[][] => [
  [a, 0, 0, 0],
  [0, b, 0, 0],
  [0, 0, c, 0],
  [0, 0, 0, 1],
];

/** corr, max |diff|, max |diff| / |ref| over all voxels. */
function compare(a: ArrayLike<number>, b: ArrayLike<number>) {
  let maxAbs = 0;
  let maxRel = 0;
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  const n = a.length;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(a[i] - b[i]);
    maxAbs = Math.max(maxAbs, d);
    if (b[i] !== 0) maxRel = Math.max(maxRel, d / Math.abs(b[i]));
    sa += a[i]; sb += b[i]; saa += a[i] * a[i]; sbb += b[i] * b[i]; sab += a[i] * b[i];
  }
  const corr = (sab - (sa * sb) / n) / Math.sqrt((saa - (sa * sa) / n) * (sbb - (sb * sb) / n));
  return { corr, maxAbs, maxRel };
}

test('fwhm -> sigma in voxels and scipy kernel radius', () => {
  // sigma = fwhm / (sqrt(8 ln 2) * voxel size); voxel size = column norms of the affine.
  const s = fwhmToSigmaVoxels(6, diag(2, 3, 4));
  const k = Math.sqrt(8 * Math.log(2));
  assert.ok(Math.abs(s[0] - 6 / (k * 2)) < 1e-15);
  assert.ok(Math.abs(s[2] - 6 / (k * 4)) < 1e-15);
  // rotation does not change voxel sizes
  const c = Math.cos(0.3), sn = Math.sin(0.3);
  const rot = [[2 * c, -3 * sn, 0, 0], [2 * sn, 3 * c, 0, 0], [0, 0, 4, 0], [0, 0, 0, 1]];
  const s2 = fwhmToSigmaVoxels([6, 6, 6], rot);
  for (let a = 0; a < 3; a++) assert.ok(Math.abs(s2[a] - s[a]) < 1e-14);
  assert.equal(kernelRadius(1.1), 4); // int(4 * 1.1 + 0.5) = int(4.9)
  assert.equal(kernelRadius(1.125), 5); // int(5.0)
  const w = gaussianHalfKernel(1.3);
  let sum = w[0];
  for (let j = 1; j < w.length; j++) sum += 2 * w[j];
  assert.ok(Math.abs(sum - 1) < 1e-15);
  assert.ok(Math.abs(w[1] / w[0] - Math.exp(-0.5 / (1.3 * 1.3))) < 1e-14);
});

test("reflect index follows scipy's 'reflect' (d c b a | a b c d | d c b a)", () => {
  const n = 4;
  const got = [-5, -4, -1, 0, 3, 4, 7, 8, 11].map((k) => reflectIndex(k, n));
  assert.deepEqual(got, [3, 3, 0, 0, 3, 3, 0, 0, 3]);
  assert.deepEqual([-1, -2, -3].map((k) => reflectIndex(k, 1)), [0, 0, 0]);
});

test('a delta function smooths into the normalised separable Gaussian kernel', () => {
  const [nx, ny, nz] = [25, 21, 19];
  const data = new Float32Array(nx * ny * nz);
  const [cx, cy, cz] = [12, 10, 9];
  data[cx + nx * (cy + ny * cz)] = 1;
  const affine = diag(2, 2.5, 3);
  const fwhm: [number, number, number] = [5, 6, 7];
  const out = smoothVolumes(data, [nx, ny, nz], affine, fwhm);
  const sig = fwhmToSigmaVoxels(fwhm, affine);
  // Expected: product of the three normalised 1-D kernels exp(-d^2 / 2 sigma^2) / sum.
  const k1 = sig.map((s) => {
    const r = Math.trunc(4 * s + 0.5);
    const w: number[] = [];
    let tot = 0;
    for (let d = -r; d <= r; d++) {
      w.push(Math.exp((-d * d) / (2 * s * s)));
      tot += w[w.length - 1];
    }
    return { r, w: w.map((v) => v / tot) };
  });
  let maxDiff = 0;
  let total = 0;
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const dx = x - cx, dy = y - cy, dz = z - cz;
        const inside = Math.abs(dx) <= k1[0].r && Math.abs(dy) <= k1[1].r && Math.abs(dz) <= k1[2].r;
        const want = inside ? k1[0].w[dx + k1[0].r] * k1[1].w[dy + k1[1].r] * k1[2].w[dz + k1[2].r] : 0;
        const v = out[x + nx * (y + ny * z)];
        maxDiff = Math.max(maxDiff, Math.abs(v - want));
        total += v;
      }
  assert.ok(maxDiff < 1e-8, `max diff to the analytic kernel ${maxDiff}`);
  assert.ok(Math.abs(total - 1) < 1e-6, `kernel mass ${total}`);
});

test('reflect borders conserve mass for a delta in a corner; NaN become 0', () => {
  const dims = [6, 5, 4];
  const data = new Float32Array(6 * 5 * 4);
  data[0] = 1;
  data[7] = NaN;
  const out = smoothVolumes(data, dims, diag(2, 2, 2), 6);
  let total = 0;
  for (const v of out) {
    assert.ok(Number.isFinite(v));
    total += v;
  }
  // Half-sample reflection folds the kernel tail back into the image: sum stays 1.
  assert.ok(Math.abs(total - 1) < 1e-6, `mass ${total}`);
  assert.ok(out[0] > out[1] && out[1] > out[2]);
});

test('fwhm null / 0 only clean non-finite values; an axis with fwhm 0 is left alone', () => {
  const data = Float32Array.from([1, NaN, 3, Infinity, 5, 6, 7, 8]);
  const dims = [2, 2, 2];
  assert.deepEqual(Array.from(smoothVolumes(data, dims, diag(1, 1, 1), null)), [1, 0, 3, 0, 5, 6, 7, 8]);
  assert.deepEqual(Array.from(smoothVolumes(data, dims, diag(1, 1, 1), 0)), [1, 0, 3, 0, 5, 6, 7, 8]);
  // Smoothing only along z: each (x, y) column is filtered independently.
  const vol = new Float32Array(3 * 3 * 9);
  vol[1 + 3 * (1 + 3 * 4)] = 1;
  const out = smoothVolumes(vol, [3, 3, 9], diag(1, 1, 1), [0, 0, 3]);
  for (let z = 0; z < 9; z++)
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 3; x++) if (x !== 1 || y !== 1) assert.equal(out[x + 3 * (y + 3 * z)], 0);
  assert.ok(out[1 + 3 * (1 + 3 * 4)] < 1 && out[1 + 3 * (1 + 3 * 3)] > 0);
});

test("fwhm='fast' is nilearn's [0.2, 1, 0.2] average", () => {
  const [nx, ny, nz] = [5, 5, 5];
  const data = new Float32Array(nx * ny * nz).fill(2);
  const out = smoothVolumes(data, [nx, ny, nz], diag(3, 3, 3), 'fast');
  // interior: (2 + 6 * 0.4) / 2.2 = 2; a corner has 3 neighbours: (2 + 3 * 0.4) / 2.2
  assert.ok(Math.abs(out[2 + 5 * (2 + 5 * 2)] - 2) < 1e-6);
  assert.ok(Math.abs(out[0] - 3.2 / 2.2) < 1e-6);
});

test('a 4D series is smoothed volume by volume; Float64Array input stays float64', () => {
  const dims = [7, 6, 5, 3];
  const nvox = 7 * 6 * 5;
  const data = new Float32Array(nvox * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 10 + (i % 7);
  const aff = diag(2, 2, 3);
  const out = smoothVolumes(data, dims, aff, 5);
  for (let t = 0; t < 3; t++) {
    const one = smoothVolumes(data.slice(t * nvox, (t + 1) * nvox), dims.slice(0, 3), aff, 5);
    assert.deepEqual(out.subarray(t * nvox, (t + 1) * nvox), one);
  }
  const out64 = smoothVolumes(Float64Array.from(data), dims, aff, 5);
  assert.ok(out64 instanceof Float64Array);
  const c = compare(out, out64);
  let scale = 0;
  for (const v of out64) scale = Math.max(scale, Math.abs(v));
  // float32 rounding after each pass: differences of a few float32 ulps of the data scale
  assert.ok(c.maxAbs / scale < 5e-7 && c.maxAbs > 0, `float32 vs float64 passes: ${c.maxAbs / scale}`);
});

for (const [name, fwhm, file] of [
  ['smooth5', 5, 'forrest_mean_smooth5.nii.gz'],
  ['smooth_8_8_4', [8, 8, 4], 'forrest_mean_smooth_8_8_4.nii.gz'],
] as const) {
  test(`nilearn smooth_img(mean, fwhm=${JSON.stringify(fwhm)}) on the real EPI mean (${name})`, async () => {
    const mean = await readNifti(fixture('image', 'forrest_mean.nii.gz'));
    const ref = await readNifti(fixture('image', file));
    const dims = mean.dims.slice(0, 3);
    // nilearn smoothed the in-memory float64 mean; the fixture mean is that mean in float32.
    const out64 = smoothVolumes(Float64Array.from(mean.data), dims, mean.affine, fwhm);
    const c64 = compare(out64, ref.data);
    // float32 arithmetic (what smooth_img does on a float32 image) is within float32 precision.
    const out32 = smoothVolumes(mean.data, dims, mean.affine, fwhm);
    const c32 = compare(out32, ref.data);
    console.log(`${name}: float64 path corr ${c64.corr} maxAbs ${c64.maxAbs} maxRel ${c64.maxRel}; ` +
      `float32 path maxAbs ${c32.maxAbs} maxRel ${c32.maxRel}`);
    for (const c of [c64, c32]) {
      assert.ok(c.corr > 0.9999999, `corr ${c.corr}`);
      assert.ok(c.maxRel < 4e-7, `max relative diff ${c.maxRel}`); // ~2 float32 ulps
    }
  });
}

test('smoothMasked equals smoothVolumes then masking, bit for bit (real EPI, 4D, edge masks)', async () => {
  const mean = await readNifti(fixture('image', 'forrest_mean.nii.gz'));
  const maskImg = await readNifti(fixture('image', 'forrest_epi_mask.nii.gz'));
  const dims = mean.dims.slice(0, 3);
  const mask = Uint8Array.from(maskImg.data, (v) => (v ? 1 : 0));
  for (const fwhm of [5, [8, 8, 4], [0, 6, 9]] as const) {
    const full = extractMasked(smoothVolumes(mean.data, dims, mean.affine, fwhm), dims, mask);
    const part = smoothMasked(mean.data, dims, mean.affine, fwhm, mask);
    assert.equal(part.length, full.length);
    assert.deepEqual(part, full);
  }
  // A mask touching the image edges (reflection must use the true borders) on a 4D series.
  const d4 = [9, 8, 7, 2];
  const nvox = 9 * 8 * 7;
  const data = new Float32Array(nvox * 2);
  for (let i = 0; i < data.length; i++) data[i] = Math.cos(i * 1.3) * 100 + i * 0.01;
  const m = new Uint8Array(nvox);
  m[0] = 1; // corner
  m[8 + 9 * (3 + 8 * 6)] = 1; // x = nx-1, z = nz-1
  m[4 + 9 * (4 + 8 * 3)] = 1; // interior
  const full = extractMasked(smoothVolumes(data, d4, diag(2, 2, 2), 7), d4, m);
  assert.deepEqual(smoothMasked(data, d4, diag(2, 2, 2), 7, m), full);
  const d64 = Float64Array.from(data);
  assert.deepEqual(smoothMasked(d64, d4, diag(2, 2, 2), 7, m), extractMasked(smoothVolumes(d64, d4, diag(2, 2, 2), 7), d4, m));
});
