import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths.js';
import { readNifti } from '../../src/io/nifti.js';
import { labelComponents } from '../../src/stats/image/connected-components.js';
import {
  backgroundMask,
  fdrThreshold,
  thresholdImage,
  thresholdStats,
  type HeightControl,
} from '../../src/stats/inference/thresholding.js';

interface Case {
  name: string;
  input: string;
  params: {
    alpha?: number;
    height_control?: string | null;
    cluster_threshold: number;
    two_sided: boolean;
    threshold?: number;
  };
  threshold?: number;
  output?: string;
}

const manifest = JSON.parse(readFileSync(fixture('thresholding', 'manifest.json'), 'utf8')) as { cases: Case[] };

for (const c of manifest.cases.filter((x) => x.output)) {
  test(`threshold_stats_img ${c.name} matches nilearn voxel for voxel`, async (t) => {
    const img = await readNifti(fixture(c.input));
    const ref = await readNifti(fixture(c.output!));
    const dims = img.dims.slice(0, 3);
    const { thresholded, threshold } = thresholdStats(img.data, null, dims, img.affine, {
      alpha: c.params.alpha,
      heightControl: c.params.height_control as HeightControl,
      threshold: c.params.threshold,
      clusterThreshold: c.params.cluster_threshold,
      twoSided: c.params.two_sided,
    });
    if (c.threshold !== undefined) {
      // fpr / bonferroni go through the normal quantile (1e-12 relative); fdr and None are exact
      const tol = c.params.height_control === 'fpr' || c.params.height_control === 'bonferroni' ? 1e-12 * c.threshold : 0;
      assert.ok(Math.abs(threshold - c.threshold) <= tol, `${c.name}: threshold ${threshold} vs ${c.threshold}`);
    }
    let mismatches = 0;
    let kept = 0;
    for (let v = 0; v < ref.data.length; v++) {
      if (thresholded[v] !== ref.data[v]) mismatches++;
      if (ref.data[v] !== 0) kept++;
    }
    t.diagnostic(`${c.name}: threshold=${threshold} suprathreshold voxels=${kept} mismatching voxels=${mismatches}`);
    assert.equal(mismatches, 0);
  });
}

test('fdr_threshold: Benjamini-Hochberg on a hand-checked set', () => {
  // p = norm.sf(z) for z = [4, 3, 2.5, 1, 0]: p ~ [3.2e-5, 1.35e-3, 6.2e-3, 0.159, 0.5]
  // alpha*k/n with alpha 0.05, n 5: [0.01, 0.02, 0.03, 0.04, 0.05] -> last p below is k=3 (z=2.5)
  assert.equal(fdrThreshold([0, 1, 2.5, 3, 4], 0.05), 2.5 - 1e-12);
  // nothing passes -> +inf
  assert.equal(fdrThreshold([0, 0.1, -1], 0.05), Infinity);
  assert.throws(() => fdrThreshold([1], 2));
});

test('cluster extent uses 6-connectivity and keeps clusters of exactly the threshold size', () => {
  const dims = [4, 4, 4];
  const data = new Float32Array(64);
  const at = (x: number, y: number, z: number) => x + 4 * (y + 4 * z);
  // a 3-voxel face-connected line, and 3 voxels touching only by edges/corners
  data[at(0, 0, 0)] = 5;
  data[at(1, 0, 0)] = 5;
  data[at(2, 0, 0)] = 5;
  data[at(0, 2, 2)] = 5;
  data[at(1, 3, 2)] = 5; // edge neighbour of (0,2,2)
  data[at(2, 2, 3)] = 5; // corner neighbour of (1,3,2)
  data[at(3, 3, 3)] = -5; // a negative singleton, handled separately
  const out = thresholdImage(data, dims, 3, { clusterThreshold: 3, twoSided: true });
  assert.equal(out[at(0, 0, 0)], 5);
  assert.equal(out[at(2, 0, 0)], 5);
  assert.equal(out[at(0, 2, 2)], 0);
  assert.equal(out[at(1, 3, 2)], 0);
  assert.equal(out[at(2, 2, 3)], 0);
  assert.equal(out[at(3, 3, 3)], 0);
  const six = labelComponents(data.map((x) => (x > 0 ? 1 : 0)), dims, 6);
  const full = labelComponents(data.map((x) => (x > 0 ? 1 : 0)), dims, 26);
  assert.equal(six.count, 4);
  assert.equal(full.count, 2);
  // scipy numbering: first voxel in C order (x slowest) gets label 1
  assert.equal(six.labels[at(0, 0, 0)], 1);
  assert.equal(six.labels[at(0, 2, 2)], 2);
});

test('one-sided thresholding drops negative values; two-sided keeps |z| >= t', () => {
  const data = Float32Array.from([-4, -2, 2, 4, 3]);
  const dims = [5, 1, 1];
  assert.deepEqual(Array.from(thresholdImage(data, dims, 3, { twoSided: false })), [0, 0, 0, 4, 3]);
  assert.deepEqual(Array.from(thresholdImage(data, dims, 3, { twoSided: true })), [-4, 0, 0, 4, 3]);
});

test('background mask = data != median of the 2-voxel border (nilearn compute_background_mask)', () => {
  const dims = [6, 6, 6];
  const data = new Float32Array(216).fill(7);
  data[2 + 6 * (2 + 6 * 2)] = 1;
  data[3 + 6 * (3 + 6 * 3)] = 0;
  const m = backgroundMask(data, dims);
  assert.equal(m.reduce((a, b) => a + b, 0), 2);
  const withNaN = Float32Array.from(data);
  withNaN[0] = NaN;
  assert.equal(backgroundMask(withNaN, dims).reduce((a, b) => a + b, 0), 215);
});

test('bonferroni counts the in-mask voxels', () => {
  const dims = [10, 1, 1];
  const data = Float32Array.from([0, 5, 4, 3, 0, 0, 0, 0, 0, 0]);
  const mask = Uint8Array.from([0, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
  const r = thresholdStats(data, mask, dims, null, { alpha: 0.05, heightControl: 'bonferroni', twoSided: false });
  // scipy norm.isf(0.05 / 4) = 2.241402727604945
  assert.ok(Math.abs(r.threshold - 2.241402727604945) < 1e-12);
  assert.deepEqual(Array.from(r.thresholded), [0, 5, 4, 3, 0, 0, 0, 0, 0, 0]);
});
