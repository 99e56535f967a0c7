import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (the folder holding package.json), found from this compiled file. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const projectRoot = findRoot();
/** Copy of nilearn 0.10.4 reference results (see test/fixtures/reference/README.md). */
export const referenceDir = join(projectRoot, 'test', 'fixtures', 'reference');
export const fixture = (...parts: string[]) => join(referenceDir, ...parts);
export const examplesDir = join(projectRoot, 'examples');
