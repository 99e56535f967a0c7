import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plotHeatmap, strongestColumns } from '../../src/plot/heatmap.js';
import { coldHot } from '../../src/plot/colormaps.js';
import { decodePng, pixel } from '../helpers/png-pixels.js';

test('beta-series heat map: cells in cold_hot about 0 (largest |value| at the ends), NaN grey, text drawn', () => {
  // 4 trials x 3 voxels; cell geometry of plotHeatmap: 12 px cells from (130, 36)
  const v = Float32Array.from([2, -2, 0, 1, NaN, -1, 0.5, 0, 2, -2, 1, 0]);
  const img = decodePng(plotHeatmap(v, 4, 3, { title: 'beta series', rowLabel: 'trials', columnLabel: 'voxels' }));
  const cell = (r: number, c: number) => pixel(img, 130 + c * 12 + 6, 36 + r * 12 + 6);
  assert.deepEqual(cell(0, 0), [...coldHot(1)]);
  assert.deepEqual(cell(0, 1), [...coldHot(0)]);
  assert.deepEqual(cell(0, 2), [...coldHot(0.5)]);
  assert.deepEqual(cell(1, 1), [160, 160, 160]);
  assert.deepEqual(cell(2, 0), [...coldHot(0.625)]);
  // title: dark antialiased pixels in its box
  let ink = 0;
  const levels = new Set<number>();
  for (let y = 6; y < 26; y++) for (let x = 6; x < 120; x++) {
    const [r] = pixel(img, x, y);
    if (r < 200) ink++;
    levels.add(r);
  }
  assert.ok(ink > 30 && levels.size > 8, `title drawn antialiased (${ink} dark pixels, ${levels.size} levels)`);
});

test('strongestColumns orders voxels by mean |value| over trials', () => {
  assert.deepEqual(strongestColumns([1, -3, 0, 1, 3, 0.5], 2, 3, 2), [1, 0]);
});
