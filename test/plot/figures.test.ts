import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { designPlotLayout, plotDesignMatrix } from '../../src/plot/design-plot.js';
import { plotRoiValues, roiPlotLayout } from '../../src/plot/roi-plot.js';

const px = (img: PNG, x: number, y: number) => {
  const o = (y * img.width + x) * 4;
  return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!];
};

test('design plot: each column scaled to its max |value|; global max -> white, global min -> black', () => {
  // 4 scans x 3 columns: a box-car (0/2), a drift (-3..3) and a constant (5).
  const columns = ['face', 'drift_1', 'constant'];
  const rows = 4;
  const data = new Float64Array([
    0, -3, 5,
    2, -1, 5,
    2, 1, 5,
    0, 3, 5,
  ]);
  const img = PNG.sync.read(plotDesignMatrix(columns, { rows, cols: 3, data }));
  const L = designPlotLayout(columns, rows);
  assert.equal(img.width, L.width);
  assert.equal(img.height, L.height);
  const rowY = (r: number) => L.y0 + Math.floor(((r + 0.5) * L.matrixHeight) / rows);
  const colX = (c: number) => L.x0 + c * L.cellWidth + Math.floor(L.cellWidth / 2);
  // Scaled values span [-1, 1] (the drift), so: -1 -> black, 0 -> mid gray, +1 -> white.
  assert.deepEqual(px(img, colX(0), rowY(1)), [255, 255, 255], 'box-car maximum is white');
  assert.deepEqual(px(img, colX(0), rowY(0)), [128, 128, 128], 'box-car zero is mid gray');
  assert.deepEqual(px(img, colX(1), rowY(0)), [0, 0, 0], 'drift minimum is black');
  assert.deepEqual(px(img, colX(1), rowY(3)), [255, 255, 255], 'drift maximum is white');
  assert.deepEqual(px(img, colX(1), rowY(1)), [85, 85, 85], 'drift -1/3 -> (1 - 1/3)/2 of the gray range');
  assert.deepEqual(px(img, colX(2), rowY(2)), [255, 255, 255], 'constant column is white');
  // Without negative values zero maps to black.
  const pos = PNG.sync.read(plotDesignMatrix(['a', 'b'], { rows: 2, cols: 2, data: new Float64Array([0, 1, 4, 1]) }));
  const L2 = designPlotLayout(['a', 'b'], 2);
  const x0 = L2.x0 + Math.floor(L2.cellWidth / 2);
  assert.deepEqual(px(pos, x0, L2.y0 + 2), [0, 0, 0]);
  assert.deepEqual(px(pos, x0, L2.y0 + L2.matrixHeight - 2), [255, 255, 255]);
  assert.throws(() => plotDesignMatrix(['a'], { rows: 2, cols: 2, data: new Float64Array(4) }), /1 names for 2 columns/);
});

test('roi plot: bars from zero to the effect, whiskers at effect +- sqrt(variance)', () => {
  const values = [
    { name: 'FFA', effect: 2, variance: 0.25 },
    { name: 'PPA', effect: -1, variance: 0.04 },
    { name: 'V1', effect: 0.5, variance: Number.NaN },
  ];
  const png = plotRoiValues(values, { title: 'faceVsScene' });
  const img = PNG.sync.read(png);
  const L = roiPlotLayout(values, { title: 'faceVsScene' });
  assert.equal(img.width, L.width);
  assert.equal(img.height, L.height);
  assert.ok(L.yBottom <= -1.2 && L.yTop >= 2.5, `axis covers the whiskers: ${L.yBottom}..${L.yTop}`);
  const yPix = (v: number) => L.y0 + Math.round(((L.yTop - v) / (L.yTop - L.yBottom)) * (L.plotH - 1));
  const cx = (i: number) => L.x0 + i * L.slotW + Math.floor(L.slotW / 2);
  const barEdge = (i: number) => cx(i) - Math.floor(L.barW / 2) + 1; // inside the bar, away from the whisker
  assert.deepEqual(px(img, barEdge(0), yPix(1)), [214, 96, 77], 'positive bar is warm');
  assert.deepEqual(px(img, barEdge(0), yPix(2.3)), [255, 255, 255], 'nothing above the bar (except the whisker)');
  assert.deepEqual(px(img, cx(0), yPix(2.5)), [0, 0, 0], 'whisker reaches effect + SE = 2.5');
  assert.deepEqual(px(img, cx(0), yPix(1.5)), [0, 0, 0], 'whisker reaches effect - SE = 1.5');
  assert.deepEqual(px(img, barEdge(1), yPix(-0.5)), [67, 147, 195], 'negative bar is cool, below zero');
  assert.deepEqual(px(img, cx(1), yPix(-1.2)), [0, 0, 0], 'negative whisker end');
  assert.deepEqual(px(img, cx(2), yPix(0.25)), [214, 96, 77], 'no whisker when the variance is missing');
});
