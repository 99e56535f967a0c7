import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { Canvas, coldHot, encodePng, formatNumber, gray, hot, niceTicks, viridis } from '../../src/plot/png.js';
import { glyph, textWidth } from '../../src/plot/font5x7.js';

test('encodePng round-trips through pngjs with size and exact pixels', () => {
  const w = 3;
  const h = 2;
  const rgba = new Uint8Array([
    255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255,
    0, 0, 0, 255, 128, 128, 128, 255, 10, 20, 30, 40,
  ]);
  const png = encodePng(w, h, rgba);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  const back = PNG.sync.read(png);
  assert.equal(back.width, 3);
  assert.equal(back.height, 2);
  assert.deepEqual([...back.data], [...rgba]);
  assert.throws(() => encodePng(2, 2, new Uint8Array(15)), /expected 16 bytes/);
});

test('colormaps: gray ends, cold_hot black centre and white ends, hot ramp, viridis ends', () => {
  assert.deepEqual(gray(0), [0, 0, 0]);
  assert.deepEqual(gray(1), [255, 255, 255]);
  assert.deepEqual(gray(0.5), [128, 128, 128]);
  // matplotlib 'hot' starts at (0.0416, 0, 0); cold_hot is that at its centre.
  assert.deepEqual(coldHot(0.5), [11, 0, 0]);
  assert.deepEqual(coldHot(1), [255, 255, 255]);
  assert.deepEqual(coldHot(0), [255, 255, 255]);
  // Positive side: pure red at hot's first knot (t = 0.365079) ...
  assert.deepEqual(hot(0.365079), [255, 0, 0]);
  assert.deepEqual(coldHot(0.5 + 0.5 * 0.365079), [255, 0, 0]);
  // ... negative side mirrors it with the channels permuted: pure blue.
  assert.deepEqual(coldHot(0.5 - 0.5 * 0.365079), [0, 0, 255]);
  // Yellow / cyan at the second knot.
  assert.deepEqual(coldHot(0.5 + 0.5 * 0.746032), [255, 255, 0]);
  assert.deepEqual(coldHot(0.5 - 0.5 * 0.746032), [0, 255, 255]);
  assert.deepEqual(viridis(0), [68, 1, 84]);
  assert.deepEqual(viridis(1), [253, 231, 37]);
  assert.deepEqual(gray(Number.NaN), [0, 0, 0]);
});

test('bitmap font: glyph rows, text width and drawn pixels', () => {
  assert.deepEqual(glyph('1'), [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e]);
  assert.deepEqual(glyph('\u0001'), glyph('?'));
  assert.equal(textWidth('ab'), 11);
  assert.equal(textWidth('ab', 2), 22);
  const c = new Canvas(8, 9, [255, 255, 255]);
  c.text(1, 1, 'I', [0, 0, 0]);
  // 'I' = 0x0e top row: columns 1..3 of the glyph are set.
  const row = (y: number) => Array.from({ length: 7 }, (_, x) => (c.get(x, y)[0] === 0 ? 1 : 0)).join('');
  assert.equal(row(1), '0011100');
  assert.equal(row(2), '0001000');
  assert.equal(row(7), '0011100');
  assert.equal(row(0), '0000000');
  // Rotated by 90 (reading upward): the glyph's top row becomes its left column.
  const r = new Canvas(9, 8, [255, 255, 255]);
  r.text(1, 7, 'I', [0, 0, 0], { rotate: 90 });
  const col = (x: number) => Array.from({ length: 8 }, (_, y) => (r.get(x, y)[0] === 0 ? 1 : 0)).join('');
  assert.equal(col(1), '00011100'); // top row 0x0e: glyph columns 1..3 -> screen rows 5..3
  assert.equal(col(2), '00001000');
});

test('niceTicks and number labels', () => {
  assert.deepEqual(niceTicks(0, 109, 6), [0, 25, 50, 75, 100]);
  assert.deepEqual(niceTicks(-2.2, 4, 6), [-2, 0, 2, 4]);
  assert.deepEqual(niceTicks(0.1, 0.5, 5), [0.1, 0.2, 0.3, 0.4, 0.5]);
  assert.equal(formatNumber(3.14159), '3.14');
  assert.equal(formatNumber(-12), '-12');
  assert.equal(formatNumber(0.0004), '4.0e-4');
  assert.equal(formatNumber(25000), '2.5e4');
});
