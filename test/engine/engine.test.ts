import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, utimesSync, readdirSync, truncateSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runPipeline, planPipeline, Cache } from '../../src/engine/index.js';
import type { EngineEvent, Graph } from '../../src/engine/types.js';
import { registry } from './toy-nodes.js';
import { decodeArtifact, encodeArtifact, CorruptEntryError } from '../../src/engine/artifact-codec.js';
import { canonicalJson } from '../../src/engine/canonical.js';

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-engine-'));
  const log = join(dir, 'runs.log');
  process.env.GLMFLOW_TOY_LOG = log;
  writeFileSync(join(dir, 'a.txt'), '2');
  writeFileSync(join(dir, 'b.txt'), '5');
  const graph = (factorA = 3, withBoom = false): Graph => ({
    nodes: [
      { id: 'source/a', type: 'source', params: { id: 'source/a' }, deps: {}, files: { value: join(dir, 'a.txt') }, stage: 'load' },
      { id: 'source/b', type: 'source', params: { id: 'source/b' }, deps: {}, files: { value: join(dir, 'b.txt') }, stage: 'load' },
      { id: 'scale/a', type: 'scale', params: { id: 'scale/a', factor: factorA }, deps: { x: 'source/a' }, files: {}, stage: 'fit' },
      { id: 'scale/b', type: 'scale', params: { id: 'scale/b', factor: 10 }, deps: { x: 'source/b' }, files: {}, stage: 'fit' },
      { id: 'sum', type: 'sum', params: { id: 'sum' }, deps: { xs: ['scale/a', 'scale/b'] }, files: {}, stage: 'group' },
      ...(withBoom
        ? [
            { id: 'boom', type: 'boom', params: { id: 'boom' }, deps: { x: 'source/a' }, files: {}, stage: 'fit' },
            { id: 'after-boom', type: 'sum', params: { id: 'after-boom' }, deps: { xs: ['boom', 'scale/b'] }, files: {}, stage: 'group' },
          ]
        : []),
    ],
  });
  const runs = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []);
  const resetLog = () => writeFileSync(log, '');
  return { dir, graph, runs, resetLog, cacheRoot: join(dir, 'cache') };
}

async function run(graph: Graph, cacheRoot: string, extra: Partial<Parameters<typeof runPipeline>[1]> = {}) {
  const events: EngineEvent[] = [];
  const summary = await runPipeline(graph, { registry, cacheRoot, useCache: true, jobs: 2, emit: (e) => events.push(e), ...extra });
  return { summary, events };
}

test('identical rerun computes 0 nodes; touching an input file computes 0 nodes', async () => {
  const s = setup();
  const first = await run(s.graph(), s.cacheRoot);
  assert.equal(first.summary.computed, 5);
  assert.deepEqual(s.runs().sort(), ['scale/a', 'scale/b', 'source/a', 'source/b', 'sum']);
  s.resetLog();
  const second = await run(s.graph(), s.cacheRoot);
  assert.equal(second.summary.computed, 0);
  assert.equal(second.summary.cached, 5);
  assert.deepEqual(s.runs(), []);
  const future = new Date(Date.now() + 60_000);
  utimesSync(join(s.dir, 'a.txt'), future, future);
  const third = await run(s.graph(), s.cacheRoot);
  assert.equal(third.summary.computed, 0);
  // but changing the bytes re-runs the file's node and its dependents only
  writeFileSync(join(s.dir, 'a.txt'), '4');
  const fourth = await run(s.graph(), s.cacheRoot);
  assert.deepEqual(s.runs().sort(), ['scale/a', 'source/a', 'sum']);
  assert.equal(fourth.summary.cached, 2);
});

