/**
 * The node registry: every node type the spec compiles to. Worker threads import
 * this module by URL, so nodes never share memory with each other or the engine.
 */
import type { NodeDefinition } from '../src/engine/types.js';
import { load } from './load.js';
import { confounds } from './confounds.js';
import { design } from './design.js';
import { mask } from './mask.js';
import { fit } from './fit.js';
import { contrast } from './contrast.js';
import { save } from './save.js';
import { report } from './report.js';

export const registry: Record<string, NodeDefinition> = Object.fromEntries(
  [load, confounds, design, mask, fit, contrast, save, report].map((d) => [d.type, d]),
);
