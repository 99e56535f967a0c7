import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import { runGlm } from '../src/stats/first-level/glm.js';
import { signalScaling, type SignalScalingAxis } from '../src/stats/first-level/signal-scaling.js';
import { single, type DesignMeta, type MaskMeta } from './lib/artifacts.js';
import { glmToArtifact } from './lib/glm-artifact.js';
import { readMaskedRun, selectRows } from './lib/masked-bold.js';
import { fitMemoryBudget, spillNeeded } from './lib/spill.js';
import { fitSpilled } from './lib/fit-spilled.js';
import { collectGarbage } from '../src/engine/garbage.js';

export interface FitParams {
  run: string;
  noise_model: string;
  smoothing_fwhm: number | [number, number, number] | null;
  /** nilearn's signal_scaling: 0 (per voxel), 1 (per scan), [0, 1] (grand mean) or false. */
  signal_scaling: SignalScalingAxis | false;
  bins: number;
  /** Keep the residual time series in the artifact (save_residuals); the variance is always kept. */
  save_residuals?: boolean;
}

/**
 * fit: one run's GLM, as nilearn's FirstLevelModel.fit does it per run:
 * smooth (within the masker, before masking), mask, drop censored volumes from data
 * and design alike, signal scaling (nilearn signal_scaling, 0 = percent signal change per voxel), then run_glm
 * (OLS, or AR(p) with binned coefficients and per-bin refits), and the residuals' variance (nilearn
 * minimize_memory=False residuals; the series too with save_residuals).
 *
 * The BOLD series is streamed: each volume is inflated, only the voxels the masked smoothing
 * needs are decoded, and its smoothed masked values go straight into row t of the
 * time-major Y (n_t x n_mask float32), so the 4D image is never held in memory; Y is then
 * scaled in place and handed to runGlm, which may permute it in place (one copy of the data
 * in memory overall), unless Y would exceed the fit's memory budget (GLMFLOW_FIT_MEMORY_MB,
 * default 512 MiB): then it is spilled to a temporary file (lib/spill.ts, lib/fit-spilled.ts).
 * The stage timings are reported as a last progress message
 * ('timings: ...'), which the benchmark reads.
 */
export const fit: NodeDefinition<FitParams> = {
  type: 'fit',
  // 2: residual variance (and, with save_residuals, the residual series) in the artifact;
  //    signal_scaling 1 and [0, 1]
  version: '2',
  description: 'fit the first-level GLM of one run (OLS or AR(p))',
  async run(ctx, params, inputs) {
    const design = single(inputs.nodes, 'design');
    const maskArt = single(inputs.nodes, 'mask');
    const dm = design.meta as unknown as DesignMeta;
    const mask = maskArt.meta as unknown as MaskMeta;
    const indices = maskArt.arrays.indices as Int32Array;
    const bold = inputs.files.bold as string;
    const timings: Record<string, number> = {};
    let mark = performance.now();
    const lap = (stage: string) => {
      const now = performance.now();
      timings[stage] = (timings[stage] ?? 0) + (now - mark) / 1000;
      mark = now;
    };
    // A run whose Y exceeds the fit's memory budget is spilled to a voxel-blocked temporary
    // file and fitted a block at a time (same bits). The residual series must be held whole,
    // so save_residuals keeps the in-memory path.
    const budget = fitMemoryBudget();
    if (!params.save_residuals && spillNeeded(dm, indices.length, budget)) {
      const spilled = await fitSpilled(ctx, {
        bold, mask, indices, dm, design: design.arrays.matrix as Float64Array, run: params.run, noiseModel: params.noise_model,
        bins: params.bins, fwhm: params.smoothing_fwhm, scaling: params.signal_scaling, budgetBytes: budget,
      }, timings);
      ctx.progress(1, `timings: ${spilled.stages.map(([k, v]) => `${k} ${k.startsWith('passes') ? v : v.toFixed(2) + ' s'}`).join(', ')}`);
      return spilled.artifact;
    }
    ctx.progress(0.02, params.smoothing_fwhm ? 'reading + smoothing BOLD' : 'reading BOLD');
    const masked = await readMaskedRun(bold, mask, indices, dm, params.smoothing_fwhm, (f) => ctx.progress(0.02 + 0.5 * f));
    let y = masked.y;
    const keep = masked.keep;
    // the reader's and the smoother's buffers are garbage now: free them before the GLM's outputs
    collectGarbage();
    lap('read + smooth');
    Object.assign(timings, masked.timings);

    let x = { rows: dm.nScans, cols: dm.columns.length, data: design.arrays.matrix as Float64Array };
    if (dm.sampleMask) x = { rows: keep.length, cols: x.cols, data: selectRows(x.data, x.cols, keep) };
    const warnings: string[] = [];
    if (params.signal_scaling !== false) {
      const scaled = signalScaling(y, x.rows, params.signal_scaling, { inPlace: true });
      if (scaled.warning) warnings.push(scaled.warning);
      y = scaled.scaled;
    }
    lap('scale');
    ctx.progress(0.55, `fitting ${params.noise_model}`);
    const glmTimings: Record<string, number> = {};
    // nilearn's residuals (minimize_memory=False), formed within the refit: their variance
    // always, the series on request
    const result = runGlm(y, x, {
      noiseModel: params.noise_model, bins: params.bins, timings: glmTimings,
      residuals: params.save_residuals === true ? 'series' : 'variance',
    });
    lap('glm');
    const artifact = glmToArtifact(result, params.run, warnings) as Artifact;
    artifact.arrays.residvar = result.residualVariance!;
    if (result.residualSeries) artifact.arrays.errorts = result.residualSeries;
    lap('artifact');
    const parts = [
      ['inflate wait', timings['inflate wait']], ['decode', timings.decode], ['smooth + mask', timings['smooth + mask']],
      ['scale', timings.scale], ...Object.entries(glmTimings), ['artifact', timings.artifact],
    ] as [string, number][];
    ctx.progress(1, `timings: ${parts.map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}`);
    return artifact;
  },
};
