import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { examplesDir, fixture } from '../helpers/paths.js';
import { readNifti } from '../../src/io/nifti.js';
import {
  computeEpiMask,
  binaryErosion,
  binaryDilation,
  largestConnectedComponent,
  epiThreshold,
} from '../../src/stats/image/epi-mask.js';
import {
  meanOverTime,
  meanOverTime64,
  niftiMeanPrecision,
  extractMasked,
  scatterMasked,
  intersectMasks,
  intersectMasksThreshold,
} from '../../src/stats/image/image-ops.js';

const BOLD = join(examplesDir, 'studyforrest-localizer', 'sub-01', 'func', 'sub-01_task-localizer_run-1_bold.nii.gz');

test('mean image and compute_epi_mask on the real EPI match nilearn', async () => {
  const bold = await readNifti(BOLD);
  const refMean = await readNifti(fixture('image', 'forrest_mean.nii.gz'));
  const refMask = await readNifti(fixture('image', 'forrest_epi_mask.nii.gz'));
  // int16 + scl_slope: nibabel scales in float64, numpy averages in float64.
  assert.equal(niftiMeanPrecision(bold.datatype, bold.sclSlope, bold.sclInter), 'float64');
  const mean = meanOverTime(bold.data, bold.dims);
  let maxRel = 0;
  let nDiff = 0;
  for (let i = 0; i < mean.length; i++) {
    const d = Math.abs(mean[i] - refMean.data[i]);
    if (d > 0) nDiff++;
    if (refMean.data[i] !== 0) maxRel = Math.max(maxRel, d / Math.abs(refMean.data[i]));
  }
  // Our reader rounds raw*slope to float32 before averaging: at most 1 float32 ulp off.
  console.log(`mean: ${nDiff} of ${mean.length} voxels differ, max relative diff ${maxRel}`);
  assert.ok(maxRel <= 1.2e-7, `mean max relative diff ${maxRel}`);

  const mask = computeEpiMask(bold.data, bold.dims, bold.affine);
  let differ = 0;
  let inRef = 0;
  for (let i = 0; i < mask.length; i++) {
    const r = refMask.data[i] ? 1 : 0;
    inRef += r;
    if (mask[i] !== r) differ++;
  }
  console.log(`epi mask: ${differ} differing voxels (reference has ${inRef} in-mask voxels)`);
  assert.equal(differ, 0);
});

test('mean over time: float64 accumulation, or numpy float32 sequential accumulation', () => {
  const dims = [2, 1, 1, 3];
  const data = Float32Array.from([1, 16777216, 2, 1, 4, 1]);
  assert.deepEqual(Array.from(meanOverTime64(data, dims)), [7 / 3, 16777218 / 3]);
  // float32: 16777216 + 1 rounds back to 16777216 (ties to even), then + 1 again.
  const m32 = meanOverTime(data, dims, 'float32');
  assert.equal(m32[1], Math.fround(16777216 / 3));
  assert.equal(m32[0], Math.fround(7 / 3));
  assert.equal(niftiMeanPrecision('float32', 0, 0), 'float32');
  assert.equal(niftiMeanPrecision('float32', 2, 0), 'float64');
  assert.equal(niftiMeanPrecision('int16', 1, 0), 'float64');
});

test('binary erosion / dilation use the 6-connected cross with a zero border', () => {
  const dims = [5, 5, 5];
  const full = new Uint8Array(125).fill(1);
  const er = binaryErosion(full, dims, 1);
  // border_value 0: every voxel on the image boundary is eroded, the 3x3x3 core stays.
  let n = 0;
  for (const v of er) n += v;
  assert.equal(n, 27);
  assert.equal(er[2 + 5 * (2 + 5 * 2)], 1);
  assert.equal(er[0], 0);
  const one = new Uint8Array(125);
  one[2 + 5 * (2 + 5 * 2)] = 1;
  const dil = binaryDilation(one, dims, 1);
  n = 0;
  for (const v of dil) n += v;
  assert.equal(n, 7); // centre + 6 face neighbours (no diagonals)
  const dil2 = binaryDilation(one, dims, 2);
  n = 0;
  for (const v of dil2) n += v;
  assert.equal(n, 25); // octahedron of radius 2
});

test('largest connected component is 6-connected', () => {
  const dims = [6, 3, 3];
  const m = new Uint8Array(54);
  const at = (x: number, y: number, z: number) => x + 6 * (y + 3 * z);
  // A: three voxels in a line; B: two face-connected voxels + one diagonal-only voxel.
  m[at(0, 0, 0)] = m[at(1, 0, 0)] = m[at(2, 0, 0)] = 1;
  m[at(4, 1, 1)] = m[at(5, 1, 1)] = 1;
  m[at(4, 2, 2)] = 1; // touches B only by an edge: a separate component
  const lcc = largestConnectedComponent(m, dims);
  assert.deepEqual(
    Array.from(lcc.keys()).filter((i) => lcc[i]),
    [at(0, 0, 0), at(1, 0, 0), at(2, 0, 0)],
  );
});

test('histogram threshold: midpoint of the largest gap between the cutoffs', () => {
  // 10 values; lower = floor(0.2*10) = 2, upper = floor(0.85*10) = 8 -> gaps between s[2..8].
  const v = Float64Array.from([0, 0, 1, 1.5, 2, 10, 11, 11.5, 12, 50]);
  assert.equal(epiThreshold(v), 6); // gap 2 -> 10
});

test('masking helpers: extract / scatter round trip and intersections', () => {
  const dims = [2, 2, 1, 2];
  const data = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const mask = Uint8Array.from([0, 1, 1, 0]);
  const x = extractMasked(data, dims, mask);
  assert.deepEqual(Array.from(x), [2, 3, 6, 7]);
  assert.deepEqual(Array.from(scatterMasked(x, mask, 4)), [0, 2, 3, 0, 0, 6, 7, 0]);
  assert.deepEqual(Array.from(intersectMasks(mask, Uint8Array.from([1, 1, 0, 0]))), [0, 1, 0, 0]);
  const ms = [Uint8Array.from([1, 1, 0, 0]), Uint8Array.from([1, 0, 1, 0]), Uint8Array.from([1, 1, 1, 0])];
  assert.deepEqual(Array.from(intersectMasksThreshold(ms, 0.5)), [1, 1, 1, 0]);
  assert.deepEqual(Array.from(intersectMasksThreshold(ms, 1)), [1, 0, 0, 0]);
});
