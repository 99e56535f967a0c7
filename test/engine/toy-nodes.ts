/**
 * A toy node registry for engine tests: `source` reads a number file,
 * `scale` multiplies, `sum` adds its inputs, `boom` fails on purpose.
 * Each run appends its id to RUN_LOG (a file) so tests count computations.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import type { NodeDefinition } from '../../src/engine/types.js';

function logRun(id: string) {
  const f = process.env.GLMFLOW_TOY_LOG;
  if (f) appendFileSync(f, id + '\n');
}

export const registry: Record<string, NodeDefinition> = {
  source: {
    type: 'source', version: '1', description: 'read a number from a file',
    async run(_ctx, params: { id: string }, inputs) {
      logRun(params.id);
      const v = Number(readFileSync(inputs.files.value as string, 'utf8'));
      return { meta: { value: v }, arrays: { values: new Float64Array([v, v + 1]) } };
    },
  },
  scale: {
    type: 'scale', version: '1', description: 'multiply by a factor',
    async run(ctx, params: { id: string; factor: number }, inputs) {
      logRun(params.id);
      ctx.progress(0.5, 'half way');
      if (params.factor > 4) ctx.warn(`large factor ${params.factor}`);
      const a = inputs.nodes.x as { meta: any; arrays: any };
      const values = Float64Array.from(a.arrays.values as Float64Array, (v) => v * params.factor);
      return { meta: { value: a.meta.value * params.factor }, arrays: { values } };
    },
  },
  sum: {
    type: 'sum', version: '1', description: 'add inputs',
    async run(_ctx, params: { id: string }, inputs) {
      logRun(params.id);
      const list = inputs.nodes.xs as { meta: any }[];
      return { meta: { value: list.reduce((s, a) => s + a.meta.value, 0) }, arrays: {} };
    },
  },
  lazysum: {
    type: 'lazysum', version: '1', description: 'add inputs read one at a time',
    streamedInputs: ['xs'],
    async run(_ctx, params: { id: string }, inputs) {
      logRun(params.id);
      if (inputs.nodes.xs !== undefined) throw new Error('streamed input was preloaded');
      let total = 0;
      for (const load of inputs.lazy.xs) total += ((await load()).meta as any).value;
      return { meta: { value: total }, arrays: {} };
    },
  },
  boom: {
    type: 'boom', version: '1', description: 'always fails',
    async run(_ctx, params: { id: string }) {
      logRun(params.id);
      throw new Error('boom failed on purpose');
    },
  },
};

/** The registry's warm-up hook, called by a pre-started worker thread: appends 'warm' to GLMFLOW_TOY_WARM_LOG. */
export function warmWorker(): void {
  const f = process.env.GLMFLOW_TOY_WARM_LOG;
  if (f) appendFileSync(f, 'warm\n');
}
