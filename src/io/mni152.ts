/**
 * The MNI152 template shipped with glmflow (data/mni152/, see its README for the source and
 * licence): nilearn's bundled ICBM 2009 T1 at 1 mm and a brain mask on the same grid, the
 * underlay of figures in MNI spaces.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readNifti, type NiftiImage } from './nifti.js';

export const MNI152_T1 = 'mni152_2009_t1_1mm.nii.gz';
export const MNI152_MASK = 'mni152_2009_brainmask_1mm.nii.gz';

/** data/mni152 of the package: three folders above the compiled dist/src/io, two above src/io. */
export function mni152Dir(): string {
  for (const rel of ['../../../data/mni152/', '../../data/mni152/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir + MNI152_T1)) return dir;
  }
  throw new Error(`the MNI152 template (data/mni152/${MNI152_T1}) is missing from the glmflow installation`);
}

/** Does a BIDS `space-` label name an MNI152 template (MNI152NLin2009cAsym, MNI152NLin6Asym, ...)? */
export function isMni152Space(space: string | undefined): boolean {
  return typeof space === 'string' && space.startsWith('MNI152');
}

let cached: Promise<{ t1: NiftiImage; mask: NiftiImage }> | null = null;

/** The template and its brain mask (read once per process). */
export function readMni152(): Promise<{ t1: NiftiImage; mask: NiftiImage }> {
  cached ??= (async () => {
    const dir = mni152Dir();
    const [t1, mask] = await Promise.all([readNifti(dir + MNI152_T1), readNifti(dir + MNI152_MASK)]);
    return { t1, mask };
  })();
  return cached;
}
