import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heights, priorityLimit } from '../../src/engine/priority-limit.js';

test('heights: the longest path to a node nothing depends on', () => {
  // fit/1, fit/2 -> contrast -> save/contrast; design -> save/design; design -> fit/1
  const deps: Record<string, string[]> = {
    design: [], 'fit/1': ['design'], 'fit/2': [], contrast: ['fit/1', 'fit/2'], 'save/contrast': ['contrast'], 'save/design': ['design'],
  };
  const h = heights(Object.keys(deps), (id) => deps[id]);
  assert.deepEqual(Object.fromEntries(h), { design: 3, 'fit/1': 2, 'fit/2': 2, contrast: 1, 'save/contrast': 0, 'save/design': 0 });
});

test('priorityLimit: at most n at once; waiting tasks start highest priority first, then in arrival order', async () => {
  const limit = priorityLimit(1);
  const started: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let running = 0;
  let most = 0;
  const task = (name: string, wait?: Promise<void>) => async () => {
    started.push(name);
    most = Math.max(most, ++running);
    await wait;
    running--;
    return name;
  };
  const first = limit(0, task('first', gate));
  await new Promise((r) => setTimeout(r, 0)); // 'first' takes the slot
  const rest = [limit(0, task('leaf-a')), limit(0, task('leaf-b')), limit(5, task('high')), limit(1, task('mid'))];
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(started, ['first'], 'the others wait for the slot');
  release();
  assert.deepEqual(await Promise.all([first, ...rest]), ['first', 'leaf-a', 'leaf-b', 'high', 'mid']);
  assert.deepEqual(started, ['first', 'high', 'mid', 'leaf-a', 'leaf-b']);
  assert.equal(most, 1);
  // tasks queued together start by priority, not in the order of the calls
  const order: number[] = [];
  const two = priorityLimit(1);
  await Promise.all([0, 3, 1, 2].map((p) => two(p, async () => void order.push(p))));
  assert.deepEqual(order, [3, 2, 1, 0]);
});

test('priorityLimit: a failing task releases its slot and rejects only its own promise', async () => {
  const limit = priorityLimit(2);
  const boom = limit(1, async () => {
    throw new Error('boom');
  });
  const ok = [1, 2, 3].map((i) => limit(0, async () => i));
  const sync = limit(1, (() => {
    throw new Error('thrown before any promise');
  }) as () => Promise<number>);
  await assert.rejects(boom, /boom/);
  await assert.rejects(sync, /thrown before any promise/);
  assert.deepEqual(await Promise.all(ok), [1, 2, 3]);
});

test('priorityLimit: a task queued by the continuation of the one that finishes competes for its slot', async () => {
  // a leaf waits while 'fit' runs; when 'fit' finishes, its continuation queues 'contrast'
  // (higher priority): the freed slot goes to 'contrast', not to the leaf queued earlier
  const limit = priorityLimit(1);
  const started: string[] = [];
  const fit = limit(2, async () => void started.push('fit'));
  const leaf = limit(0, async () => void started.push('leaf'));
  const contrast = fit.then(async () => {
    // as in the executor: a few awaits (the node-done bookkeeping, Promise.all over the inputs)
    // between the end of 'fit' and the call that queues 'contrast'
    for (let i = 0; i < 5; i++) await null;
    return limit(1, async () => void started.push('contrast'));
  });
  await Promise.all([leaf, contrast]);
  assert.deepEqual(started, ['fit', 'contrast', 'leaf']);
});
