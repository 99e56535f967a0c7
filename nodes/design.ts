import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import type { EventsTable } from '../src/stats/design/events.js';
import { buildRunDesign, type DesignParams } from '../src/pipeline/first-level-design.js';
import type { DesignMeta } from './lib/artifacts.js';

export function eventsFromArtifact(a: Artifact): EventsTable {
  const m = a.meta as { trialType: string[] };
  return {
    onset: a.arrays.onset as Float64Array,
    duration: a.arrays.duration as Float64Array,
    trialType: m.trialType,
    ...(a.arrays.modulation ? { modulation: a.arrays.modulation as Float64Array } : {}),
  };
}

export function confoundsFromArtifact(a: Artifact | undefined): { names: string[]; values: Float64Array[]; sampleMask: Int32Array | null } | null {
  if (!a) return null;
  const names = (a.meta as { names: string[] }).names;
  return {
    names,
    values: names.map((_, i) => a.arrays[`c${i}`] as Float64Array),
    sampleMask: (a.arrays.sampleMask as Int32Array | undefined) ?? null,
  };
}

/** design: one run's first-level design matrix (all volumes; the sample mask travels with it). */
export const design: NodeDefinition<DesignParams> = {
  type: 'design',
  version: '1',
  description: 'first-level design matrix of one run (HRF-convolved events, confounds, drifts, constant)',
  async run(ctx, params, inputs) {
    const events = eventsFromArtifact(inputs.nodes.events as Artifact);
    const conf = confoundsFromArtifact(inputs.nodes.confounds as Artifact | undefined);
    const warnings: string[] = [];
    const dm = buildRunDesign(params, events, conf, (w) => {
      warnings.push(w);
      ctx.warn(w);
    });
    const meta: DesignMeta = {
      columns: dm.columns, nScans: params.n_scans, tr: params.t_r, warnings, run: params.run,
      sampleMask: conf?.sampleMask ? Array.from(conf.sampleMask) : null,
    };
    return { meta: meta as any, arrays: { matrix: dm.matrix.data, frameTimes: dm.frameTimes } };
  },
};
