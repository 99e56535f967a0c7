/**
 * The fMRIPrep preprocessed T1w of a subject in a given space, used as the figure underlay
 * for non-MNI spaces: `sub-XX/anat/sub-XX[_ses-YY]_space-SPACE_desc-preproc_T1w.nii.gz`, or
 * without `space-` for the subject's own T1w space (space absent or 'T1w').
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function findPreprocT1w(derivatives: string, subject: string, space: string | undefined): Promise<string | undefined> {
  const sub = subject.startsWith('sub-') ? subject : `sub-${subject}`;
  const dirs = [join(derivatives, sub, 'anat')];
  try {
    for (const e of await readdir(join(derivatives, sub), { withFileTypes: true })) {
      if (e.isDirectory() && e.name.startsWith('ses-')) dirs.push(join(derivatives, sub, e.name, 'anat'));
    }
  } catch {
    return undefined;
  }
  const native = space === undefined || space === 'T1w';
  for (const dir of dirs) {
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch {
      continue;
    }
    const hit = names.find((n) => {
      if (!n.startsWith(`${sub}_`) || !/_desc-preproc_T1w\.nii(\.gz)?$/.test(n)) return false;
      const m = /_space-([A-Za-z0-9]+)_/.exec(n);
      return native ? !m || m[1] === 'T1w' : m?.[1] === space;
    });
    if (hit) return join(dir, hit);
  }
  return undefined;
}