test('changing one parameter recomputes only that node and its dependents; plan says why', async () => {
  const s = setup();
  await run(s.graph(3), s.cacheRoot);
  const plan = await planPipeline(s.graph(4), { registry, cacheRoot: s.cacheRoot, useCache: true, jobs: 1 });
  const status = Object.fromEntries([...plan.entries.values()].map((e) => [e.id, e.status]));
  assert.deepEqual(status, { 'source/a': 'cached', 'source/b': 'cached', 'scale/a': 'run', 'scale/b': 'cached', sum: 'run' });
  assert.equal(plan.entries.get('scale/a')!.reason!.kind, 'params-changed');
  assert.match(plan.entries.get('scale/a')!.reason!.detail, /factor/);
  assert.equal(plan.entries.get('sum')!.reason!.kind, 'input-changed');
  assert.match(plan.entries.get('sum')!.reason!.detail, /scale\/a/);
  s.resetLog();
  const r = await run(s.graph(4), s.cacheRoot);
  assert.deepEqual(s.runs().sort(), ['scale/a', 'sum']);
  // a node's warning reaches the event stream (from a worker thread too)
  const warned = await run(s.graph(7), s.cacheRoot, { registryModule: new URL('./toy-nodes.js', import.meta.url).href });
  const log = warned.events.find((e) => e.event === 'log') as any;
  assert.equal(log.node, 'scale/a');
  assert.equal(log.level, 'warn');
  assert.equal(log.message, 'large factor 7');
  const done = r.events.find((e) => e.event === 'done') as any;
  assert.equal(done.computed, 2);
});

test('a truncated or corrupted cache entry is recomputed, never trusted', async () => {
  const s = setup();
  await run(s.graph(), s.cacheRoot);
  const objects = join(s.cacheRoot, 'objects');
  const bins: string[] = [];
  for (const shard of readdirSync(objects)) for (const f of readdirSync(join(objects, shard))) if (f.endsWith('.bin')) bins.push(join(objects, shard, f));
  assert.equal(bins.length, 5);
  truncateSync(bins[0], 20);
  const buf = readFileSync(bins[1]);
  buf[buf.length - 40] ^= 0xff;
  writeFileSync(bins[1], buf);
  const plan = await planPipeline(s.graph(), { registry, cacheRoot: s.cacheRoot, useCache: true, jobs: 1 });
  const corrupt = [...plan.entries.values()].filter((e) => e.reason?.kind === 'corrupt-entry');
  assert.equal(corrupt.length, 2);
  s.resetLog();
  const r = await run(s.graph(), s.cacheRoot);
  // exactly the two damaged entries are recomputed (their dependents' keys do not change)
  assert.equal(r.summary.computed, 2);
  assert.deepEqual(s.runs().sort(), corrupt.map((e) => e.id).sort());
  const again = await run(s.graph(), s.cacheRoot);
  assert.equal(again.summary.computed, 0);
});

test('planning a rerun reads no entry that is unchanged since it was written (stat memo); a rewritten one is read and refused', async () => {
  const s = setup();
  await run(s.graph(), s.cacheRoot);
  const reads: string[] = [];
  const original = Cache.prototype.read;
  Cache.prototype.read = function (this: Cache, key: string) {
    reads.push(key);
    return original.call(this, key);
  };
  try {
    const plan = await planPipeline(s.graph(), { registry, cacheRoot: s.cacheRoot, useCache: true, jobs: 1 });
    assert.equal([...plan.entries.values()].filter((e) => e.status === 'cached').length, 5);
    assert.deepEqual(reads, [], 'entries known whole are not read back');
    // same size, other bytes: the stat differs, so it is read and its checksum fails
    const sum = plan.entries.get('sum')!;
    const bin = join(s.cacheRoot, 'objects', sum.key.slice(0, 2), `${sum.key}.bin`);
    const buf = readFileSync(bin);
    buf[buf.length - 40] ^= 0xff;
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(bin, buf);
    const again = await planPipeline(s.graph(), { registry, cacheRoot: s.cacheRoot, useCache: true, jobs: 1 });
    assert.deepEqual(reads, [sum.key]);
    assert.equal(again.entries.get('sum')!.reason?.kind, 'corrupt-entry');
  } finally {
    Cache.prototype.read = original;
  }
});

test('a failed node fails only its dependents; others finish and stay cached', async () => {
  const s = setup();
  const r = await run(s.graph(3, true), s.cacheRoot);
  assert.equal(r.summary.failed, 1);
  assert.equal(r.summary.skipped, 1);
  assert.equal(r.summary.computed, 5);
  const failed = r.events.find((e) => e.event === 'node-failed') as any;
  assert.equal(failed.node, 'boom');
  assert.match(failed.error, /boom failed on purpose/);
  const skipped = r.events.find((e) => e.event === 'node-skipped') as any;
  assert.equal(skipped.node, 'after-boom');
  s.resetLog();
  const again = await run(s.graph(3, false), s.cacheRoot);
  assert.equal(again.summary.computed, 0);
});

