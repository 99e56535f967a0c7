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
import { group } from './group.js';
import { permute } from './permute.js';
import { correct } from './correct.js';
import { roi } from './roi.js';
import { singleTrial, singleTrialBold } from './single-trial.js';

export const registry: Record<string, NodeDefinition> = Object.fromEntries(
  [load, confounds, design, mask, fit, contrast, save, report, group, permute, correct, roi, singleTrial, singleTrialBold].map((d) => [d.type, d]),
);
