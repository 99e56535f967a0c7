import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readNifti } from '../../src/io/nifti.js';
import { downsample, downsampleFactor, encodeStatMap, encodeUnderlay, viewerDataScript, viewerId } from '../../src/report/viewer-data.js';
import { viewerScript } from '../../src/report/viewer-client.js';

const affine = [[-3, 0, 0, 90], [0, 3, 0, -126], [0, 0, 3.5, -72], [0, 0, 0, 1]];

async function roundTrip(gz: Uint8Array) {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-viewer-'));
  try {
    writeFileSync(join(dir, 'v.nii.gz'), gz);
    return await readNifti(join(dir, 'v.nii.gz'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('viewer stat map: int16 with a scale, values within half a step, grid kept', async () => {
  const dims = [5, 4, 3];
  const data = new Float32Array(60).map((_, i) => (i % 7 === 0 ? 0 : Math.sin(i) * 9.5));
  data[13] = Number.NaN;
  const img = await roundTrip(encodeStatMap({ dims, affine, data }));
  assert.deepEqual(img.dims.slice(0, 3), dims);
  assert.equal(img.datatype, 'int16');
  const max = Math.max(...Array.from(data).filter(Number.isFinite).map(Math.abs));
  assert.ok(Math.abs(img.sclSlope - max / 32767) < 1e-9 * max);
  for (let i = 0; i < 60; i++) {
    const want = Number.isFinite(data[i]) ? data[i] : 0;
    assert.ok(Math.abs(img.data[i] - want) <= img.sclSlope / 2 + 1e-6, `voxel ${i}: ${img.data[i]} vs ${want}`);
  }
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) assert.ok(Math.abs(img.affine[r][c] - affine[r][c]) < 1e-4);
});

test('viewer underlay: uint8, background 0, the window mapped to 1..255', async () => {
  const data = Float32Array.from([0, 1, 2, 3, 4, 0, 10, 0]);
  const img = await roundTrip(encodeUnderlay({ dims: [2, 2, 2], affine, data }, [0, 4]));
  assert.equal(img.datatype, 'uint8');
  assert.deepEqual(Array.from(img.data), [0, 64, 128, 191, 255, 0, 255, 0]);
  // a binary mask drawn mid-grey
  const mask = await roundTrip(encodeUnderlay({ dims: [2, 1, 1], affine, data: Float32Array.from([1, 0]) }, [0, 2.5]));
  assert.deepEqual(Array.from(mask.data), [102, 0]);
});

test('viewer downsample: block means, voxel size times the factor, block centres at the same mm', () => {
  const dims = [4, 4, 3];
  const data = new Float32Array(48).map((_, i) => i);
  const small = downsample({ dims, affine, data }, 2);
  assert.deepEqual(small.dims, [2, 2, 2]);
  // block (0,0,0): i,j in 0..1, k in 0..1 -> indices i + 4j + 16k
  const block0 = [0, 1, 4, 5, 16, 17, 20, 21];
  assert.equal(small.data[0], block0.reduce((a, b) => a + b) / 8);
  // last z block holds one slice only (k = 2): mean over 4 voxels
  assert.equal(small.data[4], [32, 33, 36, 37].reduce((a, b) => a + b) / 4);
  // mm of small voxel (0,0,0) = mm of the original block centre (0.5, 0.5, 0.5)
  const mm = (a: number[][], i: number, j: number, k: number) => [0, 1, 2].map((r) => a[r][0] * i + a[r][1] * j + a[r][2] * k + a[r][3]);
  assert.deepEqual(mm(small.affine, 0, 0, 0), mm(affine, 0.5, 0.5, 0.5));
  assert.deepEqual(mm(small.affine, 1, 1, 1), mm(affine, 2.5, 2.5, 2.5));
  assert.equal(downsampleFactor([197, 233, 189], 1_500_000), 2);
  assert.equal(downsampleFactor([80, 80, 35], 1_500_000), 1);
});

test('viewer data script: a register call with a safe id and the bytes in base64', () => {
  const gz = encodeStatMap({ dims: [1, 1, 1], affine, data: Float32Array.from([2]) });
  const js = viewerDataScript('sub-01 face/scene', gz);
  const m = js.match(/^glmflowViewer\.register\("([^"]+)", "([A-Za-z0-9+/=]+)"\);\n$/);
  assert.ok(m, js.slice(0, 80));
  assert.equal(m[1], 'sub-01_face_scene');
  assert.equal(viewerId('a.b/c'), 'a_b_c');
  assert.ok(Buffer.from(m[2], 'base64').equals(Buffer.from(gz)));
  assert.equal(gunzipSync(Buffer.from(m[2], 'base64')).readInt32LE(0), 348, 'a NIfTI-1 header inside');
});

test('viewer script: a classic script (no import/export) that parses, defining glmflowViewer', () => {
  const js = viewerScript();
  assert.ok(!/^\s*(import|export)\s/m.test(js));
  assert.doesNotThrow(() => new Function(js));
  // run it against a minimal window: it registers a click handler and the API
  const handlers: string[] = [];
  const win: any = { document: { addEventListener: (type: string) => handlers.push(type) } };
  new Function('window', js)(win);
  assert.deepEqual(handlers, ['click']);
  assert.equal(typeof win.glmflowViewer.register, 'function');
  assert.deepEqual(win.glmflowViewer.state(), { open: false, error: '' });
});
