import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyAffine, type Volume } from '../../src/plot/affine.js';
import { colorbarRow } from '../../src/plot/colorbar.js';
import { coldHot } from '../../src/plot/colormaps.js';
import { nearestSampler, trilinearSampler } from '../../src/plot/resample.js';
import { pixelToWorld, worldToPixel } from '../../src/plot/slicing.js';
import { renderGlass } from '../../src/plot/stat-map-glass.js';
import { mosaicCuts, renderMosaic } from '../../src/plot/stat-map-mosaic.js';
import { findPeak, prepareStatMap } from '../../src/plot/stat-map-prepare.js';
import { renderOrtho, renderStatMap } from '../../src/plot/stat-map.js';
import { renderStatMapFigures } from '../../src/plot/stat-map-figures.js';
import { grayLevel, grayWindow, type Underlay } from '../../src/plot/underlay.js';
import type { PlacedPlane } from '../../src/plot/stat-map-draw.js';
import { decodePng, isGrey, pixel, type Pixels } from '../helpers/png-pixels.js';

// Stat map: 3 mm voxels stored with a flipped x axis (voxel i grows towards the subject's
// left, like LAS images). A positive blob (peak 8) in the LEFT hemisphere at voxel
// (22, 24, 15) = (-21, 12, 5) mm on a ramp along y from -2.9 to +2.9 that stays below the
// threshold 3 everywhere.
const dims = [30, 36, 28];
const affine = [
  [-3, 0, 0, 45],
  [0, 3, 0, -60],
  [0, 0, 3, -40],
  [0, 0, 0, 1],
];
const THR = 3;
const BLOB_MM = [-21, 12, 5];
function statMap(): Volume {
  const v = new Float32Array(dims[0]! * dims[1]! * dims[2]!);
  for (let k = 0; k < dims[2]!; k++)
    for (let j = 0; j < dims[1]!; j++)
      for (let i = 0; i < dims[0]!; i++) {
        const d = ((i - 22) ** 2 + (j - 24) ** 2 + (k - 15) ** 2) / (2 * 1.5 * 1.5);
        v[i + dims[0]! * (j + dims[1]! * k)] = 2.9 * ((2 * j) / (dims[1]! - 1) - 1) + 8 * Math.exp(-d);
      }
  return { data: v, dims, affine };
}

// Underlay: a 2 mm grid (not flipped) holding an ellipsoid "brain" whose intensity grows
// from 60 on the left to 100 on the right; its mask is the same ellipsoid.
const uDims = [45, 54, 42];
const uAffine = [
  [2, 0, 0, -44],
  [0, 2, 0, -62],
  [0, 0, 2, -42],
  [0, 0, 0, 1],
];
const inBrain = (w: readonly number[]) => (w[0]! / 40) ** 2 + ((w[1]! + 8) / 50) ** 2 + (w[2]! / 36) ** 2 <= 1;
function underlay(): Underlay {
  const n = uDims[0]! * uDims[1]! * uDims[2]!;
  const img = new Float32Array(n);
  const mask = new Float32Array(n);
  for (let k = 0; k < uDims[2]!; k++)
    for (let j = 0; j < uDims[1]!; j++)
      for (let i = 0; i < uDims[0]!; i++) {
        const w = applyAffine(uAffine, [i, j, k]);
        if (!inBrain(w)) continue;
        const o = i + uDims[0]! * (j + uDims[1]! * k);
        img[o] = 80 + w[0]! / 2;
        mask[o] = 1;
      }
  return { image: { data: img, dims: uDims, affine: uAffine }, mask: { data: mask, dims: uDims, affine: uAffine }, label: 'test anatomy' };
}

const statAt = nearestSampler(statMap());

/** Every pixel of the panels whose colour is not grey shows a voxel with |stat| >= THR; returns how many are coloured. */
function assertNoColourBelowThreshold(img: Pixels, panels: PlacedPlane[]): number {
  let coloured = 0;
  for (const p of panels) {
    for (let py = 0; py < p.h; py++) {
      for (let px = 0; px < p.w; px++) {
        const c = pixel(img, p.x + px, p.y + py);
        if (isGrey(c)) continue;
        coloured++;
        const s = statAt(...pixelToWorld(p, px, py));
        assert.ok(Math.abs(s) >= THR, `${p.view} z=${p.fixed}: pixel (${px}, ${py}) coloured ${c} where |stat| = ${s} < ${THR}`);
      }
    }
  }
  return coloured;
}