test('worker-thread runner gives the same results and reports progress', async () => {
  const s = setup();
  const registryModule = new URL('./toy-nodes.js', import.meta.url).href;
  const warmLog = join(s.dir, 'warm.log');
  process.env.GLMFLOW_TOY_WARM_LOG = warmLog;
  const r = await run(s.graph(), s.cacheRoot, { registryModule, jobs: 2 });
  delete process.env.GLMFLOW_TOY_WARM_LOG;
  assert.equal(r.summary.computed, 5);
  assert.ok(r.events.some((e) => e.event === 'node-progress' && e.progress === 0.5 && e.node === 'scale/a'));
  // each pre-started worker called the registry's warm-up hook once, before its jobs
  assert.deepEqual(readFileSync(warmLog, 'utf8').trim().split('\n'), ['warm', 'warm']);
  const again = await run(s.graph(), s.cacheRoot, { registryModule });
  assert.equal(again.summary.cached, 5);
});

test('--no-cache computes everything and writes nothing to the cache', async () => {
  const s = setup();
  const r = await run(s.graph(), s.cacheRoot, { useCache: false });
  assert.equal(r.summary.computed, 5);
  assert.equal(existsSync(join(s.cacheRoot, 'objects')), false);
});

test('artifact codec round-trips typed arrays and detects damage', () => {
  const a = { meta: { x: [1, 'two'] }, arrays: { f: new Float32Array([1.5, -2, 3]), i: new Int32Array([7]), u: new Uint8Array([1, 2, 3]), d: new Float64Array([Math.PI]) } };
  const buf = Buffer.concat(encodeArtifact(a));
  const b = decodeArtifact(buf);
  assert.deepEqual(b.meta, a.meta);
  assert.deepEqual([...b.arrays.f], [1.5, -2, 3]);
  assert.deepEqual([...b.arrays.i], [7]);
  assert.deepEqual([...b.arrays.u], [1, 2, 3]);
  assert.equal(b.arrays.d[0], Math.PI);
  assert.throws(() => decodeArtifact(buf.subarray(0, buf.length - 1)), CorruptEntryError);
});

test('canonical JSON ignores key order', () => {
  assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] }), canonicalJson({ a: [1, { c: 3, d: 2 }], b: 1 }));
  assert.equal(canonicalJson({ a: -0 }), '{"a":0}');
});

test('cache ls / prune / clear', async () => {
  const s = setup();
  await run(s.graph(3), s.cacheRoot);
  await run(s.graph(5), s.cacheRoot); // scale/a and sum get new entries; the old ones are stale
  const { cacheCommand } = await import('../../src/cli/cache-command.js');
  const { Cache } = await import('../../src/engine/cache.js');
  const cache = new Cache(s.cacheRoot);
  assert.equal((await cache.list()).length, 7);
  // an interrupted write leaves a temporary file: never listed, removed by prune
  const shard = readdirSync(join(s.cacheRoot, 'objects'))[0];
  writeFileSync(join(s.cacheRoot, 'objects', shard, 'abc.bin.tmp-123-xyz9'), 'partial');
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(join(s.cacheRoot, 'objects', shard, 'abc.bin.tmp-123-xyz9'), hourAgo, hourAgo);
  // a fresh one with no live run holding a lease is left over too (a write in progress on
  // another host, e.g. a SLURM job, belongs to a run whose lease spares it: prune-during-run)
  writeFileSync(join(s.cacheRoot, 'objects', shard, 'def.bin.tmp-456-abc1'), 'in progress');
  assert.equal((await cache.list()).length, 7);
  const write = process.stdout.write;
  const out: string[] = [];
  process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as any;
  try {
    assert.equal(await cacheCommand(['ls'], s.cacheRoot), 0);
    assert.equal(await cacheCommand(['prune'], s.cacheRoot), 0);
  } finally {
    process.stdout.write = write;
  }
  assert.match(out.join(''), /7 entries/);
  assert.match(out.join(''), /removed 2 stale entries \(.*\) and 2 unfinished temporary files/);
  assert.ok(!existsSync(join(s.cacheRoot, 'objects', shard, 'abc.bin.tmp-123-xyz9')));
  assert.ok(!existsSync(join(s.cacheRoot, 'objects', shard, 'def.bin.tmp-456-abc1')));
  assert.equal((await cache.list()).length, 5);
  const again = await run(s.graph(5), s.cacheRoot);
  assert.equal(again.summary.computed, 0);
  await cacheCommand(['clear'], s.cacheRoot);
  assert.equal((await cache.list()).length, 0);
  await assert.rejects(cacheCommand(['nope'], s.cacheRoot), /cache needs one of ls, prune, clear/);
});

