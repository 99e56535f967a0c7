/**
 * Issue 8 item 3: `cache prune` / `cache clear` while a run is in progress must not break it.
 * A run holds a lease (cache-leases.ts) naming the entries of its plan; prune spares them,
 * clear refuses; and if an entry vanishes anyway, the executor computes it again.
 * Two concurrent runs on one cache keep working.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname, tmpdir } from 'node:os';
import { runPipeline } from '../../src/engine/index.js';
import { Cache } from '../../src/engine/cache.js';
import { clearCache, pruneCache } from '../../src/engine/cache-maintenance.js';
import { liveLeases, STALE_MS } from '../../src/engine/cache-leases.js';
import type { EngineEvent, Graph, NodeDefinition } from '../../src/engine/types.js';

/** A gate the `gate` node waits at, so a test can act while a run is in progress. */
let gateReached: () => void = () => undefined;
let gateOpen: Promise<void> = Promise.resolve();
function closeGate(): { reached: Promise<void>; open: () => void } {
  let open!: () => void;
  gateOpen = new Promise((r) => (open = r));
  const reached = new Promise<void>((r) => (gateReached = r));
  return { reached, open };
}
const computed: string[] = [];

const registry: Record<string, NodeDefinition> = {
  src: {
    type: 'src', version: '1', description: 'a value',
    async run(_ctx, params: { p: number }) {
      computed.push(`src:${params.p}`);
      return { meta: { value: params.p }, arrays: { v: new Float64Array([params.p]) } };
    },
  },
  gate: {
    type: 'gate', version: '1', description: 'waits for the test',
    async run() {
      gateReached();
      await gateOpen;
      return { meta: {}, arrays: {} };
    },
  },
  use: {
    type: 'use', version: '1', description: 'reads src after the gate',
    async run(_ctx, _params: { n: number }, inputs) {
      const x = inputs.nodes.x as unknown as { meta: { value: number } };
      return { meta: { value: x.meta.value * 2 }, arrays: {} };
    },
  },
};

const graph = (p: number, n: number): Graph => ({
  nodes: [
    { id: 'src', type: 'src', params: { p }, deps: {}, files: {}, stage: 'load' },
    { id: 'gate', type: 'gate', params: { n }, deps: {}, files: {}, stage: 'load' },
    { id: 'use', type: 'use', params: { n }, deps: { x: 'src', g: 'gate' }, files: {}, stage: 'fit' },
  ],
});

async function run(root: string, p: number, n: number) {
  const events: EngineEvent[] = [];
  const summary = await runPipeline(graph(p, n), { registry, cacheRoot: root, useCache: true, jobs: 2, emit: (e) => events.push(e) });
  return { summary, events };
}

test('prune during a run spares the entries it uses; clear refuses; the run finishes', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'glmflow-prune-')), 'cache');
  await run(root, 1, 0);
  await run(root, 2, 0);
  const cache = new Cache(root);
  const currentKeys = await cache.currentKeys();
  const staleSrc = (await cache.list()).find((e) => e.node === 'src' && !currentKeys.has(e.key))!;
  assert.ok(staleSrc, 'src(p=1) is a stale entry');

  // a run that needs the stale src(p=1) entry, held at the gate
  const gate = closeGate();
  const running = run(root, 1, 1);
  await gate.reached;
  assert.equal((await liveLeases(root)).length, 1);
  const pruned = await pruneCache(root);
  assert.ok(pruned.spared >= 1, JSON.stringify(pruned));
  assert.equal(pruned.liveRuns, 1);
  assert.ok(await cache.has(staleSrc.key), 'prune removed an entry a live run uses');
  await assert.rejects(clearCache(root), (e: Error) => e.name === 'UserError' && /1 run is using this cache/.test(e.message) && e.message.includes(`pid ${process.pid}`));
  gate.open();
  const r = await running;
  assert.equal(r.summary.failed, 0, JSON.stringify(r.summary.failures));
  assert.equal(r.summary.ok, true);
  // the lease is gone with the run: prune and clear work again
  assert.deepEqual(await liveLeases(root), []);
  assert.ok((await pruneCache(root)).removed >= 1);
  assert.equal(await clearCache(root), true);
  assert.equal((await cache.list()).length, 0);
});

test('an input removed under a running run (a prune that raced its lease) is computed again', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'glmflow-prune-')), 'cache');
  await run(root, 1, 0);
  const cache = new Cache(root);
  const srcKey = (await cache.list()).find((e) => e.node === 'src')!.key;
  computed.length = 0;
  const gate = closeGate();
  const running = run(root, 1, 1); // src cached, gate and use run
  await gate.reached;
  await cache.remove(srcKey); // bypasses the lease, as a prune that listed leases just before this run
  gate.open();
  const r = await running;
  assert.equal(r.summary.failed, 0, JSON.stringify(r.summary.failures));
  assert.deepEqual(computed, ['src:1'], 'src was computed again');
  const warn = r.events.find((e) => e.event === 'log' && /vanished during the run/.test((e as any).message));
  assert.ok(warn, 'the recomputation is reported');
  assert.ok(await cache.has(srcKey));
});

test('two concurrent runs on one cache both succeed; stale and dead leases are ignored', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'glmflow-prune-')), 'cache');
  const [a, b] = await Promise.all([run(root, 5, 0), run(root, 6, 0)]);
  assert.equal(a.summary.ok && b.summary.ok, true);
  assert.equal(a.summary.failed + b.summary.failed, 0);
  assert.deepEqual(readdirSync(join(root, 'leases')), []);

  // a lease whose heartbeat stopped 11 minutes ago, and one of a process that is gone
  mkdirSync(join(root, 'leases'), { recursive: true });
  const old = Date.now() - STALE_MS - 60_000;
  writeFileSync(join(root, 'leases', '1-aaaaaa.json'), JSON.stringify({ pid: 1, host: 'elsewhere', started: old, heartbeat: old, keys: [] }));
  writeFileSync(join(root, 'leases', '999999999-bbbbbb.json'), JSON.stringify({ pid: 999_999_999, host: hostname(), started: Date.now(), heartbeat: Date.now(), keys: null }));
  assert.deepEqual(await liveLeases(root), []);
  assert.ok(!existsSync(join(root, 'leases', '1-aaaaaa.json')), 'stale lease files are removed');
  assert.equal(await clearCache(root), true);
});

test('prune spares temporaries a live run is writing and removes those of dead writes', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'glmflow-prune-')), 'cache');
  await run(root, 1, 0);
  const shard = readdirSync(join(root, 'objects'))[0];
  const mine = join(root, 'objects', shard, `${'a'.repeat(64)}.bin.tmp-${process.pid}-abc123`);
  const dead = join(root, 'objects', shard, `${'b'.repeat(64)}.bin.tmp-999999999-abc123`);
  const gate = closeGate();
  const running = run(root, 1, 7);
  await gate.reached;
  writeFileSync(mine, 'being written');
  writeFileSync(dead, 'left by a crash');
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(dead, past, past);
  const r = await pruneCache(root);
  assert.equal(r.temporaries, 1);
  assert.ok(existsSync(mine), 'a live run\'s temporary was removed');
  assert.ok(!existsSync(dead));
  gate.open();
  assert.equal((await running).summary.ok, true);
});