test('stat map: cut "peak" is the largest |stat| voxel, in mm through the affine', () => {
  const stat = statMap();
  const fig = renderStatMap(stat, null, { threshold: THR });
  assert.deepEqual(fig.peak?.voxel, [22, 24, 15]);
  assert.deepEqual(fig.peak?.mm, BLOB_MM);
  assert.deepEqual(fig.cutMm, BLOB_MM);
  assert.ok(Math.abs(fig.vmax - fig.peak!.value) < 1e-6 && fig.vmax > 8);
  // A stronger negative blob becomes the peak (largest |stat|).
  const neg = { ...stat, data: (stat.data as Float32Array).map((x, i) => (i === 8 + 30 * (10 + 36 * 15) ? -20 : x)) };
  assert.deepEqual(findPeak(neg)?.voxel, [8, 10, 15]);
  assert.equal(findPeak(neg)?.value, -20);
  // A given cut in mm is used as is.
  assert.deepEqual(renderStatMap(stat, null, { cut: [0, 0, 0] }).cutMm, [0, 0, 0]);
});

test('stat map: underlay drawn in grey under the map, resampled through both affines, black outside the brain', () => {
  const u = underlay();
  const fig = renderStatMap(statMap(), u, { threshold: THR, title: 'faces <vs> scenes' });
  const img = decodePng(fig.png);
  assert.equal(img.width, fig.width);
  const ax = fig.panels[2]!;
  assert.equal(ax.view, 'axial');
  const [lo, hi] = grayWindow(u.image);
  // nilearn load_anat(dim='auto') on black: vmax = vmin + 1.4 (max - vmin), max = the 99.5th percentile (98 of 60..100)
  assert.equal(lo, 0);
  assert.ok(hi >= 1.4 * 97 && hi <= 1.4 * 100, `window ${lo}..${hi}`);
  const under = trilinearSampler(u.image);
  // Two points inside the brain, far from the blob (|stat| < THR there), off the cross-hair: left and right.
  const greys: number[] = [];
  for (const w of [[-30, -30, BLOB_MM[2]!], [30, -30, BLOB_MM[2]!]]) {
    const [px, py] = worldToPixel(ax, w);
    const c = pixel(img, ax.x + px, ax.y + py);
    assert.ok(isGrey(c) && c[0] > 60 && c[0] < 200, `grey underlay at ${w}: ${c}`);
    assert.equal(c[0], grayLevel(under(...pixelToWorld(ax, px, py)), lo, hi));
    greys.push(c[0]);
  }
  assert.ok(greys[1]! > greys[0]!, 'the underlay is brighter on the right (+x), drawn on the right');
  // Outside the brain ellipsoid but inside the figure: black.
  const [ox, oy] = worldToPixel(ax, [0, 44, BLOB_MM[2]!]);
  assert.ok(!inBrain([0, 44, BLOB_MM[2]!]));
  assert.deepEqual(pixel(img, ax.x + ox, ax.y + oy), [0, 0, 0]);
});

test('stat map: no coloured pixel where |stat| < threshold (ortho and mosaic), the blob coloured, left on the left', () => {
  const prep = prepareStatMap(statMap(), underlay(), { threshold: THR });
  const ortho = renderOrtho(prep);
  const img = decodePng(ortho.png);
  const coloured = assertNoColourBelowThreshold(img, ortho.panels);
  assert.ok(coloured > 50, `${coloured} coloured pixels`);
  for (const p of ortho.panels) {
    // near (not on) the cut: the blob's shoulder, 1 voxel off centre, in the blob's colour
    const w = [...BLOB_MM];
    w[p.hAxis] += 3;
    w[p.vAxis] += 3;
    const [px, py] = worldToPixel(p, w);
    const s = statAt(...pixelToWorld(p, px, py));
    assert.deepEqual(pixel(img, p.x + px, p.y + py), [...coldHot(0.5 + 0.5 * Math.min(1, s / ortho.vmax))], `${p.view}: blob colour`);
    // neurological convention: the left-hemisphere blob is left of the centre in coronal and axial views
    if (p.hAxis === 0) assert.ok(worldToPixel(p, BLOB_MM)[0] < p.w / 2);
  }
  // sagittal: anterior to the right; axial: anterior up
  const [sag, , ax] = ortho.panels as [PlacedPlane, PlacedPlane, PlacedPlane];
  assert.ok(worldToPixel(sag, [0, 30, 0])[0] > worldToPixel(sag, [0, -30, 0])[0]);
  assert.ok(worldToPixel(ax, [0, 30, 0])[1] < worldToPixel(ax, [0, -30, 0])[1]);

  const mosaic = renderMosaic(prep);
  const mImg = decodePng(mosaic.png);
  assert.equal(mosaic.panels.length, 12);
  assert.ok(mosaic.panels.every((p) => p.view === 'axial'));
  assertNoColourBelowThreshold(mImg, mosaic.panels);
});

