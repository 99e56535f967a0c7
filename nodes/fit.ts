import { UserError } from '../src/errors.js';
import type { Artifact, NodeDefinition } from '../src/engine/types.js';
import { readNiftiHeader, streamNiftiVolumes, type VolumeDecoder } from '../src/io/nifti.js';
import { smoothVolumes } from '../src/stats/image/smooth.js';
import { MaskedSmoother } from '../src/stats/image/masked-smoother.js';
import { runGlm } from '../src/stats/first-level/glm.js';
import { glmResiduals } from '../src/stats/first-level/residuals.js';
import { signalScaling, type SignalScalingAxis } from '../src/stats/first-level/signal-scaling.js';
import { single, type DesignMeta, type MaskMeta } from './lib/artifacts.js';
import { glmToArtifact } from './lib/glm-artifact.js';

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

/** Keep the rows (volumes) listed in `keep`. */
export function selectRows<T extends Float32Array | Float64Array>(a: T, cols: number, keep: ArrayLike<number>): T {
  const out = new (a.constructor as any)(keep.length * cols) as T;
  for (let r = 0; r < keep.length; r++) out.set(a.subarray(keep[r] * cols, (keep[r] + 1) * cols), r * cols);
  return out;
}

/**
 * One volume -> its masked (and smoothed) values, written to out[offset ..]. `inputRows` tells
 * the streaming reader which raw voxels are needed (undefined: all).
 */
interface VolumeToMasked {
  inputRows?: { xLo: Int32Array; xHi: Int32Array };
  /** Where the reader should decode each volume (the smoother's own buffer), if anywhere. */
  inputBuffer?: Float32Array;
  /** A SIMD decoder of int16 volumes into inputBuffer, if the smoother has one. */
  decoder?: VolumeDecoder;
  apply(volume: Float32Array, out: Float32Array, offset: number): void;
}

function volumeToMasked(params: FitParams, dims: number[], affine: number[][], indices: Int32Array): VolumeToMasked {
  const [nx, ny, nz] = dims;
  const fwhm = params.smoothing_fwhm;
  if (!fwhm) {
    // No smoothing (null or 0): plain masking; only the mask's x-range of each row is decoded.
    const xLo = new Int32Array(ny * nz);
    const xHi = new Int32Array(ny * nz);
    for (const i of indices) {
      const r = Math.floor(i / nx);
      const x = i - r * nx;
      if (xHi[r] <= xLo[r]) {
        xLo[r] = x;
        xHi[r] = x + 1;
      } else {
        xLo[r] = Math.min(xLo[r], x);
        xHi[r] = Math.max(xHi[r], x + 1);
      }
    }
    return {
      inputRows: { xLo, xHi },
      apply(volume, out, offset) {
        for (let i = 0; i < indices.length; i++) out[offset + i] = volume[indices[i]];
      },
    };
  }
  if ((fwhm as unknown) === 'fast') {
    // nilearn's 'fast' neighbour average: cheap, done on the whole volume.
    return {
      apply(volume, out, offset) {
        const sm = smoothVolumes(volume, [nx, ny, nz], affine, 'fast');
        for (let i = 0; i < indices.length; i++) out[offset + i] = sm[indices[i]];
      },
    };
  }
  const maskVolume = new Uint8Array(nx * ny * nz);
  for (const i of indices) maskVolume[i] = 1;
  const sm = new MaskedSmoother([nx, ny, nz], affine, fwhm, maskVolume, 'float32');
  const decoder: VolumeDecoder | undefined = sm.rawInt16 && {
    raw: sm.rawInt16,
    decode: (v) => v.datatype === 'int16' && sm.loadInt16(v.slope, v.inter),
  };
  return { inputRows: sm.inputRows, inputBuffer: sm.inputBuffer, decoder, apply: (volume, out, offset) => sm.apply(volume, out, offset) };
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
 * in memory overall). The stage timings are reported as a last progress message
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
    const header = await readNiftiHeader(bold);
    const [nx, ny, nz] = header.dims;
    const nt = header.dims[3] ?? 1;
    if (nx !== mask.dims[0] || ny !== mask.dims[1] || nz !== mask.dims[2]) {
      throw new UserError(`${bold}: BOLD grid ${header.dims.slice(0, 3).join('x')} differs from the mask grid ${mask.dims.join('x')}; expected the mask on the BOLD grid`);
    }
    if (nt !== dm.nScans) throw new UserError(`${bold}: ${nt} volumes but the design of ${params.run} has ${dm.nScans} rows; expected one design row per volume`);
    // Censored volumes (sample_mask) are skipped while streaming: neither decoded nor smoothed.
    const keep = dm.sampleMask ?? Array.from({ length: nt }, (_, t) => t);
    const rowOf = new Int32Array(nt).fill(-1);
    keep.forEach((t, r) => (rowOf[t] = r));
    const nm = indices.length;
    const toMasked = volumeToMasked(params, [nx, ny, nz], header.affine, indices);
    let y = new Float32Array(keep.length * nm);
    lap('setup');

    ctx.progress(0.02, params.smoothing_fwhm ? 'reading + smoothing BOLD' : 'reading BOLD');
    let done = 0;
    const streamed = await streamNiftiVolumes(bold, {
      select: () => toMasked.inputRows,
      volumes: keep,
      into: toMasked.inputBuffer,
      decoder: toMasked.decoder,
      onVolume(t, volume) {
        toMasked.apply(volume, y, rowOf[t] * nm);
        if (++done % 32 === 0) ctx.progress(0.02 + (0.5 * done) / keep.length);
      },
    });
    lap('read + smooth');
    timings['inflate wait'] = streamed.stats.waitSeconds;
    timings['decode'] = streamed.stats.decodeSeconds;
    timings['smooth + mask'] = streamed.stats.consumeSeconds;

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
    const result = runGlm(y, x, { noiseModel: params.noise_model, bins: params.bins, timings: glmTimings });
    lap('glm');
    // nilearn's residuals (minimize_memory=False): their variance always, the series on request
    const resid = glmResiduals(y, result, { keepSeries: params.save_residuals === true });
    lap('residuals');
    const artifact = glmToArtifact(result, params.run, warnings) as Artifact;
    artifact.arrays.residvar = resid.variance;
    if (resid.series) artifact.arrays.errorts = resid.series;
    lap('artifact');
    const parts = [
      ['inflate wait', timings['inflate wait']], ['decode', timings.decode], ['smooth + mask', timings['smooth + mask']],
      ['scale', timings.scale], ...Object.entries(glmTimings), ['residuals', timings.residuals], ['artifact', timings.artifact],
    ] as [string, number][];
    ctx.progress(1, `timings: ${parts.map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}`);
    return artifact;
  },
};
