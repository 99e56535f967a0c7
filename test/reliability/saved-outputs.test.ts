/**
 * Issue 8 item 1: outputs are checked, not trusted. A save node records the size and SHA-256
 * of the bytes it meant to write (from the writer, not by reading the file back); a later run
 * rewrites any output that is missing, truncated or changed, and says which file and why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { outputsProblem } from '../../nodes/lib/outputs.js';
import { planPipeline, runPipeline } from '../../src/engine/index.js';
import type { Graph, NodeDefinition } from '../../src/engine/types.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'glmflow-outputs-'));

test('outputsProblem names a missing, truncated or altered file', async () => {
  const dir = tmp();
  const w = await writeFileAtomic(join(dir, 'map.bin'), [Buffer.from('0123456789')]);
  const artifact = { meta: { files: [w] } as any, arrays: {} };
  assert.equal(await outputsProblem(artifact), undefined);
  writeFileSync(w.path, '0123456780'); // same size, one byte differs
  assert.match((await outputsProblem(artifact))!, /map\.bin was changed/);
  truncateSync(w.path, 4);
  assert.match((await outputsProblem(artifact))!, /map\.bin has 4 bytes, 10 were written/);
  rmSync(w.path);
  assert.match((await outputsProblem(artifact))!, /map\.bin is missing/);
});

test('a cached save node whose output was damaged is planned to run, says why, and rewrites it', async () => {
  const dir = tmp();
  const out = join(dir, 'out.txt');
  const registry: Record<string, NodeDefinition> = {
    save: {
      type: 'save', version: '1', description: 'writes a file',
      async run(_ctx, params: { text: string }) {
        return { meta: { files: [await writeFileAtomic(out, [Buffer.from(params.text)])] } as any, arrays: {} };
      },
      outputsProblem,
    },
  };
  const graph: Graph = { nodes: [{ id: 'save', type: 'save', params: { text: 'the complete output' }, deps: {}, files: {}, stage: 'save' }] };
  const opts = { registry, cacheRoot: join(dir, 'cache'), useCache: true, jobs: 1 };
  assert.equal((await runPipeline(graph, { ...opts, emit: () => undefined })).computed, 1);
  assert.equal((await planPipeline(graph, opts)).entries.get('save')!.status, 'cached');
  truncateSync(out, 8);
  const entry = (await planPipeline(graph, opts)).entries.get('save')!;
  assert.equal(entry.status, 'run');
  assert.equal(entry.reason!.kind, 'outputs-missing');
  assert.match(entry.reason!.detail, /out\.txt has 8 bytes, 19 were written/);
  assert.equal((await runPipeline(graph, { ...opts, emit: () => undefined })).computed, 1);
  assert.equal(readFileSync(out, 'utf8'), 'the complete output');
  assert.equal((await runPipeline(graph, { ...opts, emit: () => undefined })).cached, 1);
});
