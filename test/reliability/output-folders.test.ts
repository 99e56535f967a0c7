/**
 * Issue 8 items 4 and 13: output and cache folders are checked before anything is computed.
 * An output folder that is or contains the raw dataset or the derivatives input is refused
 * (it overwrote the raw dataset_description.json); `--out` or the cache being a file or
 * read-only is exit 2 naming the path, not failures after computing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fixture, projectRoot } from '../helpers/paths.js';
import { mainInProcess as glmflow, type InProcessResult as CliResult } from '../helpers/cli-in-process.js';

/** A private copy of the synthetic dataset and a spec over it (refusals must never touch the fixtures). */
function project() {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-outdirs-'));
  cpSync(fixture('synth'), join(dir, 'bids'), { recursive: true });
  const spec = readFileSync(join(projectRoot, 'pipelines', 'synth-fmriprep.yaml'), 'utf8')
    .replace(/bids: .*/, 'bids: bids')
    .replace(/derivatives: .*/, 'derivatives: bids/derivatives/fmriprep')
    .replace(/output: .*/, 'output: out')
    .replace(/report: true/, 'report: false');
  writeFileSync(join(dir, 'spec.yaml'), spec);
  const description = readFileSync(join(dir, 'bids', 'dataset_description.json'), 'utf8');
  return { dir, spec: join(dir, 'spec.yaml'), bids: join(dir, 'bids'), cache: join(dir, 'cache'), description };
}

function refusedBeforeComputing(r: CliResult, p: ReturnType<typeof project>, ...mustName: string[]) {
  assert.equal(r.code, 2, r.stderr);
  for (const s of mustName) assert.ok(r.stderr.includes(s), `message does not name ${s}:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  assert.ok(!existsSync(join(p.cache, 'objects')), 'something was computed');
  assert.equal(readFileSync(join(p.bids, 'dataset_description.json'), 'utf8'), p.description);
}

test('an output folder that is or contains the raw dataset or the derivatives input is refused (validate and run)', async () => {
  const p = project();
  const deriv = join(p.bids, 'derivatives', 'fmriprep');
  for (const [cmd, out, names] of [
    ['run', p.bids, ['data.bids', p.bids]],
    ['validate', p.bids, ['data.bids', p.bids]],
    ['run', p.dir, ['contains the raw BIDS dataset', p.bids]],
    ['validate', deriv, ['data.derivatives', deriv]],
  ] as const) {
    const r = await glmflow([cmd, p.spec, '--out', out, '--cache', p.cache, '--ui', 'plain']);
    refusedBeforeComputing(r, p, '--out', ...names);
  }
  // the same folder given by the spec's `output` key: the message points at the key
  writeFileSync(p.spec, readFileSync(p.spec, 'utf8').replace('output: out', 'output: bids'));
  const r = await glmflow(['run', p.spec, '--cache', p.cache, '--ui', 'plain']);
  refusedBeforeComputing(r, p, 'spec.yaml:', 'output', 'data.bids');
  // the standard place, <bids>/derivatives/glmflow, is fine
  writeFileSync(p.spec, readFileSync(p.spec, 'utf8').replace('output: bids', 'output: bids/derivatives/glmflow'));
  assert.equal((await glmflow(['validate', p.spec])).code, 0);
});

test('--out or the cache being a file, under a file, or inside the cache: exit 2 naming the path, before computing', async () => {
  const p = project();
  const file = join(p.dir, 'a-file');
  writeFileSync(file, 'x');
  refusedBeforeComputing(await glmflow(['run', p.spec, '--out', file, '--cache', p.cache]), p, `--out ${file}: is a file`);
  refusedBeforeComputing(await glmflow(['run', p.spec, '--out', join(file, 'sub'), '--cache', p.cache]), p, `${file} is a file`);
  refusedBeforeComputing(await glmflow(['run', p.spec, '--cache', file]), p, `cache folder ${file} (--cache)`, 'is a file');
  refusedBeforeComputing(await glmflow(['plan', p.spec, '--cache', file]), p, file, 'is a file');
  refusedBeforeComputing(await glmflow(['run', p.spec], { env: { GLMFLOW_CACHE: join(file, 'c') } }), p, '$GLMFLOW_CACHE', file);
  refusedBeforeComputing(await glmflow(['run', p.spec, '--out', join(p.cache, 'out'), '--cache', p.cache]), p, 'inside the cache');
});

/** A read-only folder: a read-only tmpfs when root (root ignores permission bits), else mode 0555. */
function readOnlyFolder(dir: string): { path: string; undo: () => void } | string {
  mkdirSync(dir);
  if (process.getuid?.() === 0) {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    } catch (e) {
      return `root without mount: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
    }
    return { path: dir, undo: () => execFileSync('umount', [dir]) };
  }
  chmodSync(dir, 0o555);
  return { path: dir, undo: () => chmodSync(dir, 0o755) };
}

test('a read-only output folder or cache: exit 2 naming it, before computing', async (t) => {
  const p = project();
  const ro = readOnlyFolder(join(p.dir, 'ro'));
  if (typeof ro === 'string') return t.skip(ro);
  try {
    refusedBeforeComputing(await glmflow(['run', p.spec, '--out', ro.path, '--cache', p.cache]), p, `--out ${ro.path}: is not writable`);
    refusedBeforeComputing(await glmflow(['run', p.spec, '--out', join(ro.path, 'new'), '--cache', p.cache]), p, `cannot be created in ${ro.path}`);
    const r = await glmflow(['run', p.spec, '--cache', join(ro.path, 'cache')]);
    refusedBeforeComputing(r, p, `cache folder ${join(ro.path, 'cache')}`);
    assert.deepEqual(readdirSync(ro.path), []);
  } finally {
    ro.undo();
  }
});
