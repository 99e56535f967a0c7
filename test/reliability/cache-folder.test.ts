/**
 * Issue 8 item 2: `cache clear/prune` delete only inside a folder that is a cache (marker file
 * with a format version, or a legacy cache recognised by its shape), never follow a symbolic
 * link out of it; a run refuses to use a folder that is not a cache. Item 13: a cache path
 * that is a file is an error for `cache ls` too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { clearCache, pruneCache } from '../../src/engine/cache-maintenance.js';
import { CACHE_MARKER, inspectCacheFolder } from '../../src/engine/cache-folder.js';
import { Cache } from '../../src/engine/cache.js';
import { runPipeline } from '../../src/engine/index.js';
import { glmflow } from '../helpers/cli.js';
import { mainInProcess } from '../helpers/cli-in-process.js';
import { registry } from '../engine/toy-nodes.js';
import type { Graph } from '../../src/engine/types.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'glmflow-cachefolder-'));
const KEY = 'ab' + 'c'.repeat(62);

/** A project folder that happens to have nodes/, objects/ and file-hashes.json. */
function projectLike(): string {
  const dir = tmp();
  mkdirSync(join(dir, 'nodes'));
  writeFileSync(join(dir, 'nodes', 'save.ts'), 'export const save = 1;\n');
  mkdirSync(join(dir, 'objects'));
  writeFileSync(join(dir, 'objects', 'notes.txt'), 'mine');
  writeFileSync(join(dir, 'file-hashes.json'), '{}');
  writeFileSync(join(dir, 'package.json'), '{}');
  return dir;
}

function legacyCache(): string {
  const dir = tmp();
  mkdirSync(join(dir, 'objects', 'ab'), { recursive: true });
  writeFileSync(join(dir, 'objects', 'ab', `${KEY}.bin`), 'x');
  writeFileSync(join(dir, 'objects', 'ab', `${KEY}.json`), '{}');
  mkdirSync(join(dir, 'nodes'));
  writeFileSync(join(dir, 'nodes', `${'d'.repeat(32)}.json`), '{"key":"x"}');
  writeFileSync(join(dir, 'file-hashes.json'), '{}');
  writeFileSync(join(dir, '.gitkeep'), '');
  return dir;
}

const toyGraph = (dir: string): Graph => {
  writeFileSync(join(dir, 'a.txt'), '2');
  return { nodes: [{ id: 'source/a', type: 'source', params: { id: 'source/a' }, deps: {}, files: { value: join(dir, 'a.txt') }, stage: 'load' }] };
};

