/**
 * Cache.readSelected: some arrays (or rows of one) of an entry, equal to the same parts of a
 * whole read; an entry not known whole is still verified (streamed through its checksum in
 * chunks smaller than it), so damage anywhere in it, not only in the parts read, is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync, truncateSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Cache } from '../../src/engine/cache.js';
import type { EntryStat } from '../../src/engine/verified-entries.js';

const entryStat = (st: EntryStat): EntryStat => ({ size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino });

const KEY = 'ab'.padEnd(64, '0');

/** An entry of 2.5 MiB (more than one verification chunk): theta 5 x 40 000, labels, residvar. */
async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'glmflow-selected-'));
  const cache = new Cache(dir);
  await cache.init();
  const nVox = 40_000;
  const theta = new Float64Array(5 * nVox).map((_, i) => Math.sin(i) * 1e3);
  const labels = new Int32Array(nVox).map((_, i) => i % 7);
  const residvar = new Float32Array(nVox).map((_, i) => i / 3);
  await cache.write(KEY, { meta: { run: 'run-1', nVoxels: nVox }, arrays: { labels, theta, residvar } }, { node: 'fit/x', type: 'fit', seconds: 0 });
  return { dir, cache, nVox, theta, labels, residvar, path: cache.entryPath(KEY) };
}

test('readSelected: the chosen arrays and rows are those of a whole read, other rows zero, other arrays absent', async () => {
  const { dir, cache, nVox, theta, labels } = await setup();
  try {
    for (const known of [undefined, 'known'] as const) {
      const stat = known ? entryStat(statSync(cache.entryPath(KEY))) : undefined;
      const r = await cache.readSelected(KEY, { labels: true, theta: { rows: [3, 1, 3], rowCount: 5 } }, stat);
      assert.ok(r.ok);
      assert.deepEqual(r.artifact.meta, { run: 'run-1', nVoxels: nVox });
      assert.deepEqual(Object.keys(r.artifact.arrays).sort(), ['labels', 'theta']);
      assert.deepEqual(r.artifact.arrays.labels, labels);
      const got = r.artifact.arrays.theta as Float64Array;
      assert.equal(got.length, theta.length);
      for (const row of [0, 1, 2, 3, 4]) {
        const want = [1, 3].includes(row) ? theta.subarray(row * nVox, (row + 1) * nVox) : new Float64Array(nVox);
        assert.deepEqual(got.subarray(row * nVox, (row + 1) * nVox), want, `row ${row} (${known ?? 'verified'})`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readSelected: a byte flipped outside the parts read, or a truncated entry, is refused unless known whole', async () => {
  const { dir, cache, path } = await setup();
  try {
    const bytes = readFileSync(path);
    // a byte of theta row 4, which the selection does not read
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 32 - 1000] ^= 1;
    writeFileSync(path, flipped);
    const r = await cache.readSelected(KEY, { labels: true });
    assert.deepEqual(r, { ok: false, reason: 'corrupt', detail: 'checksum mismatch' });
    // known whole at this stat (e.g. written by this run): only the parts asked for are read
    const known = entryStat(statSync(path));
    assert.ok((await cache.readSelected(KEY, { labels: true }, known)).ok);
    writeFileSync(path, bytes);
    truncateSync(path, bytes.length - 10);
    const t = await cache.readSelected(KEY, { residvar: true });
    assert.equal(t.ok, false);
    assert.equal(!t.ok && t.reason, 'corrupt');
    rmSync(path);
    assert.deepEqual(await cache.readSelected(KEY, { residvar: true }), { ok: false, reason: 'missing' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readSelected: rows that are not rows of the array are a programming error, not a corrupt entry', async () => {
  const { dir, cache } = await setup();
  try {
    await assert.rejects(cache.readSelected(KEY, { theta: { rows: [5], rowCount: 5 } }), /row 5 of theta is not one of its 5 rows/);
    await assert.rejects(cache.readSelected(KEY, { theta: { rows: [0], rowCount: 7 } }), /is not 7 equal rows/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
