/**
 * The fit node's path for a run whose data exceed the fit's memory budget (spill.ts): the
 * masked, smoothed rows go to a voxel-blocked temporary file, the GLM reads it a block at a
 * time (runGlmBlocked), and the file is removed whatever happens. Same artifact, same bits
 * as the in-memory path (test/e2e/fit-spill.test.ts).
 */
import type { Artifact, NodeRunContext } from '../../src/engine/types.js';
import { runGlmBlocked } from '../../src/stats/first-level/glm-blocked.js';
import type { DesignMeta, MaskMeta } from './artifacts.js';
import { glmToArtifact } from './glm-artifact.js';
import { selectRows, type SmoothingFwhm } from './masked-bold.js';
import { spillMaskedRun } from './spill.js';
import type { SignalScalingAxis } from '../../src/stats/first-level/signal-scaling.js';

export interface SpilledFitInput {
  bold: string; mask: MaskMeta; indices: Int32Array; dm: DesignMeta; design: Float64Array;
  run: string; noiseModel: string; bins: number; fwhm: SmoothingFwhm; scaling: SignalScalingAxis | false; budgetBytes: number;
}

export async function fitSpilled(ctx: Pick<NodeRunContext, 'progress' | 'scratchDir'>, a: SpilledFitInput, timings: Record<string, number>): Promise<{ artifact: Artifact; stages: [string, number][] }> {
  let mark = performance.now();
  const lap = (stage: string) => {
    const now = performance.now();
    timings[stage] = (timings[stage] ?? 0) + (now - mark) / 1000;
    mark = now;
  };
  const nm = a.indices.length;
  const nKept = a.dm.sampleMask?.length ?? a.dm.nScans;
  ctx.progress(0.02, `spilling ${nKept} volumes x ${nm} voxels (${mib(nKept * nm * 4)}, over the fit memory budget of ${mib(a.budgetBytes)}) in ${ctx.scratchDir}`);
  const spilled = await spillMaskedRun(a.bold, a.mask, a.indices, a.dm, a.fwhm, {
    dir: ctx.scratchDir, budgetBytes: a.budgetBytes, scaling: a.scaling, label: a.run, onProgress: (f) => ctx.progress(0.02 + 0.3 * f),
  });
  try {
    lap('read + smooth + spill');
    let x = { rows: a.dm.nScans, cols: a.dm.columns.length, data: a.design };
    if (a.dm.sampleMask) x = { rows: nKept, cols: x.cols, data: selectRows(x.data, x.cols, spilled.keep) };
    ctx.progress(0.33, `fitting ${a.noiseModel} from ${spilled.nBlocks} blocks of ${spilled.blockSize} voxels`);
    const glmTimings: Record<string, number> = {};
    const { fit, residualVariance, passes } = runGlmBlocked(spilled, x, {
      noiseModel: a.noiseModel, bins: a.bins, timings: glmTimings, modelBytes: a.budgetBytes,
      onProgress: (f) => ctx.progress(0.33 + 0.65 * f),
    });
    lap('glm');
    const warnings: string[] = [];
    const w = spilled.scalingWarning();
    if (w) warnings.push(w);
    const artifact = glmToArtifact(fit, a.run, warnings) as Artifact;
    artifact.arrays.residvar = residualVariance;
    lap('artifact');
    const stages: [string, number][] = [
      ['inflate wait', spilled.timings['inflate wait']], ['decode', spilled.timings.decode], ['smooth + mask', spilled.timings['smooth + mask']],
      ['spill write', timings['read + smooth + spill'] - (spilled.timings['inflate wait'] ?? 0) - (spilled.timings.decode ?? 0) - (spilled.timings['smooth + mask'] ?? 0)],
      ...Object.entries(glmTimings), [`passes over the file`, passes], ['artifact', timings.artifact],
    ];
    return { artifact, stages };
  } finally {
    spilled.close();
  }
}

function mib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(bytes >= 2 ** 24 ? 0 : 2)} MiB`;
}