test('stat map: colour bar symmetric, grey band |value| < threshold', () => {
  const fig = renderStatMap(statMap(), underlay(), { threshold: THR });
  const img = decodePng(fig.png);
  const { x, y, w, h, vmax } = fig.colorbar;
  const cx = x + Math.floor(w / 2);
  for (const v of [3.5, 5, 7, 0.99 * vmax]) {
    const top = colorbarRow(v, h, vmax);
    const bottom = h - 1 - top; // the mirror row holds -value
    const pos = pixel(img, cx, y + top);
    const neg = pixel(img, cx, y + bottom);
    assert.ok(pos[0] > pos[2], `+${v} is warm: ${pos}`);
    assert.deepEqual(neg, [pos[2], pos[1], pos[0]], `-${v} mirrors +${v} (cold_hot channel swap)`);
  }
  for (const v of [0, 1, -2.5]) assert.deepEqual(pixel(img, cx, y + colorbarRow(v, h, vmax)), [128, 128, 128], `${v} in the threshold band`);
  assert.deepEqual(pixel(img, cx, y + colorbarRow(0.999 * vmax, h, vmax)).slice(0, 2), [255, 255]);
});

test('stat map: the title is drawn as antialiased text', () => {
  const fig = renderStatMap(statMap(), underlay(), { threshold: THR, title: 'sub-01 faceVsScene' });
  const img = decodePng(fig.png);
  let ink = 0;
  let partial = 0;
  for (let yy = fig.title.y; yy < fig.title.y + fig.title.h; yy++)
    for (let xx = 0; xx < 200; xx++) {
      const c = pixel(img, xx, yy);
      if (c[0] > 0) ink++;
      if (c[0] > 0 && c[0] < 255) partial++;
    }
  assert.ok(ink > 150, `${ink} title pixels`);
  assert.ok(partial > 30, `${partial} antialiased edge pixels`);
  const none = decodePng(renderStatMap(statMap(), underlay(), { threshold: THR }).png);
  let blank = 0;
  for (let yy = 0; yy < fig.title.h; yy++) for (let xx = 0; xx < 200; xx++) if (pixel(none, xx, yy)[0] > 0) blank++;
  assert.equal(blank, 0, 'no title, no ink');
});

test('glass brain: the blob in all three projections at its place, nothing below threshold, brain outline', () => {
  const prep = prepareStatMap(statMap(), underlay(), { threshold: THR });
  const glass = renderGlass(prep);
  const img = decodePng(glass.png);
  assert.deepEqual(glass.panels.map((p) => p.view), ['sagittal', 'coronal', 'axial']);
  for (const p of glass.panels) {
    const [bx, by] = worldToPixel(p, BLOB_MM);
    const c = pixel(img, p.x + bx, p.y + by);
    assert.ok(!isGrey(c) || c[0] === 255, `${p.view}: blob drawn at its place (${c})`);
    // every coloured pixel lies within the blob's reach (|stat| >= 3 needs the blob within ~14 mm, + a voxel)
    for (let py = 0; py < p.h; py++)
      for (let px = 0; px < p.w; px++) {
        if (isGrey(pixel(img, p.x + px, p.y + py))) continue;
        const w = pixelToWorld(p, px, py);
        const d = Math.hypot(w[p.hAxis] - BLOB_MM[p.hAxis]!, w[p.vAxis] - BLOB_MM[p.vAxis]!);
        assert.ok(d < 17, `${p.view}: coloured pixel ${d.toFixed(1)} mm from the blob`);
      }
    if (p.hAxis === 0) {
      // the mirror point in the other hemisphere: brain, not blob
      const [mx, my] = worldToPixel(p, [-BLOB_MM[0]!, BLOB_MM[1]!, BLOB_MM[2]!]);
      assert.ok(isGrey(pixel(img, p.x + mx, p.y + my)));
    }
    // the outline: brain edge pixels light, outside black, inside dark
    const [ix, iy] = worldToPixel(p, [35, -8, 0].map((v, a) => (a === p.fixedAxis ? 0 : v)));
    assert.equal(pixel(img, p.x + ix, p.y + iy)[0], 28, `${p.view}: inside the brain`);
    const [ex, ey] = worldToPixel(p, [0, -8, 0].map((v, a) => (a === p.hAxis ? (p.hAxis === 0 ? 43 : 45) : v)));
    assert.equal(pixel(img, p.x + ex, p.y + ey)[0], 0, `${p.view}: outside the brain`);
  }
});

test('mosaic: evenly spaced cuts inside the box; all three views from renderStatMapFigures are PNG', () => {
  assert.deepEqual(mosaicCuts(0, 100, 3), [8, 50, 92]);
  assert.deepEqual(mosaicCuts(-50, 50, 1), [0]);
  const f = renderStatMapFigures(statMap(), underlay(), { threshold: THR, title: 't' });
  for (const png of [f.ortho, f.mosaic, f.glass]) assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.equal(f.threshold, THR);
  assert.deepEqual(f.cutMm, BLOB_MM);
  assert.deepEqual(renderStatMapFigures(statMap(), null, { threshold: THR, cutCoords: [1, 2, 3] }).cutMm, [1, 2, 3]);
});
