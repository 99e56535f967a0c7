/**
 * Canvas figures of the design diagnostics: design matrix text, design correlation and
 * contrast matrix figures (cell colours on the RdBu_r scale, names drawn, flagged pairs
 * outlined), measured on the PNG pixels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { designPlotLayout, plotDesignMatrix } from '../../src/plot/design-plot.js';
import { correlationFigureColumns, plotDesignCorrelation } from '../../src/plot/design-corr-plot.js';
import { plotContrastMatrix } from '../../src/plot/contrast-plot.js';
import { matrixFigureLayout } from '../../src/plot/matrix-figure.js';
import { rdBuR, rdBuRValue } from '../../src/plot/diverging.js';
import { plotRoiValues, roiPlotLayout } from '../../src/plot/roi-plot.js';
import { columnCorrelation } from '../../src/stats/design/correlation.js';

const px = (img: PNG, x: number, y: number) => {
  const o = (Math.floor(y) * img.width + Math.floor(x)) * 4;
  return [img.data[o]!, img.data[o + 1]!, img.data[o + 2]!];
};

/** Pixels in a box that are not white, and how many distinct gray levels they take (antialiasing). */
function ink(img: PNG, x0: number, y0: number, x1: number, y1: number): { dark: number; levels: number } {
  let dark = 0;
  const levels = new Set<number>();
  for (let y = Math.max(0, Math.floor(y0)); y < Math.min(img.height, y1); y++) {
    for (let x = Math.max(0, Math.floor(x0)); x < Math.min(img.width, x1); x++) {
      const [r, g, b] = px(img, x, y);
      if (r < 250 || g < 250 || b < 250) {
        dark++;
        levels.add(Math.round((r + g + b) / 3));
      }
    }
  }
  return { dark, levels: levels.size };
}

test('RdBu_r: matplotlib knots at -1, 0, +1 and in between', () => {
  assert.deepEqual(rdBuR(0), [5, 48, 97]);
  assert.deepEqual(rdBuR(0.5), [247, 247, 247]);
  assert.deepEqual(rdBuR(1), [103, 0, 31]);
  assert.deepEqual(rdBuR(0.8), [214, 96, 77]); // knot 8 of 10
  assert.deepEqual(rdBuRValue(-0.6, 1), rdBuR(0.2));
});

test('design plot: antialiased column names above the matrix, scan axis on the left, title', () => {
  const columns = ['face', 'scene_derivative', 'global_signal', 'drift_1', 'constant'];
  const rows = 40;
  const data = new Float64Array(rows * columns.length).map((_, i) => Math.sin(i));
  const img = PNG.sync.read(plotDesignMatrix(columns, { rows, cols: columns.length, data }, { title: 'sub-01_run-1 design matrix' }));
  const L = designPlotLayout(columns, rows, { title: 'sub-01_run-1 design matrix' });
  assert.deepEqual([img.width, img.height], [L.width, L.height]);
  const labels = ink(img, L.x0, 30, L.width, L.y0 - 6);
  assert.ok(labels.dark > 300, `column names drawn (${labels.dark} ink pixels)`);
  assert.ok(labels.levels > 20, `text is antialiased (${labels.levels} gray levels), not a 1-bit bitmap font`);
  // each column has its name: ink straight above every column's tick
  for (let c = 0; c < columns.length; c++) {
    const cx = L.x0 + (c + 0.5) * L.cellWidth;
    assert.ok(ink(img, cx - 2, L.y0 - 30, cx + 14, L.y0 - 6).dark > 10, `name of column ${columns[c]}`);
  }
  assert.ok(ink(img, 0, L.y0, L.x0 - 2, L.y0 + L.matrixHeight).dark > 100, 'scan numbers and axis title');
  assert.ok(ink(img, 0, 0, 200, 24).dark > 100, 'title');
});

