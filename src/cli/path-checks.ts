/**
 * Checks of the output and cache folders made before anything is computed (exit 2 naming
 * the path), instead of failing node after node once the work is done:
 *  - the output folder must not be or contain the raw BIDS dataset or the derivatives input
 *    (an output folder equal to the BIDS root overwrote its dataset_description.json), nor
 *    lie inside the cache;
 *  - the output folder and the cache must be folders (or creatable) and writable.
 */
import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve, sep } from 'node:path';
import { UserError } from '../errors.js';
import { inspectCacheFolder } from '../engine/cache-folder.js';
import type { CompiledPipeline } from '../spec/compile.js';
import { problemAt } from '../spec/semantic.js';

/** The real path of `path` (symbolic links resolved) as far as it exists, plus the rest. */
async function realish(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    return await fs.realpath(abs);
  } catch {
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return join(await realish(parent), abs.slice(parent.length));
  }
}

const sameOrInside = (inner: string, outer: string) => inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);

/**
 * Where the output folder is put: never over the inputs (or inside the cache).
 * `source` names who chose the folder: '--out' or the spec's `output` key.
 */
export async function outputPlacementProblems(compiled: CompiledPipeline, fromCli: boolean, cacheRoot?: string): Promise<string[]> {
  const out = await realish(compiled.outputDir);
  const data = compiled.loaded.spec.data;
  const name = (msg: string) => (fromCli ? `--out ${compiled.outputDir}: ${msg}` : problemAt(compiled.loaded, ['output'], `${compiled.outputDir}: ${msg}`, 'value'));
  const problems: string[] = [];
  const inputs: [string, string, string | undefined][] = [['the raw BIDS dataset', 'data.bids', data?.bids], ['the derivatives input', 'data.derivatives', data?.derivatives]];
  for (const [what, key, path] of inputs) {
    if (!path) continue;
    const real = await realish(path);
    if (out === real) problems.push(name(`the output folder is ${what} (${key}); its files would be overwritten. Choose another folder (e.g. ${join(data!.bids, 'derivatives', 'glmflow')})`));
    else if (sameOrInside(real, out)) problems.push(name(`the output folder contains ${what} ${path} (${key}); choose a folder that does not hold the inputs`));
  }
  if (cacheRoot && sameOrInside(out, await realish(cacheRoot))) problems.push(name(`the output folder is inside the cache ${cacheRoot}; choose another folder`));
  return problems;
}

async function statOrUndefined(path: string) {
  try {
    return await fs.stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') return 'not-dir' as const;
    throw e;
  }
}

/**
 * Problem with writing into folder `path` (created later if missing), or undefined.
 * Tries to create and remove a probe folder: permission bits say nothing of a read-only
 * filesystem, nor to root.
 */
export async function folderWriteProblem(path: string): Promise<string | undefined> {
  let dir = resolve(path);
  for (;;) {
    const st = await statOrUndefined(dir);
    if (st === 'not-dir') {
      dir = dirname(dir);
      continue;
    }
    if (st) {
      if (!st.isDirectory()) return dir === resolve(path) ? 'is a file, not a folder' : `cannot be created: ${dir} is a file, not a folder`;
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) return 'cannot be created';
    dir = parent;
  }
  const probe = join(dir, `.glmflow-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.mkdir(probe);
    await fs.rmdir(probe);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'EROFS' ? 'read-only filesystem' : (e as Error).message;
    return dir === resolve(path) ? `is not writable (${why})` : `cannot be created in ${dir} (${why})`;
  }
  return undefined;
}

/** `plan`: a cache path that is a file, under a file, or a folder that is not a cache is an error. */
export async function checkCachePath(cacheRoot: string, source: string): Promise<void> {
  const state = await inspectCacheFolder(cacheRoot);
  if (state.kind === 'not-a-cache') throw new UserError(`cache folder ${cacheRoot} (${source}): not a glmflow cache folder (${state.reason})`);
}

/**
 * Everything a run needs of its folders, checked before computing: placement of the output,
 * output and cache writable. All problems are reported at once (exit 2).
 */
export async function checkRunPaths(compiled: CompiledPipeline, opts: { fromCli: boolean; cacheRoot?: string; cacheSource: string }): Promise<void> {
  const problems = await outputPlacementProblems(compiled, opts.fromCli, opts.cacheRoot);
  const outProblem = await folderWriteProblem(compiled.outputDir);
  if (outProblem) problems.push(`${opts.fromCli ? '--out' : 'output folder'} ${compiled.outputDir}: ${outProblem}`);
  if (opts.cacheRoot) {
    const state = await inspectCacheFolder(opts.cacheRoot);
    const cacheProblem = state.kind === 'not-a-cache' ? `not a glmflow cache folder (${state.reason}); choose a new or empty folder` : await folderWriteProblem(opts.cacheRoot);
    if (cacheProblem) problems.push(`cache folder ${opts.cacheRoot} (${opts.cacheSource}): ${cacheProblem}`);
  }
  if (problems.length) {
    throw new UserError(problems.length === 1 ? problems[0] : `${problems.length} problems with the output and cache folders`, problems);
  }
}