test('clear and prune refuse a folder that is not a cache and delete nothing (exit 2 from the CLI)', async () => {
  const dir = projectLike();
  await assert.rejects(clearCache(dir), (e: Error) => e.name === 'UserError' && e.message.includes(dir) && /not a glmflow cache/.test(e.message));
  await assert.rejects(pruneCache(dir), /not a glmflow cache/);
  for (const sub of ['clear', 'prune', 'ls']) {
    const r = sub === 'clear' ? await glmflow(['cache', sub, '--cache', dir]) : await mainInProcess(['cache', sub, '--cache', dir]);
    assert.equal(r.code, 2, `${sub}: ${r.stderr}`);
    assert.match(r.stderr, /not a glmflow cache folder/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  assert.equal(readFileSync(join(dir, 'nodes', 'save.ts'), 'utf8'), 'export const save = 1;\n');
  assert.ok(existsSync(join(dir, 'objects', 'notes.txt')) && existsSync(join(dir, 'file-hashes.json')));
  assert.ok(!existsSync(join(dir, CACHE_MARKER)));
  // and a run will not turn it into a cache
  await assert.rejects(
    runPipeline(toyGraph(tmp()), { registry, cacheRoot: dir, useCache: true, jobs: 1, emit: () => undefined }),
    /not a glmflow cache folder/,
  );
  assert.deepEqual(readdirSync(dir).sort(), ['file-hashes.json', 'nodes', 'objects', 'package.json']);
});

test('a new cache gets a marker with a format version; a newer format is refused', async () => {
  const root = join(tmp(), 'cache');
  await runPipeline(toyGraph(tmp()), { registry, cacheRoot: root, useCache: true, jobs: 1, emit: () => undefined });
  const marker = JSON.parse(readFileSync(join(root, CACHE_MARKER), 'utf8'));
  assert.equal(marker.format, 'glmflow-cache');
  assert.equal(marker.version, 1);
  assert.equal((await inspectCacheFolder(root)).kind, 'cache');
  writeFileSync(join(root, CACHE_MARKER), JSON.stringify({ format: 'glmflow-cache', version: 99 }));
  await assert.rejects(clearCache(root), /version 99 is newer/);
  assert.ok(readdirSync(join(root, 'objects')).length > 0);
});

test('a legacy cache (no marker, only cache-shaped entries) is accepted and marked; one foreign file makes it not a cache', async () => {
  const dir = legacyCache();
  assert.equal((await inspectCacheFolder(dir)).kind, 'legacy');
  assert.equal(await clearCache(dir), true);
  assert.ok(existsSync(join(dir, CACHE_MARKER)));
  assert.ok(!existsSync(join(dir, 'objects')) && !existsSync(join(dir, 'nodes')));
  assert.ok(existsSync(join(dir, '.gitkeep')));

  const odd = legacyCache();
  writeFileSync(join(odd, 'objects', 'ab', 'README.md'), 'not a cache entry');
  const state = await inspectCacheFolder(odd);
  assert.equal(state.kind, 'not-a-cache');
  assert.match((state as { reason: string }).reason, /README\.md/);
  // the project's own default cache/ (holding only .gitkeep) is an empty folder, fine for a run
  const fresh = tmp();
  writeFileSync(join(fresh, '.gitkeep'), '');
  assert.equal((await inspectCacheFolder(fresh)).kind, 'empty');
});

test('symbolic links are never followed out of the cache', async () => {
  const outside = tmp();
  writeFileSync(join(outside, 'precious.txt'), 'keep me');
  mkdirSync(join(outside, 'sub'));
  writeFileSync(join(outside, 'sub', `${KEY}.bin`), 'not ours');

  // a legacy folder holding a link is not accepted as a cache
  const legacy = legacyCache();
  symlinkSync(outside, join(legacy, 'objects', 'cd'));
  assert.equal((await inspectCacheFolder(legacy)).kind, 'not-a-cache');
  await assert.rejects(clearCache(legacy), /symbolic link/);

  // inside a marked cache, links are neither listed, pruned through, nor followed by clear
  const root = join(tmp(), 'cache');
  await runPipeline(toyGraph(tmp()), { registry, cacheRoot: root, useCache: true, jobs: 1, emit: () => undefined });
  symlinkSync(join(outside, 'sub'), join(root, 'objects', 'ab'));
  symlinkSync(join(outside, 'precious.txt'), join(root, 'objects', readdirSync(join(root, 'objects')).find((s) => s !== 'ab')!, `${'e'.repeat(64)}.bin`));
  symlinkSync(outside, join(root, 'nodes', 'linked'));
  const listed = await new Cache(root).list();
  assert.equal(listed.length, 1, JSON.stringify(listed));
  await pruneCache(root);
  assert.equal(await clearCache(root), true);
  assert.equal(readFileSync(join(outside, 'precious.txt'), 'utf8'), 'keep me');
  assert.equal(readFileSync(join(outside, 'sub', `${KEY}.bin`), 'utf8'), 'not ours');

  // a cache whose objects/ folder is itself a link: clear removes the link, not what it points to
  const root2 = join(tmp(), 'cache');
  await runPipeline(toyGraph(tmp()), { registry, cacheRoot: root2, useCache: true, jobs: 1, emit: () => undefined });
  const { rmSync } = await import('node:fs');
  rmSync(join(root2, 'objects'), { recursive: true });
  symlinkSync(outside, join(root2, 'objects'));
  assert.equal(await clearCache(root2), true);
  assert.ok(!existsSync(join(root2, 'objects')));
  assert.equal(readFileSync(join(outside, 'precious.txt'), 'utf8'), 'keep me');
});

test('cache ls: a file is an error naming it; a missing folder says there is no cache', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'file'), 'x');
  const onFile = await mainInProcess(['cache', 'ls', '--cache', join(dir, 'file')]);
  assert.equal(onFile.code, 2);
  assert.match(onFile.stderr, new RegExp(`${join(dir, 'file')}.*is a file, not a folder`));
  const missing = await glmflow(['cache', 'ls', '--cache', join(dir, 'none')]);
  assert.equal(missing.code, 0);
  assert.match(missing.stdout, /no cache at/);
  assert.ok(!existsSync(join(dir, 'none')), 'ls creates nothing');
});
