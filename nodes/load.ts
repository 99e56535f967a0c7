import type { NodeDefinition } from '../src/engine/types.js';
import { readEvents } from '../src/pipeline/events-file.js';

/**
 * load: one run's events file -> onset / duration / modulation arrays and trial types.
 * The BOLD data itself is read by `fit`, which streams it; this node stays small.
 */
export const load: NodeDefinition<{ run: string }> = {
  type: 'load',
  version: '2', // 2: n/a trial_type events dropped; onset/duration cells checked
  description: "read one run's events.tsv",
  async run(ctx, params, inputs) {
    const { table, warnings } = await readEvents(inputs.files.events as string);
    for (const w of warnings) ctx.warn(`${inputs.files.events}: ${w}`);
    return {
      meta: { run: params.run, trialType: table.trialType, hasModulation: Boolean(table.modulation), warnings },
      arrays: {
        onset: table.onset,
        duration: table.duration,
        ...(table.modulation ? { modulation: table.modulation } : {}),
      },
    };
  },
};
