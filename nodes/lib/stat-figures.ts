/**
 * Glue between the report node and the stat-map figures: which underlay a map is drawn on,
 * the threshold and title, and writing the three views (orthogonal cuts, axial mosaic, glass
 * brain) as PNG under the report's figures/ folder.
 */
import { join } from 'node:path';
import type { Artifact } from '../../src/engine/types.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { isMni152Space, readMni152 } from '../../src/io/mni152.js';
import type { Vec3, Volume } from '../../src/plot/affine.js';
import { formatNumber } from '../../src/plot/ticks.js';
import { renderStatMapFigures, type StatMapFigureOptions } from '../../src/plot/stat-map-figures.js';
import type { Peak } from '../../src/plot/stat-map-prepare.js';
import type { Underlay } from '../../src/plot/underlay.js';
import type { ReportFigure, ReportPeak } from '../../src/report/model.js';
import type { UnderlayMeta } from '../underlay.js';
import type { WrittenFile } from './outputs.js';

/** First-level maps have no corrected threshold: nilearn's tutorials' uncorrected z 3.1 (p < 0.001, one-sided). */
export const DEFAULT_Z_THRESHOLD = 3.1;

/** The shipped MNI152 template and its brain mask. */
export async function templateUnderlay(): Promise<Underlay> {
  const { t1, mask } = await readMni152();
  return { image: { data: t1.data, dims: t1.dims.slice(0, 3), affine: t1.affine }, mask: { data: mask.data, dims: mask.dims.slice(0, 3), affine: mask.affine }, label: 'MNI152 template' };
}

/** A subject's underlay artifact (T1w or mean EPI), with the analysis mask as its brain outline. */
export function artifactUnderlay(a: Artifact, mask: Volume | null): Underlay {
  const m = a.meta as unknown as UnderlayMeta;
  return { image: { data: a.arrays.data as Float32Array, dims: m.dims, affine: m.affine }, mask, label: m.label };
}

/**
 * The underlay of a map in `space`: the MNI152 template for MNI152* spaces, else the given
 * subject underlay (or none: the map's extent is drawn in grey).
 */
export async function underlayFor(space: string | undefined, subject: Underlay | null): Promise<Underlay | null> {
  return isMni152Space(space) ? templateUnderlay() : subject;
}

export interface WrittenStatFigures {
  /** Orthogonal cuts (the map's main figure). */
  ortho: ReportFigure;
  /** Axial mosaic and glass brain. */
  views: ReportFigure[];
  peak?: ReportPeak;
}

export function reportPeak(peak: Peak | null, stat = 'z'): ReportPeak | undefined {
  return peak ? { x: peak.mm[0], y: peak.mm[1], z: peak.mm[2], value: peak.value, stat } : undefined;
}

/** "|z| ≥ 3.1" */
export function thresholdText(threshold: number, stat = 'z'): string {
  return `|${stat}| ≥ ${formatNumber(threshold)}`;
}

/**
 * Render and write `<base>.png` (orthogonal cuts), `<base>_mosaic.png` and `<base>_glass.png`
 * under `dir` (base is relative, e.g. figures/sub-01_contrast-face_stat-z).
 */
export async function writeStatFigures(
  dir: string, base: string, map: Volume, underlay: Underlay | null,
  opts: StatMapFigureOptions & { cutCoords?: Vec3 }, alt: string, written: WrittenFile[],
): Promise<WrittenStatFigures> {
  const f = renderStatMapFigures(map, underlay, opts);
  const files = { ortho: `${base}.png`, mosaic: `${base}_mosaic.png`, glass: `${base}_glass.png` };
  written.push(await writeFileAtomic(join(dir, files.ortho), [f.ortho]));
  written.push(await writeFileAtomic(join(dir, files.mosaic), [f.mosaic]));
  written.push(await writeFileAtomic(join(dir, files.glass), [f.glass]));
  return {
    ortho: { src: files.ortho, alt: `${alt}: orthogonal cuts` },
    views: [{ src: files.mosaic, alt: `${alt}: axial slices` }, { src: files.glass, alt: `${alt}: glass brain` }],
    peak: reportPeak(f.peak),
  };
}