test('streamed inputs are read on demand, one at a time', async () => {
  const s = setup();
  const g = s.graph();
  g.nodes.push({ id: 'lazysum', type: 'lazysum', params: { id: 'lazysum' }, deps: { xs: ['scale/a', 'scale/b'] }, files: {}, stage: 'group' });
  const r = await run(g, s.cacheRoot, { registryModule: new URL('./toy-nodes.js', import.meta.url).href });
  assert.equal(r.summary.failed, 0, JSON.stringify(r.summary.failures));
  const { Cache } = await import('../../src/engine/cache.js');
  const { planPipeline } = await import('../../src/engine/index.js');
  const plan = await planPipeline(g, { registry, cacheRoot: s.cacheRoot, useCache: true, jobs: 1 });
  const read = await new Cache(s.cacheRoot).read(plan.entries.get('lazysum')!.key);
  assert.ok(read.ok);
  assert.equal((read.artifact.meta as any).value, 2 * 3 + 5 * 10);
});

test('runPipeline runs the nodes on a runner started beforehand (the CLI starts its pool before compiling) and closes it', async () => {
  const s = setup();
  const { InProcessRunner } = await import('../../src/engine/runners.js');
  const inner = new InProcessRunner(registry);
  const ran: string[] = [];
  let closed = 0;
  const runner = {
    run: (job: Parameters<typeof inner.run>[0], report: Parameters<typeof inner.run>[1], signal?: AbortSignal) => {
      ran.push(job.id);
      return inner.run(job, report, signal);
    },
    close: async () => {
      closed++;
    },
  };
  const { summary } = await run(s.graph(), s.cacheRoot, { runner, useCache: false });
  assert.equal(summary.computed, 5);
  assert.deepEqual(ran.sort(), ['scale/a', 'scale/b', 'source/a', 'source/b', 'sum']);
  assert.equal(closed, 1);
});

test('a node reads the inputs written earlier in the run without checksumming them, and only while their stat is the one recorded', async () => {
  const { InProcessRunner } = await import('../../src/engine/runners.js');
  const { statSync } = await import('node:fs');
  const s = setup();
  const jobs: { id: string; intact: Record<string, { size: number }> | undefined; deps: Record<string, string | string[]> }[] = [];
  const inner = new InProcessRunner(registry);
  const runner = { run: (job: Parameters<typeof inner.run>[0], rep: Parameters<typeof inner.run>[1], sig?: AbortSignal) => {
    jobs.push({ id: job.id, intact: job.intactInputs, deps: job.deps });
    return inner.run(job, rep, sig);
  }, close: () => inner.close() };
  for (const useCache of [false, true]) {
    jobs.length = 0;
    const r = await run(s.graph(), s.cacheRoot, { runner, useCache });
    assert.equal(r.summary.computed, 5);
    // sum's job names both scaled inputs, with the size of the entries their nodes wrote
    const sum = jobs.find((j) => j.id === 'sum')!;
    const depKeys = Object.values(sum.deps).flat();
    assert.equal(depKeys.length, 2);
    assert.deepEqual(Object.keys(sum.intact ?? {}).sort(), [...depKeys].sort());
    if (useCache) for (const k of depKeys) assert.equal(sum.intact![k].size, statSync(new Cache(s.cacheRoot).entryPath(k)).size);
    // a source node has no input entries
    assert.equal(jobs.find((j) => j.id === 'source/a')!.intact, undefined);
  }

  // the shortcut itself: a damaged entry is caught unless the stat of the open file is the recorded one
  const cache = new Cache(s.cacheRoot);
  const key = Object.values(jobs.find((j) => j.id === 'sum')!.deps).flat()[0];
  const path = cache.entryPath(key);
  const before = statSync(path);
  const bytes = readFileSync(path);
  bytes[bytes.length - 40] ^= 0xff; // a payload or header byte: the checksum no longer matches
  writeFileSync(path, bytes);
  const after = statSync(path);
  const asRecorded = (st: typeof before) => ({ size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino });
  const stale = await cache.read(key, asRecorded(before));
  assert.equal(stale.ok, false); // the file changed since: verified, and found corrupt
  assert.equal(stale.ok ? '' : stale.reason, 'corrupt');
  assert.equal((await cache.read(key)).ok, false);
  // with the current stat taken as known-whole the checksum is skipped (the structure still parses)
  assert.equal((await cache.read(key, asRecorded(after))).ok, true);
});
