/**
 * The three figures of a stat map, for the report and the outputs: orthogonal cuts at the
 * peak (or the given cut), an axial mosaic and a glass brain, sharing one colour scale,
 * threshold and title.
 */
import type { Vec3, Volume } from './affine.js';
import { renderGlass } from './stat-map-glass.js';
import { renderMosaic } from './stat-map-mosaic.js';
import { prepareStatMap, type Peak } from './stat-map-prepare.js';
import { renderOrtho } from './stat-map.js';
import type { Underlay } from './underlay.js';

export interface StatMapFigureOptions {
  /** |stat| below this is not drawn. */
  threshold: number;
  /** Cut point of the orthogonal view in mm (default: the peak). */
  cutCoords?: Vec3;
  title?: string;
  /** Colour limit (symmetric); default the map's max |value|. */
  vmax?: number;
}

export interface StatMapFigures {
  ortho: Buffer;
  mosaic: Buffer;
  glass: Buffer;
  peak: Peak | null;
  cutMm: Vec3;
  threshold: number;
  vmax: number;
}

export function renderStatMapFigures(map: Volume, underlay: Underlay | null, opts: StatMapFigureOptions): StatMapFigures {
  const prep = prepareStatMap(map, underlay, { threshold: opts.threshold, cut: opts.cutCoords ?? 'peak', title: opts.title, vmax: opts.vmax });
  return {
    ortho: renderOrtho(prep).png,
    mosaic: renderMosaic(prep).png,
    glass: renderGlass(prep).png,
    peak: prep.peak, cutMm: prep.cutMm, threshold: prep.threshold, vmax: prep.vmax,
  };
}