test('design correlation figure: diagonal +1, cells coloured by r, flagged pair outlined, constant and drifts left out', () => {
  const n = 30;
  const t = Array.from({ length: n }, (_, i) => i);
  const face = t.map((i) => (i % 6 < 2 ? 1 : 0));
  const face2 = face.map((v, i) => v + (i === 7 ? 0.3 : 0)); // near copy: r > 0.9
  const scene = t.map((i) => (i % 5 === 3 ? 1 : 0));
  const cols = ['face', 'faceCopy', 'scene', 'drift_1', 'constant'];
  const data = new Float64Array(n * 5);
  t.forEach((i) => data.set([face[i], face2[i], scene[i], Math.cos((Math.PI * (i + 0.5)) / n), 1], i * 5));
  const corr = columnCorrelation({ rows: n, cols: 5, data });
  assert.deepEqual(correlationFigureColumns(cols, corr.data), [0, 1, 2]);
  const fig = plotDesignCorrelation(cols, corr.data, { title: 'run-1 design correlation' });
  assert.deepEqual(fig.columns, ['face', 'faceCopy', 'scene']);
  const names = fig.columns;
  const L = matrixFigureLayout(3, 3, { rowLabels: names, columnLabels: names, vmax: 1, title: 'run-1 design correlation' });
  const img = PNG.sync.read(fig.png);
  assert.deepEqual([img.width, img.height], [L.width, L.height]);
  const cell = (r: number, c: number, dx = 0.5, dy = 0.5) => px(img, L.x0 + (c + dx) * L.cellW, L.y0 + (r + dy) * L.cellH);
  for (let i = 0; i < 3; i++) assert.deepEqual(cell(i, i), [103, 0, 31], `diagonal ${i} is +1`);
  const r02 = corr.data[0 * 5 + 2];
  assert.deepEqual(cell(0, 2, 0.2, 0.2), [...rdBuRValue(r02, 1)], `face x scene coloured by r = ${r02}`);
  const r01 = corr.data[1];
  assert.ok(r01 >= 0.9, String(r01));
  assert.deepEqual(cell(0, 1, 0.5, 0.04), [0, 0, 0], 'flagged pair outlined in black');
  assert.notDeepEqual(cell(0, 2, 0.5, 0.04), [0, 0, 0], 'unflagged pair not outlined');
  // r written in the off-diagonal cells (light text on the dark red flagged cell)
  const inCell = ink(img, L.x0 + 2 * L.cellW + 3, L.y0 + 3, L.x0 + 3 * L.cellW - 3, L.y0 + L.cellH - 3);
  assert.ok(inCell.dark > 0);
  assert.ok(ink(img, 0, L.y0, L.x0 - 4, L.y0 + 3 * L.cellH).dark > 100, 'row names');
  assert.ok(ink(img, L.x0, 30, L.x0 + 3 * L.cellW + 60, L.y0 - 6).dark > 100, 'column names');
  // colour bar: top is +1, bottom -1
  assert.deepEqual(px(img, L.bar.x + 5, L.bar.y + 1), [...rdBuR(1 - 1 / (L.bar.h - 1))]);
  assert.deepEqual(px(img, L.bar.x + 5, L.bar.y + L.bar.h - 1), [...rdBuR(0)]);
});

test('contrast matrix figure: weights coloured on a symmetric scale, zero white, names above', () => {
  const columns = ['face', 'object', 'scene', 'trans_x', 'drift_1', 'constant'];
  const rows = [{ label: 'face - scene', weights: [1, 0, -1, 0, 0, 0] }, { label: 'row 2', weights: [0, 0.5, 0, 0, 0, 0] }];
  const img = PNG.sync.read(plotContrastMatrix(columns, rows, { title: 'sub-01 contrast faceVsScene' }));
  const L = matrixFigureLayout(2, 6, { rowLabels: rows.map((r) => r.label), columnLabels: columns, vmax: 1, title: 'sub-01 contrast faceVsScene', cellHeight: 30 });
  assert.deepEqual([img.width, img.height], [L.width, L.height]);
  const cell = (r: number, c: number, dx = 0.15, dy = 0.2) => px(img, L.x0 + (c + dx) * L.cellW, L.y0 + (r + dy) * L.cellH);
  assert.deepEqual(cell(0, 0), [103, 0, 31], '+1 is the top of the scale');
  assert.deepEqual(cell(0, 2), [5, 48, 97], '-1 is the bottom');
  assert.deepEqual(cell(0, 3), [247, 247, 247], '0 is white');
  assert.deepEqual(cell(1, 1), [...rdBuRValue(0.5, 1)]);
  // the weight is written in its cell in white on the dark cells
  let light = 0;
  for (let y = L.y0 + 4; y < L.y0 + L.cellH - 4; y++) for (let x = L.x0 + 4; x < L.x0 + L.cellW - 4; x++) if (px(img, x, y)[1] > 150) light++;
  assert.ok(light > 5, 'value written in the +1 cell');
  assert.ok(ink(img, L.x0, 30, L.width, L.y0 - 6).dark > 200, 'column names');
  assert.ok(ink(img, 0, L.y0, L.x0 - 4, L.y0 + 2 * L.cellH).dark > 100, 'row names');
});

test('roi plot: names under the bars, axis titles, antialiased text', () => {
  const values = [
    { name: 'FFA', effect: 2, variance: 0.25 },
    { name: 'PPA', effect: -1, variance: 0.04 },
    { name: 'Left Lateral Occipital Cortex, inferior division', effect: 0.5, variance: Number.NaN },
  ];
  const img = PNG.sync.read(plotRoiValues(values, { title: 'sub-01 faceVsScene' }));
  const L = roiPlotLayout(values, { title: 'sub-01 faceVsScene' });
  assert.equal(L.nameAngle, 45, 'long names are tilted');
  const below = ink(img, 0, L.y0 + L.plotH + 4, L.width, L.height - 18);
  assert.ok(below.dark > 300 && below.levels > 20, `names drawn antialiased (${below.dark} px, ${below.levels} levels)`);
  assert.ok(ink(img, 0, L.y0, 22, L.y0 + L.plotH).dark > 50, 'y axis title');
  assert.ok(ink(img, 0, L.height - 20, L.width, L.height).dark > 50, 'x axis title');
  // zero line across the plot
  const zeroY = L.y0 + Math.round((L.yTop / (L.yTop - L.yBottom)) * (L.plotH - 1));
  assert.deepEqual(px(img, L.x0 + 2, zeroY), [0, 0, 0]);
});
