/**
 * Tiny BIDS trees in a temporary folder, with real (small) NIfTI images, for tests of
 * discovery and validation. Keys are paths relative to the root; values are file contents:
 * a string (written as is), a `bold(...)` / `mask(...)` image, or any other object (written
 * as JSON, e.g. a sidecar).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeNifti } from '../../src/io/nifti-write.js';

export interface NiftiFile {
  nifti: { dims: number[]; tr?: number; tUnits?: 'sec' | 'unknown' };
}

/** A 4D series (default 4x4x3 voxels, 12 volumes, TR 2 s in the header). */
export function bold(opts: { volumes?: number; tr?: number; dims?: number[] } = {}): NiftiFile {
  const [x, y, z] = opts.dims ?? [4, 4, 3];
  return { nifti: { dims: [x, y, z, opts.volumes ?? 12], tr: opts.tr ?? 2 } };
}

/** A 3D mask image of the same default grid. */
export function mask(dims: number[] = [4, 4, 3]): NiftiFile {
  return { nifti: { dims } };
}

const isNifti = (v: unknown): v is NiftiFile => typeof v === 'object' && v !== null && 'nifti' in v;

/** Image values: a deterministic pattern with signal in every voxel (no PRNG needed). */
function fill(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 100 + ((i * 7919) % 13);
  return a;
}

export type TreeFiles = Record<string, string | object | NiftiFile>;

/** Write `files` under `root` (created as needed); returns root. */
export async function writeTree(root: string, files: TreeFiles): Promise<string> {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    await mkdir(dirname(p), { recursive: true });
    if (isNifti(content)) {
      const { dims, tr } = content.nifti;
      const n = dims.reduce((a, b) => a * b, 1);
      const affine = [[2, 0, 0, -4], [0, 2, 0, -4], [0, 0, 2, -3], [0, 0, 0, 1]];
      await writeNifti(p, { dims, affine, data: fill(n), pixdim: [2, 2, 2, tr ?? 0], tUnits: content.nifti.tUnits ?? 'sec' });
    } else {
      await writeFile(p, typeof content === 'string' ? content : JSON.stringify(content, null, 1));
    }
  }
  return root;
}

/** A temporary folder that `cleanup()` removes. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `glmflow-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A spec (JSON is YAML) over a tree; `data` and `firstLevel` are merged over a minimal model. */
export async function writeSpec(path: string, data: Record<string, unknown>, firstLevel: Record<string, unknown> = {}): Promise<string> {
  const spec = {
    glmflow: 1,
    name: 'tree',
    data: { task: 'x', ...data },
    output: 'out',
    first_level: { drift_model: 'none', contrasts: { a: 'a' }, ...firstLevel },
    report: false,
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(spec, null, 1));
  return path;
}

/** A valid events file with conditions a and b (onsets within 12 volumes of 2 s). */
export const EVENTS = 'onset\tduration\ttrial_type\n0\t2\ta\n6\t2\tb\n12\t2\ta\n';
