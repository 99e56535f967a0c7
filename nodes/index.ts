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
import { underlay } from './underlay.js';
import { loadDistributionFunctions } from '../src/stats/core/distributions.js';

export const registry: Record<string, NodeDefinition> = Object.fromEntries(
  [load, confounds, design, mask, fit, contrast, save, report, group, permute, correct, roi, singleTrial, singleTrialBold, underlay].map((d) => [d.type, d]),
);

/**
 * Called by a pre-started worker thread once the registry is loaded (src/engine/node-worker.ts):
 * the t / F / normal distribution functions, loaded lazily elsewhere (the CLI's process never
 * needs them), are loaded here while the spec is planned, not inside the first contrast.
 */
export function warmWorker(): Promise<void> {
  return loadDistributionFunctions();
}
