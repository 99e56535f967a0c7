/**
 * Toy nodes for interrupt tests (on top of the engine's toy registry):
 * `wait` waits GLMFLOW_TOY_WAIT_MS (read when it runs, so a rerun can be quick with the
 * same node key) unless the run's signal aborts first (a node that cooperates);
 * `stall` starts an atomic write and then blocks its thread in a busy loop for `ms`
 * (a node that never yields, like a WebAssembly kernel: only terminating its worker stops it).
 */
import { join } from 'node:path';
import type { NodeDefinition } from '../../src/engine/types.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { registry as toy } from '../engine/toy-nodes.js';
import { appendFileSync } from 'node:fs';
import { UserError } from '../../src/errors.js';

function logRun(id: string) {
  const f = process.env.GLMFLOW_TOY_LOG;
  if (f) appendFileSync(f, id + '\n');
}

export const registry: Record<string, NodeDefinition> = {
  ...toy,
  wait: {
    type: 'wait', version: '1', description: 'wait, or stop when interrupted',
    async run(ctx, params: { id: string }) {
      logRun(params.id);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Number(process.env.GLMFLOW_TOY_WAIT_MS ?? 60_000));
        ctx.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
      return { meta: { value: 1 }, arrays: {} };
    },
  },
  stall: {
    type: 'stall', version: '1', description: 'write a file slowly without ever yielding',
    async run(_ctx, params: { id: string; dir: string }) {
      logRun(params.id);
      const ms = Number(process.env.GLMFLOW_TOY_WAIT_MS ?? 60_000);
      async function* chunks() {
        yield new Uint8Array(1024);
        const until = Date.now() + ms;
        while (Date.now() < until) { /* busy: never yields to the event loop */ }
        yield new Uint8Array(1024);
      }
      await writeFileAtomic(join(params.dir, 'stalled.bin'), chunks());
      return { meta: { value: 2 }, arrays: {} };
    },
  },
};

/** Failing nodes: one with an error the user can fix, one with a bug. */
registry.userfail = {
  type: 'userfail', version: '1', description: 'fails with a UserError',
  async run() {
    throw new UserError('data/sub-01_bold.nii.gz: 10 volumes but the design has 12 rows; expected one row per volume');
  },
};
registry.bug = {
  type: 'bug', version: '1', description: 'fails with a TypeError',
  async run() {
    const x = undefined as unknown as { y: number };
    return { meta: { v: x.y }, arrays: {} };
  },
};
