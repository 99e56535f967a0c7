import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import type { EventsTable } from '../src/stats/design/events.js';
import { buildRunDesign, type DesignParams } from '../src/pipeline/first-level-design.js';
import type { DesignMeta } from './lib/artifacts.js';
import { columnCorrelation } from '../src/stats/design/correlation.js';
import { assessCollinearity, collinearityWarnings, designColumnRoles } from '../src/stats/design/collinearity.js';
import { selectRows } from './lib/masked-bold.js';

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
  // 2: the column correlation matrix (arrays.correlation) and the collinearity flags (meta.collinearity)
  version: '2',
  description: 'first-level design matrix of one run (HRF-convolved events, confounds, drifts, constant) and its collinearity',
  async run(ctx, params, inputs) {
    const events = eventsFromArtifact(inputs.nodes.events as Artifact);
    const conf = confoundsFromArtifact(inputs.nodes.confounds as Artifact | undefined);
    const warnings: string[] = [];
    const dm = buildRunDesign(params, events, conf, (w) => {
      warnings.push(w);
      ctx.warn(w);
    });
    // Collinearity of the scans the GLM models (scrubbed volumes left out, as the fit does);
    // without a sample mask this is nilearn's design_matrix.corr().
    const p = dm.columns.length;
    const modelled = conf?.sampleMask
      ? { rows: conf.sampleMask.length, cols: p, data: selectRows(dm.matrix.data, p, Array.from(conf.sampleMask)) }
      : dm.matrix;
    const correlation = columnCorrelation(modelled);
    const collinearity = assessCollinearity(dm.columns, modelled, designColumnRoles(dm.columns, conf?.names ?? []), { correlation });
    // the message names the run; the subject is in the event's node id (a design node's key has no
    // subject: two subjects with the same events and confounds share one cache entry)
    for (const w of collinearityWarnings(`design of ${params.run}`, collinearity)) {
      warnings.push(w);
      ctx.warn(w);
    }
    const meta: DesignMeta = {
      columns: dm.columns, nScans: params.n_scans, tr: params.t_r, warnings, run: params.run,
      sampleMask: conf?.sampleMask ? Array.from(conf.sampleMask) : null,
      collinearity,
    };
    return { meta: meta as any, arrays: { matrix: dm.matrix.data, frameTimes: dm.frameTimes, correlation: correlation.data } };
  },
};
