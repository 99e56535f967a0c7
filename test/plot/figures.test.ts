import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { designPlotLayout, plotDesignMatrix } from '../../src/plot/design-plot.js';
import { applyAffine, findPeak, invertAffine, renderStatMap, type Panel } from '../../src/plot/stat-map.js';
import { plotRoiValues, roiPlotLayout } from '../../src/plot/roi-plot.js';
import { coldHot } from '../../src/plot/png.js';

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

// A synthetic volume: positive blob (peak 8) in the LEFT hemisphere, negative blob (-5) on the right,
// stored with a flipped x axis (voxel i grows towards the subject's left, like LAS images).
const dims = [30, 36, 28];
const affine = [
  [-3, 0, 0, 45],
  [0, 3, 0, -60],
  [0, 0, 3, -40],
  [0, 0, 0, 1],
];
function blobs(): Float32Array {
  const v = new Float32Array(dims[0]! * dims[1]! * dims[2]!);
  const add = (ci: number, cj: number, ck: number, amp: number, sd: number) => {
    for (let k = 0; k < dims[2]!; k++)
      for (let j = 0; j < dims[1]!; j++)
        for (let i = 0; i < dims[0]!; i++) {
          const d = ((i - ci) ** 2 + (j - cj) ** 2 + (k - ck) ** 2) / (2 * sd * sd);
          v[i + dims[0]! * (j + dims[1]! * k)]! += amp * Math.exp(-d);
        }
  };
  add(22, 24, 15, 8, 2);
  add(8, 10, 15, -5, 2.5);
  return v;
}

/** Pixel of world point `w` in a panel. */
function pixelOf(p: Panel, w: number[]): [number, number] {
  return [p.x + Math.floor((w[p.hAxis]! - p.hMin) * p.scale), p.y + Math.floor((p.vMax - w[p.vAxis]!) * p.scale)];
}

test('stat map: cut "peak" finds the known peak voxel and its mm coordinates', () => {
  const stat = blobs();
  const fig = renderStatMap(stat, null, dims, affine, { threshold: 1 });
  assert.deepEqual(fig.cutVoxel, [22, 24, 15]);
  assert.deepEqual(fig.cutMm, [45 - 66, -60 + 72, -40 + 45]);
  assert.deepEqual(fig.peak, { voxel: [22, 24, 15], mm: [-21, 12, 5], value: 8 });
  assert.equal(fig.vmax, 8);
  // A stronger negative blob becomes the peak (largest |stat|).
  const neg = stat.map((x) => (x < 0 ? 2 * x : x));
  assert.deepEqual(findPeak(neg, dims, affine)?.voxel, [8, 10, 15]);
  assert.ok(Math.abs(findPeak(neg, dims, affine)!.value + 10) < 1e-4);
  // A given cut in mm is used as is.
  const cut = renderStatMap(stat, null, dims, affine, { cut: [0, 0, 0] });
  assert.deepEqual(cut.cutMm, [0, 0, 0]);
  assert.deepEqual(cut.cutVoxel, [15, 20, 13]);
});

test('stat map: neurological display (left on the left, anterior up), colours and threshold', () => {
  const stat = blobs();
  const fig = renderStatMap(stat, null, dims, affine, { threshold: 1 });
  const img = PNG.sync.read(fig.png);
  assert.equal(img.width, fig.width);
  assert.equal(img.height, fig.height);
  const [sag, cor, ax] = fig.panels as [Panel, Panel, Panel];
  assert.deepEqual([sag.view, cor.view, ax.view], ['sagittal', 'coronal', 'axial']);
  // The left-hemisphere peak (x = -21 mm) lies in the left half of the coronal and axial panels.
  for (const p of [cor, ax]) {
    const [x] = pixelOf(p, fig.cutMm);
    assert.ok(x < p.x + p.w / 2, `${p.view}: peak drawn left of the centre`);
  }
  // Axial: the negative blob (x = +21, y = -30: right, posterior) is right of and BELOW the peak (anterior up).
  const negMm = applyAffine(affine, [8, 10, 15]);
  const [pxPeak, pyPeak] = pixelOf(ax, fig.cutMm);
  const [pxNeg, pyNeg] = pixelOf(ax, negMm);
  assert.ok(pxNeg > pxPeak && pyNeg > pyPeak);
  // Sagittal: anterior to the right: the peak (y = 12) is right of a posterior point (y = -30).
  assert.ok(pixelOf(sag, fig.cutMm)[0] > pixelOf(sag, [fig.cutMm[0], -30, fig.cutMm[2]])[0]);
  // Colours: the peak voxel (= vmax) is white in cold_hot; the negative blob centre is cold (blue dominant);
  // a sub-threshold voxel shows the gray silhouette.
  assert.deepEqual(px(img, pxPeak + 1, pyPeak + 1), [255, 255, 255]);
  const negC = px(img, pxNeg + 1, pyNeg + 1);
  const expected = coldHot(0.5 + 0.5 * (stat[8 + 30 * (10 + 36 * 15)]! / 8));
  assert.deepEqual(negC, [...expected]);
  assert.ok(negC[2]! > negC[0]!, 'negative values are drawn cold');
  const farMm = applyAffine(affine, [2, 30, 15]); // |stat| tiny there
  const [fx, fy] = pixelOf(ax, farMm);
  assert.deepEqual(px(img, fx + 1, fy + 1), [60, 60, 60]);
});

test('stat map: background drawn in gray, overlay only above threshold', () => {
  const n = dims[0]! * dims[1]! * dims[2]!;
  const bg = new Float32Array(n);
  for (let i = 0; i < n; i++) bg[i] = 100 + (i % 7); // 100..106: 2nd..99.8th percentile stretch
  const stat = blobs();
  const fig = renderStatMap(stat, bg, dims, affine, { threshold: 3, title: 'faces <vs> scenes' });
  const img = PNG.sync.read(fig.png);
  const ax = fig.panels[2]!;
  const far = applyAffine(affine, [2, 30, 15]);
  const [fx, fy] = pixelOf(ax, far);
  const c = px(img, fx + 1, fy + 1);
  assert.equal(c[0], c[1]);
  assert.equal(c[1], c[2]);
  const v = bg[2 + 30 * (30 + 36 * 15)]! - 100; // gray = (v - 100) / 6
  assert.equal(c[0], Math.round((v / 6) * 255));
  assert.equal(fig.threshold, 3);
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
