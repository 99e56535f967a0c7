/**
 * ROI images (a label atlas, binary masks) brought onto the grid of the data they summarise:
 * used as they are when the grids agree; on another grid refused (naming both grids), or,
 * with `roi.resample: nearest`, resampled by nearest neighbour through the affines.
 */
import { UserError } from '../errors.js';
import { readNifti, sameGrid, type NiftiHeaderInfo } from '../io/nifti.js';
import { resampleNearest, type GridImage } from '../stats/image/resample-nearest.js';
import { binaryMask, binaryMaskProblem } from '../stats/image/binary-mask.js';

export type RoiResample = 'none' | 'nearest';

const num = (v: number) => String(+v.toFixed(4));

/** "20x24x18, affine [[4, 0, 0, -38], [0, 4, 0, -46], [0, 0, 4, -34]]" (the last row is always 0 0 0 1). */
export function describeGrid(g: GridImage): string {
  return `${g.dims.slice(0, 3).join('x')}, affine [${g.affine.slice(0, 3).map((r) => `[${r.map(num).join(', ')}]`).join(', ')}]`;
}

/** Message for an ROI image on another grid than the data, naming both grids. */
export function gridMismatch(what: string, file: string, image: GridImage, dataFile: string, data: GridImage, hint = 'expected the same grid, or roi.resample: nearest'): string {
  return `${what} ${file} is not on the grid of ${dataFile} (${what}: ${describeGrid(image)}; BOLD: ${describeGrid(data)}); ${hint}`;
}

/** The atlas is never resampled (it also labels cluster peaks and ROI beta series). */
export const ATLAS_GRID_HINT = 'expected the same grid: resample the atlas to the BOLD grid first';

/** Warning when an ROI image is resampled. */
export function resampledNote(what: string, file: string, image: GridImage, data: GridImage): string {
  return `${what} ${file} resampled by nearest neighbour (roi.resample: nearest) from ${describeGrid(image)} to the BOLD grid ${describeGrid(data)}`;
}

export interface RoiImageTarget extends GridImage {
  /** File the target grid comes from (named in messages). */
  file: string;
}

/** The first volume of an ROI image on the target grid (resampled when allowed, else refused). */
export async function roiImageOnGrid(what: string, file: string, target: RoiImageTarget, resample: RoiResample, hint?: string): Promise<Float32Array> {
  const img = await readNifti(file);
  const volume = img.data.subarray(0, img.dims[0] * img.dims[1] * img.dims[2]);
  if (sameGrid(img, { dims: [...target.dims], affine: target.affine.map((r) => [...r]) })) return volume;
  if (resample !== 'nearest') throw new UserError(gridMismatch(what, file, img, target.file, target, hint));
  return resampleNearest(volume, img, target);
}

/** A binary ROI mask (nonzero = in, nilearn's load_mask_img) on the target grid. */
export async function roiMaskOnGrid(name: string, file: string, target: RoiImageTarget, resample: RoiResample): Promise<Uint8Array> {
  const values = await roiImageOnGrid(`ROI mask '${name}'`, file, target, resample);
  const problem = binaryMaskProblem(values);
  if (problem) throw new UserError(`ROI mask '${name}' ${file} ${problem}`);
  return binaryMask(values);
}

/** A node's ROI image files: the atlas (or none), then one file per mask (named by `names`). */
export interface RoiImageFiles { atlas?: string; masks?: string[] }

/**
 * The ROI images of a node on the target grid, in the order of every ROI output: the atlas
 * labels (never resampled), then the binary masks (resampled with roi.resample: nearest).
 */
export async function roiImagesOnGrid(names: string[], resample: RoiResample, files: RoiImageFiles, target: RoiImageTarget): Promise<{ atlas?: Float32Array; masks: Uint8Array[] }> {
  const atlas = files.atlas ? await roiImageOnGrid('atlas', files.atlas, target, 'none', ATLAS_GRID_HINT) : undefined;
  const paths = files.masks ?? [];
  if (paths.length !== names.length) throw new Error(`ROI images: ${names.length} mask names for ${paths.length} mask files`);
  const masks: Uint8Array[] = [];
  for (let i = 0; i < paths.length; i++) masks.push(await roiMaskOnGrid(names[i], paths[i], target, resample));
  return { atlas, masks };
}

/** The mask file of ROI `pattern` for one subject (`{subject}` = the label without sub-). */
export function maskPathFor(pattern: string, subject: string): string {
  return pattern.split('{subject}').join(subject);
}

/**
 * Compile-time check of one ROI image against a BOLD header: null when usable as is, a
 * warning when it will be resampled, a problem when it is refused.
 */
export function checkRoiGrid(what: string, file: string, image: NiftiHeaderInfo, boldFile: string, bold: NiftiHeaderInfo, resample: RoiResample, hint?: string):
  { problem?: string; warning?: string } {
  if (sameGrid(image, bold)) return {};
  if (resample === 'nearest') return { warning: resampledNote(what, file, image, bold) };
  return { problem: gridMismatch(what, file, image, boldFile, bold, hint) };
}
